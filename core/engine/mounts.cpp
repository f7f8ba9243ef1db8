#include "engine/mounts.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/random.hpp"
#include "engine/records.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::engine {
namespace {

MountInfo from_record(const Json& r) {
    return MountInfo{r.at("name").get<std::string>(), r.value("description", ""), r.value("default_lease_ttl", int64_t{0}),
                     r.value("max_lease_ttl", int64_t{0}), r.value("accessor", ""), r.value("created", int64_t{0}),
                     r.value("allowed_managed_keys", std::vector<std::string>{})};
}

Json to_record(const MountInfo& m) {
    return Json{{"name", m.name},           {"type", "pki"},       {"description", m.description},
                {"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl},
                {"accessor", m.accessor},   {"created", m.created}, {"allowed_managed_keys", m.allowed_managed_keys}};
}

void check_ttls(int64_t def, int64_t max) {
    if (def > max)
        fail(ErrorKind::Invalid, "default_lease_ttl ({}) cannot exceed max_lease_ttl ({})", util::format_duration(def),
             util::format_duration(max));
}

}  // namespace

void check_mount_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
    if (!ok)
        fail(ErrorKind::Invalid,
             "mount name \"{}\" is not path-safe; use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit",
             name);
    if (name == "sys" || name == "auth") fail(ErrorKind::Invalid, "mount name \"{}\" is reserved; choose another name", name);
}

std::optional<MountInfo> find_mount(const store::Txn& txn, std::string_view name) {
    auto r = load(txn, mount_key(name));
    if (!r) return std::nullopt;
    return from_record(*r);
}

MountInfo require_mount(const store::Txn& txn, std::string_view name) {
    if (auto m = find_mount(txn, name)) return *m;
    fail_hint(ErrorKind::NotFound, Hint{"enable it", "secrets-enable", std::string(name), ""}, "no mount \"{}\"", name);
}

std::vector<MountInfo> list_mounts(Context& ctx) {
    std::vector<MountInfo> out;
    ctx.txn.scan("sys/mount/", [&](std::string_view key, std::string_view value) {
        out.push_back(from_record(decode_record(key, value)));
        return true;
    });
    return out;
}

void check_enable_request(const EnableMount& req) {
    check_mount_name(req.name);
    if (req.type != "pki") fail(ErrorKind::Invalid, "secrets engine type \"{}\" is not supported; pki only provides \"pki\"", req.type);
    int64_t def = req.default_lease_ttl, max = req.max_lease_ttl;
    if (!max) max = kDefaultLeaseTtl;
    check_ttls(def ? def : std::min(kDefaultLeaseTtl, max), max);
}

MountInfo enable_mount(Context& ctx, const EnableMount& req) {
    const std::string& name = req.name;
    check_enable_request(req);
    if (find_mount(ctx.txn, name)) fail(ErrorKind::Invalid, "path is already in use at {}/; choose another -path", name);
    MountInfo m{name, req.description, req.default_lease_ttl, req.max_lease_ttl, "pki_" + crypto::random_uuid().substr(0, 8), ctx.now};
    if (m.max_lease_ttl == 0) m.max_lease_ttl = kDefaultLeaseTtl;
    if (m.default_lease_ttl == 0) m.default_lease_ttl = std::min(kDefaultLeaseTtl, m.max_lease_ttl);
    check_ttls(m.default_lease_ttl, m.max_lease_ttl);
    save(ctx.txn, mount_key(name), to_record(m));
    return m;
}

MountInfo read_mount(Context& ctx, const std::string& name) { return require_mount(ctx.txn, name); }

void disable_mount(Context& ctx, const std::string& name) {
    if (!find_mount(ctx.txn, name)) {  // as in Vault, disabling what is not there succeeds
        ctx.warnings.push_back(fmt::format("there was no mount at {}/", name));
        return;
    }
    ctx.txn.erase_prefix(name + "/");
    ctx.txn.del(mount_key(name));
}

MountInfo read_tune(Context& ctx, const std::string& name) { return require_mount(ctx.txn, name); }

MountInfo write_tune(Context& ctx, const std::string& name, const TuneMount& tune) {
    auto m = require_mount(ctx.txn, name);
    if (tune.default_lease_ttl) m.default_lease_ttl = *tune.default_lease_ttl ? *tune.default_lease_ttl : kDefaultLeaseTtl;
    if (tune.max_lease_ttl) m.max_lease_ttl = *tune.max_lease_ttl ? *tune.max_lease_ttl : kDefaultLeaseTtl;
    if (tune.description) m.description = *tune.description;
    if (tune.allowed_managed_keys) m.allowed_managed_keys = *tune.allowed_managed_keys;
    if (!tune.default_lease_ttl && m.default_lease_ttl > m.max_lease_ttl) {
        m.default_lease_ttl = m.max_lease_ttl;  // a lower maximum takes the default down with it
        ctx.warnings.push_back(fmt::format("default_lease_ttl lowered to {} to stay within max_lease_ttl", util::format_duration(m.max_lease_ttl)));
    }
    check_ttls(m.default_lease_ttl, m.max_lease_ttl);
    save(ctx.txn, mount_key(m.name), to_record(m));
    return m;
}

}  // namespace pki::engine
