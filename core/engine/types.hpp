#pragma once
// The typed vocabulary of the engine's operations. The api layer parses request fields into these
// once, at the edge (a format is a CertFormat, never a string compared again), and renders what
// operations return; nothing here knows fields, paths or the Vault response envelope.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.hpp"
#include "x509/build.hpp"

namespace pki::engine {

// Encoding of returned certificates, CSRs and keys (format): PEM, base64 DER, or PEM followed by
// the rest of the bundle (chain, private key).
enum class CertFormat { Pem, Der, PemBundle };
std::optional<CertFormat> parse_cert_format(std::string_view name);

using crypto::KeySpec;
using crypto::KeyType;
using crypto::PrivateKeyFormat;

// What happens to a leaf that would outlive its issuer (issuer leaf_not_after_behavior).
enum class LeafNotAfter { Err, Truncate, Permit };
std::string_view leaf_not_after_name(LeafNotAfter b);
std::optional<LeafNotAfter> parse_leaf_not_after(std::string_view name);

// What an issuer may be used for (issuer usage), as a set of flags.
enum class IssuerUse : unsigned { ReadOnly = 1, IssuingCertificates = 2, CrlSigning = 4, OcspSigning = 8 };
struct IssuerUsage {
    unsigned bits = 0;
    bool has(IssuerUse u) const { return bits & static_cast<unsigned>(u); }
    void add(IssuerUse u) { bits |= static_cast<unsigned>(u); }
    static IssuerUsage all() { return IssuerUsage{15}; }
};
// "read-only", "issuing-certificates", "crl-signing", "ocsp-signing" in that order, as stored and shown.
std::vector<std::string> issuer_usage_names(IssuerUsage u);
// Error(Invalid) naming the unknown usage.
IssuerUsage parse_issuer_usage(const std::vector<std::string>& names);

// Where the key of a new CA comes from (the :type of root/generate and intermediate/generate).
enum class KeySource {
    Internal,  // generated, kept in the mount
    Exported,  // generated, kept, and returned once
    Existing,  // a key of the mount (key_ref)
    Managed,   // type kms: a managed key on a PKCS#11 token (managed_key_name / managed_key_id)
};

// Names requested beside the subject: alt_names, ip_sans, uri_sans, other_sans.
struct SanRequest {
    std::vector<std::string> alt_names;  // host names and e-mail addresses, as given
    std::vector<std::string> ip_sans;
    std::vector<std::string> uri_sans;
    std::vector<std::string> other_sans;  // OID;UTF8:value
    bool exclude_cn_from_sans = false;
};

// Requested validity: a ttl or an absolute not_after (never both), and how far to backdate. A
// not_after given as text that is not a UTC time has not_after unset: the operation refuses it
// where it works out the validity (validity_from_request), after the checks that come first.
struct ValidityRequest {
    int64_t ttl = 0;                    // seconds; 0: not given
    std::optional<int64_t> not_after;   // Unix seconds
    std::string not_after_text;         // as given ("": not given), for messages
    int64_t not_before_duration = 30;   // seconds
};

// Constraints written into a CA certificate.
struct CaConstraints {
    int64_t max_path_length = -1;  // -1: none
    std::vector<std::string> permitted_dns_domains;
};

// How a certificate, and what comes with it, is returned.
struct OutputFormat {
    CertFormat format = CertFormat::Pem;
    PrivateKeyFormat private_key_format = PrivateKeyFormat::Der;
};

}  // namespace pki::engine
