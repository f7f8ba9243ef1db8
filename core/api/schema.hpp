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

}  // namespace pki::api
