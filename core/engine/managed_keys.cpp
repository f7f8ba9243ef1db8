#include "engine/managed_keys.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <cstdlib>

#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "engine/mounts.hpp"
#include "keys/pkcs11.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::engine {
namespace {

// Managed key names are unique across types, as Vault's: one record per name.
constexpr std::string_view kPrefix = "sys/managed-key/";
const std::vector<std::string> kUsages{"sign", "verify", "encrypt", "decrypt", "wrap", "unwrap", "random"};

std::string key_of(const std::string& name) { return std::string(kPrefix) + name; }

void check_type(const std::string& type) {
    if (type == "awskms" || type == "azurekeyvault" || type == "gcpckms")
        fail(ErrorKind::Invalid, "managed keys of type {} are not available in pki; use type pkcs11", type);
    if (type != "pkcs11") fail(ErrorKind::Invalid, "managed key type \"{}\" is unknown; use pkcs11", type);
}

void check_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 128;
    for (char c : name) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok || name == "." || name == "..")
        fail(ErrorKind::Invalid, "managed key name \"{}\" is not allowed; use up to 128 lower-case letters, digits, '-', '_' or '.'", name);
}

std::optional<Json> find_by_name(const store::Txn& txn, const std::string& name) { return load(txn, key_of(name)); }

std::optional<Json> find_by_id(const store::Txn& txn, const std::string& id) {
    std::optional<Json> found;
    txn.scan(kPrefix, [&](std::string_view key, std::string_view value) {
        auto r = decode_record(key, value);
        if (r.value("uuid", "") == id) {
            found = std::move(r);
            return false;
        }
        return true;
    });
    return found;
}

// The merged record, checked whole: what a later use needs is there and means something.
void validate(const Json& r) {
    const std::string name = r.value("name", "");
    const std::string library = r.value("library", "");
    if (library.empty() || library.front() != '/')
        fail(ErrorKind::Invalid, "managed key \"{}\" needs library: the absolute path of the PKCS#11 module, e.g. library=/usr/lib/softhsm/libsofthsm2.so",
             name);
    if (std::string f = r.value("pin_file", ""); !f.empty() && f.front() != '/')
        fail(ErrorKind::Invalid, "pin_file \"{}\" is not an absolute path; give the file's full path", f);
    bool slot = !r.value("slot", "").empty(), label = !r.value("token_label", "").empty();
    if (slot == label) fail(ErrorKind::Invalid, "managed key \"{}\" needs exactly one of slot and token_label to find its token", name);
    if (slot) {
        const std::string s = r.value("slot", "");
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size())
            fail(ErrorKind::Invalid, "slot \"{}\" is not a slot number; list them with pkcs11-tool --module LIBRARY --list-slots", s);
    }
    int pins = !r.value("pin", "").empty() + !r.value("pin_file", "").empty() + !r.value("pin_env", "").empty();
    if (pins != 1)
        fail(ErrorKind::Invalid, "managed key \"{}\" needs exactly one of pin, pin_file (a file holding the PIN) and pin_env (a variable holding it); {} given",
             name, pins);
    if (r.value("key_label", "").empty() && r.value("key_id", "").empty())
        fail(ErrorKind::Invalid, "managed key \"{}\" needs key_label (and/or key_id) to name its key on the token", name);
    if (r.value("mechanism", "").empty())
        fail(ErrorKind::Invalid, "managed key \"{}\" needs mechanism: 0x0001 (CKM_RSA_PKCS) or 0x1041 (CKM_ECDSA)", name);
    keys::token_key_id(r.value("key_id", ""));
    auto mech = keys::parse_mechanism(r.value("mechanism", ""));
    int bits = r.value("key_bits", 0);
    if (mech == keys::TokenMechanism::RsaPkcs && bits != 0 && (bits < 2048 || bits > 8192))
        fail(ErrorKind::Invalid, "key_bits {} is out of range for an RSA managed key; use 2048 to 8192", bits);
    if (mech == keys::TokenMechanism::Ecdsa && bits != 0 && bits != 256 && bits != 384 && bits != 521)
        fail(ErrorKind::Invalid, "key_bits {} is not an EC curve size; use 256, 384 or 521 (or curve=P-256, P-384, P-521)", bits);
    keys::token_curve_nid(r.value("curve", ""));
    for (const auto& u : r.value("usages", std::vector<std::string>{}))
        if (std::find(kUsages.begin(), kUsages.end(), u) == kUsages.end())
            fail(ErrorKind::Invalid, "usage \"{}\" is unknown; use sign, verify, encrypt, decrypt, wrap, unwrap or random", u);
    if (r.value("max_parallel", 1) < 1) fail(ErrorKind::Invalid, "max_parallel must be at least 1");
}

