// The Vault-style generic commands: pki read|write|list|delete|patch PATH [key=value ...].
#include "cli/session.hpp"

namespace pki::cli {

void add_generic_commands(CLI::App& app, Session& s) {
    struct Verb {
        const char* name;
        api::Op op;
        const char* help;
        bool takes_data;
    };
    static constexpr Verb kVerbs[] = {
        {"read", api::Op::Read, "Read PATH, as vault read does (pki read pki/cert/ca).", true},
        {"write", api::Op::Write, "Write to PATH with key=value, key=@file or key=- fields (pki write pki/roles/web allowed_domains=example.com).", true},
        {"list", api::Op::List, "List the entries under PATH (pki list pki/roles).", false},
        {"delete", api::Op::Delete, "Delete PATH (pki delete pki/roles/web).", true},
        {"patch", api::Op::Patch, "Change only the given fields at PATH (pki patch pki/roles/web ttl=1h).", true},
    };
    for (const auto& verb : kVerbs) {
        auto* cmd = app.add_subcommand(verb.name, verb.help);
        cmd->group("Vault-style commands");
        auto path = std::make_shared<std::string>();
        auto args = std::make_shared<std::vector<std::string>>();
        cmd->add_option("path", *path, "MOUNT/PATH, e.g. pki/roles/web")->required()->type_name("PATH");
        if (verb.takes_data)
            cmd->add_option("data", *args, "Fields: key=value, key=@file (file contents), key=- (standard input); a lone - reads a JSON object of fields from standard input, a lone @file from a file.")
                ->type_name("KEY=VALUE...");
        api::Op op = verb.op;
        cmd->callback([&s, op, path, args] {
            s.action = [&s, op, path, args] {
                api::Request r{op, *path, parse_kv_args(*args, s.in)};
                return s.run_request(r);
            };
        });
    }
}

}  // namespace pki::cli
