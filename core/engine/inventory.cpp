#include "engine/inventory.hpp"

#include <map>

#include "engine/crl.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "engine/records.hpp"
#include "policy/names.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::engine {

std::string_view inventory_state_name(InventoryState s) {
    switch (s) {
        case InventoryState::Valid: return "valid";
        case InventoryState::Expired: return "expired";
        case InventoryState::Revoked: return "revoked";
    }
    return "?";
}

std::vector<InventoryRow> inventory(Context& ctx, const InventoryFilter& filter) {
    const auto& mount = ctx.mount_name();
    int64_t within = filter.expiring_within ? *filter.expiring_within : -1;
    std::string name_glob = util::to_lower(filter.name);
    std::string issuer_filter;
    if (!filter.issuer.empty()) issuer_filter = require_issuer(ctx.txn, mount, filter.issuer).id;

    std::map<std::string, std::string> issuer_names;
    for (const auto& i : all_issuers(ctx.txn, mount)) issuer_names[i.id] = i.name;

    std::vector<InventoryRow> rows;
    std::string meta_prefix = rec_prefix(mount, "certmeta");
    std::string revoked_prefix = rec_prefix(mount, "revoked");
    ctx.txn.scan(meta_prefix, [&](std::string_view key, std::string_view value) {
        CertSummary c;
        std::string_view serial = key.substr(meta_prefix.size());
        if (!parse_cert_summary(serial, value, c)) return true;
        bool expired = c.not_after <= ctx.now;
        if (filter.expired && !expired) return true;
        if (within >= 0 && (expired || c.not_after - ctx.now > within)) return true;
        if (!issuer_filter.empty() && c.issuer_id != issuer_filter) return true;
        if (!name_glob.empty()) {
            bool hit = policy::glob_match(name_glob, util::to_lower(c.common_name));
            for (const auto& s : c.sans) hit = hit || policy::glob_match(name_glob, util::to_lower(s));
            if (!hit) return true;
        }
        int64_t revoked_at = 0;
        if (auto rev = ctx.txn.get(revoked_prefix + std::string(serial))) {
            RevokedEntry e;
            if (parse_revoked(serial, *rev, e)) revoked_at = e.revocation_time;
        }
        if (filter.revoked && !revoked_at) return true;
        if (within >= 0 && revoked_at) return true;  // "expiring" means still valid
        auto in = issuer_names.find(c.issuer_id);
        // Moved field by field: a million rows make this the inventory's hot loop.
        InventoryRow& row = rows.emplace_back();
        row.serial_number = std::move(c.serial);
        row.common_name = std::move(c.common_name);
        row.sans = std::move(c.sans);
        row.not_after = c.not_after;
        row.issuer_id = std::move(c.issuer_id);
        if (in != issuer_names.end()) row.issuer_name = in->second;
        row.state = revoked_at ? InventoryState::Revoked : expired ? InventoryState::Expired : InventoryState::Valid;
        row.revocation_time = revoked_at;
        return true;
    });
    return rows;
}

}  // namespace pki::engine
