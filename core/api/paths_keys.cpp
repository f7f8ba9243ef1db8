// Keys: keys/generate/:type, keys/import, keys, key/:key_ref, config/keys.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "api/params.hpp"
#include "engine/keys.hpp"
#include "engine/managed_keys.hpp"
#include "util/error.hpp"

namespace pki::api {
namespace {

Json describe(const engine::KeyEntry& k, const store::Txn& txn) {
    Json j{{"key_id", k.id}, {"key_name", k.name}, {"key_type", k.type}, {"key_bits", k.bits}};
    if (!k.managed_key_id.empty()) {
        j["managed_key_id"] = k.managed_key_id;
        j["managed_key_name"] = engine::managed_key_name(txn, k.managed_key_id);
    }
    return j;
}

Response generate_key(Call& c) {
    std::string type = c.fields.str("type");
    if (type == "kms") {
        engine::refuse_key_spec("kms", c.fields.has("key_type"), c.fields.has("key_bits"), engine::kManagedKeyDecides);
        auto e = engine::use_managed_key(c.ctx, {c.fields.str("managed_key_name"), c.fields.str("managed_key_id")}, c.fields.str("key_name"));
        return reply(describe(e, c.ctx.txn));
    }
    if (type != "internal" && type != "exported")
        fail(ErrorKind::Invalid, "key generation type \"{}\" is not supported; use internal, exported or kms", type);
    auto key = engine::generate_key(c.ctx, {type == "exported", c.fields.str("key_name"), key_spec(c.fields)});
    Json data = describe(key.entry, c.ctx.txn);
    if (key.exported) {
        data["private_key"] = crypto::private_key_pem(key.exported.get(), crypto::PrivateKeyFormat::Der);
        data["private_key_type"] = key.entry.type;
    }
    return reply(std::move(data));
}

Response import_key(Call& c) { return reply(describe(engine::import_key(c.ctx, c.fields.str("pem_bundle"), c.fields.str("key_name")), c.ctx.txn)); }

Response list_keys(Call& c) {
    Json keys = Json::array(), info = Json::object();
    std::string def = engine::default_key(c.ctx);
    for (const auto& e : engine::list_keys(c.ctx)) {
        keys.push_back(e.id);
        info[e.id] = Json{{"key_name", e.name}, {"is_default", e.id == def}};
    }
    return reply(Json{{"keys", keys}, {"key_info", info}});
}

Response read_key(Call& c) { return reply(describe(engine::read_key(c.ctx, c.fields.str("key_ref")), c.ctx.txn)); }

Response update_key(Call& c) {
    return reply(describe(engine::rename_key(c.ctx, c.fields.str("key_ref"), c.fields.str("key_name")), c.ctx.txn));
}

Response delete_key(Call& c) {
    engine::delete_key(c.ctx, c.fields.str("key_ref"));
    return reply(nullptr);
}

Response read_keys_config(Call& c) { return reply(Json{{"default", engine::default_key(c.ctx)}}); }

Response write_keys_config(Call& c) { return reply(Json{{"default", engine::make_default_key(c.ctx, c.fields.str("default"))}}); }

}  // namespace

void add_key_paths(Table& t) {
    t.describe_group("key", "Generate, import, list, rename and delete the private keys of a mount.");
    t.describe_group("config", "Mount configuration: default key and issuer, URLs, CRL settings.");
    t.describe_group("keys", "The mount's default key (config/keys).");
    t.describe_group("issuers", "The mount's default issuer (config/issuers).");
    t.describe_group("urls", "URLs written into issued certificates (config/urls).");
    std::vector<FieldSpec> gen{path_field("type", "internal (the key stays in the state directory), exported (the private key is also returned, "
                                                  "once) or kms (the key is on a managed key's PKCS#11 token and never leaves it).")};
    gen.push_back(key_name_field());
    append(gen, key_generation_fields());
    gen.push_back(string_field("managed_key_name", "The managed key (sys/managed-keys/pkcs11/NAME) for type kms."));
    gen.push_back(string_field("managed_key_id", "The managed key by its id instead of its name, for type kms."));
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
