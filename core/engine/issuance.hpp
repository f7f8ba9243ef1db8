#pragma once
// What every signing path shares: subject and SAN fields, validity, output formats, the
// certificate store and serial numbers.
#include <cstdint>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "engine/engine.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"

namespace pki::engine {

using Json = nlohmann::json;

struct Validity {
    int64_t not_before = 0;
    int64_t not_after = 0;
};

x509::Subject subject_from_fields(const api::Fields& f);
// alt_names (split into DNS names and e-mail addresses), ip_sans, uri_sans, other_sans; the
// common name is added (to DNS or e-mail) unless exclude_cn_from_sans. DNS names are IDNA-encoded.
x509::Sans sans_from_fields(const api::Fields& f, const std::string& common_name);
// The SANs of a request: alt_names (split into DNS names and e-mail addresses), ip_sans,
// uri_sans, other_sans; the common name is added (to DNS or e-mail) unless exclude_cn_from_sans.
// DNS names are IDNA-encoded.
x509::Sans sans_from_request(const SanRequest& r, const std::string& common_name);
// The validity of a request: not_after when given (refused when past), else ttl, else
// `default_ttl`; `max_ttl` caps ttl with a warning in ctx.warnings. ttl and not_after together
// are refused.
Validity validity_from_request(Context& ctx, const ValidityRequest& r, int64_t default_ttl, int64_t max_ttl);

// How a name becomes a SAN: e-mail when it has an '@', else DNS (in its IDNA form).
enum class SanMode {
    CommonName,  // only when it is a host name (a CN such as "My CA" stays out of the SANs)
    Checked,     // must be a host name or an e-mail address (CA generation: no role judges it)
    AsGiven,     // as Vault does for alt_names under a role: the role's policy judges it afterwards
};
void add_name_san(x509::Sans& sans, const std::string& name, SanMode mode);

// ttl / not_after / not_before_duration from the fields. `default_ttl` applies when neither is
// given; `max_ttl` caps ttl (a warning, not an error). ttl and not_after together are an error.
Validity validity_from_fields(const Context& ctx, int64_t default_ttl, int64_t max_ttl, std::vector<std::string>& warnings,
                              int64_t not_before_duration);

// A new serial number, unique in the mount's certificate store.
std::vector<unsigned char> new_serial(const Context& ctx);
// What the inventory shows of a stored certificate, kept beside it under
// "<mount>/certmeta/<serial>" as "v1 <not_after> <issuer_id> <common name>\t<san,san,...>".
struct CertSummary {
    std::string serial;
    std::string common_name;
    std::vector<std::string> sans;
    int64_t not_after = 0;
    std::string issuer_id;
};
std::string format_cert_summary(const CertSummary& c);
bool parse_cert_summary(std::string_view serial, std::string_view value, CertSummary& out);

// Store an issued certificate (and its summary) under its serial; `pem`, when given, is its PEM.
void store_certificate(Context& ctx, X509* cert, const std::string& issuer_id, const std::string& pem = {});

// Write a certificate into `data[field]` in the requested format: "pem", "der" (base64 DER),
// "pem_bundle" (PEM, the caller appends the rest).
std::string encode_cert(X509* cert, const std::string& format);
std::string encode_csr(X509_REQ* req, const std::string& format);
std::string encode_private_key(EVP_PKEY* key, const std::string& format, const std::string& private_key_format);
void check_format(const std::string& format);

// config/urls of the mount.
x509::Urls load_urls(const store::Txn& txn, const std::string& mount);
// config/urls write: the lists to replace, each left alone when unset (an empty one clears it).
struct UrlsUpdate {
    std::optional<std::vector<std::string>> issuing_certificates, crl_distribution_points, ocsp_servers;
};
x509::Urls read_urls(Context& ctx);
x509::Urls write_urls(Context& ctx, const UrlsUpdate& update);  // the URLs as stored after

}  // namespace pki::engine
