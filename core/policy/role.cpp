#include "policy/role.hpp"

#include "crypto/keys.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "x509/build.hpp"

namespace pki::policy {

using Json = nlohmann::json;

namespace {

template <typename T>
void take(const Json& r, const char* key, T& into) {
    if (r.contains(key) && !r[key].is_null()) into = r[key].get<T>();
}

void refuse_identity_templates(const std::vector<std::string>& entries, const char* field) {
    for (const auto& e : entries)
        if (e.find("{{") != std::string::npos)
            fail(ErrorKind::Invalid,
                 "{} entry \"{}\" is a Vault identity template; pki has no identities to fill it from, so list the values explicitly",
                 field, e);
}

}  // namespace

bool valid_oid(const std::string& oid) { return is_oid(oid); }

Role role_from_json(const std::string& name, const Json& r) {
    Role role;
    role.name = name;
    take(r, "issuer_ref", role.issuer_ref);
    take(r, "ttl", role.ttl);
    take(r, "max_ttl", role.max_ttl);
    take(r, "allowed_domains", role.names.allowed_domains);
    take(r, "allow_bare_domains", role.names.allow_bare_domains);
    take(r, "allow_subdomains", role.names.allow_subdomains);
    take(r, "allow_glob_domains", role.names.allow_glob_domains);
    take(r, "allow_any_name", role.names.allow_any_name);
    take(r, "allow_localhost", role.names.allow_localhost);
    take(r, "enforce_hostnames", role.names.enforce_hostnames);
    take(r, "allow_wildcard_certificates", role.names.allow_wildcard_certificates);
    take(r, "allowed_domains_template", role.allowed_domains_template);
    take(r, "allow_ip_sans", role.allow_ip_sans);
    take(r, "allowed_uri_sans", role.allowed_uri_sans);
    take(r, "allowed_uri_sans_template", role.allowed_uri_sans_template);
    take(r, "allowed_other_sans", role.allowed_other_sans);
    take(r, "allowed_serial_numbers", role.allowed_serial_numbers);
    take(r, "server_flag", role.server_flag);
    take(r, "client_flag", role.client_flag);
    take(r, "code_signing_flag", role.code_signing_flag);
    take(r, "email_protection_flag", role.email_protection_flag);
    take(r, "key_type", role.key_type);
    take(r, "key_bits", role.key_bits);
    take(r, "signature_bits", role.signature_bits);
    take(r, "key_usage", role.key_usage);
    take(r, "ext_key_usage", role.ext_key_usage);
    take(r, "ext_key_usage_oids", role.ext_key_usage_oids);
    take(r, "use_csr_common_name", role.use_csr_common_name);
    take(r, "use_csr_sans", role.use_csr_sans);
    take(r, "ou", role.ou);
    take(r, "organization", role.organization);
    take(r, "country", role.country);
    take(r, "locality", role.locality);
    take(r, "province", role.province);
    take(r, "street_address", role.street_address);
    take(r, "postal_code", role.postal_code);
    take(r, "generate_lease", role.generate_lease);
    take(r, "no_store", role.no_store);
    take(r, "require_cn", role.require_cn);
    take(r, "policy_identifiers", role.policy_identifiers);
    take(r, "basic_constraints_valid_for_non_ca", role.basic_constraints_valid_for_non_ca);
    take(r, "not_before_duration", role.not_before_duration);
    take(r, "not_after", role.not_after);
    return role;
}

void validate_role(Json& r) {
    if (r.value("no_store", false)) r["generate_lease"] = false;  // the reference: no_store implies no lease
    int64_t ttl = r.value("ttl", int64_t{0}), max_ttl = r.value("max_ttl", int64_t{0});
    if (max_ttl > 0 && ttl > max_ttl)
        fail(ErrorKind::Invalid, "ttl ({}) cannot be longer than max_ttl ({}); lower ttl or raise max_ttl", util::format_duration(ttl),
             util::format_duration(max_ttl));
    std::string key_type = r.value("key_type", "rsa");
    int bits = r.value("key_bits", 0);
    if (key_type == "any") {
        if (bits != 0) fail(ErrorKind::Invalid, "key_bits must be 0 when key_type is any");
    } else {
        auto spec = crypto::normalize_key_spec(key_type, bits);
        r["key_type"] = std::string(spec.type_name());
        r["key_bits"] = spec.bits;
    }
    int sig = r.value("signature_bits", 0);
    if (sig != 0 && sig != 256 && sig != 384 && sig != 512)
        fail(ErrorKind::Invalid, "signature_bits {} is not supported; use 0 (automatic), 256, 384 or 512", sig);
    x509::key_usage_names(r.value("key_usage", std::vector<std::string>{}));
    for (const auto& e : r.value("ext_key_usage", std::vector<std::string>{})) x509::ext_key_usage_oid(e);
    for (const char* field : {"ext_key_usage_oids", "policy_identifiers"})
        for (const auto& oid : r.value(field, std::vector<std::string>{}))
            if (!valid_oid(oid)) fail(ErrorKind::Invalid, "{}: \"{}\" is not a dotted OID such as 1.3.6.1.4.1.311.21.8", field, oid);
    for (const auto& o : r.value("allowed_other_sans", std::vector<std::string>{}))
        if (o != "*" && !parse_other_san(o))
            fail(ErrorKind::Invalid, "allowed_other_sans: \"{}\" is not of the form OID;UTF8:value (UTF8 is the only type; the value may be a glob), or *", o);
    if (r.value("allowed_domains_template", false))
        refuse_identity_templates(r.value("allowed_domains", std::vector<std::string>{}), "allowed_domains");
    if (r.value("allowed_uri_sans_template", false))
        refuse_identity_templates(r.value("allowed_uri_sans", std::vector<std::string>{}), "allowed_uri_sans");
    std::string not_after = r.value("not_after", "");
    if (!not_after.empty() && !util::parse_utc_time(not_after))
        fail(ErrorKind::Invalid, "not_after \"{}\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ", not_after);
}

}  // namespace pki::policy
