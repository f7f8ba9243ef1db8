// Issuers of a mount: list, read, update, patch and delete them, config/issuers.
#include "engine/issuers.hpp"

#include <algorithm>
#include <iterator>

#include "engine/crl.hpp"
#include "engine/records.hpp"
#include "engine/issuer_store.hpp"  // after records.hpp (it uses Json)
#include "util/error.hpp"

namespace pki::engine {

std::vector<Issuer> list_issuers(Context& ctx) { return all_issuers(ctx.txn, ctx.mount_name()); }

Issuer read_issuer(Context& ctx, const std::string& ref) { return require_issuer(ctx.txn, ctx.mount_name(), ref); }

Issuer update_issuer(Context& ctx, const std::string& ref, const IssuerUpdate& u) {
    const auto& mount = ctx.mount_name();
    Issuer i = require_issuer(ctx.txn, mount, ref);
    if (u.name) {
        check_issuer_name_free(ctx.txn, mount, *u.name, i.id);
        i.name = *u.name;
    }
    if (u.leaf_not_after_behavior) i.leaf_not_after_behavior = *u.leaf_not_after_behavior;
    if (u.usage) {
        i.usage = *u.usage;
        i.usage.add(IssuerUse::ReadOnly);
    }
    if (u.manual_chain) {
        std::vector<std::string> chain;
        for (const auto& member_ref : *u.manual_chain) {
            Issuer member = require_issuer(ctx.txn, mount, member_ref == "self" ? i.id : member_ref);
            if (std::find(chain.begin(), chain.end(), member.id) != chain.end())
                fail(ErrorKind::Invalid, "manual_chain names issuer {} twice (\"{}\"); list each issuer once", member.id, member_ref);
            chain.push_back(member.id);
        }
        if (!chain.empty() && chain.front() != i.id)
            fail(ErrorKind::Invalid, "manual_chain must start with the issuer itself ({}), then its parents", i.id);
        i.manual_chain = chain;
    }
    save_issuer(ctx.txn, mount, i);
    rebuild_chains(ctx.txn, mount);
    if (u.usage) {
        std::vector<std::string> warnings;
        rebuild_crl(ctx, i.id, i.can(IssuerUse::CrlSigning) ? &warnings : nullptr);
        ctx.warnings.insert(ctx.warnings.end(), std::make_move_iterator(warnings.begin()), std::make_move_iterator(warnings.end()));
    }
    return require_issuer(ctx.txn, mount, i.id);
}

void delete_issuer(Context& ctx, const std::string& ref) {
    const auto& mount = ctx.mount_name();
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    auto found = find_issuer(ctx.txn, mount, ref);
    if (!found) {
        ctx.warnings.push_back(fmt::format("there is no issuer \"{}\" in mount {}; nothing was deleted", ref, mount));
        return;
    }
    const Issuer& i = *found;
    ctx.txn.del(rec_key(mount, kIssuerKind, i.id));
    crl_after_issuer_deleted(ctx, i.cert().get());
    if (default_issuer_id(ctx.txn, mount) == i.id) {
        ctx.txn.del(rec_key(mount, "config", "issuers"));
        ctx.warnings.push_back(fmt::format(
            "issuer {} was the default issuer; the mount now has no default issuer (set one with: pki write {}/config/issuers default=...)",
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
}

std::string read_issuers_config(Context& ctx) { return default_issuer_id(ctx.txn, ctx.mount_name()); }

std::string write_issuers_config(Context& ctx, const std::string& default_ref) {
    if (default_ref.empty()) fail(ErrorKind::Invalid, "field \"default\" is required: the issuer (id or name) to make the default");
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), default_ref);
    set_default_issuer(ctx.txn, ctx.mount_name(), i.id);
    return i.id;
}

}  // namespace pki::engine
