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

std::vector<FieldSpec> subject_fields() {
    return {
        string_field("common_name", "Common name (CN) of the subject."),
        list_field("ou", "Organizational unit (OU) values of the subject."),
        list_field("organization", "Organization (O) values of the subject."),
        list_field("country", "Country (C) values of the subject."),
        list_field("locality", "Locality (L) values of the subject."),
        list_field("province", "Province or state (ST) values of the subject."),
        list_field("street_address", "Street address values of the subject."),
        list_field("postal_code", "Postal code values of the subject."),
        string_field("serial_number", "The subject's serialNumber attribute (not the certificate serial, which is random)."),
    };
}

std::vector<FieldSpec> san_fields() {
    return {
        list_field("alt_names", "Subject alternative names: host names and e-mail addresses."),
        list_field("ip_sans", "IP address subject alternative names."),
        list_field("uri_sans", "URI subject alternative names."),
        list_field("other_sans", "Other names, each OID;UTF8:value."),
        bool_field("exclude_cn_from_sans", "Do not copy the common name into the DNS or e-mail SANs.", false),
    };
}

std::vector<FieldSpec> validity_fields() {
    return {
        duration_field("ttl", "Requested lifetime (e.g. 8760h); capped by the maximum TTL."),
        string_field("not_after", "Absolute expiry, YYYY-MM-DDTHH:MM:SSZ (9999-12-31T23:59:59Z allowed); not with ttl."),
        duration_field("not_before_duration", "How far to backdate notBefore.", "30s"),
    };
}

FieldSpec format_field() {
    return string_field("format", "Encoding of returned objects: pem, der (base64) or pem_bundle.", "pem", {"pem", "der", "pem_bundle"});
}

FieldSpec private_key_format_field() {
    return string_field("private_key_format", "Private key encoding: der (PKCS#1/SEC1, PEM-wrapped unless format=der) or pkcs8.", "der",
                        {"der", "pkcs8", ""});
}

std::vector<FieldSpec> ca_constraint_fields() {
    return {
        int_field("max_path_length", "Maximum CA path length: -1 for no limit, 0 and above literally.", -1),
        list_field("permitted_dns_domains", "DNS domains the CA may issue for (critical name constraints; a leading dot is dropped). Issuing under a CA refuses names outside the name constraints of its chain."),
    };
}

FieldSpec issuer_ref_field() { return path_field("issuer_ref", "Issuer id, issuer name, or \"default\"."); }

}  // namespace pki::api
