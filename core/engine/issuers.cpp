// Issuers of a mount: list, read, update, patch and delete them, their raw forms, config/issuers.
#include "engine/issuers.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "engine/crl.hpp"
#include "engine/issuance.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "engine/issuer_store.hpp"

namespace pki::engine {

api::Response list_issuers(Context& ctx) {
    Json keys = Json::array(), info = Json::object();
    for (const auto& i : all_issuers(ctx.txn, ctx.mount_name())) {
        keys.push_back(i.id);
        info[i.id] = Json{{"issuer_name", i.name}};
    }
    return api::reply(Json{{"keys", keys}, {"key_info", info}});
}

api::Response read_issuer(Context& ctx) {
    return api::reply(describe(require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"))));
}

namespace {

api::Response update_issuer(Context& ctx, bool patch) {
    const auto& mount = ctx.mount_name();
    const auto& f = ctx.fields;
    Issuer i = require_issuer(ctx.txn, mount, f.str("issuer_ref"));
    auto given = [&](const char* name) { return !patch || f.has(name); };
    if (given("issuer_name")) {
        check_issuer_name_free(ctx.txn, mount, f.str("issuer_name"), i.id);
        i.name = f.str("issuer_name");
    }
    if (given("leaf_not_after_behavior")) {
        i.leaf_not_after_behavior = check_leaf_behavior(f.str("leaf_not_after_behavior"));
    }
    if (given("usage")) {
        i.usage = f.has("usage") ? parse_issuer_usage(f.list("usage")) : IssuerUsage::all();
        i.usage.add(IssuerUse::ReadOnly);
    }
    if (given("manual_chain")) {
        std::vector<std::string> chain;
        for (const auto& ref : f.list("manual_chain")) {
            Issuer member = require_issuer(ctx.txn, mount, ref == "self" ? i.id : ref);
            if (std::find(chain.begin(), chain.end(), member.id) != chain.end())
                fail(ErrorKind::Invalid, "manual_chain names issuer {} twice (\"{}\"); list each issuer once", member.id, ref);
            chain.push_back(member.id);
        }
        if (!chain.empty() && chain.front() != i.id)
            fail(ErrorKind::Invalid, "manual_chain must start with the issuer itself ({}), then its parents", i.id);
        i.manual_chain = chain;
    }
    save_issuer(ctx.txn, mount, i);
    rebuild_chains(ctx.txn, mount);
    std::vector<std::string> warnings;
    if (given("usage")) rebuild_crl(ctx, i.id, i.can(IssuerUse::CrlSigning) ? &warnings : nullptr);
    return api::reply(describe(require_issuer(ctx.txn, mount, i.id)), std::move(warnings));
}

}  // namespace

api::Response write_issuer(Context& ctx) { return update_issuer(ctx, false); }
api::Response patch_issuer(Context& ctx) { return update_issuer(ctx, true); }

api::Response delete_issuer(Context& ctx) {
    const auto& mount = ctx.mount_name();
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    auto found = find_issuer(ctx.txn, mount, ctx.fields.str("issuer_ref"));
    if (!found)
        return api::reply(nullptr,
                          {fmt::format("there is no issuer \"{}\" in mount {}; nothing was deleted", ctx.fields.str("issuer_ref"), mount)});
    const Issuer& i = *found;
    ctx.txn.del(rec_key(mount, kIssuerKind, i.id));
    crl_after_issuer_deleted(ctx, i.cert().get());
    std::vector<std::string> warnings;
    if (default_issuer_id(ctx.txn, mount) == i.id) {
        ctx.txn.del(rec_key(mount, "config", "issuers"));
        warnings.push_back(fmt::format("issuer {} was the default issuer; the mount now has no default issuer (set one with: pki write {}/config/issuers default=...)",
                                       i.id, mount));
    }
    // Other issuers' manual chains may name it; drop it from them.
    for (auto& other : all_issuers(ctx.txn, mount)) {
        auto it = std::remove(other.manual_chain.begin(), other.manual_chain.end(), i.id);
        if (it != other.manual_chain.end()) {
            other.manual_chain.erase(it, other.manual_chain.end());
            save_issuer(ctx.txn, mount, other);
        }
    }
    rebuild_chains(ctx.txn, mount);
    return api::reply(nullptr, std::move(warnings));
}

api::Response read_issuer_json(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::reply(Json{{"certificate", i.certificate}, {"ca_chain", i.ca_chain}, {"issuer_id", i.id}, {"issuer_name", i.name}, {"revocation_time", 0}});
}

api::Response read_issuer_der(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::raw_reply("application/pkix-cert", x509::cert_der(i.cert().get()));
}

api::Response read_issuer_pem(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::raw_reply("application/pem-certificate-chain", i.certificate + "\n");
}

api::Response read_issuers_config(Context& ctx) {
    return api::reply(Json{{"default", default_issuer_id(ctx.txn, ctx.mount_name())}});
}

api::Response write_issuers_config(Context& ctx) {
    std::string ref = ctx.fields.str("default");
    if (ref.empty()) fail(ErrorKind::Invalid, "field \"default\" is required: the issuer (id or name) to make the default");
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ref);
    set_default_issuer(ctx.txn, ctx.mount_name(), i.id);
    return api::reply(Json{{"default", i.id}});
}

}  // namespace pki::engine