Json public_view(Json r) {
    r["pin_set"] = !r.value("pin", "").empty();
    r.erase("pin");
    r.erase("v");
    return r;
}

// A PIN file: a regular file of a few bytes (never a device, a FIFO or a large file).
std::string read_pin_file(const std::string& path, const std::string& name) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) fail(ErrorKind::Invalid, "the PIN file {} of managed key \"{}\" cannot be read ({}); check pin_file", path, name, std::strerror(errno));
    struct stat st {};
    char buf[257];
    ssize_t n = -1;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < static_cast<off_t>(sizeof buf)) n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0 || n >= static_cast<ssize_t>(sizeof buf))
        fail(ErrorKind::Invalid, "the PIN file {} of managed key \"{}\" is not a regular file of at most 256 bytes; check pin_file", path, name);
    std::string pin(buf, static_cast<size_t>(n));
    while (!pin.empty() && (pin.back() == '\n' || pin.back() == '\r')) pin.pop_back();
    if (pin.empty()) fail(ErrorKind::Invalid, "the PIN file {} of managed key \"{}\" is empty", path, name);
    return pin;
}

keys::TokenKeyConfig config_of(const Json& r) {
    keys::TokenKeyConfig c;
    c.name = r.value("name", "");
    c.library = r.value("library", "");
    if (std::string s = r.value("slot", ""); !s.empty()) c.slot = std::stoull(s);
    c.token_label = r.value("token_label", "");
    c.pin = r.value("pin", "");
    if (std::string f = r.value("pin_file", ""); !f.empty()) c.pin = read_pin_file(f, c.name);
    if (std::string v = r.value("pin_env", ""); !v.empty()) {
        const char* p = std::getenv(v.c_str());
        if (!p || !*p) fail(ErrorKind::Invalid, "managed key \"{}\" takes its PIN from ${}, which is not set here", c.name, v);
        c.pin = p;
    }
    c.key_label = r.value("key_label", "");
    c.key_id = r.value("key_id", "");
    c.mechanism = keys::parse_mechanism(r.value("mechanism", ""));
    c.key_bits = r.value("key_bits", 0);
    c.curve = r.value("curve", "");
    if (c.mechanism == keys::TokenMechanism::Ecdsa && c.curve.empty() && c.key_bits)
        c.curve = c.key_bits == 384 ? "P-384" : c.key_bits == 521 ? "P-521" : "P-256";
    c.allow_generate_key = r.value("allow_generate_key", false);
    c.max_parallel = r.value("max_parallel", 1);
    return c;
}

// The managed key a kms request names, allowed in this mount and for signing.
Json resolve(const Context& ctx, const ManagedKeyRef& ref) {
    if (ref.name.empty() && ref.id.empty())
        fail(ErrorKind::Invalid, "type kms needs managed_key_name or managed_key_id: the managed key to use (see sys/managed-keys/pkcs11)");
    if (!ref.name.empty() && !ref.id.empty())
        fail(ErrorKind::Invalid, "give one of managed_key_name and managed_key_id, not both");
    auto r = ref.id.empty() ? find_by_name(ctx.txn, ref.name) : find_by_id(ctx.txn, ref.id);
    if (!r)
        fail_hint(ErrorKind::NotFound, Hint{"list managed keys", "list", "sys/managed-keys/pkcs11", ""}, "no managed key {} \"{}\"",
                  ref.id.empty() ? "named" : "with id", ref.id.empty() ? ref.name : ref.id);
    const std::string name = r->value("name", ""), id = r->value("uuid", "");
    const auto& allowed = ctx.m().allowed_managed_keys;
    bool ok = r->value("any_mount", false) || std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
              std::find(allowed.begin(), allowed.end(), id) != allowed.end();
    if (!ok)
        fail_hint(ErrorKind::Denied, Hint{"allow it in the mount", "write", "sys/mounts/" + ctx.mount_name() + "/tune", "allowed_managed_keys=" + name},
                  "managed key \"{}\" is not allowed in mount {}; add it to the mount's allowed_managed_keys, or set any_mount=true on it",
                  name, ctx.mount_name());
    auto usages = r->value("usages", std::vector<std::string>{});
    if (!usages.empty() && std::find(usages.begin(), usages.end(), "sign") == usages.end())
        fail(ErrorKind::Denied, "managed key \"{}\" does not have the sign usage; add it to its usages", name);
    return *r;
}

}  // namespace

