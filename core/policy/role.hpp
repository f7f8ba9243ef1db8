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
};

Role role_from_json(const std::string& name, const nlohmann::json& record);

// Check a role record before it is stored, filling resolved defaults (key_bits 0 -> 2048/256).
// Throws Error(Invalid) naming the field and what to do.
void validate_role(nlohmann::json& record);

// Dotted-decimal OID check for policy_identifiers and ext_key_usage_oids.
bool valid_oid(const std::string& oid);

}  // namespace pki::policy
