#include "engine/keys.hpp"

#include <cctype>

#include "crypto/random.hpp"
#include "engine/issuers.hpp"
#include "engine/managed_keys.hpp"
#include "engine/records.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::engine {
namespace {

constexpr char kKind[] = "key";

KeyEntry entry_of(const Json& r) {
    return KeyEntry{r.at("key_id").get<std::string>(), r.value("key_name", ""), r.value("key_type", ""), r.value("key_bits", 0),
                    r.value("managed_key_id", "")};
}

std::string default_key_id(const store::Txn& txn, std::string_view mount) {
    auto cfg = load(txn, rec_key(mount, "config", "keys"));
    return cfg ? cfg->value("default", "") : "";
}

void set_default_key(store::Txn& txn, std::string_view mount, const std::string& id) {
    save(txn, rec_key(mount, "config", "keys"), Json{{"default", id}});
}

}  // namespace

void check_object_name(std::string_view what, std::string_view name) {
    if (util::iequals(name, "default"))  // as Vault: whatever its case
        fail(ErrorKind::Invalid, "{} \"{}\" is reserved (\"default\" in any case); choose another name", what, name);
    bool ok = name.size() <= 128 && name != "." && name != "..";  // path segments of their own
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok)
        fail(ErrorKind::Invalid, "{} \"{}\" is not allowed; use up to 128 letters, digits, '-', '_' or '.'", what, name);
}

void refuse_key_spec(std::string_view type, bool key_type_given, bool key_bits_given, std::string_view why) {
    if (key_type_given || key_bits_given)
        fail(ErrorKind::Invalid, "{} cannot be given with type {}: {}; drop {}", key_type_given ? "key_type" : "key_bits", type, why,
             key_type_given && key_bits_given ? "both" : "it");
}

std::optional<KeyEntry> find_key(const store::Txn& txn, std::string_view mount, std::string_view ref) {
    std::string id(ref);
    if (ref == "default") {
        id = default_key_id(txn, mount);
        if (id.empty()) return std::nullopt;
    }
    if (auto r = load(txn, rec_key(mount, kKind, id))) return entry_of(*r);
    std::optional<KeyEntry> found;
    txn.scan(rec_prefix(mount, kKind), [&](std::string_view key, std::string_view value) {
        auto r = decode_record(key, value);
        if (r.value("key_name", "") == ref) {
            found = entry_of(r);
            return false;
        }
        return true;
    });
    return found;
}

KeyEntry require_key(const store::Txn& txn, std::string_view mount, std::string_view ref) {
    if (auto k = find_key(txn, mount, ref)) return *k;
    if (ref == "default")
        fail_hint(ErrorKind::NotFound, Hint{"generate one", "write", std::string(mount) + "/keys/generate/internal", ""}, "mount {} has no default key", mount);
    fail_hint(ErrorKind::NotFound, Hint{"list keys", "list", std::string(mount) + "/keys", ""}, "no key \"{}\" in mount {}", ref, mount);
}

void check_key_name_free(const store::Txn& txn, std::string_view mount, const std::string& name, std::string_view except_id) {
    if (name.empty()) return;
    check_object_name("key name", name);
    if (auto k = find_key(txn, mount, name); k && k->id != except_id)
        fail(ErrorKind::Invalid, "key name \"{}\" is already used by key {} in mount {}; choose another name", name, k->id, mount);
}

crypto::PKey load_private_key(const Context& ctx, std::string_view key_id) {
    auto r = load(ctx.txn, rec_key(ctx.mount_name(), kKind, key_id));
    if (!r) fail(ErrorKind::NotFound, "key {} of mount {} is missing", key_id, ctx.mount_name());
    if (r->value("seal", "") == "pkcs11") return managed_key_signer(ctx, *r);
    return ctx.keys.signer(r->at("private_key").get<std::string>());
}

std::optional<KeyEntry> find_key_by_public(const store::Txn& txn, std::string_view mount, std::string_view spki_der) {
    std::string hex = util::base64(spki_der);
    std::optional<KeyEntry> found;
    txn.scan(rec_prefix(mount, kKind), [&](std::string_view key, std::string_view value) {
        auto r = decode_record(key, value);
        if (r.value("public_key", "") == hex) {
            found = entry_of(r);
            return false;
        }
        return true;
    });
    return found;
}

