#pragma once
// Typed errors. Every failure the engine reports carries a kind; app/main.cpp maps kinds to exit
// codes in one place (see exit_code_for below).
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace pki {

enum class ErrorKind {
    Invalid,   // malformed input: bad field value, bad PEM, unknown field
    Denied,    // well-formed but refused by policy (role, issuer usage, path length ...)
    NotFound,  // unknown mount, path, issuer, key, role or certificate
    Usage,     // the command line itself is wrong
    Storage,   // the state directory cannot be opened, read or written
    Internal,  // a bug or a library failure
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
    ErrorKind kind() const noexcept { return kind_; }

private:
    ErrorKind kind_;
};

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
    throw Error(kind, fmt::format(f, std::forward<Args>(args)...));
}

// 0 success; 1 refused (bad input, policy, not found); 2 usage; 3 state or internal failure.
constexpr int exit_code_for(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Invalid:
        case ErrorKind::Denied:
        case ErrorKind::NotFound: return 1;
        case ErrorKind::Usage: return 2;
        case ErrorKind::Storage:
        case ErrorKind::Internal: return 3;
    }
    return 3;
}

}  // namespace pki
