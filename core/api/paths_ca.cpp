// The CA lifecycle: roots, intermediates, cross-signing, signing intermediates and self-issued
// certificates, set-signed, and importing CA bundles.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/render.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "crypto/keys.hpp"
#include "engine/ca.hpp"
#include "engine/issuers.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::api {

namespace {

// signature_bits and Vault's managed-key fields, shared by root/generate and intermediate/generate.
std::vector<FieldSpec> signing_fields(const std::string& what) {
    return {int_field("signature_bits", "RSA hash of " + what + ": 256, 384 or 512 (0: SHA-256); ECDSA uses its curve's.", 0),
            string_field("managed_key_name", "The managed key (sys/managed-keys/pkcs11/NAME) holding the key, for type kms."),
            string_field("managed_key_id", "The managed key by its id instead of its name, for type kms.")};
}

// managed_key_* mean something only with type kms.
void warn_managed_key(Call& c) {
    if (c.fields.has("type") && c.fields.str("type") == "kms") return;
    for (const char* name : {"managed_key_name", "managed_key_id"})
        if (!c.fields.str(name).empty())
            c.ctx.warnings.push_back(fmt::format("{} is used only with type kms; ignored for type {}", name,
                                                 c.fields.has("type") ? c.fields.str("type") : std::string("existing")));
}

std::vector<FieldSpec> root_fields(bool with_type) {
    std::vector<FieldSpec> f;
    if (with_type) f.push_back(path_field("type", "internal, exported (the private key is returned once), existing (key_ref) or kms (a managed key: managed_key_name)."));
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
    f.push_back(FieldSpec{"key_usage", FieldType::List, Json::array({"CertSign", "CRLSign"}),
                          "Key usages of the root: CertSign (required), CRLSign, DigitalSignature (to sign OCSP responses itself).", {}});
    append(f, signing_fields("the root's self-signature"));
    return f;
}

std::vector<FieldSpec> csr_fields(bool with_type) {
    std::vector<FieldSpec> f;
    if (with_type) f.push_back(path_field("type", "internal, exported (the private key is returned once), existing (key_ref) or kms (a managed key: managed_key_name)."));
    f.push_back(key_name_field());
    f.push_back(string_field("key_ref", "Existing key (id, name or \"default\") for type existing.", "default"));
    append(f, key_generation_fields());
    append(f, subject_fields());
    append(f, san_fields());
    f.push_back(format_field());
    f.push_back(private_key_format_field());
    f.push_back(bool_field("add_basic_constraints", "Add a CA:TRUE basic constraints extension to the CSR.", false));
    f.push_back(list_field("key_usage", "Key usages the CSR asks for: CertSign (required when given), CRLSign, DigitalSignature; empty: none (the signer sets them)."));
    f.push_back(duration_field("ttl", "Accepted for compatibility with the Vault guide; a CSR has no lifetime, the signer sets it."));
    f.push_back(string_field("not_after", "Accepted as Vault does; a CSR has no lifetime, the signer sets it."));
    f.push_back(duration_field("not_before_duration", "Accepted as Vault does; a CSR has no lifetime, the signer sets it."));
    append(f, signing_fields("the CSR's signature"));
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
    // In Vault's schema of this path, with nothing to act on: the signed CA's key is not here,
    // and it becomes an issuer only where its certificate is imported (set-signed, issuer_name there).
    f.push_back(string_field("private_key_format", "Accepted as Vault does; no effect (the signed CA's key is not here).", "",
                             {"", "der", "pem", "pkcs8"}));
    f.push_back(string_field("issuer_name", "Accepted as Vault does; no effect (name the issuer where the certificate is imported)."));
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

// Parameters whose refusals the CA operations make in their own order (after the subject, SAN and
// validity checks): the key's type and key_type / key_bits are passed as given.
engine::CaKeyRequest ca_key_request(const Fields& f, const std::string& type) {
    engine::CaKeyRequest k;
    k.type = type;
    if (type == "internal") k.source = engine::KeySource::Internal;
    else if (type == "exported") k.source = engine::KeySource::Exported;
    else if (type == "existing") k.source = engine::KeySource::Existing;
    else if (type == "kms") k.source = engine::KeySource::Managed;
    k.managed_key_name = f.str("managed_key_name");
    k.managed_key_id = f.str("managed_key_id");
    k.key_ref = f.str("key_ref");
    k.key_name = f.str("key_name");
    k.spec = crypto::KeySpec{crypto::parse_key_type(f.str("key_type")).value_or(crypto::KeyType::Rsa),
                             static_cast<int>(f.integer("key_bits"))};
    k.key_type_given = f.has("key_type");
    k.key_bits_given = f.has("key_bits");
    return k;
}

// The private key of a generated CA, in the response; with pem_bundle it also leads `field`.
void add_exported_key(Json& data, const char* field, EVP_PKEY* key, const std::string& key_type, const engine::OutputFormat& out) {
    std::string pem = encode_private_key(key, out);
    data["private_key"] = pem;
    data["private_key_type"] = key_type;
    if (out.format == engine::CertFormat::PemBundle) data[field] = pem + "\n" + data[field].get<std::string>();
}

// root/generate, or with `rotating` root/rotate: a new root beside the current one, named "next"
// unless that name is taken (as Vault); root/replace then makes it the default.
Response generate_root_as(Call& c, bool rotating) {
    const auto& f = c.fields;
    auto out = output_format(f);
    engine::RootRequest req;
    req.key = ca_key_request(f, f.str("type"));
    req.issuer_name = f.str("issuer_name");
    if (rotating && req.issuer_name.empty() && !engine::find_issuer(c.ctx.txn, c.ctx.mount_name(), "next")) req.issuer_name = "next";
    req.subject = subject(f);
    req.sans = san_request(f);
    req.validity = validity_request(f);
    req.constraints = ca_constraints(f);
    req.key_usage = f.list("key_usage");
    req.signature_bits = static_cast<int>(f.integer("signature_bits"));
    warn_managed_key(c);
    auto root = engine::generate_root(c.ctx, req);
    X509* cert = root.certificate.get();
    std::string certificate = encode_cert(cert, out.format);
    Json data{{"certificate", certificate},
              {"issuing_ca", certificate},
              {"serial_number", x509::serial_hex(cert)},
              {"expiration", x509::not_after(cert)},
              {"issuer_id", root.issuer.id},
              {"issuer_name", root.issuer.name},
              {"key_id", root.key.id},
              {"key_name", root.key.name}};
    if (root.exported) add_exported_key(data, "certificate", root.exported.get(), root.key.type, out);
    return reply(std::move(data));
}

Response generate_root(Call& c) { return generate_root_as(c, false); }
Response rotate_root(Call& c) { return generate_root_as(c, true); }

// intermediate/generate/:type and, without a type (the key is key_ref), intermediate/cross-sign.
Response generate_intermediate(Call& c) {
    const auto& f = c.fields;
    auto out = output_format(f);
    engine::CsrRequest req;
    req.key = ca_key_request(f, f.has("type") ? f.str("type") : "existing");
    req.subject = subject(f);
    req.sans = san_request(f);
    req.add_basic_constraints = f.boolean("add_basic_constraints");
    req.key_usage = f.list("key_usage");
    req.ttl_given = f.has("ttl") || f.has("not_after") || f.has("not_before_duration");
    req.signature_bits = static_cast<int>(f.integer("signature_bits"));
    warn_managed_key(c);
    auto csr = engine::generate_intermediate(c.ctx, req);
    Json data{{"csr", encode_csr(csr.csr.get(), out.format)}, {"key_id", csr.key.id}, {"key_name", csr.key.name}, {"key_type", csr.key.type}};
    if (csr.exported) add_exported_key(data, "csr", csr.exported.get(), csr.key.type, out);
    return reply(std::move(data));
}

// What a CA-signing path answers: certificate, issuing_ca, ca_chain, serial_number, expiration.
Json signed_json(const engine::SignedCa& s, engine::CertFormat format) {
    X509* cert = s.certificate.get();
    Json data{{"serial_number", x509::serial_hex(cert)}, {"expiration", x509::not_after(cert)}};
    std::string issuing = s.issuing_ca;
    std::vector<std::string> chain = s.ca_chain;
    if (format == engine::CertFormat::Der) {
        issuing = encode_cert_pem(issuing, format);
        for (auto& pem : chain) pem = encode_cert_pem(pem, format);
    }
    std::string certificate = encode_cert(cert, format);
    if (format == engine::CertFormat::PemBundle) certificate.append("\n").append(util::join(s.ca_chain, "\n"));
    data["certificate"] = certificate;
    data["issuing_ca"] = issuing;
    data["ca_chain"] = chain;
    return data;
}

Response sign_intermediate(Call& c) {
    const auto& f = c.fields;
    auto format = cert_format(f);
    engine::SignIntermediateRequest req;
    req.issuer_ref = f.str("issuer_ref");
    req.csr = f.str("csr");
    req.subject = subject(f);
    req.sans = san_request(f);
    req.validity = validity_request(f);
    req.constraints = ca_constraints(f);
    req.use_csr_values = f.boolean("use_csr_values");
    req.signature_bits = static_cast<int>(f.integer("signature_bits"));
    return reply(signed_json(engine::sign_intermediate(c.ctx, req), format));
}

Response sign_self_issued(Call& c) {
    const auto& f = c.fields;
    auto s = engine::sign_self_issued(
        c.ctx, {f.str("issuer_ref"), f.str("certificate"), f.boolean("require_matching_certificate_algorithms")});
    return reply(Json{{"certificate", x509::cert_pem(s.certificate.get())}, {"issuing_ca", s.issuing_ca}});
}

// imported_issuers and imported_keys are null when empty; mapping: issuer id to key id.
Json import_json(const engine::ImportResult& r) {
    Json mapping = Json::object();
    for (const auto& [issuer, key] : r.mapping) mapping[issuer] = key;
    return Json{{"imported_issuers", r.imported_issuers.empty() ? Json() : Json(r.imported_issuers)},
                {"imported_keys", r.imported_keys.empty() ? Json() : Json(r.imported_keys)},
                {"mapping", mapping}};
}

Response set_signed(Call& c) { return reply(import_json(engine::set_signed(c.ctx, c.fields.str("certificate")))); }

Response import_bundle(Call& c) { return reply(import_json(engine::import_bundle(c.ctx, c.fields.str("pem_bundle")))); }

Response import_cert(Call& c) { return reply(import_json(engine::import_cert(c.ctx, c.fields.str("pem_bundle")))); }

Response delete_root(Call& c) {
    engine::delete_root(c.ctx);
    return reply(nullptr);
}

}  // namespace

void add_ca_paths(Table& t) {
    t.describe_group("root", "Generate a root CA, sign intermediates and self-issued certificates, delete all issuers.");
    t.describe_group("intermediate", "Generate an intermediate CSR, cross-sign, and install the signed certificate.");

    t.add(PathSpec{"root/generate/:type", "root", "Generate a self-signed root CA (a new issuer) and, unless existing, its key.",
                   root_fields(true), {{Op::Write, generate_root, "Generate a root CA.", {"root", "generate"}}}});
    t.add(PathSpec{"root/rotate/:type", "root",
                   "Generate a new root beside the current one (named next unless that is taken); the default issuer stays until "
                   "root/replace.",
                   root_fields(true), {{Op::Write, rotate_root, "Generate the next root CA.", {"root", "rotate"}}}});
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
                   csr_fields(false), {{Op::Write, generate_intermediate, "Generate a cross-signing CSR.", {"intermediate", "cross-sign"}}}});
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
