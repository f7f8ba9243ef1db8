// Roles: the CRUD of roles/:name and what issuing needs of a role.
#include "engine/roles.hpp"

#include <cctype>
#include <memory>
#include <string_view>

#include "engine/cache.hpp"
#include "engine/records.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::engine {
namespace {

constexpr char kKind[] = "role";

void check_role_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 128 && name != "." && name != "..";  // path segments of their own
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok) fail(ErrorKind::Invalid, "role name \"{}\" is not allowed; use 1-128 letters, digits, '-', '_' or '.' (not . or ..)", name);
}

Json load_role_record(const Context& ctx, const std::string& name) {
    auto r = load(ctx.txn, rec_key(ctx.mount_name(), kKind, name));
    if (!r)
        fail_hint(ErrorKind::NotFound, Hint{"create it", "role-write", ctx.mount_name(), name}, "no role \"{}\" in mount {}", name,
                  ctx.mount_name());
    r->erase("v");
    return *r;
}

}  // namespace

policy::Role load_role(const Context& ctx, const std::string& name) {
    std::string key = rec_key(ctx.mount_name(), kKind, name);
    auto raw = ctx.txn.get(key);
    if (raw)
        if (auto hit = ctx.caches.roles.get(key, *raw)) return *hit;
    auto role = std::make_shared<const policy::Role>(policy::role_from_json(name, load_role_record(ctx, name)));
    if (raw) ctx.caches.roles.put(key, *raw, role);
    return *role;
}

x509::Subject role_subject(const policy::Role& role, const std::string& cn, const std::string& serial) {
    x509::Subject s;
    s.common_name = cn;
    s.ou = role.ou;
    s.organization = role.organization;
    s.country = role.country;
    s.locality = role.locality;
    s.province = role.province;
    s.street_address = role.street_address;
    s.postal_code = role.postal_code;
    s.serial_number = serial;
    return s;
}

std::vector<std::string> list_roles(Context& ctx) {
    return list_kind(ctx.txn, ctx.mount_name(), kKind);
}

policy::Role read_role(Context& ctx, const std::string& name) { return load_role(ctx, name); }

policy::Role write_role(Context& ctx, policy::Role role) {
    check_role_name(role.name);
    policy::validate_role(role);
    // What validate_role cannot judge alone: the time, and the subject as X.509 will encode it.
    if (!role.not_after.empty() && *util::parse_utc_time(role.not_after) <= ctx.now)
        fail(ErrorKind::Invalid, "not_after {} has already passed; give a future time, or leave not_after empty to use TTLs",
             role.not_after);
    x509::build_name(role_subject(role, "", ""));
    save(ctx.txn, rec_key(ctx.mount_name(), kKind, role.name), policy::role_to_json(role));
    return role;
}

void delete_role(Context& ctx, const std::string& name) {
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    if (!ctx.txn.del(rec_key(ctx.mount_name(), kKind, name)))
        ctx.warnings.push_back(fmt::format("there is no role \"{}\" in mount {}; nothing was deleted", name, ctx.mount_name()));
}

}  // namespace pki::engine
