#pragma once
// The role model: what a role allows, read from its stored record, and the checks that apply
// to a role when it is written.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/names.hpp"

namespace pki::policy {

struct Role {
    std::string name;
    std::string issuer_ref = "default";
    int64_t ttl = 0, max_ttl = 0;
    NamePolicy names;
    bool allowed_domains_template = false;
    bool allow_ip_sans = true;
    std::vector<std::string> allowed_uri_sans;
    bool allowed_uri_sans_template = false;
    std::vector<std::string> allowed_other_sans, allowed_serial_numbers;
    bool server_flag = true, client_flag = true, code_signing_flag = false, email_protection_flag = false;
    std::string key_type = "rsa";
    int key_bits = 2048;
    int signature_bits = 0;
    std::vector<std::string> key_usage{"DigitalSignature", "KeyAgreement", "KeyEncipherment"};
    std::vector<std::string> ext_key_usage, ext_key_usage_oids;
    bool use_csr_common_name = true, use_csr_sans = true;
    std::vector<std::string> ou, organization, country, locality, province, street_address, postal_code;
    bool generate_lease = false, no_store = false, require_cn = true;
    std::vector<std::string> policy_identifiers;
    bool basic_constraints_valid_for_non_ca = false;
    int64_t not_before_duration = 30;
    std::string not_after;
    std::string backend;                   // Vault's; stored, no effect
    bool allow_token_displayname = false;  // Vault's; stored, no effect
};

// Every setting of a role, by the name of its field (what roles/:name takes, stores and shows),
// in the order of the role's schema: f(name, member) for each, with `role` a Role or a const
// Role. The role's name is not a setting. The members are std::string, bool, int64_t (ttl,
// max_ttl, not_before_duration: seconds), int (key_bits, signature_bits) or a list of strings.
template <typename R, typename F>
void for_each_setting(R& role, F&& f) {
    f("issuer_ref", role.issuer_ref);
    f("ttl", role.ttl);
    f("max_ttl", role.max_ttl);
    f("allow_localhost", role.names.allow_localhost);
    f("allowed_domains", role.names.allowed_domains);
    f("allowed_domains_template", role.allowed_domains_template);
    f("allow_bare_domains", role.names.allow_bare_domains);
    f("allow_subdomains", role.names.allow_subdomains);
    f("allow_glob_domains", role.names.allow_glob_domains);
    f("allow_wildcard_certificates", role.names.allow_wildcard_certificates);
    f("allow_any_name", role.names.allow_any_name);
    f("enforce_hostnames", role.names.enforce_hostnames);
    f("allow_ip_sans", role.allow_ip_sans);
    f("allowed_uri_sans", role.allowed_uri_sans);
    f("allowed_uri_sans_template", role.allowed_uri_sans_template);
    f("allowed_other_sans", role.allowed_other_sans);
    f("allowed_serial_numbers", role.allowed_serial_numbers);
    f("server_flag", role.server_flag);
    f("client_flag", role.client_flag);
    f("code_signing_flag", role.code_signing_flag);
    f("email_protection_flag", role.email_protection_flag);
    f("key_type", role.key_type);
    f("key_bits", role.key_bits);
    f("signature_bits", role.signature_bits);
    f("key_usage", role.key_usage);
    f("ext_key_usage", role.ext_key_usage);
    f("ext_key_usage_oids", role.ext_key_usage_oids);
    f("use_csr_common_name", role.use_csr_common_name);
    f("use_csr_sans", role.use_csr_sans);
    f("ou", role.ou);
    f("organization", role.organization);
    f("country", role.country);
    f("locality", role.locality);
    f("province", role.province);
    f("street_address", role.street_address);
    f("postal_code", role.postal_code);
    f("generate_lease", role.generate_lease);
    f("no_store", role.no_store);
    f("require_cn", role.require_cn);
    f("policy_identifiers", role.policy_identifiers);
    f("basic_constraints_valid_for_non_ca", role.basic_constraints_valid_for_non_ca);
    f("not_before_duration", role.not_before_duration);
    f("not_after", role.not_after);
    f("backend", role.backend);
    f("allow_token_displayname", role.allow_token_displayname);
}

// A role from its stored record (settings absent or null keep their defaults).
Role role_from_json(const std::string& name, const nlohmann::json& record);
// The stored record of a role, which roles/:name also shows: every setting (without "v").
nlohmann::json role_to_json(const Role& role);

// Check a role before it is stored, filling resolved defaults (key_bits 0 -> 2048/256; no_store
// clears generate_lease). Throws Error(Invalid) naming the field and what to do.
void validate_role(Role& role);
// The same over a complete record (every setting present), updated in place.
void validate_role(nlohmann::json& record);

// The extended key usages (dotted OIDs, each once) of certificates issued under `role`: its flags,
// then ext_key_usage, then ext_key_usage_oids.
std::vector<std::string> role_ext_key_usage(const Role& role);
// Is this the time-stamping usage alone (the certificate's EKU is then critical, RFC 3161 2.3)?
bool is_time_stamping(const std::vector<std::string>& ekus);
// Is TimeStamping asked for beside other usages (which RFC 3161 2.3 forbids)?
bool mixes_time_stamping(const std::vector<std::string>& ekus);
// Is this OCSP signing alone (an OCSP responder's certificate, RFC 6960 4.2.2.2)?
bool is_ocsp_signing(const std::vector<std::string>& ekus);

// Dotted-decimal OID check for policy_identifiers and ext_key_usage_oids.
bool valid_oid(const std::string& oid);

}  // namespace pki::policy
