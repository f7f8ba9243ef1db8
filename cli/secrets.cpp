// pki secrets enable|tune|list|disable: Vault's mount commands, over sys/mounts.
#include "cli/session.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::cli {
namespace {

struct MountArgs {
    std::string path, description, default_ttl, max_ttl, name;
};

api::Json ttl_data(const MountArgs& a) {
    api::Json d = api::Json::object();
    if (!a.description.empty()) d["description"] = a.description;
    if (!a.default_ttl.empty()) d["default_lease_ttl"] = a.default_ttl;
    if (!a.max_ttl.empty()) d["max_lease_ttl"] = a.max_ttl;
    return d;
}

void add_ttl_options(CLI::App* cmd, MountArgs& a) {
    cmd->add_option("--description", a.description, "Description of the mount.");
    cmd->add_option("--default-lease-ttl", a.default_ttl, "Default certificate lifetime (default 768h).")->type_name("DURATION");
    cmd->add_option("--max-lease-ttl", a.max_ttl, "Maximum certificate lifetime (default 768h).")->type_name("DURATION");
}

// The mount name of a secrets command, without trailing slashes. A name with a '/' inside would
// route to another path ("unknown path sys/mounts/a/b"); say what is wrong with it instead.
std::string mount_name(std::string path) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.find('/') != std::string::npos)
        fail(ErrorKind::Invalid,
             "mount name \"{}\" is not path-safe; use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit",
             path);
    return path;
}

// Run a request, printing Vault's one-line confirmation in table format.
int run_with_message(Session& s, const api::Request& r, const std::string& message) {
    if (!s.wants_table()) return s.run_request(r);
    auto response = s.execute(r);
    for (const auto& w : response.warnings) s.err << warning_prefix(color_enabled(2)) << w << "\n";
    s.out << message << "\n";
    return 0;
}

}  // namespace

void add_secrets_commands(CLI::App& app, Session& s) {
    auto* secrets = app.add_subcommand("secrets", "Enable, tune, list and disable pki mounts (as vault secrets does).");
    secrets->group("Vault-style commands");
    secrets->require_subcommand(1);
    auto a = std::make_shared<MountArgs>();
    s.keep_alive.emplace_back([a] {});

    auto* enable = secrets->add_subcommand("enable", "Enable a pki mount: pki secrets enable -path=pki_int pki");
    enable->add_option("--path", a->path, "Mount name (default: the engine type, pki).")->type_name("NAME");
    add_ttl_options(enable, *a);
    enable->add_option("type", a->name, "Secrets engine type; pki is the only one.")->required();
    enable->callback([&s, a] {
        s.action = [&s, a] {
            std::string path = mount_name(a->path.empty() ? a->name : a->path);
            api::Json d = ttl_data(*a);
            d["type"] = a->name;
            return run_with_message(s, {api::Op::Write, "sys/mounts/" + path, d},
                                    "Success! Enabled the " + a->name + " secrets engine at: " + path + "/");
        };
    });

    auto* tune = secrets->add_subcommand("tune", "Change a mount's TTLs: pki secrets tune -max-lease-ttl=8760h pki");
    add_ttl_options(tune, *a);
    tune->add_option("path", a->path, "Mount name.")->required();
    tune->callback([&s, a] {
        s.action = [&s, a] {
            std::string path = mount_name(a->path);
            return run_with_message(s, {api::Op::Write, "sys/mounts/" + path + "/tune", ttl_data(*a)},
                                    "Success! Tuned the secrets engine at: " + path + "/");
        };
    });

    auto* disable = secrets->add_subcommand("disable", "Disable a mount and delete everything in it: pki secrets disable pki_int");
    disable->add_option("path", a->path, "Mount name.")->required();
    disable->callback([&s, a] {
        s.action = [&s, a] {
            std::string path = mount_name(a->path);
            return run_with_message(s, {api::Op::Delete, "sys/mounts/" + path, api::Json::object()},
                                    "Success! Disabled the secrets engine (if it existed) at: " + path + "/");
        };
    });

    auto* list = secrets->add_subcommand("list", "List the mounts of the state directory.");
    list->callback([&s] {
        s.action = [&s] {
            api::Request r{api::Op::Read, "sys/mounts", api::Json::object()};
            if (!s.wants_table()) return s.run_request(r);
            auto data = s.execute(r).data;
            std::vector<std::vector<std::string>> rows;
            for (const auto& [path, m] : data.items())
                rows.push_back({path, m.value("type", ""), m.value("accessor", ""),
                                util::format_duration(m["config"].value("default_lease_ttl", int64_t{0})),
                                util::format_duration(m["config"].value("max_lease_ttl", int64_t{0})),
                                m.value("description", "").empty() ? "n/a" : m.value("description", "")});
            print_columns(s.out, {"Path", "Type", "Accessor", "Default TTL", "Max TTL", "Description"}, rows, s.output_options().color);
            return 0;
        };
    });
}

}  // namespace pki::cli
