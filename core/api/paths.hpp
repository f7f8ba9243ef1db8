#pragma once
#include <cstdint>
#include <string>

// One function per path family; each adds its endpoints to the table.
#include <nlohmann/json.hpp>

namespace pki::engine {
struct EnableMount;
struct TokenInfo;
}

namespace pki::api {
class Table;
class Fields;
void add_sys_paths(Table& t);
void add_key_paths(Table& t);
void add_ca_paths(Table& t);
void add_issuer_paths(Table& t);
void add_role_paths(Table& t);
void add_crl_paths(Table& t);
void add_auth_paths(Table& t);
void add_approle_paths(Table& t);
void add_policy_paths(Table& t);
void add_managed_key_paths(Table& t);

// The fields of sys/mounts/:path write as the parameters of enabling a mount (paths_sys.cpp):
// the service checks them before it creates a fresh store.
engine::EnableMount enable_request(const Fields& f);
// sys/health's body (Vault's shape) for a store that is or is not initialized.
std::string health_json(bool initialized, int64_t now);
// Vault's "auth" block of a response that hands out a token (create, renew, login).
nlohmann::json auth_block(const std::string& token, const engine::TokenInfo& t, int64_t now);
}  // namespace pki::api
