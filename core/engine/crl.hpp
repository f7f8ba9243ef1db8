#pragma once
// Revocation and CRLs: one CRL per issuer (issuers sharing subject and key share one), rebuilt
// in the same transaction as the change that needs it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

struct CrlConfig {
    int64_t expiry = 72 * 3600;
    bool disable = false;
};
CrlConfig load_crl_config(const store::Txn& txn, const std::string& mount);

// Issuers sharing subject and key share one CRL; this names their group.
std::string crl_group(X509* cert);
// After an issuer is deleted: rebuild its group's CRL, or drop it when no member is left.
void crl_after_issuer_deleted(Context& ctx, X509* deleted_cert);

// Rebuild the CRL that `issuer_id` signs (its group); warnings say when it cannot sign one.
void rebuild_crl(Context& ctx, const std::string& issuer_id, std::vector<std::string>* warnings);
void rebuild_all_crls(Context& ctx, std::vector<std::string>* warnings);

// Revoked entries: "<mount>/revoked/<serial>" -> "v1 <revocation_time> <not_after> <issuer_id>".
struct RevokedEntry {
    std::string serial;
    int64_t revocation_time = 0;
    int64_t not_after = 0;
    std::string issuer_id;
};
bool parse_revoked(std::string_view key_prefix_stripped_serial, std::string_view value, RevokedEntry& out);
std::string format_revoked(const RevokedEntry& e);

// revoke: a stored certificate by serial number, or any certificate of the mount's issuers by
// its PEM (then a serial number, when given too, must be its own).
struct RevokeRequest {
    std::string serial_number;  // as given: colon- or hyphen-separated hex, any case; "" when not given
    std::string certificate;    // PEM; "" (or blank) when not given
};
enum class RevokeOutcome {
    Revoked,         // revoked now (and its CRL rebuilt)
    AlreadyRevoked,  // revoked before: revocation_time is the first revocation's
    Expired,         // expired already: not revoked, revocation_time 0
};
struct Revoked {
    RevokeOutcome outcome = RevokeOutcome::Revoked;
    std::string serial;           // normalised
    int64_t revocation_time = 0;  // Unix seconds
};
// Warnings (already revoked, expired, a CRL that cannot be signed) go to ctx.warnings.
Revoked revoke(Context& ctx, const RevokeRequest& req);

// config/crl. A write changes what it is given, keeps the rest, and rebuilds every CRL
// (warnings to ctx.warnings); it returns the configuration now in force.
struct CrlConfigUpdate {
    std::optional<int64_t> expiry;  // seconds; must be positive
    std::optional<bool> disable;
};
CrlConfig read_crl_config(Context& ctx);
CrlConfig write_crl_config(Context& ctx, const CrlConfigUpdate& update);
// crl/rotate: rebuild every CRL (warnings to ctx.warnings).
void rotate_crls(Context& ctx);

// The default issuer's CRL (cert/crl, crl, crl/pem); Error(NotFound) when it has none.
std::string read_crl_der(const Context& ctx);
std::string default_crl_pem(const Context& ctx);  // PEM, without a final newline
// An issuer's CRL (issuer/:ref/crl...), the issuer by id, name or "default".
std::string read_issuer_crl_der(const Context& ctx, const std::string& issuer_ref);
std::string read_issuer_crl_pem(const Context& ctx, const std::string& issuer_ref);  // without a final newline
// certs/revoked: the serial numbers of the revoked entries, in store order.
std::vector<std::string> list_revoked(const Context& ctx);

}  // namespace pki::engine
