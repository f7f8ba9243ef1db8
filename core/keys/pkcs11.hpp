#pragma once
// CA keys on PKCS#11 tokens (HSMs, smart cards, SoftHSM): Vault's managed keys of type pkcs11.
//
// The PKCS#11 API is called directly: the module named by a managed key is loaded with dlopen
// when a request first needs it, through the header of Debian's p11-kit. Why not through
// OpenSSL: Debian 12 ships no pkcs11-provider, and the libp11 engine needs a dynamically linked
// libcrypto, while pki links libcrypto statically for its start-up time. A token key becomes an
// EVP_PKEY whose RSA_METHOD / EC_KEY_METHOD hands the digest to C_Sign (CKM_RSA_PKCS over the
// DigestInfo, CKM_ECDSA over the hash), so X509_sign, X509_CRL_sign and OCSP_basic_sign_ctx sign
// with it exactly as with a software key. The private key never leaves the token: a key pki
// generates there is CKA_SENSITIVE and not CKA_EXTRACTABLE.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/handles.hpp"
#include "crypto/keys.hpp"

namespace pki::keys {

// What the signing mechanism of a managed key asks for: RSA PKCS#1 v1.5 or ECDSA.
enum class TokenMechanism { RsaPkcs, Ecdsa };
// Vault's spelling: "0x0001" (CKM_RSA_PKCS) or "0x1041" (CKM_ECDSA); decimal and the CKM_ names
// are read too. Error(Invalid) naming the two for anything else (RSA-PSS among them).
TokenMechanism parse_mechanism(std::string_view text);
std::string mechanism_text(TokenMechanism m);  // "0x0001", "0x1041"
// The bytes of a CKA_ID written as Vault's key_id: "0x" and hex digits, otherwise the text's own
// bytes. Error(Invalid) for "0x" followed by anything but an even number of hex digits.
std::string token_key_id(const std::string& key_id);
// The NID of a curve a key is generated on: P-256 ("" too), P-384 or P-521 (also written
// p256, p384, p521, in any case). Error(Invalid) naming them for anything else.
int token_curve_nid(std::string_view curve);

// A managed key as the engine resolved it from sys/managed-keys/pkcs11/:name, PIN included.
struct TokenKeyConfig {
    std::string name;
    std::string library;            // path of the PKCS#11 module
    std::optional<uint64_t> slot;   // the slot, or
    std::string token_label;        // the token's label
    std::string pin;                // the user PIN
    std::string key_label;          // CKA_LABEL of the key, and/or
    std::string key_id;             // CKA_ID: "0x..." hex, otherwise the bytes of the text
    TokenMechanism mechanism = TokenMechanism::RsaPkcs;
    int key_bits = 0;               // rsa modulus bits to generate with (default 2048)
    std::string curve;              // ec curve to generate with: P-256 (default), P-384, P-521
    bool allow_generate_key = false;
    int max_parallel = 1;           // signatures in flight on the token at once (Vault's default 1)
};

// The modules this process loaded and their logged-in sessions, shared by every request of a
// service. A module is initialised once and finalised when this object goes. Safe from any
// thread: operations on one token are serialised, as PKCS#11 sessions require.
class Pkcs11 {
public:
    Pkcs11();
    ~Pkcs11();
    Pkcs11(const Pkcs11&) = delete;
    Pkcs11& operator=(const Pkcs11&) = delete;

    // What to do when the key is not on the token: generate it there when cfg.allow_generate_key
    // (a new CA key, a test of the managed key), or refuse as a key that is gone (a key a mount
    // uses: it was removed).
    enum class Missing { Generate, Refuse };
    // The key `cfg` names, ready to sign with: found on its token, or generated there first (then
    // *generated is set). Errors name the module, slot and key: Error(Invalid) for a module or
    // slot that is not there, Error(Denied) for a wrong PIN, a key that is missing when it could
    // be generated, or a key of the wrong type, Error(Unavailable) for a token that is absent,
    // removed or locked, or a key that is gone.
    crypto::PKey key(const TokenKeyConfig& cfg, Missing missing, bool* generated = nullptr) const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace pki::keys
