#pragma once
// Randomness from OpenSSL's CSPRNG. Signing code takes a Random& so tests can count on it,
// but every implementation here draws from RAND_bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace pki::crypto {

std::vector<unsigned char> random_bytes(size_t n);
// A random (version 4) UUID, the form Vault uses for key and issuer identifiers.
std::string random_uuid();
// 20 random bytes with the top bit cleared: a positive serial number of 159 random bits.
std::vector<unsigned char> random_serial();

}  // namespace pki::crypto
