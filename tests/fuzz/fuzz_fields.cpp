// A request body (JSON) or key=value data parsed against the schema of real paths: roles, issue,
// sign, root generation, config/crl, tidy, sys/mounts, token create.
#include "api/fields.hpp"
#include "api/table.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const pki::api::Table table = pki::api::build_table();
    return pki::fuzz::run([&] {
        auto body = pki::api::parse_user_json(pki::fuzz::text(data, size));
        if (body.is_discarded()) return;
        for (const auto& spec : table.paths()) {
            try {
                pki::api::Fields f(spec.fields, body, spec.display());
                for (const auto& field : spec.fields) {
                    if (!f.has(field.name)) continue;
                    f.value(field.name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                }
            } catch (const pki::Error&) {
            }
        }
    });
}
