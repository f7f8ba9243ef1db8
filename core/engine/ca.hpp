#pragma once
// The CA lifecycle: generating roots and intermediate CSRs, cross-signing, signing intermediates
// and self-issued certificates, installing signed intermediates, importing CA bundles, and
// deleting every issuer of a mount. Each operation takes typed parameters and returns what it
// made; encoding it (format, private_key_format) is the caller's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"

namespace pki::engine {

// The key of a new root or CSR. What only the request can get wrong is refused where the
// operation comes to the key, after the subject, SAN and validity checks, as it always was.
struct CaKeyRequest {
    std::optional<KeySource> source;  // nullopt: `type` is none of internal, exported, existing (refused)
    std::string type;                 // the :type as given, for messages
    std::string key_ref = "default";  // Existing: id, name or "default" ("" means "default")
    std::string key_name;             // a generated key's name
    KeySpec spec;                     // a generated key: key_type / key_bits as requested, normalized when used
    bool key_type_given = false;      // Existing: a given key_type / key_bits is ignored, with a warning
    bool key_bits_given = false;
    std::string managed_key_name;     // Managed: the managed key, by name or by id
    std::string managed_key_id;
};

// root/generate/:type (and issuers/generate/root/:type).
struct RootRequest {
    CaKeyRequest key;
    std::string issuer_name;
    x509::Subject subject;  // common_name required
    SanRequest sans;
    // ttl or not_after.
    ValidityRequest validity;
    CaConstraints constraints;
    // Key usages of the root (reference names): CertSign required; CRLSign and DigitalSignature
    // (for signing OCSP responses itself) allowed.
    std::vector<std::string> key_usage{"CertSign", "CRLSign"};
    int signature_bits = 0;  // RSA: 256, 384, 512 (0: SHA-256); ECDSA follows its curve
};
struct GeneratedCa {
    Issuer issuer;
    crypto::Cert certificate;
    KeyEntry key;
    crypto::PKey exported;  // the private key, set only for KeySource::Exported
};
GeneratedCa generate_root(Context& ctx, const RootRequest& req);

// intermediate/generate/:type (and its aliases) and intermediate/cross-sign (KeySource::Existing).
struct CsrRequest {
    CaKeyRequest key;
    x509::Subject subject;
    SanRequest sans;
    bool add_basic_constraints = false;
    bool ttl_given = false;  // a CSR has no lifetime: a warning says so
    // Key usages the CSR asks for (reference names), when given: CertSign required, CRLSign and
    // DigitalSignature allowed. Empty: the CSR asks for none (the signer sets them).
    std::vector<std::string> key_usage;
    int signature_bits = 0;  // the CSR's own signature, as for RootRequest
};
struct GeneratedCsr {
    crypto::Req csr;
    KeyEntry key;
    crypto::PKey exported;  // set only for KeySource::Exported
};
GeneratedCsr generate_intermediate(Context& ctx, const CsrRequest& req);

// What the CA-signing paths return: the new certificate, the signing issuer's certificate and chain.
struct SignedCa {
    crypto::Cert certificate;
    std::string issuing_ca;             // PEM
    std::vector<std::string> ca_chain;  // PEM: the signing issuer, then its parents
};

// root/sign-intermediate and issuer/:issuer_ref/sign-intermediate. The certificate is stored.
struct SignIntermediateRequest {
    std::string issuer_ref = "default";
    std::string csr;  // PEM
    x509::Subject subject;  // unless use_csr_values; the CSR's common name when none is given
    SanRequest sans;        // unless use_csr_values
    ValidityRequest validity;  // as RootRequest::validity
    CaConstraints constraints;
    bool use_csr_values = false;  // subject, extensions and key usages from the CSR
    int signature_bits = 0;
};
SignedCa sign_intermediate(Context& ctx, const SignIntermediateRequest& req);

// root/sign-self-issued and issuer/:issuer_ref/sign-self-issued (ca_chain is left empty).
struct SelfIssuedRequest {
    std::string issuer_ref = "default";
    std::string certificate;  // PEM
    bool require_matching_certificate_algorithms = false;
};
SignedCa sign_self_issued(Context& ctx, const SelfIssuedRequest& req);

// What an import added: issuers and keys (ids, in the bundle's order) and, for every certificate
// of the bundle, its issuer's id mapped to that issuer's key id ("" when the mount has no key).
struct ImportResult {
    std::vector<std::string> imported_issuers;
    std::vector<std::string> imported_keys;
    std::map<std::string, std::string> mapping;
};
// PEM certificates (CA only) and, when `allow_keys`, private keys; `field` names the input in
// messages. A bundle with nothing new is a warning.
ImportResult import_pem(Context& ctx, const std::string& pem, bool allow_keys, const char* field);
// issuers/import/bundle and config/ca: certificates and keys (pem_bundle).
ImportResult import_bundle(Context& ctx, const std::string& pem_bundle);
// issuers/import/cert: certificates only (pem_bundle).
ImportResult import_cert(Context& ctx, const std::string& pem_bundle);
// intermediate/set-signed: the signed certificate and any chain; a new issuer without its key is
// a warning.
ImportResult set_signed(Context& ctx, const std::string& certificate);

// DELETE root: every issuer, key and CRL of the mount, and the default issuer and key.
void delete_root(Context& ctx);

}  // namespace pki::engine
