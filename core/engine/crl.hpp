#pragma once
// Revocation and CRLs: one CRL per issuer (issuers sharing subject and key share one). Without
// auto_rebuild a CRL is rebuilt in the same transaction as the change that needs it; with it, a
// revocation only marks the CRL stale and records the entry for the delta CRL, and the CRLs are
// rebuilt when they are due (rebuild_due_crls: pki serve's schedule, a local read of a CRL).
// OCSP answers from the revoked entries themselves.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"

namespace pki::engine {

// config/crl, with Vault 1.12's fields and defaults.
struct CrlConfig {
    int64_t expiry = 72 * 3600;
    bool disable = false;
    bool ocsp_disable = false;
    int64_t ocsp_expiry = 12 * 3600;  // 0: responses carry no nextUpdate
    bool auto_rebuild = false;
    int64_t auto_rebuild_grace_period = 12 * 3600;
    bool enable_delta = false;
    int64_t delta_rebuild_interval = 15 * 60;
};
CrlConfig load_crl_config(const store::Txn& txn, const std::string& mount);

// Issuers sharing subject and key share one CRL; this names their group.
std::string crl_group(X509* cert);
// After an issuer is deleted: rebuild its group's CRL, or drop it when no member is left.
void crl_after_issuer_deleted(Context& ctx, X509* deleted_cert);

// Rebuild the CRL that `issuer_id` signs (its group); warnings say when it cannot sign one.
void rebuild_crl(Context& ctx, const std::string& issuer_id, std::vector<std::string>* warnings);
void rebuild_all_crls(Context& ctx, std::vector<std::string>* warnings);

// Revoked entries: "<mount>/revoked/<serial>" -> [revocation_time, not_after, issuer_id, reason?].
struct RevokedEntry {
    std::string serial;
    int64_t revocation_time = 0;
    int64_t not_after = 0;
    std::string issuer_id;
    int reason = -1;  // RFC 5280 CRLReason code; -1: none given
};
bool parse_revoked(std::string_view key_prefix_stripped_serial, std::string_view value, RevokedEntry& out);
std::string format_revoked(const RevokedEntry& e);

// revoke: a stored certificate by serial number, or any certificate of the mount's issuers by
// its PEM (then a serial number, when given too, must be its own).
struct RevokeRequest {
    std::string serial_number;  // as given: colon- or hyphen-separated hex, any case; "" when not given
    std::string certificate;    // PEM; "" (or blank) when not given
    std::string reason;         // an RFC 5280 reason name (keyCompromise ...); "" for none
};
enum class RevokeOutcome {
    Revoked,         // revoked now (and its CRL rebuilt, or marked stale under auto_rebuild)
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
    std::optional<bool> ocsp_disable;
    std::optional<int64_t> ocsp_expiry;  // seconds; 0 or more
    std::optional<bool> auto_rebuild;
    std::optional<int64_t> auto_rebuild_grace_period;
    std::optional<bool> enable_delta;
    std::optional<int64_t> delta_rebuild_interval;
};
CrlConfig read_crl_config(Context& ctx);
CrlConfig write_crl_config(Context& ctx, const CrlConfigUpdate& update);
// crl/rotate: rebuild every CRL (warnings to ctx.warnings).
void rotate_crls(Context& ctx);
// crl/rotate-delta: rebuild every delta CRL (a warning when delta CRLs are off: nothing to do).
void rotate_delta_crls(Context& ctx);

// The CRLs that are due under auto_rebuild: a complete CRL within its grace period of nextUpdate
// (or past it); a delta CRL that lacks revocations and whose rebuild interval has passed. For a
// local reader (`on_read`, the CLI without a server) a CRL that lacks revocations is due at once:
// the delta when delta CRLs are on, the complete CRL otherwise.
bool crls_due(const Context& ctx, bool on_read);
void rebuild_due_crls(Context& ctx, bool on_read);

// The complete CRL, or the delta CRL, an issuer signs: by id, name or "default" (cert/crl, crl,
// crl/pem and their delta forms read the default issuer's). Error(NotFound) when it has none.
enum class CrlKind { Complete, Delta };
std::string read_crl_der(const Context& ctx, const std::string& issuer_ref = "default", CrlKind kind = CrlKind::Complete);
std::string read_crl_pem(const Context& ctx, const std::string& issuer_ref = "default", CrlKind kind = CrlKind::Complete);  // no final newline

// OCSP (RFC 6960): the DER response to a DER request, signed by the issuer of the certificates
// asked about; a malformed request gets Error(Invalid), OCSP turned off Error(Forbidden).
std::string answer_ocsp(const Context& ctx, std::string_view request_der);
// config/ocsp: delegated OCSP responders (RFC 6960 4.2.2.2). A responder certificate issued by an
// issuer of the mount, with the OCSPSigning extended key usage and its key held by the mount,
// signs the answers for that issuer (and the issuers sharing its subject and key) while it is
// valid; outside its validity the issuer signs them itself.
struct OcspResponder {
    std::string issuer_id;    // the issuer that signed the responder certificate
    std::string key_id;       // the mount's key for it
    std::string certificate;  // PEM
    int64_t not_after = 0;
};
std::vector<OcspResponder> read_ocsp_responders(Context& ctx);
// Error(Invalid) naming what the certificate lacks; replaces the responder of that issuer.
OcspResponder write_ocsp_responder(Context& ctx, const std::string& certificate_pem);
void delete_ocsp_responders(Context& ctx);  // every issuer signs its own answers again

// The response for one serial number of the mount (pki ocsp --serial), signed by its issuer.
std::string answer_ocsp_serial(const Context& ctx, const std::string& serial);

// certs/revoked: the serial numbers of the revoked entries, in store order.
std::vector<std::string> list_revoked(const Context& ctx);

}  // namespace pki::engine
