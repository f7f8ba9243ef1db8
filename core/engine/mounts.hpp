#pragma once
#include <optional>
#include <string_view>

#include "api/request.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

inline constexpr int64_t kDefaultLeaseTtl = 768 * 3600;  // Vault's system default, 32 days

std::optional<MountInfo> find_mount(const store::Txn& txn, std::string_view name);
MountInfo require_mount(const store::Txn& txn, std::string_view name);  // Error(NotFound) naming the fix

// Error(Invalid) unless `name` is a path-safe mount name (and not "sys").
void check_mount_name(const std::string& name);
// The checks of enabling a mount that need no state (name, type, TTLs): run before a fresh
// state directory is created, so a refused request leaves none behind.
void check_enable_request(const api::Fields& fields);

// sys/mounts family
api::Response list_mounts(Context& ctx);
api::Response enable_mount(Context& ctx);
api::Response read_mount(Context& ctx);
api::Response disable_mount(Context& ctx);
api::Response read_tune(Context& ctx);
api::Response write_tune(Context& ctx);

}  // namespace pki::engine
