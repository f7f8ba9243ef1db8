#pragma once
// Building and signing certificates and CSRs. Time and serial numbers come in as arguments,
// so the same inputs always give the same to-be-signed certificate.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/handles.hpp"

namespace pki::x509 {

struct Subject {
    std::string common_name;
    std::vector<std::string> ou, organization, country, locality, province, street_address, postal_code;
    std::string serial_number;
};
crypto::Name build_name(const Subject& subject);

struct Sans {
    std::vector<std::string> dns, email, ip, uri;
    std::vector<std::pair<std::string, std::string>> other;  // (oid, UTF-8 value)
    bool empty() const { return dns.empty() && email.empty() && ip.empty() && uri.empty() && other.empty(); }
};
crypto::GeneralNames build_general_names(const Sans& sans);  // Error(Invalid) for a bad IP or OID

struct Urls {
    std::vector<std::string> issuing_certificates, crl_distribution_points, ocsp_servers;
    std::vector<std::string> delta_crl_distribution_points;  // the Freshest CRL extension (RFC 5280 4.2.1.15)
};

struct CertSpec {
    const X509_NAME* subject = nullptr;
    EVP_PKEY* public_key = nullptr;
    // Write the SubjectPublicKeyInfo from the key's parameters (fast; see set_public_key): for
    // leaves that are encoded and returned, never asked for their key in this process.
    bool public_key_direct = false;
    std::vector<unsigned char> serial;
    int64_t not_before = 0;
    int64_t not_after = 0;
    bool ca = false;
    int max_path_len = -1;                      // CA only; -1 means no limit
    bool basic_constraints_for_non_ca = false;  // leaf: add CA:FALSE basic constraints
    std::vector<std::string> key_usage;         // OpenSSL names: digitalSignature, keyCertSign ...
    std::vector<std::string> ext_key_usage;     // OIDs in dotted form
    bool ext_key_usage_critical = false;        // time stamping (RFC 3161 2.3)
    bool ocsp_no_check = false;                 // id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1)
    Sans sans;
    std::vector<std::string> permitted_dns_domains;
    Urls urls;
    std::vector<std::string> policy_oids;  // dotted OIDs, or canonical_policy_identifier() objects
    // Extensions copied as they are (from a CSR); those the spec sets itself take precedence.
    const STACK_OF(X509_EXTENSION)* copy_extensions = nullptr;
};

// The digest for a signer: SHA-256 for RSA unless signature_bits says 384/512, the curve's own
// hash for EC, none for Ed25519.
const EVP_MD* digest_for(EVP_PKEY* signer, int signature_bits);

// Who signs: the issuer's subject name and key identifier (raw bytes). A null subject means
// self-signed: the certificate's own subject and key identifier.
struct Signer {
    const X509_NAME* subject = nullptr;
    std::string key_id;
};
// The signer description of a CA certificate: its subject and its subject key identifier (or,
// when it has none, the SHA-1 of its public key, as RFC 5280 4.2.1.2 method 1 derives it).
Signer signer_of(X509* ca_cert);
// Set the certificate's SubjectPublicKeyInfo from the key's public parameters, without OpenSSL's encoder
// round trip (EC and Ed25519; RSA the general way). X509_get0_pubkey() then gives NULL.
void set_public_key(X509* cert, EVP_PKEY* key);
std::string key_identifier(X509* cert);

// Sign `spec` with `signer_key` as `signer`. Only the issuer's name and key identifier are
// needed, not its certificate.
crypto::Cert sign_certificate(const CertSpec& spec, const Signer& signer, EVP_PKEY* signer_key, int signature_bits = 0);

// Re-sign a self-issued certificate as issued by `issuer`: only the issuer name, the authority
// key identifier and the distribution points change.
crypto::Cert resign_certificate(X509* cert, X509* issuer, EVP_PKEY* signer, const Urls& urls);

struct CsrSpec {
    const X509_NAME* subject = nullptr;
    Sans sans;
    bool add_basic_constraints = false;
    std::vector<std::string> key_usage;  // OpenSSL names; empty: no key usage extension
};
// Error(Invalid) unless `bits` is a signature_bits value pki takes: 0 (automatic), 256, 384, 512.
void check_signature_bits(int bits);
crypto::Req make_csr(const CsrSpec& spec, EVP_PKEY* key, int signature_bits = 0);  // signature_bits: as digest_for

// Key usage names as the reference spells them (Go's KeyUsage without the prefix, any case)
// to OpenSSL's names; Error(Invalid) for unknown names.
std::vector<std::string> key_usage_names(const std::vector<std::string>& reference_names);
// The first usage among `usages` (OpenSSL names) that only a CA certificate may have, by its
// reference name ("CertSign", "CRLSign"); nullopt when there is none.
std::optional<std::string> ca_only_usage(const std::vector<std::string>& usages);
// Extended key usage names (ServerAuth, ClientAuth ...) to dotted OIDs.
std::string ext_key_usage_oid(const std::string& reference_name);

// A policy_identifiers entry given as a JSON object, Vault's {"oid": ..., "cps": ..., "notice": ...}:
// its compact canonical text (oid first, only the members given), or Error(Invalid) naming what is
// wrong (a bad OID, a CPS that is not an ASCII URI, a notice beyond RFC 5280's 200 characters,
// another member).
std::string canonical_policy_identifier(std::string_view json_text);

}  // namespace pki::x509
