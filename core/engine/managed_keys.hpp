#pragma once
// Vault's managed keys of type pkcs11 (sys/managed-keys/pkcs11/:name), and the CA keys of a mount
// that live on them (type kms of keys/generate, root/generate, intermediate/generate).
#include <optional>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"

namespace pki::engine {

// sys/managed-keys/:type/:name. `given` holds the fields of the request, typed; a write changes
// only those (a new key takes the defaults for the rest). Returns what read_managed_key returns.
Json write_managed_key(Context& ctx, const std::string& type, const std::string& name, const Json& given);
// The configuration without the PIN (pin_set says whether one is stored).
Json read_managed_key(const store::Txn& txn, const std::string& type, const std::string& name);
std::vector<std::string> list_managed_keys(const store::Txn& txn, const std::string& type);
// Refused while a key of a mount uses it; idempotent otherwise.
void delete_managed_key(Context& ctx, const std::string& type, const std::string& name);
// sys/managed-keys/:type/:name/test/sign: signs random bytes on the token and verifies the
// signature with the key's public half. Returns the key's type and size.
Json test_managed_key(Context& ctx, const std::string& type, const std::string& name);

// type kms: the managed key named `name` or with id `id` (one of them), allowed in this mount,
// found on its token or generated there; stored as a key of the mount (an existing entry of the
// same key is reused). `signer` receives the key.
inline constexpr std::string_view kManagedKeyDecides = "the managed key decides the key";  // why key_type/key_bits are refused
struct ManagedKeyRef {
    std::string name;
    std::string id;
};
KeyEntry use_managed_key(Context& ctx, const ManagedKeyRef& ref, const std::string& key_name, crypto::PKey* signer = nullptr);
// The token key behind a mount's key record of a managed key.
crypto::PKey managed_key_signer(const Context& ctx, const Json& key_record);
// The name of the managed key with this id ("" when it is gone).
std::string managed_key_name(const store::Txn& txn, const std::string& id);

}  // namespace pki::engine
