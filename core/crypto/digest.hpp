#pragma once
// Message digests for identifiers (token hashes), never for signatures.
#include <string>
#include <string_view>

namespace pki::crypto {

// SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);

}  // namespace pki::crypto