KeyEntry store_key(Context& ctx, EVP_PKEY* key, const std::string& name, bool* existed, const StoredKey& stored) {
    const auto& mount = ctx.mount_name();
    crypto::refuse_weak_key(key, "");
    auto spec = crypto::describe_key(key);
    std::string spki = crypto::public_key_der(key);
    if (auto k = find_key_by_public(ctx.txn, mount, spki)) {
        if (existed) *existed = true;
        return *k;
    }
    if (existed) *existed = false;
    check_key_name_free(ctx.txn, mount, name, "");
    KeyEntry e{crypto::random_uuid(), name, std::string(spec.type_name()), spec.bits, stored.managed_key_id};
    Json r{{"key_id", e.id},
           {"key_name", e.name},
           {"key_type", e.type},
           {"key_bits", e.bits},
           {"public_key", util::base64(spki)},
           {"seal", stored.data.empty() ? ctx.keys.scheme() : stored.scheme},
           {"private_key", stored.data.empty() ? ctx.keys.store(key) : stored.data},
           {"created", ctx.now}};
    if (!e.managed_key_id.empty()) r["managed_key_id"] = e.managed_key_id;
    save(ctx.txn, rec_key(mount, kKind, e.id), std::move(r));
    if (default_key_id(ctx.txn, mount).empty()) set_default_key(ctx.txn, mount, e.id);
    return e;
}

GeneratedKey generate_key(Context& ctx, const GenerateKey& req) {
    check_key_name_free(ctx.txn, ctx.mount_name(), req.name, "");
    if (req.exported && !ctx.keys.exportable())
        fail(ErrorKind::Denied, "the key store of this state keeps keys it generates; generate the key as internal");
    auto generated = ctx.keys.generate(req.spec);
    GeneratedKey out{store_key(ctx, generated.key.get(), req.name, nullptr, StoredKey{ctx.keys.scheme(), generated.stored, ""}), nullptr};
    if (req.exported) out.exported = std::move(generated.key);
    return out;
}

KeyEntry import_key(Context& ctx, const std::string& pem, const std::string& name) {
    if (util::trim(pem).empty()) fail(ErrorKind::Invalid, "pem_bundle is empty; give the PEM private key to import (pem_bundle=@key.pem)");
    size_t keys = 0;
    for (const auto& b : x509::pem_blocks(pem)) keys += util::ends_with(b.label, "PRIVATE KEY");
    if (keys > 1)
        fail(ErrorKind::Invalid, "pem_bundle holds {} private keys; keys/import takes one, so import them one at a time", keys);
    crypto::PKey key = crypto::parse_private_key(pem);
    bool existed = false;
    KeyEntry e = store_key(ctx, key.get(), name, &existed);
    link_issuer_keys(ctx);  // an issuer imported before its key now gets it
    if (existed) ctx.warnings.push_back(fmt::format("key already present as {}; nothing was imported", e.id));
    return e;
}

std::vector<KeyEntry> list_keys(Context& ctx) {
    std::vector<KeyEntry> out;
    ctx.txn.scan(rec_prefix(ctx.mount_name(), kKind), [&](std::string_view key, std::string_view value) {
        out.push_back(entry_of(decode_record(key, value)));
        return true;
    });
    return out;
}

KeyEntry read_key(Context& ctx, const std::string& ref) { return require_key(ctx.txn, ctx.mount_name(), ref); }

KeyEntry rename_key(Context& ctx, const std::string& ref, const std::string& name) {
    const auto& mount = ctx.mount_name();
    KeyEntry e = require_key(ctx.txn, mount, ref);
    check_key_name_free(ctx.txn, mount, name, e.id);
    auto r = *load(ctx.txn, rec_key(mount, kKind, e.id));
    r["key_name"] = name;
    save(ctx.txn, rec_key(mount, kKind, e.id), r);
    e.name = name;
    return e;
}

void delete_key(Context& ctx, const std::string& ref) {
    const auto& mount = ctx.mount_name();
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    auto found = find_key(ctx.txn, mount, ref);
    if (!found) {
        ctx.warnings.push_back(fmt::format("there is no key \"{}\" in mount {}; nothing was deleted", ref, mount));
        return;
    }
    const KeyEntry& e = *found;
    std::vector<std::string> users;
    ctx.txn.scan(rec_prefix(mount, "issuer"), [&](std::string_view key, std::string_view value) {
        auto r = decode_record(key, value);
        if (r.value("key_id", "") == e.id) users.push_back(r.value("issuer_id", ""));
        return true;
    });
    if (!users.empty())
        fail(ErrorKind::Denied, "key {} is used by issuer(s) {}; delete those issuers first", e.id, util::join(users, ", "));
    ctx.txn.del(rec_key(mount, kKind, e.id));
    if (default_key_id(ctx.txn, mount) == e.id) {
        ctx.txn.del(rec_key(mount, "config", "keys"));
        ctx.warnings.push_back(fmt::format("key {} was the default key; the mount now has no default key", e.id));
    }
}

std::string default_key(Context& ctx) { return default_key_id(ctx.txn, ctx.mount_name()); }

std::string make_default_key(Context& ctx, const std::string& ref) {
    const auto& mount = ctx.mount_name();
    if (ref.empty()) fail(ErrorKind::Invalid, "field \"default\" is required: the key (id or name) to make the default");
    KeyEntry e = require_key(ctx.txn, mount, ref);
    set_default_key(ctx.txn, mount, e.id);
    return e.id;
}

}  // namespace pki::engine
