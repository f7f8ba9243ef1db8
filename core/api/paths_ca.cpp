// The CA lifecycle: roots, intermediates, cross-signing, signing intermediates and self-issued
// certificates, set-signed, and importing CA bundles.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/ca.hpp"
#include "engine/issuers.hpp"

namespace pki::api {

namespace {

std::vector<FieldSpec> root_fields(bool with_type) {
    std::vector<FieldSpec> f;
    if (with_type) f.push_back(path_field("type", "internal, exported (the private key is returned once) or existing (key_ref)."));
    f.push_back(string_field("issuer_name", "Name for the new issuer; unique in the mount, and not \"default\".", ""));
    f.push_back(key_name_field());
    f.push_back(string_field("key_ref", "Existing key (id, name or \"default\") for type existing.", "default"));
    append(f, key_generation_fields());
    append(f, subject_fields());
    append(f, san_fields());
    append(f, validity_fields());
    append(f, ca_constraint_fields());
    f.push_back(format_field());
    f.push_back(private_key_format_field());
    return f;
}

std::vector<FieldSpec> csr_fields(bool with_type) {
    std::vector<FieldSpec> f;
    if (with_type) f.push_back(path_field("type", "internal, exported (the private key is returned once) or existing (key_ref)."));
    f.push_back(key_name_field());
    f.push_back(string_field("key_ref", "Existing key (id, name or \"default\") for type existing.", "default"));
    append(f, key_generation_fields());
    append(f, subject_fields());
    append(f, san_fields());
    f.push_back(format_field());
    f.push_back(private_key_format_field());
    f.push_back(bool_field("add_basic_constraints", "Add a CA:TRUE basic constraints extension to the CSR.", false));
    f.push_back(duration_field("ttl", "Accepted for compatibility with the Vault guide; a CSR has no lifetime, the signer sets it."));
    return f;
}

std::vector<FieldSpec> sign_intermediate_fields(bool with_ref) {
    std::vector<FieldSpec> f;
    if (with_ref) f.push_back(issuer_ref_field());
    else f.push_back(string_field("issuer_ref", "Issuer to sign with (id, name or \"default\").", "default"));
    f.push_back(string_field("csr", "The PEM CSR to sign (csr=@file.csr)."));
    append(f, subject_fields());
    append(f, san_fields());
    append(f, validity_fields());
    append(f, ca_constraint_fields());
    f.push_back(format_field());
    f.push_back(bool_field("use_csr_values", "Take the subject, SANs, key usages and extensions from the CSR as they are.", false));
    f.push_back(int_field("signature_bits", "RSA signature hash: 256, 384 or 512 (0: SHA-256).", 0));
    return f;
}

std::vector<FieldSpec> self_issued_fields(bool with_ref) {
    std::vector<FieldSpec> f;
    if (with_ref) f.push_back(issuer_ref_field());
    else f.push_back(string_field("issuer_ref", "Issuer to sign with.", "default"));
    f.push_back(string_field("certificate", "The PEM self-issued CA certificate."));
    f.push_back(bool_field("require_matching_certificate_algorithms", "Require the certificate's key algorithm to match the issuer's.", false));
    return f;
}

}  // namespace

void add_ca_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("root", "Generate a root CA, sign intermediates and self-issued certificates, delete all issuers.");
    t.describe_group("intermediate", "Generate an intermediate CSR, cross-sign, and install the signed certificate.");

    t.add(PathSpec{"root/generate/:type", "root", "Generate a self-signed root CA (a new issuer) and, unless existing, its key.",
                   root_fields(true), {{Op::Write, generate_root, "Generate a root CA.", {"root", "generate"}}}});
    t.add(PathSpec{"issuers/generate/root/:type", "root", "Generate a self-signed root CA; same as root/generate/:type.",
                   root_fields(true), {{Op::Write, generate_root, "Generate a root CA.", {}}}});
    t.add(PathSpec{"root", "root", "Every issuer and key of the mount.", {},
                   {{Op::Delete, delete_root, "Delete every issuer and key of the mount.", {"root", "delete"}}}});
    t.add(PathSpec{"root/sign-intermediate", "root", "Sign an intermediate CA's CSR with the default issuer.",
                   sign_intermediate_fields(false),
                   {{Op::Write, sign_intermediate, "Sign an intermediate CSR.", {"root", "sign-intermediate"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/sign-intermediate", "issuer", "Sign an intermediate CA's CSR with the chosen issuer.",
                   sign_intermediate_fields(true),
                   {{Op::Write, sign_intermediate, "Sign an intermediate CSR with this issuer.", {"issuer", "sign-intermediate"}}}});
    t.add(PathSpec{"root/sign-self-issued", "root", "Re-sign a self-issued CA certificate with the default issuer.",
                   self_issued_fields(false),
                   {{Op::Write, sign_self_issued, "Sign a self-issued CA certificate.", {"root", "sign-self-issued"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/sign-self-issued", "issuer", "Re-sign a self-issued CA certificate with the chosen issuer.",
                   self_issued_fields(true),
                   {{Op::Write, sign_self_issued, "Sign a self-issued CA certificate with this issuer.", {"issuer", "sign-self-issued"}}}});

    t.add(PathSpec{"intermediate/generate/:type", "intermediate", "Generate a CSR for an intermediate CA (no issuer is created yet).",
                   csr_fields(true), {{Op::Write, generate_intermediate, "Generate an intermediate CSR.", {"intermediate", "generate"}}}});
    t.add(PathSpec{"issuers/generate/intermediate/:type", "intermediate", "Generate an intermediate CSR; same as intermediate/generate/:type.",
                   csr_fields(true), {{Op::Write, generate_intermediate, "Generate an intermediate CSR.", {}}}});
    t.add(PathSpec{"generate/intermediate/:type", "intermediate", "Generate an intermediate CSR; same as intermediate/generate/:type.",
                   csr_fields(true), {{Op::Write, generate_intermediate, "Generate an intermediate CSR.", {}}}});
    t.add(PathSpec{"intermediate/cross-sign", "intermediate", "Generate a CSR from an existing key (key_ref), to be cross-signed by another CA.",
                   csr_fields(false), {{Op::Write, cross_sign, "Generate a cross-signing CSR.", {"intermediate", "cross-sign"}}}});
    t.add(PathSpec{"intermediate/set-signed", "intermediate", "Install the signed intermediate certificate (and any chain) as issuers.",
                   {string_field("certificate", "The signed PEM certificate, optionally followed by its chain.")},
                   {{Op::Write, set_signed, "Install a signed intermediate.", {"intermediate", "set-signed"}}}});

    auto bundle = std::vector<FieldSpec>{string_field("pem_bundle", "PEM certificates (CA only) and, where allowed, private keys, in any order.")};
    t.add(PathSpec{"config/ca", "issuer", "Import CA certificates and keys (as issuers/import/bundle).", bundle,
                   {{Op::Write, import_bundle, "Import a CA bundle.", {}}}});
    t.add(PathSpec{"issuers/import/bundle", "issuer", "Import CA certificates and their keys as issuers.", bundle,
                   {{Op::Write, import_bundle, "Import CA certificates and keys.", {"issuer", "import-bundle"}}}});
    t.add(PathSpec{"issuers/import/cert", "issuer", "Import CA certificates (no keys) as issuers.", bundle,
                   {{Op::Write, import_cert, "Import CA certificates.", {"issuer", "import-cert"}}}});
}

}  // namespace pki::api
