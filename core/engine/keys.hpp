#pragma once
// Keys of a mount: generate, import, list, read, rename, delete, and the default key.
#include <optional>
#include <string>
#include <string_view>

#include <vector>

#include "crypto/keys.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

struct KeyEntry {
    std::string id;
    std::string name;
    std::string type;
    int bits = 0;
    std::string managed_key_id{};  // the managed key (type kms) holding it; "" for keys in the state
};

// What a key record keeps of the private key: the store's form and the store's scheme
// ("software", or "pkcs11" for a managed key's, whose id is then given too).
struct StoredKey {
    std::string scheme;
    std::string data;
    std::string managed_key_id;
};

std::optional<KeyEntry> find_key(const store::Txn& txn, std::string_view mount, std::string_view ref);
KeyEntry require_key(const store::Txn& txn, std::string_view mount, std::string_view ref);
crypto::PKey load_private_key(const Context& ctx, std::string_view key_id);
// Store `key` under a new id (becoming the default key when there is none), unless the same key
// is already stored: then its entry is returned and `*existed` is set. `stored` is the key
// store's form of a key it generated itself, or a managed key's (else the key store is asked to
// store `key`).
KeyEntry store_key(Context& ctx, EVP_PKEY* key, const std::string& name, bool* existed = nullptr, const StoredKey& stored = {});
std::optional<KeyEntry> find_key_by_public(const store::Txn& txn, std::string_view mount, std::string_view spki_der);
// type existing and type kms use a key as it is: key_type / key_bits given with them are refused,
// naming `type` and why (e.g. "the managed key decides the key").
void refuse_key_spec(std::string_view type, bool key_type_given, bool key_bits_given, std::string_view why);
// A name is unique within the mount, and "default" is reserved.
void check_object_name(std::string_view what, std::string_view name);
void check_key_name_free(const store::Txn& txn, std::string_view mount, const std::string& name, std::string_view except_id);

// keys/generate/:type
struct GenerateKey {
    bool exported = false;  // the private key is returned, once
    std::string name;
    crypto::KeySpec spec;
};
struct GeneratedKey {
    KeyEntry entry;
    crypto::PKey exported;  // set only when asked for
};
GeneratedKey generate_key(Context& ctx, const GenerateKey& req);
// keys/import: one unencrypted PEM private key; a key already present is not imported twice.
KeyEntry import_key(Context& ctx, const std::string& pem, const std::string& name);
std::vector<KeyEntry> list_keys(Context& ctx);
KeyEntry read_key(Context& ctx, const std::string& ref);
KeyEntry rename_key(Context& ctx, const std::string& ref, const std::string& name);
void delete_key(Context& ctx, const std::string& ref);  // idempotent; refused while an issuer uses it
std::string default_key(Context& ctx);                   // config/keys: the id, "" when none
std::string make_default_key(Context& ctx, const std::string& ref);  // returns the id

}  // namespace pki::engine
