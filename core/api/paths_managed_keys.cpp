// sys/managed-keys: Vault's managed keys of type pkcs11, the CA keys that live on PKCS#11 tokens.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/managed_keys.hpp"
#include "util/error.hpp"

namespace pki::api {
namespace {

const std::vector<std::string> kStringFields{"library", "slot", "token_label", "pin", "pin_file", "pin_env", "key_label", "key_id", "mechanism", "curve"};
const std::vector<std::string> kBoolFields{"allow_generate_key", "allow_replace_key", "allow_store_key", "any_mount", "force_rw_session"};
const std::vector<std::string> kIntFields{"key_bits", "max_parallel"};

// The fields the request gave, typed: a write changes only those.
Json given_fields(const Fields& f) {
    Json j = Json::object();
    for (const auto& n : kStringFields)
        if (f.has(n)) j[n] = f.str(n);
    for (const auto& n : kBoolFields)
        if (f.has(n)) j[n] = f.boolean(n);
    for (const auto& n : kIntFields)
        if (f.has(n)) j[n] = f.integer(n);
    if (f.has("usages")) j["usages"] = f.list("usages");
    return j;
}

Response write_managed_key(Call& c) {
    engine::write_managed_key(c.ctx, c.fields.str("type"), c.fields.str("name"), given_fields(c.fields));
    return reply(nullptr);  // as Vault: no data; read shows it
}

Response read_managed_key(Call& c) { return reply(engine::read_managed_key(c.ctx.txn, c.fields.str("type"), c.fields.str("name"))); }

Response list_managed_keys(Call& c) { return reply(Json{{"keys", engine::list_managed_keys(c.ctx.txn, c.fields.str("type"))}}); }

Response delete_managed_key(Call& c) {
    engine::delete_managed_key(c.ctx, c.fields.str("type"), c.fields.str("name"));
    return reply(nullptr);
}

Response test_managed_key(Call& c) { return reply(engine::test_managed_key(c.ctx, c.fields.str("type"), c.fields.str("name"))); }

}  // namespace

void add_managed_key_paths(Table& t) {
    t.describe_group("managed-key", "Managed keys: CA keys on PKCS#11 tokens (HSMs, smart cards, SoftHSM), used by type kms.");
    FieldSpec type = path_field("type", "The kind of managed key: pkcs11.");
    FieldSpec name = path_field("name", "Name of the managed key: lower-case letters, digits, '-', '_', '.'; unique across types.");
    FieldSpec pin = string_field("pin", "The user PIN of the token (pin=@FILE reads it from a file now); kept in the state directory.");
    pin.sensitive = true;
    std::vector<FieldSpec> fields{
        type,
        name,
        string_field("library", "Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so or OpenSC's opensc-pkcs11.so."),
        string_field("slot", "The token's slot number (or give token_label)."),
        string_field("token_label", "The token's label (or give slot)."),
        pin,
        string_field("pin_file", "Instead of pin: a file read for the PIN at each use, so the state holds no PIN (pki's addition)."),
        string_field("pin_env", "Instead of pin: an environment variable read for the PIN at each use (pki's addition)."),
        string_field("key_label", "CKA_LABEL of the key on the token."),
        string_field("key_id", "CKA_ID of the key: 0x and hex digits (as pkcs11-tool --id), otherwise the text's bytes."),
        string_field("mechanism", "Signing mechanism: 0x0001 (CKM_RSA_PKCS, an RSA key) or 0x1041 (CKM_ECDSA, an EC key)."),
        int_field("key_bits", "Size of a key generated on the token: RSA 2048-8192 (default 2048); EC 256, 384 or 521.", 0),
        string_field("curve", "Curve of an EC key generated on the token: P-256 (default), P-384 or P-521."),
        bool_field("allow_generate_key", "Generate the key on the token (non-extractable) when no key with key_label/key_id is there.", false),
        bool_field("allow_replace_key", "Vault's flag for replacing a key on the token; pki never replaces one.", false),
        bool_field("allow_store_key", "Vault's flag for storing a key on the token; pki never stores one there.", false),
        bool_field("any_mount", "Every mount may use this key; otherwise a mount lists it in allowed_managed_keys (sys/mounts/M/tune).", false),
        list_field("usages", "What the key may be used for (sign is needed for CA keys); default all."),
        int_field("max_parallel", "Signatures in flight on the token at once, each on a session of its own (default 1, as Vault).", 1),
        bool_field("force_rw_session", "Vault's flag; pki always opens read-write sessions.", false),
    };
    // Root-protected (sudo), unlike Vault's: here library is a module path that pki serve loads
    // (Vault names a kms_library stanza of its server configuration instead).
    auto admin = [](PathSpec p) {
        p.sudo = true;
        return p;
    };
    t.add(admin(PathSpec{"managed-keys/:type", "managed-key", "The managed keys of one type.", {type},
                   {{Op::List, list_managed_keys, "List the managed keys of a type.", {"managed-key", "list"}}},
                   "sys"}));
    t.add(admin(PathSpec{"managed-keys/:type/:name", "managed-key",
                   "One managed key: where its PKCS#11 token is, how to log in, which key, and who may use it. The private key stays on the "
                   "token; pki signs through it.",
                   fields,
                   {{Op::Write, write_managed_key, "Create or change a managed key (only the fields given).", {"managed-key", "write"}},
                    {Op::Read, read_managed_key, "Show a managed key (never its PIN).", {"managed-key", "read"}},
                    {Op::Delete, delete_managed_key, "Delete a managed key no mount key uses (the key on the token stays).", {"managed-key", "delete"}}},
                   "sys"}));
    t.add(admin(PathSpec{"managed-keys/:type/:name/test/sign", "managed-key",
                   "Sign random bytes with the managed key on its token and verify the signature: a check of PIN, slot and key.",
                   {type, name},
                   {{Op::Write, test_managed_key, "Test a managed key (generating it when allow_generate_key and it is missing).",
                     {"managed-key", "test"}}},
                   "sys"}));
}

}  // namespace pki::api
