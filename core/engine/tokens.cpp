#include "engine/tokens.hpp"

#include <algorithm>

#include "crypto/digest.hpp"
#include "crypto/random.hpp"
#include "engine/records.hpp"
#include "util/cidr.hpp"
#include "util/duration.hpp"
#include "util/strings.hpp"
#include "util/error.hpp"

namespace pki::engine {
namespace {

constexpr std::string_view kTokenPrefix = "sys/token/";
constexpr std::string_view kAccessorPrefix = "sys/token-accessor/";
constexpr std::string_view kRootMarker = "sys/root-token";

// `n` characters of [0-9A-Za-z] from the CSPRNG (rejection sampling keeps them uniform).
std::string random_base62(size_t n) {
    static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    while (out.size() < n)
        for (unsigned char b : crypto::random_bytes(n * 2))
            if (b < 248 && out.size() < n) out.push_back(kAlphabet[b % 62]);
    return out;
}

Json to_record(const TokenInfo& t) {
    return Json{{"accessor", t.accessor},         {"display_name", t.display_name}, {"policies", t.policies},
                {"creation_time", t.creation_time}, {"creation_ttl", t.creation_ttl}, {"expire_time", t.expire_time},
                {"explicit_max_ttl", t.explicit_max_ttl}, {"renewable", t.renewable}, {"orphan", t.orphan},
                {"parent_accessor", t.parent_accessor}, {"path", t.path}, {"meta", t.meta},
                {"num_uses", t.num_uses}, {"bound_cidrs", t.bound_cidrs}};
}

TokenInfo from_record(const Json& r) {
    TokenInfo t;
    t.accessor = r.at("accessor").get<std::string>();
    t.display_name = r.value("display_name", "");
    t.policies = r.value("policies", std::vector<std::string>{});
    t.creation_time = r.value("creation_time", int64_t{0});
    t.creation_ttl = r.value("creation_ttl", int64_t{0});
    t.expire_time = r.value("expire_time", int64_t{0});
    t.explicit_max_ttl = r.value("explicit_max_ttl", int64_t{0});
    t.renewable = r.value("renewable", false);
    t.orphan = r.value("orphan", true);
    t.parent_accessor = r.value("parent_accessor", "");
    t.path = r.value("path", "auth/token/create");
    t.num_uses = r.value("num_uses", int64_t{0});
    t.bound_cidrs = r.value("bound_cidrs", std::vector<std::string>{});
    if (r.contains("meta") && r["meta"].is_object())
        for (const auto& [k, v] : r["meta"].items())
            if (v.is_string()) t.meta[k] = v.get<std::string>();
    return t;
}

CreatedToken store_new(store::Txn& txn, TokenInfo info) {
    CreatedToken out;
    out.token = "hvs." + random_base62(32);
    info.accessor = random_base62(24);
    std::sort(info.policies.begin(), info.policies.end());
    info.policies.erase(std::unique(info.policies.begin(), info.policies.end()), info.policies.end());
    std::string hash = crypto::sha256_hex(out.token);
    save(txn, std::string(kTokenPrefix) + hash, to_record(info));
    save(txn, std::string(kAccessorPrefix) + info.accessor, Json{{"hash", hash}});
    out.info = std::move(info);
    return out;
}

// The lifetime a new token gets: `ttl` (0: the system default), capped by the system maximum and
// by an explicit maximum.
int64_t effective_ttl(Context& ctx, std::optional<int64_t> given, int64_t explicit_max) {
    if (given && *given < 0) fail(ErrorKind::Invalid, "ttl cannot be negative");
    if (explicit_max < 0) fail(ErrorKind::Invalid, "explicit_max_ttl cannot be negative");
    int64_t ttl = given && *given > 0 ? *given : kDefaultTokenTtl;
    if (ttl > kDefaultTokenTtl) {
        ctx.warnings.push_back(fmt::format("ttl of {} is above the system maximum of {}; the token has {}", util::format_duration(ttl),
                                           util::format_duration(kDefaultTokenTtl), util::format_duration(kDefaultTokenTtl)));
        ttl = kDefaultTokenTtl;
    }
    if (explicit_max > 0 && ttl > explicit_max) ttl = explicit_max;
    return ttl;
}

void check_limits(const NewToken& req) {
    if (req.num_uses < 0) fail(ErrorKind::Invalid, "num_uses cannot be negative (0 is unlimited)");
    util::check_cidrs(req.bound_cidrs, "bound_cidrs");
}

// The unexpired token stored under `hash` (`token`: the secret when the caller gave it, else "").
std::optional<Caller> live_hash(const store::Txn& txn, std::string hash, std::string_view token, int64_t now) {
    auto r = load(txn, std::string(kTokenPrefix) + hash);
    if (!r) return std::nullopt;
    TokenInfo info = from_record(*r);
    if (info.expire_time != 0 && info.expire_time <= now) return std::nullopt;
    Caller c{std::string(token), std::move(hash), std::move(info)};
    c.use_limited = c.info.num_uses > 0;
    return c;
}

std::optional<Caller> live_token(const store::Txn& txn, std::string_view token, int64_t now) {
    if (token.empty() || token.size() > 256) return std::nullopt;
    return live_hash(txn, crypto::sha256_hex(token), token, now);
}

}  // namespace

bool TokenInfo::root() const { return std::find(policies.begin(), policies.end(), "root") != policies.end(); }

int64_t TokenInfo::ttl_left(int64_t now) const { return expire_time == 0 ? 0 : std::max<int64_t>(0, expire_time - now); }

CreatedToken create_token(Context& ctx, const NewToken& req, const Caller* parent) {
    TokenInfo t;
    t.creation_time = ctx.now;
    t.display_name = req.display_name.empty() ? "token" : "token-" + req.display_name;
    std::vector<std::string> parent_policies = parent ? parent->info.policies : std::vector<std::string>{"root"};
    auto has = [](const std::vector<std::string>& v, const std::string& p) { return std::find(v.begin(), v.end(), p) != v.end(); };
    bool parent_root = !parent || parent->info.root();
    bool privileged = parent_root || parent->sudo;
    t.policies = req.policies ? *req.policies : parent_policies;
    for (auto& p : t.policies) p = util::to_lower(util::trim(p));
    bool given_root = has(t.policies, "root");
    // "default" comes beside explicit policies, unless asked not to, or the parent (without sudo)
    // lacks it itself, as in Vault.
    bool add_default = req.policies && !given_root && !req.no_default_policy && (privileged || has(parent_policies, "default"));
    if (add_default && !has(t.policies, "default")) t.policies.push_back("default");
    if (t.policies.empty() && (privileged || has(parent_policies, "default"))) t.policies = {"default"};
    t.meta = req.meta;
    check_limits(req);
    if (parent && parent->use_limited)
        fail(ErrorKind::Forbidden, "a use-limited token cannot create tokens; use a token without num_uses");
    if (!parent_root && given_root) fail(ErrorKind::Forbidden, "root tokens may be created only by a root token");
    if (!privileged)
        for (const auto& p : t.policies)
            if (!has(parent_policies, p))
                fail(ErrorKind::Forbidden, "child policies must be a subset of the parent's: the caller lacks \"{}\"", p);
    if (req.no_parent && !privileged && !req.orphan_path)
        fail(ErrorKind::Forbidden, "root or sudo privileges are required to create an orphan token (no_parent); use auth/token/create-orphan");
    int64_t ttl = effective_ttl(ctx, req.ttl, req.explicit_max_ttl);
    if (parent && !parent->info.root() && parent->info.expire_time && ctx.now + ttl > parent->info.expire_time) {
        ttl = parent->info.expire_time - ctx.now;
        ctx.warnings.push_back(fmt::format("the token's TTL is cut to {} so it does not outlive its parent", util::format_duration(ttl)));
    }
    t.creation_ttl = ttl;
    t.expire_time = ctx.now + ttl;
    t.explicit_max_ttl = req.explicit_max_ttl;
    t.renewable = req.renewable;
    t.orphan = !parent || req.no_parent;
    if (!t.orphan) t.parent_accessor = parent->info.accessor;
    t.num_uses = req.num_uses;
    t.bound_cidrs = req.bound_cidrs;
    // A child is used from no more places than its parent (Vault copies the parent's blocks).
    if (parent && !parent->info.bound_cidrs.empty()) {
        if (t.bound_cidrs.empty()) t.bound_cidrs = parent->info.bound_cidrs;
        else if (!util::cidrs_within(t.bound_cidrs, parent->info.bound_cidrs))
            fail(ErrorKind::Forbidden, "bound_cidrs must lie within the parent token's bound CIDRs");
    }
    t.path = req.path;
    return store_new(ctx.txn, std::move(t));
}

CreatedToken create_login_token(Context& ctx, const NewToken& req) {
    check_limits(req);
    TokenInfo t;
    t.creation_time = ctx.now;
    t.display_name = req.display_name;
    t.policies = req.policies.value_or(std::vector<std::string>{});
    for (auto& p : t.policies) p = util::to_lower(util::trim(p));
    if (std::find(t.policies.begin(), t.policies.end(), "root") != t.policies.end())
        fail(ErrorKind::Invalid, "auth methods cannot create root tokens; remove \"root\" from the role's token_policies");
    if (!req.no_default_policy) t.policies.push_back("default");
    t.meta = req.meta;
    t.creation_ttl = effective_ttl(ctx, req.ttl, req.explicit_max_ttl);
    t.expire_time = ctx.now + t.creation_ttl;
    t.explicit_max_ttl = req.explicit_max_ttl;
    t.renewable = req.renewable;
    t.orphan = true;
    t.num_uses = req.num_uses;
    t.bound_cidrs = req.bound_cidrs;
    t.path = req.path;
    return store_new(ctx.txn, std::move(t));
}

std::optional<CreatedToken> create_root_token_once(store::Txn& txn, int64_t now) {
    if (txn.get(kRootMarker)) return std::nullopt;
    TokenInfo t;
    t.display_name = "root";
    t.policies = {"root"};
    t.creation_time = now;
    t.orphan = true;
    t.path = "auth/token/root";
    auto created = store_new(txn, std::move(t));
    save(txn, kRootMarker, Json{{"accessor", created.info.accessor}, {"created", now}});
    return created;
}

Caller authenticate(const store::Txn& txn, std::string_view token, int64_t now, std::string_view remote) {
    if (auto c = live_token(txn, token, now))
        if (c->info.bound_cidrs.empty() || util::address_in(util::request_address(remote), c->info.bound_cidrs)) return *c;
    fail(ErrorKind::Forbidden, "permission denied");
}

Caller named_token(const store::Txn& txn, std::string_view token, int64_t now) {
    if (auto c = live_token(txn, token, now)) return *c;
    fail(ErrorKind::Forbidden, "bad token");
}

void revoke_orphan(store::Txn& txn, std::string_view token) {
    std::string hash = crypto::sha256_hex(token);
    auto r = load(txn, std::string(kTokenPrefix) + hash);
    if (!r) return;
    TokenInfo t = from_record(*r);
    std::vector<std::pair<std::string, Json>> children;  // collected first: no writes while scanning
    txn.scan(kTokenPrefix, [&](std::string_view key, std::string_view value) {
        Json c = decode_record(key, value);
        if (c.value("parent_accessor", "") == t.accessor) children.emplace_back(std::string(key), std::move(c));
        return true;
    });
    for (auto& [key, c] : children) {
        c["parent_accessor"] = "";
        c["orphan"] = true;
        save(txn, key, std::move(c));
    }
    txn.del(std::string(kTokenPrefix) + hash);
    txn.del(std::string(kAccessorPrefix) + t.accessor);
}

void revoke_tokens_of(store::Txn& txn, std::string_view path) {
    std::vector<std::string> hashes;
    txn.scan(kTokenPrefix, [&](std::string_view key, std::string_view value) {
        if (decode_record(key, value).value("path", "") == path) hashes.emplace_back(key.substr(kTokenPrefix.size()));
        return true;
    });
    for (const auto& h : hashes) revoke_token_hash(txn, h);
}

void use_token(store::Txn& txn, Caller& caller) {
    if (caller.info.num_uses <= 0) return;
    if (--caller.info.num_uses > 0) {
        save(txn, std::string(kTokenPrefix) + caller.hash, to_record(caller.info));
        return;
    }
    caller.spent = true;
    revoke_token_hash(txn, caller.hash);
}

Caller by_accessor(const store::Txn& txn, std::string_view accessor, int64_t now) {
    if (!accessor.empty() && accessor.size() <= 64 && accessor.find('/') == std::string_view::npos)
        if (auto a = load(txn, std::string(kAccessorPrefix) + std::string(accessor)))
            if (auto c = live_hash(txn, a->value("hash", ""), "", now)) return *c;
    fail(ErrorKind::Invalid, "invalid accessor: no valid token has it");
}

std::vector<std::string> list_accessors(const store::Txn& txn, int64_t now) {
    std::vector<std::string> out;
    txn.scan(kTokenPrefix, [&](std::string_view key, std::string_view value) {
        TokenInfo t = from_record(decode_record(key, value));
        if (t.expire_time == 0 || t.expire_time > now) out.push_back(t.accessor);
        return true;
    });
    std::sort(out.begin(), out.end());
    return out;
}

TokenInfo renew_token(Context& ctx, const Caller& caller, std::optional<int64_t> increment) {
    TokenInfo t = caller.info;
    if (t.expire_time == 0) return t;  // a token without a TTL has nothing to renew
    if (!t.renewable) fail(ErrorKind::Invalid, "this token is not renewable; create a new one with auth/token/create");
    if (increment && *increment < 0) fail(ErrorKind::Invalid, "increment cannot be negative");
    int64_t inc = increment && *increment > 0 ? *increment : t.creation_ttl;
    int64_t max_end = t.creation_time + (t.explicit_max_ttl > 0 ? t.explicit_max_ttl : kDefaultTokenTtl);
    int64_t end = std::min(ctx.now + inc, max_end);
    if (end < ctx.now + inc)
        ctx.warnings.push_back(fmt::format("TTL of {} exceeded the effective max_ttl of {}; TTL value is capped accordingly",
                                           util::format_duration(inc), util::format_duration(std::max<int64_t>(0, max_end - ctx.now))));
    t.expire_time = std::max(end, ctx.now);
    // A token whose last use this request was is gone: a renewal must not bring it back.
    if (!caller.spent && ctx.txn.get(std::string(kTokenPrefix) + caller.hash)) save(ctx.txn, std::string(kTokenPrefix) + caller.hash, to_record(t));
    return t;
}

void revoke_token(Context& ctx, std::string_view token) { revoke_token_hash(ctx.txn, crypto::sha256_hex(token)); }

void revoke_token_hash(store::Txn& txn, std::string_view hash) {
    std::string first = std::string(kTokenPrefix) + std::string(hash);
    auto r = load(txn, first);
    if (!r) return;
    TokenInfo t = from_record(*r);
    // Children go with their parent, as in Vault; collect first, then delete.
    std::vector<std::pair<std::string, std::string>> doomed{{first, t.accessor}};
    for (size_t i = 0; i < doomed.size(); ++i) {
        std::string parent = doomed[i].second;
        txn.scan(kTokenPrefix, [&](std::string_view key, std::string_view value) {
            Json c = decode_record(key, value);
            if (c.value("parent_accessor", "") == parent) doomed.emplace_back(std::string(key), c.at("accessor").get<std::string>());
            return true;
        });
    }
    for (const auto& [key, accessor] : doomed) {
        txn.del(key);
        txn.del(std::string(kAccessorPrefix) + accessor);
    }
}

}  // namespace pki::engine
