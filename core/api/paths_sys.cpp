// sys/mounts: enabling, tuning, listing and disabling pki mounts.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/mounts.hpp"

namespace pki::api {
namespace {

// The mount a sys/mounts path names (trailing slashes dropped).
std::string mount_path(const Fields& f) {
    std::string name = f.str("path");
    while (!name.empty() && name.back() == '/') name.pop_back();
    return name;
}

Json describe(const engine::MountInfo& m) {
    return Json{{"type", "pki"},
                {"description", m.description},
                {"accessor", m.accessor},
                {"config", {{"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl}}}};
}

Json tune_data(const engine::MountInfo& m) {
    return Json{{"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl}, {"description", m.description}};
}

// sys/mounts: read shows every mount with its configuration, LIST only their names.
Response list_mounts(Call& c) {
    auto mounts = engine::list_mounts(c.ctx);
    if (c.op == Op::List) {
        Json keys = Json::array();
        for (const auto& m : mounts) keys.push_back(m.name + "/");
        return reply(Json{{"keys", std::move(keys)}});
    }
    Json data = Json::object();
    for (const auto& m : mounts) data[m.name + "/"] = describe(m);
    return reply(std::move(data));
}

Response enable_mount(Call& c) {
    auto m = engine::enable_mount(c.ctx, enable_request(c.fields));
    return reply(Json{{"path", m.name + "/"}, {"type", "pki"}});
}

Response read_mount(Call& c) { return reply(describe(engine::read_mount(c.ctx, mount_path(c.fields)))); }

Response disable_mount(Call& c) {
    engine::disable_mount(c.ctx, mount_path(c.fields));
    return reply(nullptr);
}

Response read_tune(Call& c) { return reply(tune_data(engine::read_tune(c.ctx, mount_path(c.fields)))); }

Response write_tune(Call& c) {
    const Fields& f = c.fields;
    engine::TuneMount tune;
    if (f.has("default_lease_ttl")) tune.default_lease_ttl = f.duration("default_lease_ttl");
    if (f.has("max_lease_ttl")) tune.max_lease_ttl = f.duration("max_lease_ttl");
    tune.description = given_str(f, "description");
    return reply(tune_data(engine::write_tune(c.ctx, mount_path(f), tune)));
}

}  // namespace

engine::EnableMount enable_request(const Fields& f) {
    return engine::EnableMount{mount_path(f), f.str("description"), f.duration("default_lease_ttl"), f.duration("max_lease_ttl"), f.str("type")};
}

void add_sys_paths(Table& t) {
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
