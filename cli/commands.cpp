// The ergonomic commands, generated from the operation table: every table entry with command
// words becomes `pki WORD... [PARAM...] [--field-name VALUE ...] [key=value ...]`, so every field
// exists both as a flag and as key=value.
#include <cstdlib>
#include <map>
#include <optional>

#include "cli/session.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

// Global options take these names; a field that would collide gets another flag name.
std::string flag_name(const std::string& field) {
    if (field == "format") return "encoding";
    return util::dashed(field);
}

// Vault's CLI spellings of a few fields (vault token create -policy=web -use-limit=3 -orphan).
std::string vault_spelling(const std::string& field) {
    if (field == "policies") return ",--policy";
    if (field == "num_uses") return ",--use-limit";
    if (field == "no_parent") return ",--orphan";
    return "";
}

std::string option_help(const api::FieldSpec& f) {
    std::string h = f.help;
    if (std::string d = api::default_text(f); !d.empty()) h += " [default: " + d + "]";
    if (flag_name(f.name) != util::dashed(f.name)) h += " (field " + f.name + ")";
    return h;
}

struct Generated {
    std::string mount = "pki";
    std::vector<std::string> positionals;            // one per path parameter
    std::map<std::string, std::vector<std::string>> values;
    std::map<std::string, CLI::Option*> options;
    std::vector<std::string> extra;                  // key=value arguments
};

CLI::App* subcommand(CLI::App& root, const api::Table& table, std::map<std::string, CLI::App*>& made, const std::vector<std::string>& words,
                     size_t upto) {
    CLI::App* parent = &root;
    std::string key;
    for (size_t i = 0; i < upto; ++i) {
        key += "/" + words[i];
        auto it = made.find(key);
        if (it == made.end()) {
            // A group under another is described by its words together ("approle role"), a top one by its word.
            std::string help = i > 0 ? table.group_help(key.substr(1)) : "";
            if (help.empty()) help = table.group_help(words[i]);
            CLI::App* sub = parent->add_subcommand(words[i], help);
            if (parent == &root) sub->group("Commands");
            sub->fallthrough();
            if (i + 1 < words.size()) sub->require_subcommand(1);
            it = made.emplace(key, sub).first;
        }
        parent = it->second;
    }
    return parent;
}

