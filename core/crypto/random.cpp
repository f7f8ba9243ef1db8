#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace pki::crypto {

std::vector<unsigned char> random_bytes(size_t n) {
    std::vector<unsigned char> out(n);
    // The private DRBG: key generation uses it too, so one DRBG is set up per process, not two.
    if (RAND_priv_bytes(out.data(), static_cast<int>(n)) != 1) fail(ErrorKind::Internal, "the random number generator failed");
    return out;
}

std::string random_uuid() {
    auto b = random_bytes(16);
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    std::string hex;
    for (size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
        hex += fmt::format("{:02x}", b[i]);
    }
    return hex;
}

std::vector<unsigned char> random_serial() {
    auto b = random_bytes(20);
    b[0] &= 0x7f;
    return b;
}

}  // namespace pki::crypto
