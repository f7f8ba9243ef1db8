// The YAML loader of pki apply: the whole file parsed and validated against the table's schemas,
// planned against an empty state (every read answers "not found").
#include "api/table.hpp"
#include "cli/apply_plan.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const pki::api::Table table = pki::api::build_table();
    return pki::fuzz::run([&] {
        pki::cli::Executor empty = [](const pki::api::Request& r) -> pki::api::Response {
            throw pki::Error(pki::ErrorKind::NotFound, "not found: " + r.path);
        };
        pki::cli::plan_apply(table, empty, "fuzz.yaml", std::string(pki::fuzz::text(data, size)));
    });
}
