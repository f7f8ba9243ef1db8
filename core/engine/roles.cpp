// Roles: the CRUD of roles/:name and what issuing needs of a role record.
#include "engine/roles.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/keys.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "engine/cache.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
#include "policy/role.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"

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

namespace {

api::Response store_role(Context& ctx, Json record) {
    std::string name = ctx.fields.str("name");
    check_role_name(name);
    policy::validate_role(record);
    // What validate_role cannot judge alone: the time, and the subject as X.509 will encode it.
    auto role = policy::role_from_json(name, record);
    if (!role.not_after.empty() && *util::parse_utc_time(role.not_after) <= ctx.now)
        fail(ErrorKind::Invalid, "not_after {} has already passed; give a future time, or leave not_after empty to use TTLs",
             role.not_after);
    x509::build_name(role_subject(role, "", ""));
    save(ctx.txn, rec_key(ctx.mount_name(), kKind, name), record);
    record.erase("v");
    return api::reply(std::move(record));
}

}  // namespace

api::Response list_roles(Context& ctx) { return api::reply(list_kind(ctx.txn, ctx.mount_name(), kKind)); }

api::Response read_role(Context& ctx) { return api::reply(load_role_record(ctx, ctx.fields.str("name"))); }

api::Response write_role(Context& ctx) {
    Json record = Json::object();
    for (const auto& f : ctx.spec->fields)
        if (!f.in_path) record[f.name] = ctx.fields.value(f.name).is_null() ? api::zero_value(f.type) : ctx.fields.value(f.name);
    return store_role(ctx, std::move(record));
}

api::Response patch_role(Context& ctx) {
    Json record = load_role_record(ctx, ctx.fields.str("name"));
    for (const auto& f : ctx.spec->fields)
        if (!f.in_path && ctx.fields.has(f.name)) record[f.name] = ctx.fields.value(f.name);
    return store_role(ctx, std::move(record));
}

api::Response delete_role(Context& ctx) {
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    std::string name = ctx.fields.str("name");
    if (!ctx.txn.del(rec_key(ctx.mount_name(), kKind, name)))
        return api::reply(nullptr, {fmt::format("there is no role \"{}\" in mount {}; nothing was deleted", name, ctx.mount_name())});
    return api::reply(nullptr);
}

}  // namespace pki::engine
