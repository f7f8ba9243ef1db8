#include "util/error.hpp"

namespace pki {

std::string_view kind_name(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Invalid: return "invalid";
        case ErrorKind::Denied: return "denied";
        case ErrorKind::NotFound: return "not_found";
        case ErrorKind::Usage: return "usage";
        case ErrorKind::Forbidden: return "forbidden";
        case ErrorKind::Unsupported: return "unsupported";
        case ErrorKind::Unavailable: return "unavailable";
        case ErrorKind::Storage: return "storage";
        case ErrorKind::Internal: return "internal";
    }
    return "internal";
}

std::optional<ErrorKind> parse_kind(std::string_view name) noexcept {
    for (auto k : {ErrorKind::Invalid, ErrorKind::Denied, ErrorKind::NotFound, ErrorKind::Usage, ErrorKind::Forbidden,
                   ErrorKind::Unsupported, ErrorKind::Unavailable, ErrorKind::Storage, ErrorKind::Internal})
        if (kind_name(k) == name) return k;
    return std::nullopt;
}

}  // namespace pki
