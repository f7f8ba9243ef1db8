// sys/mounts: enabling, tuning, listing and disabling pki mounts.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/mounts.hpp"

namespace pki::api {

void add_sys_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("mount", "Create, tune, list and delete mounts (the ergonomic form of pki secrets).");
    auto ttl_fields = [] {
        return std::vector<FieldSpec>{
            duration_field("default_lease_ttl", "Default lifetime of certificates issued from the mount (default 768h)."),
            duration_field("max_lease_ttl", "Longest lifetime any certificate of the mount may have (default 768h)."),
            string_field("description", "Free-form description of the mount."),
        };
    };
    t.add(PathSpec{"mounts", "secrets", "The mounts of the state directory.", {},
                   {{Op::Read, list_mounts, "Show every mount with its configuration.", {}},
                    {Op::List, list_mounts, "List the mounts.", {"mount", "list"}}},
                   true});

    auto enable_fields = ttl_fields();
    enable_fields.insert(enable_fields.begin(), path_field("path", "Name of the mount."));
    enable_fields.push_back(string_field("type", "Secrets engine type; only pki.", "pki", {"pki"}));
    t.add(PathSpec{"mounts/:path", "secrets", "One mount: enable, read, disable.", enable_fields,
                   {{Op::Write, enable_mount, "Enable a new pki mount.", {"mount", "create"}},
                    {Op::Read, read_mount, "Show a mount.", {"mount", "read"}},
                    {Op::Delete, disable_mount, "Disable a mount and delete every record in it.", {"mount", "delete"}}},
                   true});

    auto tune_fields = ttl_fields();
    tune_fields.insert(tune_fields.begin(), path_field("path", "Name of the mount."));
    t.add(PathSpec{"mounts/:path/tune", "secrets", "Lease TTLs of a mount.", tune_fields,
                   {{Op::Read, read_tune, "Show a mount's TTLs.", {}},
                    {Op::Write, write_tune, "Change a mount's default and maximum TTL.", {"mount", "tune"}}},
                   true});
}

}  // namespace pki::api
