// pki apply -f FILE [--dry-run]: bring the state directory to what a YAML file describes.
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "cli/session.hpp"
#include "cli/apply_plan.hpp"
#include "util/error.hpp"

namespace pki::cli {

void add_apply_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand("apply", "Bring the state directory to what a YAML file describes (mounts, URLs, CRL settings, roles, "
                                            "roots and intermediates); idempotent. See pki-apply(1).");
    cmd->group("Other commands");
    auto file = std::make_shared<std::string>();
    auto dry = std::make_shared<bool>(false);
    cmd->add_option("-f,--file", *file, "The YAML file (- for standard input).")->required()->type_name("FILE");
    cmd->add_flag("--dry-run", *dry, "Print what would change; change nothing.");
    cmd->callback([&s, file, dry] {
        s.action = [&s, file, dry] {
            // As any @file value: capped at 64 MiB (pki apply -f /dev/zero ends at once).
            std::string text = read_value(*file == "-" ? std::string("-") : "@" + *file, s.in);
            const api::Service& svc = s.service();
            Executor direct = [&](const api::Request& r) { return svc.execute(r); };
            auto steps = plan_apply(s.table, direct, *file, text);
            s.print_open_warnings();
            if (steps.empty()) {
                s.out << "No changes: the state directory already matches " << *file << ".\n";
                return 0;
            }
            if (*dry) {
                for (const auto& step : steps) s.out << "would " << step.description << "\n";
                s.out << steps.size() << " change(s) planned; nothing was changed (--dry-run).\n";
                return 0;
            }
            // All steps in one transaction: a step that fails (a value only its handler can judge)
            // leaves the state directory as it was, and says where in the file the problem is.
            bool bar = !s.quiet && ::isatty(2);
            svc.atomically([&](api::Unit& unit) {
                Executor in_unit = [&](const api::Request& r) { return unit.execute(r); };
                size_t k = 0;
                for (const auto& step : steps) {
                    if (bar) s.err << "\r\033[Kapplying [" << ++k << "/" << steps.size() << "] " << step.description << std::flush;
                    step.run(in_unit);
                }
            });
            if (bar) s.err << "\r\033[K" << std::flush;
            for (const auto& step : steps) s.out << step.description << "\n";
            s.out << steps.size() << " change(s) applied.\n";
            return 0;
        };
    });
}

}  // namespace pki::cli
