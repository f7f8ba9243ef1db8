#pragma once
// The certificate inventory: serial, names, expiry, issuer and revocation state of every stored
// certificate, filtered. Reads only the compact summaries, never the certificates.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

// Which certificates to list; every filter given must hold.
struct InventoryFilter {
    std::optional<int64_t> expiring_within;  // seconds: still valid (not revoked) and expiring within this
    bool expired = false;                    // only expired ones
    bool revoked = false;                    // only revoked ones
    std::string name;                        // glob (* matches anything) on the common name or a SAN, any case; "": any
    std::string issuer;                      // issuer id, name or "default"; "": any
};

enum class InventoryState { Valid, Expired, Revoked };
std::string_view inventory_state_name(InventoryState s);  // "valid", "expired", "revoked"

struct InventoryRow {
    std::string serial_number;
    std::string common_name;
    std::vector<std::string> sans;
    int64_t not_after = 0;  // Unix seconds
    std::string issuer_id;
    std::string issuer_name;  // "" when the issuer has none (or is gone)
    InventoryState state = InventoryState::Valid;
    int64_t revocation_time = 0;  // 0 unless revoked
};

// certs/inventory: the matching certificates in serial order. Error(NotFound) for an unknown issuer.
std::vector<InventoryRow> inventory(Context& ctx, const InventoryFilter& filter);

}  // namespace pki::engine
