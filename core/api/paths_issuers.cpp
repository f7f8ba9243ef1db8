// The CA lifecycle: roots, intermediates, cross-signing, import, issuers, chains, CA reads,
// config/urls, and the certificate store reads.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/issuance.hpp"
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

std::vector<FieldSpec> issuer_update_fields() {
    return {
        issuer_ref_field(),
        string_field("issuer_name", "Name of the issuer; unique in the mount, and not \"default\".", ""),
        string_field("leaf_not_after_behavior", "When a certificate would outlive the issuer: err, truncate or permit.", "err",
                     {"err", "truncate", "permit"}),
        list_field("manual_chain", "Issuers (ids or names) forming this issuer's chain, starting with itself; empty: automatic."),
        list_field("usage", "Allowed uses: read-only, issuing-certificates, crl-signing.", {"read-only", "issuing-certificates", "crl-signing"}),
    };
}

}  // namespace

void add_issuer_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("root", "Generate a root CA, sign intermediates and self-issued certificates, delete all issuers.");
    t.describe_group("intermediate", "Generate an intermediate CSR, cross-sign, and install the signed certificate.");
    t.describe_group("issuer", "List, read, rename, configure and delete issuers; per-issuer signing.");
    t.describe_group("ca", "Read the default issuer's certificate and chain.");
    t.describe_group("cert", "Read and list the certificates of the store.");

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

    t.add(PathSpec{"issuers", "issuer", "The issuers of the mount.", {},
                   {{Op::List, list_issuers, "List issuers with their names.", {"issuer", "list"}}}});
    t.add(PathSpec{"issuer/:issuer_ref", "issuer", "One issuer, by id, name or \"default\".", issuer_update_fields(),
                   {{Op::Read, read_issuer, "Show an issuer.", {"issuer", "read"}},
                    {Op::Write, write_issuer, "Replace an issuer's settings (omitted fields take their defaults).", {"issuer", "write"}},
                    {Op::Patch, patch_issuer, "Change only the given settings of an issuer.", {"issuer", "patch"}},
                    {Op::Delete, delete_issuer, "Delete an issuer (its key stays).", {"issuer", "delete"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/json", "issuer", "An issuer's certificate and chain, as JSON.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_json, "Show an issuer's certificate and chain.", {"issuer", "json"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/der", "issuer", "An issuer's certificate, DER.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_der, "Write an issuer's certificate as DER.", {"issuer", "der"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/pem", "issuer", "An issuer's certificate, PEM.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_pem, "Write an issuer's certificate as PEM.", {"issuer", "pem"}}}});
    t.add(PathSpec{"config/issuers", "config", "The mount's default issuer.",
                   {string_field("default", "Issuer (id or name) to make the default.")},
                   {{Op::Read, read_issuers_config, "Show the default issuer.", {"config", "issuers", "read"}},
                    {Op::Write, write_issuers_config, "Set the default issuer.", {"config", "issuers", "write"}}}});
    t.add(PathSpec{"config/urls", "config", "URLs written into issued certificates (AIA issuing certificates, CRL distribution points, OCSP).",
                   {list_field("issuing_certificates", "Issuing certificate (CA) URLs."),
                    list_field("crl_distribution_points", "CRL distribution point URLs."),
                    list_field("ocsp_servers", "OCSP server URLs.")},
                   {{Op::Read, read_urls, "Show the URLs.", {"config", "urls", "read"}},
                    {Op::Write, write_urls, "Set the URLs (only the given ones change; empty clears).", {"config", "urls", "write"}}}});

    t.add(PathSpec{"ca", "ca", "The default issuer's certificate, DER.", {},
                   {{Op::Read, read_ca_der, "Write the CA certificate as DER.", {"ca", "der"}}}});
    t.add(PathSpec{"ca/pem", "ca", "The default issuer's certificate, PEM.", {},
                   {{Op::Read, read_ca_pem, "Write the CA certificate as PEM.", {"ca", "pem"}}}});
    t.add(PathSpec{"ca_chain", "ca", "The default issuer's chain, PEM.", {},
                   {{Op::Read, read_ca_chain_pem, "Write the CA chain as PEM.", {"ca", "chain"}}}});
    t.add(PathSpec{"cert/:serial", "cert", "A stored certificate by serial number, or the special serials ca, ca_chain, crl.",
                   {path_field("serial", "Serial number (colon- or hyphen-separated hex), or ca, ca_chain, crl.")},
                   {{Op::Read, read_cert, "Show a certificate and its revocation time.", {"cert", "read"}}}});
    t.add(PathSpec{"cert/:serial/raw", "cert", "A stored certificate, DER.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw, "Write a certificate as DER.", {"cert", "der"}}}});
    t.add(PathSpec{"cert/:serial/raw/pem", "cert", "A stored certificate, PEM.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw_pem, "Write a certificate as PEM.", {"cert", "pem"}}}});
    t.add(PathSpec{"certs", "cert", "Serial numbers of the stored certificates.", {},
                   {{Op::List, list_certs, "List serial numbers.", {"cert", "serials"}}}});
}

}  // namespace pki::api
