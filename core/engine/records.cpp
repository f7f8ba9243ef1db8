#include "engine/records.hpp"

#include <fmt/format.h>

#include "store/codec.hpp"
#include "util/error.hpp"

namespace pki::engine {

std::string mount_key(std::string_view mount) { return fmt::format("sys/mount/{}", mount); }
std::string rec_key(std::string_view mount, std::string_view kind, std::string_view id) {
    return fmt::format("{}/{}/{}", mount, kind, id);
}
std::string rec_prefix(std::string_view mount, std::string_view kind) { return fmt::format("{}/{}/", mount, kind); }

std::vector<std::string> list_kind(const store::Txn& txn, std::string_view mount, std::string_view kind) {
    std::vector<std::string> ids;
    std::string prefix = rec_prefix(mount, kind);
    txn.scan(prefix, [&](std::string_view key, std::string_view) {
        ids.emplace_back(key.substr(prefix.size()));
        return true;
    });
    return ids;
}

std::optional<Json> load(const store::Txn& txn, std::string_view key) {
    auto raw = txn.get(key);
    if (!raw) return std::nullopt;
    Json j = store::decode(key, *raw);
    if (!j.is_object()) fail(ErrorKind::Storage, "state directory: record {} is damaged (not a record); restore the state directory from a backup", key);
    int v = j.value("v", 0);
    if (v > kRecordVersion)
        fail(ErrorKind::Storage, "state directory: record {} has version {} from a newer pki; upgrade pki", key, v);
    // Records are at version 1; later versions migrate older ones here, on read.
    return j;
}

Json decode_record(std::string_view key, std::string_view value) {
    Json j = store::decode(key, value);
    if (!j.is_object()) fail(ErrorKind::Storage, "state directory: record {} is damaged (not a record); restore the state directory from a backup", key);
    return j;
}

void save(store::Txn& txn, std::string_view key, Json record) {
    record["v"] = kRecordVersion;
    txn.put(key, store::encode(record));
}

}  // namespace pki::engine
