#pragma once
// Revocation and CRLs: one CRL per issuer (issuers sharing subject and key share one), rebuilt
// in the same transaction as the change that needs it.
#include <string>
#include <vector>

#include "api/request.hpp"
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

api::Response revoke(Context& ctx);
api::Response read_crl_config(Context& ctx);
api::Response write_crl_config(Context& ctx);
api::Response rotate_crls(Context& ctx);
api::Response read_crl_json(Context& ctx);      // cert/crl: PEM in "certificate"
api::Response read_crl_der(Context& ctx);       // crl
api::Response read_crl_pem(Context& ctx);       // crl/pem
api::Response read_issuer_crl(Context& ctx);    // issuer/:ref/crl: PEM in "crl"
api::Response read_issuer_crl_der(Context& ctx);
api::Response read_issuer_crl_pem(Context& ctx);
api::Response list_revoked(Context& ctx);
// The default issuer's CRL as PEM (for cert/crl on cert/:serial).
std::string default_crl_pem(const Context& ctx);

}  // namespace pki::engine
