#pragma once
// Tokens of `pki serve`, as Vault's token store: a token is a random secret handed out once; the
// store keeps only its SHA-256 (and an accessor, a second identifier that can be shown and logged).
// A token carries its policies (engine/policies.hpp decides what they allow), display name,
// creation time, TTL, renewability, a use limit and the CIDR blocks it may be used from.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

inline constexpr int64_t kDefaultTokenTtl = 768 * 3600;  // Vault's system max_lease_ttl, 32 days

struct TokenInfo {
    std::string accessor;
    std::string display_name;             // "token", "token-<name>" as Vault shows it; "root" for the root token
    std::vector<std::string> policies;    // sorted
    int64_t creation_time = 0;
    int64_t creation_ttl = 0;             // seconds; 0: never expires (the root token)
    int64_t expire_time = 0;              // Unix seconds; 0: never
    int64_t explicit_max_ttl = 0;         // seconds; 0: the system maximum
    bool renewable = false;
    bool orphan = false;
    std::string parent_accessor;          // "" for an orphan
    std::string path = "auth/token/create";
    std::map<std::string, std::string> meta;  // shown by lookup
    int64_t num_uses = 0;                 // uses left; 0: unlimited
    std::vector<std::string> bound_cidrs; // where it may be used from; empty: anywhere
    bool root() const;
    int64_t ttl_left(int64_t now) const;  // seconds; 0 for a token that never expires
};

struct NewToken {
    std::string display_name;
    std::optional<std::vector<std::string>> policies;  // absent: the parent's
    std::optional<int64_t> ttl;                        // absent: 768h (root parent) or the parent's remaining TTL
    int64_t explicit_max_ttl = 0;
    bool renewable = true;
    bool no_parent = false;
    bool no_default_policy = false;  // explicit policies get "default" beside them unless this is set, as in Vault
    std::map<std::string, std::string> meta;
    int64_t num_uses = 0;
    std::vector<std::string> bound_cidrs;
    std::string path = "auth/token/create";  // what lookup shows as the token's origin
    bool orphan_path = false;                 // auth/token/create-orphan: no parent, without sudo
};

struct CreatedToken {
    std::string token;  // the secret, returned once
    TokenInfo info;
};

// The caller of a request: its token and what the store says of it.
struct Caller {
    std::string token;  // "" when found by accessor
    std::string hash;   // what the store keeps: SHA-256 of the token, hex
    TokenInfo info;
    bool sudo = false;  // the request's path grants sudo to it (set by the service's policy check)
    bool use_limited = false;  // it had a use limit when the request began (a last use leaves 0)
    bool spent = false;        // this request was its last use: it is revoked, and nothing may write it back
};

// Mint a token. `parent` is the caller (absent for the local operator, whose tokens are orphans
// with the root policy unless told otherwise). A child never gets a policy its parent lacks
// (unless the parent has sudo on the path), never outlives a non-root parent, and is made only by
// a parent without a use limit.
CreatedToken create_token(Context& ctx, const NewToken& req, const Caller* parent);
// A token for a login (AppRole): an orphan with exactly the given policies.
CreatedToken create_login_token(Context& ctx, const NewToken& req);
// The root token for a store that never had one: created once (the record of that stays), so a
// second server on the same state does not mint another. Absent when one was created before.
std::optional<CreatedToken> create_root_token_once(store::Txn& txn, int64_t now);
// The valid token `token`, or Error(Forbidden, "permission denied") when it is missing, unknown,
// expired or used from an address outside its bound CIDRs (`remote`: "" for the local operator,
// who counts as loopback). Vault says nothing more, so a guess learns nothing.
Caller authenticate(const store::Txn& txn, std::string_view token, int64_t now, std::string_view remote = "");
// A token a request names (lookup, renew, capabilities): valid and unexpired, wherever it may be
// used from; Error(Forbidden, "bad token") otherwise, as Vault answers.
Caller named_token(const store::Txn& txn, std::string_view token, int64_t now);
// Revoke a token, its children becoming orphans (auth/token/revoke-orphan).
void revoke_orphan(store::Txn& txn, std::string_view token);
// Revoke every token a login path made (disabling an auth method: "auth/approle/login").
void revoke_tokens_of(store::Txn& txn, std::string_view path);
// One use of a use-limited token (num_uses > 0), in the transaction of the request it allows; the
// last use revokes it (the request itself still runs). No effect on a token without a limit.
void use_token(store::Txn& txn, Caller& caller);
// By accessor, for lookup-accessor, renew-accessor and revoke-accessor: Error(Invalid) for an
// accessor that names no valid token (Vault's "invalid accessor").
Caller by_accessor(const store::Txn& txn, std::string_view accessor, int64_t now);
// The accessors of every valid token (LIST auth/token/accessors).
std::vector<std::string> list_accessors(const store::Txn& txn, int64_t now);
// renew-self: extend the TTL by `increment` (absent: the creation TTL), capped by the token's
// maximum; Error(Invalid) for a token that is not renewable.
TokenInfo renew_token(Context& ctx, const Caller& caller, std::optional<int64_t> increment);
void revoke_token(Context& ctx, std::string_view token);
// The same for a token known by its hash (what by_accessor finds).
void revoke_token_hash(store::Txn& txn, std::string_view hash);

}  // namespace pki::engine
