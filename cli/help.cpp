// pki path-help [PATH|MOUNT]: every path, the paths of a mount, or one path's operations and fields,
// from the table.
#include <algorithm>

#include "cli/session.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

void show_path(Session& s, const api::PathSpec& spec) {
    s.out << spec.display() << "\n\n" << spec.description << "\n\nOperations:\n";
    for (const auto& op : spec.ops) {
        s.out << "  " << api::op_name(op.op) << ": " << op.summary;
        if (!op.command.empty()) s.out << " (pki " << util::join(op.command, " ") << ")";
        s.out << "\n";
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& f : spec.fields)
        rows.push_back({f.name + (f.in_path ? " (path)" : ""), std::string(api::type_name(f.type)), api::default_text(f), f.help});
    if (!rows.empty()) {
        s.out << "\nFields:\n";
        print_columns(s.out, {"Field", "Type", "Default", "Description"}, rows, s.output_options().color);
    }
}

// The table of paths: every path when `mount` is empty, else the paths a mount serves under its
// name (or the sys/ paths, for "sys").
void list_paths(Session& s, const std::string& mount) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& spec : s.table.paths()) {
        bool root = std::find(std::begin(api::kRoots), std::end(api::kRoots), mount) != std::end(api::kRoots);
        if (!mount.empty() && (root ? spec.root != mount : spec.sys())) continue;
        std::vector<std::string> ops;
        for (const auto& o : spec.ops) ops.emplace_back(api::op_name(o.op));
        rows.push_back({mount.empty() || spec.sys() ? spec.display() : mount + "/" + spec.pattern, util::join(ops, ","), spec.description});
    }
    print_columns(s.out, {"Path", "Operations", "Description"}, rows, s.output_options().color);
}

}  // namespace

void add_help_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand("path-help", "List the paths a mount serves, or show one path's operations and fields.");
    cmd->group("Vault-style commands");
    auto path = std::make_shared<std::string>();
    cmd->add_option("path", *path, "A path such as pki/roles/web or sys/mounts/pki; a mount name alone (pki) lists the paths it "
                                   "serves; none lists every path.")->type_name("PATH");
    cmd->callback([&s, path] {
        s.action = [&s, path] {
            std::string p = *path;
            while (!p.empty() && p.back() == '/') p.pop_back();
            if (p.find('/') == std::string::npos) {  // nothing, or a mount name alone (as vault path-help pki)
                list_paths(s, p);
                return 0;
            }
            auto parts = api::split_path(p);
            auto m = s.table.match(parts.sub, parts.root);
            if (!m) fail(ErrorKind::NotFound, "unknown path \"{}\"; run pki path-help to list every path", p);
            show_path(s, *m->spec);
            return 0;
        };
    });
}

}  // namespace pki::cli
