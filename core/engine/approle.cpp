#include "engine/approle.hpp"

#include <algorithm>
#include <regex>

#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "engine/records.hpp"
#include "util/cidr.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::engine {
namespace {

constexpr std::string_view kAuthPrefix = "sys/auth/";
constexpr std::string_view kRolePrefix = "sys/approle/role/";
constexpr std::string_view kRoleIdPrefix = "sys/approle/role-id/";
constexpr std::string_view kSecretPrefix = "sys/approle/secret-id/";        // <role>/<sha256 of the secret ID>
constexpr std::string_view kSecretAccessorPrefix = "sys/approle/accessor/";  // <role>/<accessor> -> hash

std::string role_key(std::string_view name) { return std::string(kRolePrefix) + std::string(name); }
std::string role_id_key(std::string_view role_id) { return std::string(kRoleIdPrefix) + crypto::sha256_hex(role_id); }
std::string secrets_of(std::string_view role) { return std::string(kSecretPrefix) + std::string(role) + "/"; }
std::string accessors_of(std::string_view role) { return std::string(kSecretAccessorPrefix) + std::string(role) + "/"; }

Json to_record(const AppRole& r) {
    return Json{{"name", r.name},
                {"role_id", r.role_id},
                {"bind_secret_id", r.bind_secret_id},
                {"secret_id_bound_cidrs", r.secret_id_bound_cidrs},
                {"secret_id_num_uses", r.secret_id_num_uses},
                {"secret_id_ttl", r.secret_id_ttl},
                {"local_secret_ids", r.local_secret_ids},
                {"token_policies", r.token_policies},
                {"token_ttl", r.token_ttl},
                {"token_max_ttl", r.token_max_ttl},
                {"token_explicit_max_ttl", r.token_explicit_max_ttl},
                {"token_num_uses", r.token_num_uses},
                {"token_bound_cidrs", r.token_bound_cidrs},
                {"token_no_default_policy", r.token_no_default_policy},
                {"token_type", r.token_type}};
}

AppRole from_record(const Json& j) {
    AppRole r;
    r.name = j.value("name", "");
    r.role_id = j.value("role_id", "");
    r.bind_secret_id = j.value("bind_secret_id", true);
    r.secret_id_bound_cidrs = j.value("secret_id_bound_cidrs", std::vector<std::string>{});
    r.secret_id_num_uses = j.value("secret_id_num_uses", int64_t{0});
    r.secret_id_ttl = j.value("secret_id_ttl", int64_t{0});
    r.local_secret_ids = j.value("local_secret_ids", false);
    r.token_policies = j.value("token_policies", std::vector<std::string>{});
    r.token_ttl = j.value("token_ttl", int64_t{0});
    r.token_max_ttl = j.value("token_max_ttl", int64_t{0});
    r.token_explicit_max_ttl = j.value("token_explicit_max_ttl", int64_t{0});
    r.token_num_uses = j.value("token_num_uses", int64_t{0});
    r.token_bound_cidrs = j.value("token_bound_cidrs", std::vector<std::string>{});
    r.token_no_default_policy = j.value("token_no_default_policy", false);
    r.token_type = j.value("token_type", "default");
    return r;
}

Json secret_record(const SecretIdInfo& s) {
    return Json{{"accessor", s.accessor},   {"creation_time", s.creation_time}, {"expiration_time", s.expiration_time},
                {"num_uses", s.num_uses},   {"ttl", s.ttl},                     {"cidr_list", s.cidr_list},
                {"token_bound_cidrs", s.token_bound_cidrs}, {"metadata", s.metadata}};
}

SecretIdInfo secret_from(const Json& j) {
    SecretIdInfo s;
    s.accessor = j.value("accessor", "");
    s.creation_time = j.value("creation_time", int64_t{0});
    s.expiration_time = j.value("expiration_time", int64_t{0});
    s.num_uses = j.value("num_uses", int64_t{0});
    s.ttl = j.value("ttl", int64_t{0});
    s.cidr_list = j.value("cidr_list", std::vector<std::string>{});
    s.token_bound_cidrs = j.value("token_bound_cidrs", std::vector<std::string>{});
    if (j.contains("metadata") && j["metadata"].is_object())
        for (const auto& [k, v] : j["metadata"].items())
            if (v.is_string()) s.metadata[k] = v.get<std::string>();
    return s;
}

bool expired(const SecretIdInfo& s, int64_t now) { return s.expiration_time != 0 && s.expiration_time <= now; }

std::optional<SecretIdInfo> secret_by_hash(const store::Txn& txn, std::string_view role, std::string_view hash, int64_t now) {
    auto r = load(txn, secrets_of(role) + std::string(hash));
    if (!r) return std::nullopt;
    auto s = secret_from(*r);
    if (expired(s, now)) return std::nullopt;
    return s;
}

void delete_secret(store::Txn& txn, std::string_view role, std::string_view hash, std::string_view accessor) {
    txn.del(secrets_of(role) + std::string(hash));
    txn.del(accessors_of(role) + std::string(accessor));
}

// Every CIDR of `inner` must lie within one of `outer` (a secret ID's token_bound_cidrs within the
// role's), as Vault checks; compared by their addresses and prefix lengths.
void check_subset(const std::vector<std::string>& inner, const std::vector<std::string>& outer, std::string_view what) {
    if (!util::cidrs_within(inner, outer))
        fail(ErrorKind::Invalid, "{}: every block must lie within the role's bound CIDRs ({})", what, util::join(outer, ", "));
}

}  // namespace

