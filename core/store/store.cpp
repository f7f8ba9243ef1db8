#include "store/store.hpp"

namespace pki::store {

size_t Txn::erase_prefix(std::string_view prefix) {
    std::vector<std::string> keys;
    scan(prefix, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
    });
    for (const auto& k : keys) del(k);
    return keys.size();
}

void Backend::read(const Body& body) const {
    auto txn = snapshot();
    if (txn) body(*txn);
}

}  // namespace pki::store
