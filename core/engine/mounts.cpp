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
                     r.value("max_lease_ttl", int64_t{0}), r.value("accessor", ""), r.value("created", int64_t{0})};
}

Json to_record(const MountInfo& m) {
    return Json{{"name", m.name},           {"type", "pki"},       {"description", m.description},
                {"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl},
                {"accessor", m.accessor},   {"created", m.created}};
}

Json tune_data(const MountInfo& m) {
    return Json{{"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl}, {"description", m.description}};
}

Json describe(const MountInfo& m) {
    return Json{{"type", "pki"},
                {"description", m.description},
                {"accessor", m.accessor},
                {"config", {{"default_lease_ttl", m.default_lease_ttl}, {"max_lease_ttl", m.max_lease_ttl}}}};
}

std::string clean_name(std::string name) {
    while (!name.empty() && name.back() == '/') name.pop_back();
    return name;
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
    if (name == "sys") fail(ErrorKind::Invalid, "mount name \"sys\" is reserved; choose another name");
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

api::Response list_mounts(Context& ctx) {
    Json data = Json::object();
    Json keys = Json::array();
    ctx.txn.scan("sys/mount/", [&](std::string_view key, std::string_view value) {
        auto m = from_record(decode_record(key, value));
        data[m.name + "/"] = describe(m);
        keys.push_back(m.name + "/");
        return true;
    });
    if (ctx.op == api::Op::List) return api::reply(Json{{"keys", keys}});
    return api::reply(data);
}

void check_enable_request(const api::Fields& fields) {
    check_mount_name(clean_name(fields.str("path")));
    std::string type = fields.str("type");
    if (type != "pki") fail(ErrorKind::Invalid, "secrets engine type \"{}\" is not supported; pki only provides \"pki\"", type);
    int64_t def = fields.duration("default_lease_ttl"), max = fields.duration("max_lease_ttl");
    if (!max) max = kDefaultLeaseTtl;
    check_ttls(def ? def : std::min(kDefaultLeaseTtl, max), max);
}

api::Response enable_mount(Context& ctx) {
    std::string name = clean_name(ctx.fields.str("path"));
    check_enable_request(ctx.fields);
    if (find_mount(ctx.txn, name)) fail(ErrorKind::Invalid, "path is already in use at {}/; choose another -path", name);
    MountInfo m{name, ctx.fields.str("description"), ctx.fields.duration("default_lease_ttl"),
                ctx.fields.duration("max_lease_ttl"), "pki_" + crypto::random_uuid().substr(0, 8), ctx.now};
    if (m.max_lease_ttl == 0) m.max_lease_ttl = kDefaultLeaseTtl;
    if (m.default_lease_ttl == 0) m.default_lease_ttl = std::min(kDefaultLeaseTtl, m.max_lease_ttl);
    check_ttls(m.default_lease_ttl, m.max_lease_ttl);
    save(ctx.txn, mount_key(name), to_record(m));
    return api::reply(Json{{"path", name + "/"}, {"type", "pki"}});
}

api::Response read_mount(Context& ctx) {
    auto m = require_mount(ctx.txn, clean_name(ctx.fields.str("path")));
    return api::reply(describe(m));
}

api::Response disable_mount(Context& ctx) {
    std::string name = clean_name(ctx.fields.str("path"));
    if (!find_mount(ctx.txn, name))  // as in Vault, disabling what is not there succeeds
        return api::reply(nullptr, {fmt::format("there was no mount at {}/", name)});
    ctx.txn.erase_prefix(name + "/");
    ctx.txn.del(mount_key(name));
    return api::reply(nullptr);
}

api::Response read_tune(Context& ctx) {
    auto m = require_mount(ctx.txn, clean_name(ctx.fields.str("path")));
    return api::reply(tune_data(m));
}

api::Response write_tune(Context& ctx) {
    auto m = require_mount(ctx.txn, clean_name(ctx.fields.str("path")));
    if (ctx.fields.has("default_lease_ttl"))
        m.default_lease_ttl = ctx.fields.duration("default_lease_ttl") ? ctx.fields.duration("default_lease_ttl") : kDefaultLeaseTtl;
    if (ctx.fields.has("max_lease_ttl"))
        m.max_lease_ttl = ctx.fields.duration("max_lease_ttl") ? ctx.fields.duration("max_lease_ttl") : kDefaultLeaseTtl;
    if (ctx.fields.has("description")) m.description = ctx.fields.str("description");
    std::vector<std::string> warnings;
    if (!ctx.fields.has("default_lease_ttl") && m.default_lease_ttl > m.max_lease_ttl) {
        m.default_lease_ttl = m.max_lease_ttl;  // a lower maximum takes the default down with it
        warnings.push_back(fmt::format("default_lease_ttl lowered to {} to stay within max_lease_ttl", util::format_duration(m.max_lease_ttl)));
    }
    check_ttls(m.default_lease_ttl, m.max_lease_ttl);
    save(ctx.txn, mount_key(m.name), to_record(m));
    return api::reply(tune_data(m), std::move(warnings));
}

}  // namespace pki::engine