std::vector<AuthMethod> list_auth_methods(const store::Txn& txn) {
    std::vector<AuthMethod> out{{"token/", "token", "token based credentials", "auth_token_builtin"}};
    txn.scan(kAuthPrefix, [&](std::string_view key, std::string_view value) {
        Json j = decode_record(key, value);
        out.push_back(AuthMethod{std::string(key.substr(kAuthPrefix.size())) + "/", j.value("type", ""), j.value("description", ""),
                                 j.value("accessor", "")});
        return true;
    });
    std::sort(out.begin(), out.end(), [](const AuthMethod& a, const AuthMethod& b) { return a.path < b.path; });
    return out;
}

void enable_auth_method(Context& ctx, std::string_view given, std::string_view type, std::string_view description) {
    std::string path(given);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path == "token") fail(ErrorKind::Invalid, "path is already in use at token/: the token method is built in");
    if (type != "approle")
        fail(ErrorKind::Invalid, "auth method type \"{}\" is not supported; pki has approle (and the built-in token method)",
             util::printable(type, 64));
    if (path != "approle")
        fail(ErrorKind::Invalid, "approle can be enabled only at approle/ (given \"{}\"); one AppRole method serves every role",
             util::printable(path, 64));
    std::string key = std::string(kAuthPrefix) + path;
    if (ctx.txn.get(key)) fail(ErrorKind::Invalid, "path is already in use at {}/", path);
    save(ctx.txn, key, Json{{"type", "approle"}, {"description", std::string(description)}, {"accessor", "auth_approle_" + crypto::random_uuid().substr(0, 8)}});
}

void disable_auth_method(Context& ctx, std::string_view given) {
    std::string path(given);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path == "token") fail(ErrorKind::Invalid, "the token auth method cannot be disabled");
    if (!ctx.txn.get(std::string(kAuthPrefix) + path)) return;  // as Vault: disabling what is not there succeeds
    ctx.txn.del(std::string(kAuthPrefix) + path);
    for (auto prefix : {kRolePrefix, kRoleIdPrefix, kSecretPrefix, kSecretAccessorPrefix}) ctx.txn.erase_prefix(prefix);
    revoke_tokens_of(ctx.txn, "auth/approle/login");  // as Vault: the method's tokens go with it
}

void require_approle(const store::Txn& txn) {
    if (!txn.get(std::string(kAuthPrefix) + "approle"))
        fail_hint(ErrorKind::NotFound, Hint{"enable it", "write", "sys/auth/approle", "type=approle"},
                  "AppRole is not enabled: no auth method at auth/approle/");
}

void check_approle_name(std::string_view name) {
    static const std::regex kName(R"(\w(([\w.@-]+)?\w)?)");
    if (name.empty() || name.size() > 128 || !std::regex_match(name.begin(), name.end(), kName))
        fail(ErrorKind::Invalid,
             "role name \"{}\" is not valid: use letters, digits and _ . @ - (starting and ending with a letter, digit or _)",
             util::printable(name, 64));
}

std::optional<AppRole> find_approle(const store::Txn& txn, std::string_view name) {
    if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
    auto r = load(txn, role_key(name));
    if (!r) return std::nullopt;
    return from_record(*r);
}

AppRole require_approle_role(const store::Txn& txn, std::string_view name) {
    auto r = find_approle(txn, name);
    if (!r) fail(ErrorKind::NotFound, "role \"{}\" does not exist in auth/approle", util::printable(name, 64));
    return *r;
}

std::vector<std::string> list_approles(const store::Txn& txn) {
    std::vector<std::string> out;
    txn.scan(kRolePrefix, [&](std::string_view key, std::string_view) {
        out.emplace_back(key.substr(kRolePrefix.size()));
        return true;
    });
    return out;
}

