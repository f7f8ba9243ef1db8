#pragma once
// Where CA private keys live. Every use of a CA private key goes through a KeyStore: generating
// one, storing one given from outside, loading it to sign, exporting it when a request may. The
// key record keeps only the store's `stored` form (and the public key), so sealed keys and keys
// on a PKCS#11 token are other implementations of this interface, with no change to callers.
#include <memory>
#include <string>
#include <string_view>

#include "crypto/handles.hpp"
#include "crypto/keys.hpp"

namespace pki::keys {

class KeyStore {
public:
    virtual ~KeyStore() = default;

    // Recorded beside each key ("software"), so a record names the store that can load it.
    virtual std::string scheme() const = 0;

    struct Generated {
        crypto::PKey key;    // the new key; for an exported request's one-time return, when export() allows it
        std::string stored;  // what the key record keeps
    };
    virtual Generated generate(const crypto::KeySpec& spec) const = 0;
    // Keep a key given from outside (keys/import, a PEM bundle); returns its stored form.
    virtual std::string store(EVP_PKEY* key) const = 0;
    // The key behind `stored`, ready to sign certificates and CRLs with. Safe from any thread;
    // a cache, if any, is keyed by the stored bytes themselves, so it is never staler than the
    // record the caller read.
    virtual crypto::PKey signer(std::string_view stored) const = 0;
    // Whether a request that asks for the private key (exported) may have it.
    virtual bool exportable() const = 0;
};

// Keys kept in the state itself as PKCS#8 DER, protected by the state directory's 0700/0600
// permissions (the sealing issue wraps them). Keys stored by earlier versions (OpenSSL
// parameters as JSON, PEM) are still read. Decoded keys are cached, bounded.
std::unique_ptr<KeyStore> software_key_store();

}  // namespace pki::keys
