#include "util/error.hpp"

namespace pki {

std::string_view kind_name(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::Invalid: return "invalid";
        case ErrorKind::Denied: return "denied";
        case ErrorKind::NotFound: return "not_found";
        case ErrorKind::Usage: return "usage";
        case ErrorKind::Storage: return "storage";
        case ErrorKind::Internal: return "internal";
    }
    return "internal";
}

}  // namespace pki
