#pragma once
// Issuers of a mount: generated roots, signed intermediates, imported CA certificates; the
// default issuer; chain building; the CA endpoints (roots, intermediates, import, reads).
#include <optional>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"

namespace pki::engine {

struct Issuer {
    std::string id;
    std::string name;
    std::string key_id;  // "" when the mount does not hold the key
    std::string certificate;
    LeafNotAfter leaf_not_after_behavior = LeafNotAfter::Err;
    std::vector<std::string> manual_chain;
    IssuerUsage usage = IssuerUsage::all();
    std::vector<std::string> ca_chain;  // computed: this certificate, then its parents
    int64_t created = 0;
    // Cached from the certificate when the issuer is created, so signing never parses it.
    std::string subject_der;
    std::string key_identifier;  // raw bytes
    int64_t not_after = 0;

    bool can(IssuerUse u) const { return usage.has(u); }
    crypto::Cert cert() const;
};

// What signing with an issuer needs of its certificate, without parsing it.
struct SignerInfo {
    crypto::Name subject;
    x509::Signer signer;  // borrows `subject`
    int64_t not_after = 0;
};
SignerInfo signer_info(const Issuer& issuer);

std::vector<Issuer> all_issuers(const store::Txn& txn, const std::string& mount);
std::optional<Issuer> find_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref);
Issuer require_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref);
std::string default_issuer_id(const store::Txn& txn, const std::string& mount);
// An issuer allowed to sign certificates, with its key: refusals name the issuer and the fix.
Issuer signing_issuer(const Context& ctx, const std::string& ref);
// Attach keys to key-less issuers whose public key they hold.
void link_issuer_keys(Context& ctx);

api::Response list_issuers(Context& ctx);
api::Response read_issuer(Context& ctx);
api::Response write_issuer(Context& ctx);
api::Response patch_issuer(Context& ctx);
api::Response delete_issuer(Context& ctx);
api::Response read_issuer_json(Context& ctx);
api::Response read_issuer_der(Context& ctx);
api::Response read_issuer_pem(Context& ctx);
api::Response read_issuers_config(Context& ctx);
api::Response write_issuers_config(Context& ctx);

api::Response read_ca_der(Context& ctx);
api::Response read_ca_pem(Context& ctx);
api::Response read_ca_chain_pem(Context& ctx);
api::Response read_cert(Context& ctx);        // cert/:serial, with the special serials ca and ca_chain
api::Response read_cert_raw(Context& ctx);    // cert/:serial/raw
api::Response read_cert_raw_pem(Context& ctx);
api::Response list_certs(Context& ctx);

}  // namespace pki::engine