Json write_managed_key(Context& ctx, const std::string& type, const std::string& name, const Json& given) {
    check_type(type);
    check_name(name);
    auto existing = find_by_name(ctx.txn, name);
    if (existing && existing->value("type", "") != type)
        fail(ErrorKind::Invalid, "managed key \"{}\" already exists with type {}; names are unique across types", name, existing->value("type", ""));
    Json r = existing ? *existing
                      : Json{{"name", name},
                             {"type", type},
                             {"uuid", crypto::random_uuid()},
                             {"allow_generate_key", false},
                             {"allow_replace_key", false},
                             {"allow_store_key", false},
                             {"any_mount", false},
                             {"usages", kUsages},
                             {"max_parallel", 1},
                             {"force_rw_session", false},
                             {"created", ctx.now}};
    for (const auto& [k, v] : given.items()) r[k] = v;
    // One way of giving the PIN replaces another.
    for (const char* k : {"pin", "pin_file", "pin_env"})
        if (given.contains(k) && !given[k].get<std::string>().empty())
            for (const char* other : {"pin", "pin_file", "pin_env"})
                if (std::string_view(other) != k && !given.contains(other)) r[other] = "";
    // slot and token_label likewise.
    if (given.contains("slot") && !given["slot"].get<std::string>().empty() && !given.contains("token_label")) r["token_label"] = "";
    if (given.contains("token_label") && !given["token_label"].get<std::string>().empty() && !given.contains("slot")) r["slot"] = "";
    validate(r);
    save(ctx.txn, key_of(name), r);
    return public_view(r);
}

Json read_managed_key(const store::Txn& txn, const std::string& type, const std::string& name) {
    check_type(type);
    auto r = find_by_name(txn, name);
    if (!r || r->value("type", "") != type)
        fail_hint(ErrorKind::NotFound, Hint{"list managed keys", "list", "sys/managed-keys/" + type, ""}, "no managed key \"{}\" of type {}",
                  name, type);
    return public_view(*r);
}

std::vector<std::string> list_managed_keys(const store::Txn& txn, const std::string& type) {
    check_type(type);
    std::vector<std::string> out;
    txn.scan(kPrefix, [&](std::string_view key, std::string_view value) {
        if (decode_record(key, value).value("type", "") == type) out.emplace_back(key.substr(kPrefix.size()));
        return true;
    });
    return out;
}

void delete_managed_key(Context& ctx, const std::string& type, const std::string& name) {
    check_type(type);
    auto r = find_by_name(ctx.txn, name);
    if (!r) {
        ctx.warnings.push_back(fmt::format("there is no managed key \"{}\"; nothing was deleted", name));
        return;
    }
    const std::string id = r->value("uuid", "");
    std::vector<std::string> users;
    for (const auto& m : list_mounts(ctx))
        ctx.txn.scan(rec_prefix(m.name, "key"), [&](std::string_view key, std::string_view value) {
            auto k = decode_record(key, value);
            if (k.value("managed_key_id", "") == id) users.push_back(m.name + "/key/" + k.value("key_id", ""));
            return true;
        });
    if (!users.empty())
        fail(ErrorKind::Denied, "managed key \"{}\" is used by {}; delete those keys (and their issuers) first", name, util::join(users, ", "));
    // As Vault: a mount that may use it keeps it (else a later key of the same name would inherit the grant).
    std::vector<std::string> allowing;
    for (const auto& m : list_mounts(ctx))
        for (const auto& a : m.allowed_managed_keys)
            if (a == name || a == id) allowing.push_back(m.name);
    if (!allowing.empty())
        fail(ErrorKind::Denied, "managed key \"{}\" is in the allowed_managed_keys of mount(s) {}; remove it there first (sys/mounts/MOUNT/tune)", name,
             util::join(allowing, ", "));
    ctx.txn.del(key_of(name));
}

