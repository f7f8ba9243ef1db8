#pragma once
// Structured errors. Every failure the core reports carries a kind, the field it concerns (when
// one does), a message, and optionally a hint: what the user can do next, as a request (verb and
// path) rather than as a shell command, since each front end phrases it its own way (the CLI as
// a pki command, the HTTP server as a method and URL). Front ends map kinds to their own codes in
// one place each (exit_code_for below for the CLI).
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace pki {

enum class ErrorKind {
    Invalid,   // malformed input: bad field value, bad PEM, unknown field
    Denied,    // well-formed but refused by policy (role, issuer usage, path length ...)
    NotFound,  // unknown mount, path, issuer, key, role or certificate
    Usage,     // the command line itself is wrong
    Forbidden, // no valid token for a path that needs one (HTTP 403, Vault's "permission denied")
    Unsupported,  // the path exists but not with this operation (HTTP 405)
    Unavailable,  // something the request needs is not there now: a PKCS#11 token absent, removed or locked (HTTP 503)
    Storage,   // the state directory cannot be opened, read or written
    Internal,  // a bug or a library failure
};

// What to do next. `verb` is a request verb ("read", "write", "list") or one of the tool's own
// actions ("secrets-enable", "path-help", "role-write"); `path` the request path; `args` the
// fields it needs, as key=value words ("" when none).
struct Hint {
    std::string what;  // "enable it", "list keys"
    std::string verb;
    std::string path;
    std::string args;
    bool empty() const { return what.empty(); }
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string field = {}, Hint hint = {})
        : std::runtime_error(std::move(message)), kind_(kind), field_(std::move(field)), hint_(std::move(hint)) {}
    ErrorKind kind() const noexcept { return kind_; }
    const std::string& field() const noexcept { return field_; }
    const Hint& hint() const noexcept { return hint_; }

private:
    ErrorKind kind_;
    std::string field_;
    Hint hint_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
    throw Error(kind, fmt::format(f, std::forward<Args>(args)...));
}

// The same, with a hint.
template <typename... Args>
[[noreturn]] void fail_hint(ErrorKind kind, Hint hint, fmt::format_string<Args...> f, Args&&... args) {
    throw Error(kind, fmt::format(f, std::forward<Args>(args)...), "", std::move(hint));
}

// 0 success; 1 refused (bad input, policy, not found); 2 usage; 3 state or internal failure.
constexpr int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Invalid:
        case ErrorKind::Denied:
        case ErrorKind::NotFound:
        case ErrorKind::Forbidden:
        case ErrorKind::Unsupported:
        case ErrorKind::Unavailable: return 1;
        case ErrorKind::Usage: return 2;
        case ErrorKind::Storage:
        case ErrorKind::Internal: return 3;
    }
    return 3;
}

std::string_view kind_name(ErrorKind kind) noexcept;
std::optional<ErrorKind> parse_kind(std::string_view name) noexcept;  // kind_name's inverse

}  // namespace pki
