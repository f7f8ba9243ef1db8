// Builds the command tree (global options, the families) and runs it.
#include <algorithm>
#include <cctype>

#include "cli/session.hpp"
#include "util/error.hpp"

namespace pki::cli {
namespace {

constexpr const char* kDescription =
    "pki: a certificate authority in one binary, with the Vault PKI secrets engine's paths, fields and JSON,\n"
    "kept in a local state directory.";

constexpr const char* kFooter = R"(Examples:
  pki secrets enable pki
  pki write pki/root/generate/internal common_name=example.com ttl=8760h
  pki role write web --allowed-domains example.com --allow-subdomains
  pki issue web --common-name www.example.com -format=json

Exit codes: 0 success; 1 request refused (bad input, policy, not found); 2 usage error;
3 state directory or internal failure. See pki(1).)";

// Vault spells long options with one dash (-format=json, -path=pki_int). Rewrite those to
// the two-dash form before parsing; single-letter options and negative numbers are left alone.
std::vector<std::string> normalise_args(int argc, char** argv) {
    std::vector<std::string> out;
    bool options_done = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--") options_done = true;
        if (!options_done && a.size() > 2 && a[0] == '-' && a[1] != '-' && std::isalpha(static_cast<unsigned char>(a[1])) &&
            std::isalpha(static_cast<unsigned char>(a[2])))
            a.insert(0, "-");
        out.push_back(std::move(a));
    }
    return out;
}

// The first command word of the arguments, skipping global options; "" when there is none.
std::string first_command(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--state-dir" || a == "--format" || a == "--field" || a == "--address") {
            ++i;
            continue;
        }
        if (!a.empty() && a[0] == '-') continue;
        return a;
    }
    return "";
}

}  // namespace

int run(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err) {
    api::Table table = api::build_table();
    Session s{in, out, err, table};

    CLI::App app{kDescription, "pki"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("pki ") + PKI_VERSION);
    app.option_defaults()->always_capture_default(false);
    app.add_option("--state-dir", s.state_dir,
                   "State directory (default: $PKI_STATE_DIR, else $XDG_DATA_HOME/pki, else ~/.local/share/pki).")
        ->type_name("DIR")
        ->check([](const std::string& v) { return v.empty() ? std::string("an empty --state-dir names no directory; give a path") : std::string(); });
    app.add_option("--address", s.address,
                   "Send requests to the pki serve (or Vault) at URL instead of a state directory (default: $PKI_ADDR, else "
                   "$VAULT_ADDR, unless --state-dir is given). Token: $PKI_TOKEN, $VAULT_TOKEN or ~/.pki-token; CA: $PKI_CACERT.")
        ->type_name("URL");
    app.add_option("--format", s.format, "Output format: table (default; or $PKI_FORMAT), json, yaml, pem, der.")
        ->type_name("FORMAT");
    app.add_option("--field", s.field, "Print only this field of the response, raw (lists one item a line).")
        ->type_name("NAME");
    app.add_flag("-q,--quiet", s.quiet, "No progress output on standard error.");
    app.require_subcommand(1);
    app.fallthrough();

    // Start-up is part of every command's cost: build only the family the arguments name. Help,
    // manual pages and completion see the whole tree.
    auto args = normalise_args(argc, argv);
    bool completing = argc > 1 && std::string(argv[1]) == "__complete";
    std::string word = completing ? "" : first_command(args);
    bool whole = word.empty() || word == "man" || word == "help" ||
                 std::find(args.begin(), args.end(), "--help") != args.end() || std::find(args.begin(), args.end(), "-h") != args.end();
    static constexpr const char* kFixed[] = {"secrets", "read", "write", "list", "delete", "patch", "path-help", "completion", "apply", "batch", "serve", "ocsp"};
    bool fixed = std::find(std::begin(kFixed), std::end(kFixed), word) != std::end(kFixed);
    add_secrets_commands(app, s);
    add_generic_commands(app, s);
    add_help_command(app, s);
    if (whole || !fixed) {
        add_table_commands(app, s, whole ? "" : word);
        if (whole || word == "cert") add_inventory_command(app, s);
    }
    add_completion_command(app, s);
    add_apply_command(app, s);
    add_batch_command(app, s);
    add_serve_command(app, s);
    add_ocsp_command(app, s);
    add_man_command(app, s);

    if (completing) {
        std::vector<std::string> words(argv + 2, argv + argc);
        if (words.empty()) words.push_back("");
        for (const auto& c : complete_words(app, s, words))
            if (c.rfind(words.back(), 0) == 0) out << c << "\n";
        return 0;
    }
    std::vector<const char*> cargv{"pki"};
    for (const auto& a : args) cargv.push_back(a.c_str());
    try {
        app.parse(static_cast<int>(cargv.size()), cargv.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e, out, err);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e, out, err);
    } catch (const CLI::ParseError& e) {
        std::string msg = e.what();
        if (dynamic_cast<const CLI::RequiredError*>(&e) && msg.rfind("A subcommand", 0) == 0) {
            // CLI11 reports an unknown command word as a missing subcommand: name the word instead.
            const CLI::App* at = &app;
            std::string words = "pki";
            while (!at->get_subcommands().empty()) {
                at = at->get_subcommands().front();
                words += " " + at->get_name();
            }
            auto left = app.remaining(true);
            if (!left.empty())
                fail(ErrorKind::Usage, "unknown command \"{}\" for '{}'; run '{} --help'", left.front(), words, words);
            fail(ErrorKind::Usage, "'{}' needs a subcommand; run '{} --help'", words, words);
        }
        fail(ErrorKind::Usage, "{}; run 'pki --help' or 'pki COMMAND --help'", msg);
    }
    if (!s.action) fail(ErrorKind::Usage, "no command given; run 'pki --help'");
    if (!s.address.empty() && !s.state_dir.empty())
        fail(ErrorKind::Usage, "--address and --state-dir both say where the state is; give one");
    return s.action();
}

}  // namespace pki::cli
