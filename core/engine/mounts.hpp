#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

inline constexpr int64_t kDefaultLeaseTtl = 768 * 3600;  // Vault's system default, 32 days

std::optional<MountInfo> find_mount(const store::Txn& txn, std::string_view name);
MountInfo require_mount(const store::Txn& txn, std::string_view name);  // Error(NotFound) naming the fix

// Error(Invalid) unless `name` is a path-safe mount name (and not "sys").
void check_mount_name(const std::string& name);

// sys/mounts/:path write.
struct EnableMount {
    std::string name;
    std::string description;
    int64_t default_lease_ttl = 0;  // seconds; 0: the smaller of the system default and the maximum
    int64_t max_lease_ttl = 0;      // seconds; 0: the system default
    std::string type = "pki";       // secrets engine type; only "pki"
};
// The checks of enabling a mount that need no state (name, type, TTLs): run before a fresh
// state directory is created, so a refused request leaves none behind.
void check_enable_request(const EnableMount& req);
MountInfo enable_mount(Context& ctx, const EnableMount& req);

// sys/mounts/:path/tune write: what is given changes (a TTL of 0 is the system default); a lower
// maximum takes the default down with it unless the default is given too (warning to ctx.warnings).
struct TuneMount {
    std::optional<int64_t> default_lease_ttl;
    std::optional<int64_t> max_lease_ttl;
    std::optional<std::string> description;
    std::optional<std::vector<std::string>> allowed_managed_keys;
};

// sys/mounts family; a mount by its name.
std::vector<MountInfo> list_mounts(Context& ctx);  // in name order
MountInfo read_mount(Context& ctx, const std::string& name);
void disable_mount(Context& ctx, const std::string& name);  // idempotent: a missing mount is a warning
MountInfo read_tune(Context& ctx, const std::string& name);
MountInfo write_tune(Context& ctx, const std::string& name, const TuneMount& tune);

}  // namespace pki::engine
