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
                {"config", {{"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl}, {"allowed_managed_keys", m.allowed_managed_keys}}}};
}

Json tune_data(const engine::MountInfo& m) {
    return Json{{"default_lease_ttl", m.default_lease_ttl},
                {"max_lease_ttl", m.max_lease_ttl},
                {"description", m.description},
                {"allowed_managed_keys", m.allowed_managed_keys}};
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

// Vault's sys/health: the JSON itself, not in an envelope.
Response health(Call& c) { return raw_reply("application/json", health_json(true, c.ctx.now)); }

Response write_tune(Call& c) {
    const Fields& f = c.fields;
    engine::TuneMount tune;
    if (f.has("default_lease_ttl")) tune.default_lease_ttl = f.duration("default_lease_ttl");
    if (f.has("max_lease_ttl")) tune.max_lease_ttl = f.duration("max_lease_ttl");
    tune.description = given_str(f, "description");
    if (f.has("allowed_managed_keys")) tune.allowed_managed_keys = f.list("allowed_managed_keys");
    return reply(tune_data(engine::write_tune(c.ctx, mount_path(f), tune)));
}

}  // namespace

engine::EnableMount enable_request(const Fields& f) {
    engine::EnableMount m{mount_path(f), f.str("description"), f.duration("default_lease_ttl"), f.duration("max_lease_ttl"), f.str("type")};
    // Vault's API puts the TTLs in "config" ({"type": "pki", "config": {"max_lease_ttl": "87600h"}});
    // the flat fields of the command line win when both are given.
    if (f.has("config")) {
        const Json& config = f.value("config");
        for (const auto& [name, value] : config.items()) {
            if (name != "default_lease_ttl" && name != "max_lease_ttl") continue;
            if (f.has(name) || value.is_null()) continue;
            FieldSpec spec = duration_field(name, "");
            int64_t seconds = parse_field(spec, value, "sys/mounts/" + m.name + " config").get<int64_t>();
            (name == "default_lease_ttl" ? m.default_lease_ttl : m.max_lease_ttl) = seconds;
        }
    }
    return m;
}

std::string health_json(bool initialized, int64_t now) {
    return Json{{"initialized", initialized},
                {"sealed", false},
                {"standby", false},
                {"performance_standby", false},
                {"replication_performance_mode", "disabled"},
                {"replication_dr_mode", "disabled"},
                {"server_time_utc", now},
                {"version", PKI_VERSION},
                {"cluster_name", "pki"},
                {"cluster_id", ""}}
               .dump() +
           "\n";
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
                   "sys"});

    auto enable_fields = ttl_fields();
    enable_fields.insert(enable_fields.begin(), path_field("path", "Name of the mount."));
    enable_fields.push_back(string_field("type", "Secrets engine type; only pki.", "pki", {"pki"}));
    enable_fields.push_back(FieldSpec{"config", FieldType::Map, nullptr,
                                      "Vault's form of the TTLs: an object with default_lease_ttl and max_lease_ttl (other keys have no effect here).",
                                      {}});
    // What Vault's API and its clients (hvac) send beside; they mean nothing for a local pki mount.
    enable_fields.push_back(FieldSpec{"options", FieldType::Map, nullptr, "Vault's mount options; no effect for pki.", {}});
    enable_fields.push_back(string_field("plugin_name", "Vault's plugin name; no effect for pki."));
    enable_fields.push_back(bool_field("local", "Vault Enterprise's replication flag; no effect.", false));
    enable_fields.push_back(bool_field("seal_wrap", "Vault Enterprise's seal wrapping flag; no effect.", false));
    enable_fields.push_back(bool_field("external_entropy_access", "Vault Enterprise's entropy flag; no effect.", false));
    t.add(PathSpec{"mounts/:path", "secrets", "One mount: enable, read, disable.", enable_fields,
                   {{Op::Write, enable_mount, "Enable a new pki mount.", {"mount", "create"}},
                    {Op::Read, read_mount, "Show a mount.", {"mount", "read"}},
                    {Op::Delete, disable_mount, "Disable a mount and delete every record in it.", {"mount", "delete"}}},
                   "sys"});

    t.add(open_path(PathSpec{"health", "secrets", "Whether the server is up, as Vault's sys/health (JSON, no envelope).", {},
                             {{Op::Read, health, "Show the server's health.", {}}},
                             "sys"}));

    auto tune_fields = ttl_fields();
    tune_fields.insert(tune_fields.begin(), path_field("path", "Name of the mount."));
    tune_fields.push_back(list_field("allowed_managed_keys",
                                     "Managed keys (names or ids) the mount may use with type kms; a managed key with any_mount=true needs no entry."));
    t.add(PathSpec{"mounts/:path/tune", "secrets", "Lease TTLs and allowed managed keys of a mount.", tune_fields,
                   {{Op::Read, read_tune, "Show a mount's TTLs.", {}},
                    {Op::Write, write_tune, "Change a mount's TTLs or allowed managed keys.", {"mount", "tune"}}},
                   "sys"});
}

}  // namespace pki::api
