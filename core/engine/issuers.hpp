#pragma once
// Issuers of a mount: generated roots, signed intermediates, imported CA certificates; the
// default issuer; chain building; the CA endpoints (roots, intermediates, import, reads).
#include <optional>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"
#include "x509/constraints.hpp"

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
    // The name constraints of this issuer and of the CAs above it in ca_chain, one entry per CA
    // that has some; set by signing_issuer (parsed once per stored version of the issuer).
    std::shared_ptr<const std::vector<x509::NameConstraints>> name_constraints;

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
// The same, each parsed once per stored version (the service's cache), for paths that read
// every issuer on each request (OCSP). Without name_constraints: not for signing.
std::vector<std::shared_ptr<const Issuer>> all_issuers_cached(const Context& ctx);
std::optional<Issuer> find_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref);
Issuer require_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref);
std::string default_issuer_id(const store::Txn& txn, const std::string& mount);
// An issuer allowed to sign certificates, with its key: refusals name the issuer and the fix.
Issuer signing_issuer(const Context& ctx, const std::string& ref);
// Attach keys to key-less issuers whose public key they hold.
void link_issuer_keys(Context& ctx);

// issuers (LIST): every issuer of the mount.
std::vector<Issuer> list_issuers(Context& ctx);
// issuer/:issuer_ref (read, and its json, der and pem forms): by id, name or "default".
Issuer read_issuer(Context& ctx, const std::string& ref);

// issuer/:issuer_ref write and patch: the settings to change, each left alone when unset (a
// write sets them all, the absent ones to their defaults).
struct IssuerUpdate {
    std::optional<std::string> name;  // "" clears it
    std::optional<LeafNotAfter> leaf_not_after_behavior;
    std::optional<IssuerUsage> usage;  // read-only is always added; the issuer's CRL is rebuilt
    std::optional<std::vector<std::string>> manual_chain;  // issuer refs ("self": the issuer), itself first; empty: automatic
};
Issuer update_issuer(Context& ctx, const std::string& ref, const IssuerUpdate& update);  // the issuer as stored after
// Idempotent: an issuer not there is a warning. Its key stays; other manual chains drop it.
void delete_issuer(Context& ctx, const std::string& ref);

// config/issuers: the default issuer's id ("" when none); setting it returns the id.
std::string read_issuers_config(Context& ctx);
std::string write_issuers_config(Context& ctx, const std::string& default_ref);

// ca, ca/pem, ca_chain: the default issuer (Error(NotFound) with a hint when there is none).
Issuer read_ca(Context& ctx);

// A certificate as cert/:serial reads it.
struct StoredCert {
    std::string certificate;  // PEM (for cert/ca_chain the chain, for cert/crl the CRL)
    std::optional<std::vector<std::string>> ca_chain;  // cert/ca_chain only
    int64_t revocation_time = 0;  // Unix seconds; 0: not revoked
};
// cert/:serial, with the special serials ca, ca_chain and crl.
StoredCert read_cert(Context& ctx, const std::string& serial);
// cert/:serial/raw[/pem]: the stored certificate's PEM.
std::string read_cert_pem(Context& ctx, const std::string& serial);
// certs (LIST): the serial numbers of the store.
std::vector<std::string> list_certs(Context& ctx);

}  // namespace pki::engine