AppRole write_approle(Context& ctx, AppRole role) {
    check_approle_name(role.name);
    util::check_cidrs(role.secret_id_bound_cidrs, "secret_id_bound_cidrs");
    util::check_cidrs(role.token_bound_cidrs, "token_bound_cidrs");
    for (auto [v, name] : {std::pair{role.secret_id_num_uses, "secret_id_num_uses"}, {role.token_num_uses, "token_num_uses"}})
        if (v < 0) fail(ErrorKind::Invalid, "{} cannot be negative (0 is unlimited)", name);
    if (!role.bind_secret_id && role.secret_id_bound_cidrs.empty() && role.token_bound_cidrs.empty())
        fail(ErrorKind::Invalid, "at least one constraint should be enabled on the role: bind_secret_id, secret_id_bound_cidrs or token_bound_cidrs");
    if (role.token_max_ttl > 0 && role.token_ttl > role.token_max_ttl)
        fail(ErrorKind::Invalid, "token_ttl should not be greater than token_max_ttl");
    if (role.token_type != "default" && role.token_type != "service")
        fail(ErrorKind::Invalid, "token_type \"{}\" is not supported; pki issues service tokens (default or service)", role.token_type);
    for (auto& p : role.token_policies) p = util::to_lower(util::trim(p));
    std::sort(role.token_policies.begin(), role.token_policies.end());
    role.token_policies.erase(std::unique(role.token_policies.begin(), role.token_policies.end()), role.token_policies.end());
    if (std::find(role.token_policies.begin(), role.token_policies.end(), "root") != role.token_policies.end())
        fail(ErrorKind::Invalid, "auth methods cannot create root tokens; remove \"root\" from token_policies");
    auto before = find_approle(ctx.txn, role.name);
    if (role.role_id.empty()) role.role_id = before ? before->role_id : crypto::random_uuid();
    if (!before || before->role_id != role.role_id) {
        if (auto other = load(ctx.txn, role_id_key(role.role_id)); other && other->value("role", "") != role.name)
            fail(ErrorKind::Invalid, "role_id is already in use by another role");
        if (before) ctx.txn.del(role_id_key(before->role_id));
        save(ctx.txn, role_id_key(role.role_id), Json{{"role", role.name}});
    }
    save(ctx.txn, role_key(role.name), to_record(role));
    return role;
}

void delete_approle(Context& ctx, std::string_view name) {
    auto r = find_approle(ctx.txn, name);
    if (!r) return;
    ctx.txn.del(role_id_key(r->role_id));
    ctx.txn.del(role_key(name));
    ctx.txn.erase_prefix(secrets_of(name));
    ctx.txn.erase_prefix(accessors_of(name));
}

void set_role_id(Context& ctx, std::string_view name, std::string_view role_id) {
    AppRole r = require_approle_role(ctx.txn, name);
    if (role_id.empty()) fail(ErrorKind::Invalid, "missing role_id");
    r.role_id = std::string(role_id);
    write_approle(ctx, r);
}

CreatedSecretId generate_secret_id(Context& ctx, std::string_view role_name, const NewSecretId& req) {
    AppRole role = require_approle_role(ctx.txn, role_name);
    util::check_cidrs(req.cidr_list, "cidr_list");
    util::check_cidrs(req.token_bound_cidrs, "token_bound_cidrs");
    check_subset(req.cidr_list, role.secret_id_bound_cidrs, "cidr_list");
    check_subset(req.token_bound_cidrs, role.token_bound_cidrs, "token_bound_cidrs");
    CreatedSecretId out;
    out.secret_id = req.secret_id ? *req.secret_id : crypto::random_uuid();
    if (out.secret_id.empty()) fail(ErrorKind::Invalid, "missing secret_id");
    if (out.secret_id.size() > 256) fail(ErrorKind::Invalid, "secret_id is longer than 256 characters");
    std::string hash = crypto::sha256_hex(out.secret_id);
    if (ctx.txn.get(secrets_of(role_name) + hash)) fail(ErrorKind::Invalid, "this secret_id is already registered for the role");
    SecretIdInfo& s = out.info;
    s.accessor = crypto::random_uuid();
    s.creation_time = ctx.now;
    s.ttl = role.secret_id_ttl;
    s.expiration_time = role.secret_id_ttl > 0 ? ctx.now + role.secret_id_ttl : 0;
    s.num_uses = role.secret_id_num_uses;
    s.cidr_list = req.cidr_list;
    s.token_bound_cidrs = req.token_bound_cidrs;
    s.metadata = req.metadata;
    save(ctx.txn, secrets_of(role_name) + hash, secret_record(s));
    save(ctx.txn, accessors_of(role_name) + s.accessor, Json{{"hash", hash}});
    return out;
}

