// Keys: keys/generate/:type, keys/import, keys, key/:key_ref, config/keys.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/keys.hpp"

namespace pki::api {

void add_key_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("key", "Generate, import, list, rename and delete the private keys of a mount.");
    t.describe_group("config", "Mount configuration: default key and issuer, URLs, CRL settings.");
    t.describe_group("keys", "The mount's default key (config/keys).");
    t.describe_group("issuers", "The mount's default issuer (config/issuers).");
    t.describe_group("urls", "URLs written into issued certificates (config/urls).");
    std::vector<FieldSpec> gen{path_field("type", "internal (the key stays in the state directory) or exported (the private key is also returned, once).")};
    gen.push_back(key_name_field());
    append(gen, key_generation_fields());
    t.add(PathSpec{"keys/generate/:type", "key", "Generate a new private key for the mount.", gen,
                   {{Op::Write, generate_key, "Generate a key.", {"key", "generate"}}}});

    t.add(PathSpec{"keys/import", "key", "Import a PEM private key (rsa, ec or ed25519).",
                   {string_field("pem_bundle", "The unencrypted PEM private key."), key_name_field()},
                   {{Op::Write, import_key, "Import a key.", {"key", "import"}}}});

    t.add(PathSpec{"keys", "key", "The keys of the mount.", {},
                   {{Op::List, list_keys, "List keys with their names.", {"key", "list"}}}});

    t.add(PathSpec{"key/:key_ref", "key", "One key, by id, name or \"default\".",
                   {path_field("key_ref", "Key id, key name, or \"default\"."),
                    string_field("key_name", "New name of the key (empty clears it).", "")},
                   {{Op::Read, read_key, "Show a key (never its private part).", {"key", "read"}},
                    {Op::Write, update_key, "Rename a key.", {"key", "update"}},
                    {Op::Delete, delete_key, "Delete a key no issuer uses.", {"key", "delete"}}}});

    t.add(PathSpec{"config/keys", "config", "The mount's default key.",
                   {string_field("default", "Key (id or name) to make the default.")},
                   {{Op::Read, read_keys_config, "Show the default key.", {"config", "keys", "read"}},
                    {Op::Write, write_keys_config, "Set the default key.", {"config", "keys", "write"}}}});
}

}  // namespace pki::api
