#pragma once
// AppRole, Vault's login for machines: a role names the policies and token limits; a machine
// logs in with the role's role_id and a secret_id generated for it, and gets a token. Secret IDs
// are stored only as SHA-256 hashes, each with an accessor that may be shown and logged. The
// method lives at auth/approle once enabled through sys/auth/approle.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "engine/tokens.hpp"

namespace pki::engine {

// ---- auth methods (sys/auth) ----
struct AuthMethod {
    std::string path;  // "approle/", "token/"
    std::string type;
    std::string description;
    std::string accessor;
};
std::vector<AuthMethod> list_auth_methods(const store::Txn& txn);
// Only an approle method at "approle" can be enabled (tokens are always there).
void enable_auth_method(Context& ctx, std::string_view path, std::string_view type, std::string_view description);
// Disabling approle deletes its roles and secret IDs; tokens it issued stay until they expire.
void disable_auth_method(Context& ctx, std::string_view path);
// Error(NotFound) unless approle is enabled.
void require_approle(const store::Txn& txn);

// ---- roles ----
struct AppRole {
    std::string name;
    std::string role_id;
    bool bind_secret_id = true;
    std::vector<std::string> secret_id_bound_cidrs;
    int64_t secret_id_num_uses = 0;  // 0: unlimited
    int64_t secret_id_ttl = 0;       // seconds; 0: never expires
    bool local_secret_ids = false;
    std::vector<std::string> token_policies;
    int64_t token_ttl = 0;           // 0: the system default
    int64_t token_max_ttl = 0;       // 0: the system maximum
    int64_t token_explicit_max_ttl = 0;
    int64_t token_num_uses = 0;
    std::vector<std::string> token_bound_cidrs;
    bool token_no_default_policy = false;
    std::string token_type = "default";
};

std::optional<AppRole> find_approle(const store::Txn& txn, std::string_view name);
AppRole require_approle_role(const store::Txn& txn, std::string_view name);
std::vector<std::string> list_approles(const store::Txn& txn);
// Create (a new random role_id unless `role.role_id` is given) or replace a role.
AppRole write_approle(Context& ctx, AppRole role);
void delete_approle(Context& ctx, std::string_view name);
// A custom role_id for a role; Error(Invalid) when another role has it.
void set_role_id(Context& ctx, std::string_view name, std::string_view role_id);
// Error(Invalid) for a role name Vault would refuse.
void check_approle_name(std::string_view name);

// ---- secret IDs ----
struct SecretIdInfo {
    std::string accessor;
    int64_t creation_time = 0;
    int64_t expiration_time = 0;  // 0: never
    int64_t num_uses = 0;         // uses left; 0: unlimited
    int64_t ttl = 0;
    std::vector<std::string> cidr_list;
    std::vector<std::string> token_bound_cidrs;
    std::map<std::string, std::string> metadata;
};
struct NewSecretId {
    std::optional<std::string> secret_id;  // custom-secret-id; otherwise random
    std::vector<std::string> cidr_list;
    std::vector<std::string> token_bound_cidrs;
    std::map<std::string, std::string> metadata;
};
struct CreatedSecretId {
    std::string secret_id;  // returned once
    SecretIdInfo info;
};
CreatedSecretId generate_secret_id(Context& ctx, std::string_view role, const NewSecretId& req);
std::vector<std::string> list_secret_id_accessors(const store::Txn& txn, std::string_view role, int64_t now);
// nullopt for an unknown (or expired) secret ID.
std::optional<SecretIdInfo> lookup_secret_id(const store::Txn& txn, std::string_view role, std::string_view secret_id, int64_t now);
std::optional<SecretIdInfo> lookup_secret_id_accessor(const store::Txn& txn, std::string_view role, std::string_view accessor,
                                                      int64_t now);
void destroy_secret_id(Context& ctx, std::string_view role, std::string_view secret_id);
// Error(Invalid) for an accessor the role does not have.
void destroy_secret_id_accessor(Context& ctx, std::string_view role, std::string_view accessor);

// ---- login ----
// A token for the role whose role_id is given, when `secret_id` is one of its valid secret IDs
// (counting one of its uses) and the caller's address is within the bound CIDRs. Every refusal is
// Error(Invalid) with a message that names what is wrong, never the secret.
CreatedToken approle_login(Context& ctx, std::string_view role_id, std::string_view secret_id);

}  // namespace pki::engine
