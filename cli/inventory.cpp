// pki cert list: the certificate inventory as a table or JSON, with filters.
#include "cli/session.hpp"
#include "util/strings.hpp"

namespace pki::cli {

void add_inventory_command(CLI::App& app, Session& s) {
    CLI::App* cert = app.get_subcommand("cert");
    auto* cmd = cert->add_subcommand("list", "List stored certificates: serial, common name, SANs, notAfter, issuer and state.\n"
                                             "Path: :mount/certs/inventory (read)");
    struct Args {
        std::string mount = "pki", within, issuer, name;
        bool expired = false, revoked = false;
    };
    auto a = std::make_shared<Args>();
    if (const char* m = std::getenv("PKI_MOUNT"); m && *m) a->mount = m;
    cmd->add_option("-m,--mount", a->mount, "Mount to use (default: pki, or $PKI_MOUNT).")->type_name("MOUNT");
    cmd->add_option("--expiring-within", a->within, "Only valid certificates expiring within this duration (e.g. 720h).")->type_name("DURATION");
    cmd->add_flag("--expired", a->expired, "Only expired certificates.");
    cmd->add_flag("--revoked", a->revoked, "Only revoked certificates.");
    cmd->add_option("--issuer", a->issuer, "Only certificates of this issuer (id, name or default).")->type_name("REF");
    cmd->add_option("--name", a->name, "Only certificates whose common name or a SAN matches this glob.")->type_name("GLOB");
    cmd->callback([&s, a] {
        s.action = [&s, a] {
            api::Json d = api::Json::object();
            if (!a->within.empty()) d["expiring_within"] = a->within;
            if (a->expired) d["expired"] = true;
            if (a->revoked) d["revoked"] = true;
            if (!a->issuer.empty()) d["issuer"] = a->issuer;
            if (!a->name.empty()) d["name"] = a->name;
            api::Request r{api::Op::Read, a->mount + "/certs/inventory", d};
            if (!s.wants_table()) return s.run_request(r);
            auto resp = s.execute(r);
            for (const auto& w : resp.warnings) s.err << warning_prefix(color_enabled(2)) << w << "\n";
            std::vector<std::vector<std::string>> rows;
            auto& certs = resp.data["certificates"];
            rows.reserve(certs.size());
            auto take = [](api::Json& v) { return std::move(v.get_ref<std::string&>()); };
            for (auto& c : certs) {
                std::vector<std::string> sans;
                for (auto& x : c["sans"]) sans.push_back(take(x));
                std::string issuer = take(c["issuer_name"]);
                if (issuer.empty()) issuer = c["issuer_id"].get_ref<const std::string&>().substr(0, 8);
                rows.push_back({take(c["serial_number"]), take(c["common_name"]), util::join(sans, ","), take(c["not_after"]),
                                std::move(issuer), take(c["state"])});
            }
            if (rows.empty()) {  // a note, not a row: stdout stays empty for | wc -l
                s.err << "No certificates match.\n";
                return 0;
            }
            print_columns(s.out, {"Serial", "Common name", "SANs", "Not after", "Issuer", "State"}, rows, s.output_options().color);
            return 0;
        };
    });
}

}  // namespace pki::cli