Json test_managed_key(Context& ctx, const std::string& type, const std::string& name) {
    check_type(type);
    auto r = find_by_name(ctx.txn, name);
    if (!r) fail(ErrorKind::NotFound, "no managed key \"{}\" of type {}", name, type);
    bool generated = false;
    crypto::PKey key = ctx.hsm.key(config_of(*r), keys::Pkcs11::Missing::Generate, &generated);
    if (generated) ctx.warnings.push_back(fmt::format("a new key was generated on the token of managed key \"{}\"", name));
    auto data = crypto::random_bytes(32);
    crypto::MdCtx sign(EVP_MD_CTX_new()), verify(EVP_MD_CTX_new());
    std::vector<unsigned char> sig(static_cast<size_t>(EVP_PKEY_get_size(key.get())) + 16);
    size_t len = sig.size();
    if (!sign || EVP_DigestSignInit(sign.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
        EVP_DigestSign(sign.get(), sig.data(), &len, data.data(), data.size()) != 1)
        fail(ErrorKind::Unavailable, "managed key \"{}\" could not sign: {}", name, crypto::openssl_error());
    // Verified by OpenSSL itself, from the public key the token reported.
    crypto::PKey pub = crypto::public_key_only(key.get());
    if (!verify || EVP_DigestVerifyInit(verify.get(), nullptr, EVP_sha256(), nullptr, pub.get()) != 1 ||
        EVP_DigestVerify(verify.get(), sig.data(), len, data.data(), data.size()) != 1)
        fail(ErrorKind::Denied, "managed key \"{}\" signed, but the signature does not verify with its public key: {}", name, crypto::openssl_error());
    auto spec = crypto::describe_key(key.get());
    return Json{{"name", name}, {"key_type", spec.type_name()}, {"key_bits", spec.bits}, {"signature_bytes", len}};
}

KeyEntry use_managed_key(Context& ctx, const ManagedKeyRef& ref, const std::string& key_name, crypto::PKey* signer) {
    check_key_name_free(ctx.txn, ctx.mount_name(), key_name, "");
    Json mk = resolve(ctx, ref);
    bool generated = false;
    crypto::PKey key = ctx.hsm.key(config_of(mk), keys::Pkcs11::Missing::Generate, &generated);
    const std::string id = mk.value("uuid", "");
    Json stored{{"managed_key_id", id}};
    bool existed = false;
    KeyEntry e = store_key(ctx, key.get(), key_name, &existed, StoredKey{"pkcs11", stored.dump(), id});
    if (existed && e.managed_key_id != id)
        fail(ErrorKind::Invalid, "the key of managed key \"{}\" is already key {} of mount {}, not on that managed key", mk.value("name", ""), e.id,
             ctx.mount_name());
    if (existed) ctx.warnings.push_back(fmt::format("the key of managed key \"{}\" is already key {}; that key is used", mk.value("name", ""), e.id));
    if (generated) ctx.warnings.push_back(fmt::format("a new key was generated on the token of managed key \"{}\"", mk.value("name", "")));
    if (signer) *signer = std::move(key);
    return e;
}

crypto::PKey managed_key_signer(const Context& ctx, const Json& key_record) {
    const std::string id = key_record.value("managed_key_id", "");
    Json mk = resolve(ctx, ManagedKeyRef{"", id});
    crypto::PKey key = ctx.hsm.key(config_of(mk), keys::Pkcs11::Missing::Refuse);
    // The token's key must still be the one the mount recorded.
    if (util::base64(crypto::public_key_der(key.get())) != key_record.value("public_key", ""))
        fail(ErrorKind::Denied, "the key on the token of managed key \"{}\" is no longer the key {} of mount {} (it was replaced on the token)",
             mk.value("name", ""), key_record.value("key_id", ""), ctx.mount_name());
    return key;
}

std::string managed_key_name(const store::Txn& txn, const std::string& id) {
    auto r = find_by_id(txn, id);
    return r ? r->value("name", "") : "";
}

}  // namespace pki::engine
