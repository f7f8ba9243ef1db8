#include "api/schema.hpp"

namespace pki::api {

FieldSpec string_field(std::string name, std::string help, Json def, std::vector<std::string> choices) {
    return FieldSpec{std::move(name), FieldType::String, std::move(def), std::move(help), std::move(choices)};
}
FieldSpec bool_field(std::string name, std::string help, bool def) {
    return FieldSpec{std::move(name), FieldType::Bool, def, std::move(help), {}};
}
FieldSpec int_field(std::string name, std::string help, int64_t def) {
    return FieldSpec{std::move(name), FieldType::Int, def, std::move(help), {}};
}
FieldSpec duration_field(std::string name, std::string help, Json def) {
    return FieldSpec{std::move(name), FieldType::Duration, std::move(def), std::move(help), {}};
}
FieldSpec list_field(std::string name, std::string help, std::vector<std::string> choices) {
    return FieldSpec{std::move(name), FieldType::List, nullptr, std::move(help), std::move(choices)};
}
FieldSpec path_field(std::string name, std::string help) {
    FieldSpec f{std::move(name), FieldType::String, nullptr, std::move(help), {}};
    f.in_path = true;
    return f;
}

void append(std::vector<FieldSpec>& to, const std::vector<FieldSpec>& more) { to.insert(to.end(), more.begin(), more.end()); }

std::vector<FieldSpec> key_generation_fields() {
    return {
        string_field("key_type", "Key algorithm: rsa, ec or ed25519.", "rsa", {"rsa", "ec", "ed25519"}),
        int_field("key_bits", "Key size: 0 for the default (rsa 2048, ec 256); rsa 2048, 3072, 4096 or 8192; ec 224, 256, 384 or 521; ignored for ed25519.", 0),
    };
}

FieldSpec key_name_field() {
    return string_field("key_name", "Name for the new key; unique in the mount, and not \"default\".", "");
}

}  // namespace pki::api