std::vector<std::string> list_secret_id_accessors(const store::Txn& txn, std::string_view role, int64_t now) {
    require_approle_role(txn, role);
    std::vector<std::string> out;
    txn.scan(secrets_of(role), [&](std::string_view key, std::string_view value) {
        auto s = secret_from(decode_record(key, value));
        if (!expired(s, now)) out.push_back(s.accessor);
        return true;
    });
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<SecretIdInfo> lookup_secret_id(const store::Txn& txn, std::string_view role, std::string_view secret_id, int64_t now) {
    require_approle_role(txn, role);
    if (secret_id.empty() || secret_id.size() > 256) return std::nullopt;
    return secret_by_hash(txn, role, crypto::sha256_hex(secret_id), now);
}

std::optional<SecretIdInfo> lookup_secret_id_accessor(const store::Txn& txn, std::string_view role, std::string_view accessor,
                                                      int64_t now) {
    require_approle_role(txn, role);
    if (accessor.empty() || accessor.find('/') != std::string_view::npos) return std::nullopt;
    auto a = load(txn, accessors_of(role) + std::string(accessor));
    if (!a) return std::nullopt;
    return secret_by_hash(txn, role, a->value("hash", ""), now);
}

void destroy_secret_id(Context& ctx, std::string_view role, std::string_view secret_id) {
    require_approle_role(ctx.txn, role);
    if (secret_id.empty()) fail(ErrorKind::Invalid, "missing secret_id");
    std::string hash = crypto::sha256_hex(secret_id);
    if (auto r = load(ctx.txn, secrets_of(role) + hash)) delete_secret(ctx.txn, role, hash, r->value("accessor", ""));
}

void destroy_secret_id_accessor(Context& ctx, std::string_view role, std::string_view accessor) {
    require_approle_role(ctx.txn, role);
    if (accessor.empty() || accessor.find('/') != std::string_view::npos) fail(ErrorKind::Invalid, "missing secret_id_accessor");
    auto a = load(ctx.txn, accessors_of(role) + std::string(accessor));
    if (!a) fail(ErrorKind::Invalid, "failed to find accessor entry for secret_id_accessor: \"{}\"", util::printable(accessor, 64));
    delete_secret(ctx.txn, role, a->value("hash", ""), accessor);
}

CreatedToken approle_login(Context& ctx, std::string_view role_id, std::string_view secret_id) {
    require_approle(ctx.txn);
    if (role_id.empty()) fail(ErrorKind::Invalid, "missing role_id");
    auto index = role_id.size() <= 256 ? load(ctx.txn, role_id_key(role_id)) : std::nullopt;
    if (!index) fail(ErrorKind::Invalid, "invalid role ID");
    AppRole role = require_approle_role(ctx.txn, index->value("role", ""));
    std::string remote = util::request_address(ctx.remote);
    std::vector<std::string> token_cidrs = role.token_bound_cidrs;
    std::map<std::string, std::string> meta{{"role_name", role.name}};
    if (role.bind_secret_id) {
        if (secret_id.empty()) fail(ErrorKind::Invalid, "missing secret_id");
        std::string hash = crypto::sha256_hex(secret_id);
        std::string key = secrets_of(role.name) + hash;
        auto rec = secret_id.size() <= 256 ? load(ctx.txn, key) : std::nullopt;
        if (!rec) fail(ErrorKind::Invalid, "invalid secret id");
        SecretIdInfo s = secret_from(*rec);
        if (expired(s, ctx.now)) {
            delete_secret(ctx.txn, role.name, hash, s.accessor);
            fail(ErrorKind::Invalid, "invalid secret id");
        }
        if (!s.cidr_list.empty() && !util::address_in(remote, s.cidr_list))
            fail(ErrorKind::Invalid, "source address \"{}\" unauthorized through CIDR restrictions on the secret ID", remote);
        if (s.num_uses > 0) {
            if (--s.num_uses == 0) delete_secret(ctx.txn, role.name, hash, s.accessor);
            else save(ctx.txn, key, secret_record(s));
        }
        if (!s.token_bound_cidrs.empty()) token_cidrs = s.token_bound_cidrs;
        for (const auto& [k, v] : s.metadata) meta.emplace(k, v);
    }
    if (!role.secret_id_bound_cidrs.empty() && !util::address_in(remote, role.secret_id_bound_cidrs))
        fail(ErrorKind::Invalid, "source address \"{}\" unauthorized through CIDR restrictions on the role", remote);
    NewToken t;
    t.display_name = "approle";
    t.policies = role.token_policies;
    t.no_default_policy = role.token_no_default_policy;
    if (role.token_ttl > 0) t.ttl = role.token_ttl;
    int64_t max = role.token_max_ttl;
    if (role.token_explicit_max_ttl > 0 && (max == 0 || role.token_explicit_max_ttl < max)) max = role.token_explicit_max_ttl;
    t.explicit_max_ttl = max;
    t.renewable = true;
    t.num_uses = role.token_num_uses;
    t.bound_cidrs = token_cidrs;
    t.meta = meta;
    t.path = "auth/approle/login";
    return create_login_token(ctx, t);
}

}  // namespace pki::engine
