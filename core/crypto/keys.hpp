#pragma once
// Private keys: generation, import, export. Only rsa (2048-8192), ec (P-224..P-521) and ed25519.
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "crypto/handles.hpp"

namespace pki::crypto {

enum class KeyType { Rsa, Ec, Ed25519 };
std::string_view key_type_name(KeyType t);            // "rsa", "ec", "ed25519"
std::optional<KeyType> parse_key_type(std::string_view name);  // case-insensitive

struct KeySpec {
    KeyType type = KeyType::Rsa;
    int bits = 0;      // rsa modulus bits, ec curve bits, 0 for ed25519

    std::string_view type_name() const { return key_type_name(type); }
};

// Validate a requested type/bits pair; bits 0 means the type's default (rsa 2048, ec 256).
// Throws Error(Invalid) naming the allowed values.
KeySpec normalize_key_spec(std::string_view type, int bits);
KeySpec normalize_key_spec(KeyType type, int bits);
PKey generate_key(const KeySpec& spec);

// Generates keys for a long-lived process: EC keys from a parameter template per curve, made
// once (building a curve's group costs more than generating the key). Safe from any thread.
class KeyGenerator {
public:
    PKey generate(const KeySpec& spec) const;

private:
    mutable std::mutex mu_;
    mutable std::map<int, PKey> templates_;  // by curve bits
};

// An EC key's named curve (as a NID) and its encoded public point; nullopt for other keys.
struct EcPublic {
    int curve_nid = 0;
    std::vector<unsigned char> point;
};
std::optional<EcPublic> ec_public(EVP_PKEY* key);

// Describe an existing key. Throws Error(Invalid) for unsupported algorithms or sizes.
KeySpec describe_key(EVP_PKEY* key);
// Error(Invalid) for an RSA key below 2048 bits; `what` (may be empty) names its owner in the message.
void refuse_weak_key(EVP_PKEY* key, std::string_view what);

enum class PrivateKeyFormat { Der, Pkcs8 };
PrivateKeyFormat parse_private_key_format(std::string_view s);  // "" or "der" -> Der; "pkcs8"

// Any PEM private key (PKCS#8, PKCS#1, SEC1). Throws Error(Invalid) on anything else.
PKey parse_private_key(std::string_view pem);
// PEM text without a trailing newline, as Vault returns it.
// `Der` gives the traditional form (RSA PRIVATE KEY / EC PRIVATE KEY; PKCS#8 for ed25519).
std::string private_key_pem(EVP_PKEY* key, PrivateKeyFormat format);
std::string private_key_der(EVP_PKEY* key, PrivateKeyFormat format);
// SubjectPublicKeyInfo DER: used to compare keys and to find a certificate's key.
std::string public_key_der(EVP_PKEY* key);
// The public half of `key` as a key of its own (OpenSSL's, whatever holds the private half).
PKey public_key_only(EVP_PKEY* key);

// A private key in the stored forms of earlier versions: the key's OpenSSL parameters as a JSON
// document ({"scheme":"params",...}), or PEM. Error(Storage) when it is damaged.
PKey load_legacy_private_key(std::string_view stored);

}  // namespace pki::crypto