void add_command(CLI::App& root, Session& s, std::map<std::string, CLI::App*>& made, const api::PathSpec& spec,
                 const api::OpSpec& op) {
    CLI::App* cmd = subcommand(root, s.table, made, op.command, op.command.size());
    cmd->description(op.summary + "\n" + spec.description + "\nPath: " + spec.display() + " (" +
                     std::string(api::op_name(op.op)) + ")");

    auto g = std::make_shared<Generated>();
    s.keep_alive.emplace_back([g] {});
    if (const char* m = std::getenv("PKI_MOUNT"); m && *m) g->mount = m;
    if (!spec.sys()) cmd->add_option("-m,--mount", g->mount, "Mount to use (default: pki, or $PKI_MOUNT).")->type_name("MOUNT");

    auto params = spec.params();
    g->positionals.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        std::string help;
        for (const auto& f : spec.fields)
            if (f.name == params[i]) help = f.help;
        auto* o = cmd->add_option(params[i], g->positionals[i], help)->required();
        o->type_name(util::to_lower(params[i]) == params[i] ? util::dashed(params[i]) : params[i]);
    }
    bool takes_fields = op.op == api::Op::Write || op.op == api::Op::Patch;
    if (takes_fields) {
        for (const auto& f : spec.fields) {
            if (f.in_path) continue;
            auto& store = g->values[f.name];
            CLI::Option* o;
            std::string name = "--" + flag_name(f.name);
            // Shorter spellings for the mount TTLs (pki mount create pki_int --max-ttl 43800h).
            if (f.name == "max_lease_ttl") name += ",--max-ttl";
            if (f.name == "default_lease_ttl") name += ",--default-ttl";
            name += vault_spelling(f.name);
            if (f.type == api::FieldType::Bool) {
                o = cmd->add_option(name, store, option_help(f))->expected(0, 1)->allow_extra_args(false)->type_name("BOOL");
            } else if (f.type == api::FieldType::List) {
                o = cmd->add_option(name, store, option_help(f) + " Repeat or comma-separate.")->type_name("LIST");
                o->allow_extra_args(false);  // one value per occurrence: a key=value after it stays a field
            } else {
                o = cmd->add_option(name, store, option_help(f))->expected(1)->allow_extra_args(false)->type_name(
                    f.type == api::FieldType::Duration ? "DURATION" : f.type == api::FieldType::Int ? "INT" : "VALUE");
            }
            g->options[f.name] = o;
            if (!f.choices.empty()) s.choices[o] = f.choices;
            else if (f.type == api::FieldType::Bool) s.choices[o] = {"true", "false"};
        }
        std::string more = "More fields as key=value, key=@file or key=-.";
        if (!op.file_arg.empty()) more = "FILE (or - for standard input) holding the " + op.file_arg + ", then " + more;
        cmd->add_option("fields", g->extra, more)->type_name(op.file_arg.empty() ? "KEY=VALUE..." : "[FILE] KEY=VALUE...");
    }

    const api::PathSpec* sp = &spec;
    api::Op o = op.op;
    std::string file_arg = op.file_arg;
    cmd->callback([&s, g, sp, o, file_arg] {
        s.action = [&s, g, sp, o, file_arg] {
            // Each parameter is one segment of the path: a '/' inside one would route elsewhere.
            auto segment = [](const std::string& what, std::string value) {
                while (value.size() > 1 && value.back() == '/') value.pop_back();
                if (value.find('/') != std::string::npos)
                    fail(ErrorKind::Invalid, "{} \"{}\" is not path-safe: it cannot contain '/'", what, value);
                return value;
            };
            std::string path = sp->sys() ? sp->root + "/" : segment("mount", g->mount) + "/";
            auto params = sp->params();
            size_t pi = 0;
            bool first = true;
            for (auto seg : util::split(sp->pattern, '/')) {
                if (!first) path += "/";
                first = false;
                if (!seg.empty() && seg.front() == ':') {
                    path += segment(params[pi], g->positionals[pi]);
                    ++pi;
                } else {
                    path += seg;
                }
            }
            // A bool flag takes an optional value, so CLI11 hands it a key=value that follows it
            // (`--allow-any-name ttl=1h`): that is a field, and the flag is plain true.
            auto spec_of = [sp](const std::string& name) {
                const api::FieldSpec* f = nullptr;
                for (const auto& fs : sp->fields)
                    if (fs.name == name) f = &fs;
                return f;
            };
            std::vector<std::string> extra = g->extra;
            // `pki policy write NAME FILE`: a first word that is not key=value is the file.
            std::optional<std::string> file_value;
            if (!file_arg.empty() && !extra.empty() && extra.front().find('=') == std::string::npos) {
                file_value = read_value(extra.front() == "-" ? std::string("-") : "@" + extra.front(), s.in);
                extra.erase(extra.begin());
            }
            std::map<std::string, std::string> bools;
            for (const auto& [name, opt] : g->options) {
                if (opt->count() == 0 || spec_of(name)->type != api::FieldType::Bool) continue;
                std::string v = "true";
                for (const auto& val : g->values[name]) {
                    if (val.find('=') != std::string::npos) extra.push_back(val);
                    else if (!val.empty()) v = val;
                }
                bools[name] = v;
            }
            api::Json data = parse_kv_args(extra, s.in);
            if (file_value) {
                if (data.contains(file_arg))
                    fail(ErrorKind::Usage, "field \"{}\" is given both as FILE and as {}=...; give it once", file_arg, file_arg);
                data[file_arg] = *file_value;
            }
            for (const auto& [name, opt] : g->options) {
                if (opt->count() == 0) continue;
                if (data.contains(name))
                    fail(ErrorKind::Usage, "field \"{}\" is given both as {} and as {}=...; give it once", name, opt->get_name(), name);
                const auto& vals = g->values[name];
                const api::FieldSpec* f = spec_of(name);
                if (f->type == api::FieldType::Bool) data[name] = bools[name];
                // One occurrence is a comma-separated list; repeated, each occurrence is one value
                // kept whole (--organization "Acme, Inc" --organization Foo is two values).
                else if (f->type == api::FieldType::List) data[name] = vals.size() == 1 ? api::Json(vals.front()) : api::Json(vals);
                else data[name] = read_value(vals.back(), s.in);
            }
            return s.run_request(api::Request{o, path, data});
        };
    });
}

}  // namespace

void add_table_commands(CLI::App& app, Session& s, const std::string& only) {
    std::map<std::string, CLI::App*> made;
    for (const auto& spec : s.table.paths())
        for (const auto& op : spec.ops)
            if (!op.command.empty() && (only.empty() || op.command.front() == only)) add_command(app, s, made, spec, op);
}

}  // namespace pki::cli
