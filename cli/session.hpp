#pragma once
// What every command shares: the streams, the global options, the operation table, and the
// action a parsed subcommand leaves to run once parsing is over.
#include <deque>
#include <functional>
#include <map>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "api/request.hpp"
#include "api/service.hpp"
#include "api/table.hpp"
#include "cli/remote.hpp"
#include "cli/output/render.hpp"
#include "util/error.hpp"

namespace pki::cli {

struct Session {
    Session(std::istream& i, std::ostream& o, std::ostream& e, const api::Table& t) : in(i), out(o), err(e), table(t) {}
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    const api::Table& table;

    std::string state_dir;   // --state-dir; empty: PKI_STATE_DIR, XDG_DATA_HOME/pki, ~/.local/share/pki
    std::string address;     // --address; empty: PKI_ADDR, VAULT_ADDR (unless --state-dir is given)
    std::string format;      // --format; empty: PKI_FORMAT, else table
    std::string field;       // --field
    bool quiet = false;

    std::function<int()> action;  // set by the chosen subcommand's callback
    std::map<const CLI::Option*, std::vector<std::string>> choices;  // fixed values of generated flags, for completion
    std::deque<std::function<void()>> keep_alive;  // storage owned by generated commands
    std::unique_ptr<api::Service> service_;
    std::unique_ptr<Client> client_;
    bool progress_shown = false;

    OutputOptions output_options() const;
    // The state directory chosen by --state-dir, PKI_STATE_DIR, XDG_DATA_HOME or HOME.
    std::string state_path() const;
    // The server requests go to (--address, else PKI_ADDR or VAULT_ADDR unless --state-dir is
    // given); empty: the state directory.
    std::string server_address() const;
    bool remote() const { return !server_address().empty(); }
    // The service over the state directory, built on first use and kept for the process;
    // Error(Usage) when requests go to a server (commands that need the state itself).
    const api::Service& service();
    // Print the warnings from opening the state directory (loose permissions ...).
    void print_open_warnings();
    // Execute one request against the state directory; warnings are printed to `err`. `deliver`
    // sees the final response before it is committed (see api::Deliver).
    api::Response execute(const api::Request& request, const api::Deliver& deliver = {});
    // Execute one request and print its response in the chosen format. The output is written
    // and flushed before the request commits: when it cannot be written, nothing is kept.
    int run_request(const api::Request& request);
    // Progress on standard error when it is a terminal and not --quiet; empty otherwise.
    engine::Progress progress_bar();
    void clear_progress();
    // Table output prints a custom view (`table`), other formats the response itself.
    bool wants_table() const;
};

// Write what was rendered and flush it; Error(Storage) when standard output cannot take it (a
// full disk, /dev/full, a closed pipe).
void deliver_output(std::ostream& out, const std::string& text);
// A hint as a pki command: "enable it with: pki secrets enable -path=pki pki".
std::string hint_text(const Hint& h);
// An error as the CLI prints it: the message, then its hint as a pki command.
std::string error_text(const Error& e);

// Values on a command line: "@file" reads a file, "-" reads standard input.
std::string read_value(const std::string& value, std::istream& in);
// key=value, key=@file, key=- arguments into a JSON object of strings; a lone "-" reads a JSON
// object of fields from standard input, a lone "@file" from a file.
api::Json parse_kv_args(const std::vector<std::string>& args, std::istream& in);

void add_generic_commands(CLI::App& app, Session& s);
void add_secrets_commands(CLI::App& app, Session& s);
// Only the commands under `only` (a first command word) when it is not empty.
void add_table_commands(CLI::App& app, Session& s, const std::string& only = "");
void add_inventory_command(CLI::App& app, Session& s);  // after add_table_commands: joins "cert"
void add_help_command(CLI::App& app, Session& s);
void add_completion_command(CLI::App& app, Session& s);
void add_man_command(CLI::App& app, Session& s);
void add_apply_command(CLI::App& app, Session& s);
void add_batch_command(CLI::App& app, Session& s);
void add_serve_command(CLI::App& app, Session& s);
void add_ocsp_command(CLI::App& app, Session& s);
// Every manual page as (name, roff text).
std::vector<std::pair<std::string, std::string>> manual_pages(CLI::App& app, const api::Table& table);
// Completion candidates for the words typed so far (the last is the word being completed).
std::vector<std::string> complete_words(CLI::App& app, Session& s, const std::vector<std::string>& words);

// Build the whole command tree and run argv; pki::Error escapes for app/main.cpp to map.
int run(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace pki::cli
