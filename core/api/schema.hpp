#pragma once
// Builders for field schemas, and the field groups several paths share (defined once here).
#include <string>
#include <vector>

#include "api/fields.hpp"

namespace pki::api {

FieldSpec string_field(std::string name, std::string help, Json def = nullptr, std::vector<std::string> choices = {});
FieldSpec bool_field(std::string name, std::string help, bool def);
FieldSpec int_field(std::string name, std::string help, int64_t def);
FieldSpec duration_field(std::string name, std::string help, Json def = nullptr);
FieldSpec list_field(std::string name, std::string help, std::vector<std::string> choices = {});
FieldSpec path_field(std::string name, std::string help);

void append(std::vector<FieldSpec>& to, const std::vector<FieldSpec>& more);

// key_type / key_bits for generating a key.
std::vector<FieldSpec> key_generation_fields();
// key_name for a newly created key.
FieldSpec key_name_field();

// common_name, ou, organization, country, locality, province, street_address, postal_code, serial_number.
std::vector<FieldSpec> subject_fields();
// alt_names, ip_sans, uri_sans, other_sans, exclude_cn_from_sans.
std::vector<FieldSpec> san_fields();
// ttl, not_after, not_before_duration.
std::vector<FieldSpec> validity_fields();
// format (pem, der, pem_bundle).
FieldSpec format_field();
FieldSpec private_key_format_field();
// max_path_length, permitted_dns_domains.
std::vector<FieldSpec> ca_constraint_fields();
FieldSpec issuer_ref_field();

}  // namespace pki::api
