#include "cli/session.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "store/store.hpp"
#include "api/fields.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {

OutputOptions Session::output_options() const {
    OutputOptions o;
    std::string f = format;
    if (f.empty())
        if (const char* env = std::getenv("PKI_FORMAT"); env && *env) f = env;
    o.format = f.empty() ? Format::Table : parse_format(f);
    o.format_given = !format.empty();
    o.field = field;
    o.color = color_enabled(1);
    return o;
}

bool Session::wants_table() const {
    return output_options().format == Format::Table && field.empty();
}

std::string Session::state_path() const {
    if (!state_dir.empty()) return state_dir;
    if (const char* d = std::getenv("PKI_STATE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return (std::filesystem::path(x) / "pki").string();
    if (const char* h = std::getenv("HOME"); h && *h) return (std::filesystem::path(h) / ".local/share/pki").string();
    fail(ErrorKind::Usage, "no state directory: set --state-dir, PKI_STATE_DIR or HOME");
}

std::string Session::server_address() const {
    if (!address.empty()) return address;
    if (!state_dir.empty()) return "";
    for (const char* name : {"PKI_ADDR", "VAULT_ADDR"})
        if (const char* v = std::getenv(name); v && *v) return v;
    return "";
}

namespace {

// PKI_TOKEN, VAULT_TOKEN, else the first line of ~/.pki-token.
std::string client_token() {
    for (const char* name : {"PKI_TOKEN", "VAULT_TOKEN"})
        if (const char* v = std::getenv(name); v && *v) return v;
    if (const char* h = std::getenv("HOME"); h && *h) {
        std::ifstream f(std::filesystem::path(h) / ".pki-token");
        std::string line;
        if (f && std::getline(f, line)) return std::string(util::trim(line));
    }
    return "";
}

std::string client_ca() {
    for (const char* name : {"PKI_CACERT", "VAULT_CACERT"})
        if (const char* v = std::getenv(name); v && *v) return v;
    return "";
}

}  // namespace

const api::Service& Session::service() {
    if (remote())
        fail(ErrorKind::Usage, "this command works on a state directory, not through the server at {}: unset PKI_ADDR and VAULT_ADDR "
             "(or give --state-dir)", server_address());
    if (!service_) {
        api::ServiceParts parts;
        parts.table = &table;
        parts.backend = store::open_lmdb(state_path(), false);
        service_ = std::make_unique<api::Service>(std::move(parts));
    }
    return *service_;
}

void Session::print_open_warnings() {
    if (!service_) return;
    for (const auto& w : service_->backend().take_warnings()) err << warning_prefix(color_enabled(2)) << w << "\n";
}

engine::Progress Session::progress_bar() {
    if (quiet || !::isatty(2)) return {};
    return [this](std::string_view what, uint64_t done, uint64_t total) {
        progress_shown = true;
        if (total > 0) {
            int width = 30, filled = static_cast<int>(width * std::min<uint64_t>(done, total) / total);
            err << "\r" << what << " [" << std::string(filled, '#') << std::string(width - filled, '-') << "] " << done << "/" << total
                << std::flush;
        } else {
            err << "\r" << what << ": " << done << std::flush;
        }
    };
}

void Session::clear_progress() {
    if (progress_shown) err << "\r\033[K" << std::flush;
    progress_shown = false;
}

void deliver_output(std::ostream& out, const std::string& text) {
    out << text;
    out.flush();
    if (!out) {
        int e = errno;
        out.clear();
        fail(ErrorKind::Storage, "cannot write standard output ({}); nothing was stored",
             e ? std::strerror(e) : "write error");
    }
}

std::string hint_text(const Hint& h) {
    std::string command;
    if (h.verb == "secrets-enable") command = fmt::format("secrets enable -path={} pki", h.path);
    else if (h.verb == "path-help") command = "path-help";
    else if (h.verb == "role-write") command = fmt::format("role write {} --allowed-domains ...", h.args);
    else command = h.verb + " " + h.path + (h.args.empty() ? "" : " " + h.args);
    return fmt::format("{} with: pki {}", h.what, command);
}

std::string error_text(const Error& e) {
    if (e.hint().empty()) return e.what();
    return fmt::format("{}; {}", e.what(), hint_text(e.hint()));
}

int Session::run_request(const api::Request& request) {
    OutputOptions options = output_options();  // a bad -format fails before anything runs
    // The response is rendered once, from the final result, and written before the commit: if it
    // cannot be produced (-field names no field) or written (a full disk), nothing is kept.
    bool delivered = false;
    try {
        execute(request, [&](const api::Response& r) {
            std::ostringstream rendered, notes;
            render(r, options, request.path, request.op, rendered, notes);
            err << notes.str();
            errno = 0;
            deliver_output(out, rendered.str());
            delivered = true;
        });
    } catch (const Error& e) {
        if (delivered && api::op_writes(request.op))
            throw Error(e.kind(), fmt::format("{}; the output printed above was not stored: discard it", e.what()), e.field(), e.hint());
        throw;
    }
    return 0;
}

api::Response Session::execute(const api::Request& request, const api::Deliver& deliver) {
    if (remote()) {
        if (!client_) client_ = std::make_unique<Client>(ClientOptions{server_address(), client_token(), client_ca()});
        // The server commits before it answers: what is printed here is already stored.
        api::Response response = client_->send(request);
        try {
            if (deliver) deliver(response);
        } catch (const Error& e) {
            std::string m = e.what();
            if (auto pos = m.find("; nothing was stored"); pos != std::string::npos) m.erase(pos);
            if (!api::op_writes(request.op)) throw Error(e.kind(), m);
            throw Error(e.kind(), m + "; the server had already done the request, so what it made is stored (revoke a certificate "
                                      "whose private key was lost this way)");
        }
        return response;
    }
    const api::Service& svc = service();
    api::Scope scope;
    scope.progress = progress_bar();
    api::Response response;
    try {
        response = svc.execute(request, scope, deliver);
    } catch (...) {
        clear_progress();
        print_open_warnings();
        throw;
    }
    clear_progress();
    print_open_warnings();
    return response;
}

namespace {

// What one value may hold: far above any PEM bundle or CSR, far below what exhausts memory.
constexpr size_t kMaxValueBytes = 64u << 20;

std::string read_capped(std::istream& s, const std::string& what) {
    std::string out;
    char buf[1 << 16];
    while (s.read(buf, sizeof buf) || s.gcount() > 0) {
        out.append(buf, static_cast<size_t>(s.gcount()));
        if (out.size() > kMaxValueBytes)
            fail(ErrorKind::Invalid, "{} holds more than 64 MiB; no field takes that much, so give the right file", what);
    }
    return out;
}

}  // namespace

std::string read_value(const std::string& value, std::istream& in) {
    if (value == "-") return read_capped(in, "standard input");
    if (value.size() > 1 && value[0] == '@') {
        std::string name = value.substr(1);
        std::error_code ec;
        if (std::filesystem::is_directory(name, ec))
            fail(ErrorKind::Invalid, "cannot read file {}: it is a directory", name);
        std::ifstream f(name, std::ios::binary);
        if (!f) fail(ErrorKind::Invalid, "cannot read file {}: {}", name, std::strerror(errno));
        try {
            return read_capped(f, "file " + name);
        } catch (const std::exception& e) {  // libstdc++ throws from underflow on a read error
            fail(ErrorKind::Invalid, "cannot read file {}: {}", name, e.what());
        }
    }
    return value;
}

api::Json parse_kv_args(const std::vector<std::string>& args, std::istream& in) {
    api::Json data = api::Json::object();
    bool stdin_used = false;
    auto reads_stdin = [&] {
        if (stdin_used) fail(ErrorKind::Usage, "standard input (-) is given twice; only one field or body can be read from it");
        stdin_used = true;
    };
    for (const auto& arg : args) {
        if (arg == "-") reads_stdin();
        if (arg == "-" || (arg.size() > 1 && arg[0] == '@')) {  // a JSON object of fields, as Vault's CLI takes it
            api::Json body = api::parse_user_json(read_value(arg, in));
            if (body.is_discarded() || !body.is_object())
                fail(ErrorKind::Invalid, "{} is not a JSON object of fields", arg == "-" ? std::string("standard input") : arg.substr(1));
            for (auto& [k, v] : body.items()) data[k] = v;
            continue;
        }
        auto eq = arg.find('=');
        if (eq == std::string::npos || eq == 0)
            fail(ErrorKind::Usage, "argument \"{}\" is not of the form key=value (or key=@file, key=-)", arg);
        std::string key = arg.substr(0, eq);
        if (arg.compare(eq + 1, std::string::npos, "-") == 0) reads_stdin();
        std::string value = read_value(arg.substr(eq + 1), in);
        // A key given again makes a list of its values, as Vault's CLI does (allowed_domains=a
        // allowed_domains=b); a field that takes one value then refuses the list.
        if (!data.contains(key)) data[key] = std::move(value);
        else if (data[key].is_array()) data[key].push_back(std::move(value));
        else data[key] = api::Json::array({data[key], std::move(value)});
    }
    return data;
}

}  // namespace pki::cli
