#pragma once
// What every signing path shares: SANs and validity from a request, the certificate store,
// serial numbers and config/urls.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/records.hpp"
#include "engine/types.hpp"
#include "x509/build.hpp"

namespace pki::engine {

struct Validity {
    int64_t not_before = 0;
    int64_t not_after = 0;
};

// The SANs of a request: alt_names (split into DNS names and e-mail addresses), ip_sans,
// uri_sans, other_sans; the common name is added (to DNS or e-mail) unless exclude_cn_from_sans.
// DNS names are IDNA-encoded.
x509::Sans sans_from_request(const SanRequest& r, const std::string& common_name);
// The validity of a request: not_after when given (refused when past or not a time), else ttl,
// else `default_ttl`; `max_ttl` caps ttl with a warning in ctx.warnings. ttl and not_after
// together are refused.
Validity validity_from_request(Context& ctx, const ValidityRequest& r, int64_t default_ttl, int64_t max_ttl);

// How a name becomes a SAN: e-mail when it has an '@', else DNS (in its IDNA form).
enum class SanMode {
    CommonName,  // only when it is a host name (a CN such as "My CA" stays out of the SANs)
    Checked,     // must be a host name or an e-mail address (CA generation: no role judges it)
    AsGiven,     // as Vault does for alt_names under a role: the role's policy judges it afterwards
};
void add_name_san(x509::Sans& sans, const std::string& name, SanMode mode);
// DNS and e-mail SANs in Vault's order: sorted byte-wise, each once (its RemoveDuplicates).
void sort_name_sans(x509::Sans& sans);
// A common name that is a host name, in its IDNA A-label form ("bücher.example.com" ->
// "xn--bcher-kva.example.com"); any other name as it is.
std::string ascii_host_name(const std::string& name);

// A new serial number, unique in the mount's certificate store.
std::vector<unsigned char> new_serial(const Context& ctx);
// What the inventory shows of a stored certificate, kept beside it under
// "<mount>/certmeta/<serial>" (a record of the codec; the "v1 ..." text of earlier versions is
// still read).
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

// config/urls of the mount.
x509::Urls load_urls(const store::Txn& txn, const std::string& mount);
// config/urls write: the lists to replace, each left alone when unset (an empty one clears it).
struct UrlsUpdate {
    std::optional<std::vector<std::string>> issuing_certificates, crl_distribution_points, ocsp_servers, delta_crl_distribution_points;
};
// config/urls as stored and as the API shows it.
Json urls_json(const x509::Urls& u);
x509::Urls read_urls(Context& ctx);
x509::Urls write_urls(Context& ctx, const UrlsUpdate& update);  // the URLs as stored after

}  // namespace pki::engine
