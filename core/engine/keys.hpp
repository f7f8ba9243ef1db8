#pragma once
// Keys of a mount: generate, import, list, read, rename, delete, and the default key.
#include <optional>
#include <string>
#include <string_view>

#include "api/request.hpp"
#include "crypto/keys.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

struct KeyEntry {
    std::string id;
    std::string name;
    std::string type;
    int bits = 0;
};

std::optional<KeyEntry> find_key(const store::Txn& txn, std::string_view mount, std::string_view ref);
KeyEntry require_key(const store::Txn& txn, std::string_view mount, std::string_view ref);
crypto::PKey load_private_key(const Context& ctx, std::string_view key_id);
// Store `key` under a new id (becoming the default key when there is none), unless the same key
// is already stored: then its entry is returned and `*existed` is set. `stored` is the key
// store's form of a key it generated itself (else the key store is asked to store `key`).
KeyEntry store_key(Context& ctx, EVP_PKEY* key, const std::string& name, bool* existed = nullptr, const std::string& stored = {});
std::optional<KeyEntry> find_key_by_public(const store::Txn& txn, std::string_view mount, std::string_view spki_der);
// A name is unique within the mount, and "default" is reserved.
void check_object_name(std::string_view what, std::string_view name);
void check_key_name_free(const store::Txn& txn, std::string_view mount, const std::string& name, std::string_view except_id);

api::Response generate_key(Context& ctx);
api::Response import_key(Context& ctx);
api::Response list_keys(Context& ctx);
api::Response read_key(Context& ctx);
api::Response update_key(Context& ctx);
api::Response delete_key(Context& ctx);
api::Response read_keys_config(Context& ctx);
api::Response write_keys_config(Context& ctx);

}  // namespace pki::engine
