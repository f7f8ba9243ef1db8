// CA generation and signing: root/generate, intermediate/generate, cross-signing, sign-intermediate,
// sign-self-issued, intermediate/set-signed, and deleting a mount's CA (DELETE root).
#include "engine/ca.hpp"
#include "engine/issuers.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "engine/crl.hpp"
#include "engine/issuance.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "engine/issuer_store.hpp"

namespace pki::engine {
namespace {

struct ChosenKey {
    crypto::PKey key;
    KeyEntry entry;
    bool exported = false;
    std::vector<std::string> warnings;
};

// The key for a root or CSR: generated (internal/exported) or an existing one (key_ref).
ChosenKey choose_key(Context& ctx, const std::string& type) {
    const auto& f = ctx.fields;
    if (type == "kms") fail(ErrorKind::Invalid, "managed keys (type kms) are not available in pki; use internal, exported or existing");
    if (type == "existing") {
        std::string ref = f.str("key_ref").empty() ? "default" : f.str("key_ref");
        KeyEntry e = require_key(ctx.txn, ctx.mount_name(), ref);
        ChosenKey chosen{load_private_key(ctx, e.id), e, false, {}};
        for (const char* field : {"key_type", "key_bits"})  // as in Vault: ignored, but said so
            if (f.has(field))
                chosen.warnings.push_back(fmt::format("{} is ignored for type existing: key {} is used as it is", field, e.id));
        return chosen;
    }
    if (type != "internal" && type != "exported")
        fail(ErrorKind::Invalid, "type \"{}\" is not supported; use internal, exported or existing", type);
    auto spec = crypto::normalize_key_spec(f.str("key_type"), static_cast<int>(f.integer("key_bits")));
    check_key_name_free(ctx.txn, ctx.mount_name(), f.str("key_name"), "");
    if (type == "exported" && !ctx.keys.exportable())
        fail(ErrorKind::Denied, "the key store of this state keeps keys it generates; use type internal");
    auto generated = ctx.keys.generate(spec);
    KeyEntry e = store_key(ctx, generated.key.get(), f.str("key_name"), nullptr, generated.stored);
    return {std::move(generated.key), e, type == "exported", {}};
}

std::string require_common_name(const x509::Subject& s) {
    if (s.common_name.empty()) fail(ErrorKind::Invalid, "common_name is required; give the CA's name, e.g. common_name=\"Example Root CA\"");
    return s.common_name;
}

// permitted_dns_domains as host names (a leading dot allowed, IDNA converted), or Error(Invalid).
std::vector<std::string> permitted_dns_domains(const api::Fields& f) {
    std::vector<std::string> out;
    for (const auto& d : f.list("permitted_dns_domains")) {
        std::string_view host = d.front() == '.' ? std::string_view(d).substr(1) : std::string_view(d);
        auto ascii = policy::to_ascii(host);
        if (!ascii || !policy::is_hostname(*ascii))
            fail(ErrorKind::Invalid, "permitted_dns_domains: \"{}\" is not a DNS domain such as example.com or .example.com", d);
        std::string domain = d.front() == '.' ? "." : "";
        out.push_back(domain.append(*ascii));
    }
    return out;
}

void check_path_length(int64_t v) {
    if (v < -1 || v > 1000000)
        fail(ErrorKind::Invalid, "max_path_length {} is not allowed; use -1 (no limit) or 0 to 1000000", v);
}


// Apply the issuer's leaf_not_after_behavior to a requested notAfter.
int64_t fit_to_issuer(const Issuer& issuer, X509* issuer_cert, int64_t not_after) {
    int64_t limit = x509::not_after(issuer_cert);
    if (not_after <= limit) return not_after;
    if (issuer.leaf_not_after_behavior == LeafNotAfter::Permit) return not_after;
    if (issuer.leaf_not_after_behavior == LeafNotAfter::Truncate) return limit;
    fail(ErrorKind::Denied,
         "the requested expiry {} is after the expiry {} of issuer {}; ask for a shorter ttl, or set the issuer's "
         "leaf_not_after_behavior to truncate or permit",
         util::format_utc_time(not_after), util::format_utc_time(limit), issuer.name.empty() ? issuer.id : issuer.name);
}

std::vector<std::string> csr_key_usages(X509_REQ* req) {
    std::vector<std::string> out;
    crypto::Extensions exts(X509_REQ_get_extensions(req));
    if (!exts) return out;
    int idx = X509v3_get_ext_by_NID(exts.get(), NID_key_usage, -1);
    if (idx < 0) return out;
    crypto::Handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free> bits(
        static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts.get(), idx))));
    static const char* kNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
                                   "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};
    for (int b = 0; b < 9 && bits; ++b)
        if (ASN1_BIT_STRING_get_bit(bits.get(), b)) out.push_back(kNames[b]);
    return out;
}

// What a CA-signing path answers: certificate, issuing_ca, ca_chain, serial_number, expiration.
Json signed_response(X509* cert, const Issuer& issuer, const std::string& format) {
    std::string issuing = issuer.certificate;
    Json data{{"serial_number", x509::serial_hex(cert)}, {"expiration", x509::not_after(cert)}};
    std::vector<std::string> chain = issuer.ca_chain;
    if (format == "der") {
        issuing = encode_cert(issuer.cert().get(), "der");
        for (auto& c : chain) c = encode_cert(x509::parse_cert(c).get(), "der");
    }
    std::string certificate = encode_cert(cert, format);
    if (format == "pem_bundle") certificate.append("\n").append(util::join(issuer.ca_chain, "\n"));
    data["certificate"] = certificate;
    data["issuing_ca"] = issuing;
    data["ca_chain"] = chain;
    return data;
}

}  // namespace

api::Response generate_root(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    check_path_length(f.integer("max_path_length"));
    check_issuer_name_free(ctx.txn, ctx.mount_name(), f.str("issuer_name"), "");
    auto subject = subject_from_fields(f);
    require_common_name(subject);
    auto sans = sans_from_fields(f, subject.common_name);
    std::vector<std::string> warnings;
    auto validity = validity_from_fields(ctx, ctx.m().default_lease_ttl, ctx.m().max_lease_ttl, warnings, f.duration("not_before_duration"));
    auto chosen = choose_key(ctx, f.str("type"));
    warnings.insert(warnings.end(), chosen.warnings.begin(), chosen.warnings.end());

    auto name = x509::build_name(subject);
    x509::CertSpec spec;
    spec.subject = name.get();
    spec.public_key = chosen.key.get();
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = validity.not_after;
    spec.ca = true;
    spec.max_path_len = static_cast<int>(f.integer("max_path_length"));
    spec.key_usage = kCaKeyUsage;
    spec.sans = sans;
    spec.permitted_dns_domains = permitted_dns_domains(f);
    spec.urls = load_urls(ctx.txn, ctx.mount_name());
    auto cert = x509::sign_certificate(spec, x509::Signer{}, chosen.key.get());
    Issuer issuer = add_issuer(ctx, cert.get(), chosen.entry.id, f.str("issuer_name"));
    store_certificate(ctx, cert.get(), issuer.id);

    std::string certificate = encode_cert(cert.get(), format);
    Json data{{"certificate", certificate},
              {"issuing_ca", certificate},
              {"serial_number", x509::serial_hex(cert.get())},
              {"expiration", x509::not_after(cert.get())},
              {"issuer_id", issuer.id},
              {"issuer_name", issuer.name},
              {"key_id", chosen.entry.id},
              {"key_name", chosen.entry.name}};
    if (chosen.exported) {
        std::string key = encode_private_key(chosen.key.get(), format, f.str("private_key_format"));
        data["private_key"] = key;
        data["private_key_type"] = chosen.entry.type;
        if (format == "pem_bundle") data["certificate"] = key + "\n" + certificate;
    }
    return api::reply(std::move(data), std::move(warnings));
}

api::Response generate_intermediate(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    auto subject = subject_from_fields(f);
    auto sans = sans_from_fields(f, subject.common_name);
    std::string type = f.has("type") ? f.str("type") : "existing";
    auto chosen = choose_key(ctx, type);
    auto name = x509::build_name(subject);
    x509::CsrSpec spec;
    spec.subject = name.get();
    spec.sans = sans;
    spec.add_basic_constraints = f.boolean("add_basic_constraints");
    auto csr = x509::make_csr(spec, chosen.key.get());
    std::string csr_text = encode_csr(csr.get(), format);
    Json data{{"csr", csr_text}, {"key_id", chosen.entry.id}, {"key_name", chosen.entry.name}, {"key_type", chosen.entry.type}};
    if (chosen.exported) {
        std::string key = encode_private_key(chosen.key.get(), format, f.str("private_key_format"));
        data["private_key"] = key;
        data["private_key_type"] = chosen.entry.type;
        if (format == "pem_bundle") data["csr"] = key + "\n" + csr_text;
    }
    std::vector<std::string> warnings = chosen.warnings;
    if (f.has("ttl")) warnings.push_back("ttl does not apply to a CSR; give it when the CSR is signed (sign-intermediate ttl=...)");
    return api::reply(std::move(data), std::move(warnings));
}

api::Response cross_sign(Context& ctx) { return generate_intermediate(ctx); }

api::Response sign_intermediate(Context& ctx) {
    const auto& f = ctx.fields;
    const auto& mount = ctx.mount_name();
    std::string format = f.str("format");
    check_format(format);
    check_path_length(f.integer("max_path_length"));
    Issuer issuer = signing_issuer(ctx, f.str("issuer_ref"));
    auto issuer_cert = issuer.cert();
    std::string label = issuer.name.empty() ? issuer.id : issuer.name;
    std::vector<std::string> warnings;

    int issuer_pl = x509::path_len(issuer_cert.get());
    if (issuer_pl == 0)
        fail(ErrorKind::Denied, "issuer {} has a path length of 0, so it cannot sign an intermediate CA; sign with an issuer whose path length allows it",
             label);
    int mpl = static_cast<int>(f.integer("max_path_length"));
    if (issuer_pl > 0) {
        if (mpl < 0) mpl = issuer_pl - 1;
        else if (mpl > issuer_pl - 1) {
            warnings.push_back(fmt::format("max_path_length {} exceeds what issuer {} allows; using {}", mpl, label, issuer_pl - 1));
            mpl = issuer_pl - 1;
        }
    }

    std::string csr_text = f.str("csr");
    if (util::trim(csr_text).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@intermediate.csr)");
    auto csr = x509::parse_csr(csr_text);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    auto kspec = crypto::describe_key(pub);
    if (kspec.type == crypto::KeyType::Rsa && kspec.bits < 2048)
        fail(ErrorKind::Invalid, "the CSR's RSA key has {} bits; at least 2048 are required", kspec.bits);

    x509::CertSpec spec;
    crypto::Name built;
    crypto::Extensions csr_exts;
    spec.key_usage = kCaKeyUsage;
    if (f.boolean("use_csr_values")) {
        spec.subject = X509_REQ_get_subject_name(csr.get());
        csr_exts.reset(X509_REQ_get_extensions(csr.get()));
        spec.copy_extensions = csr_exts.get();
        for (const auto& ku : csr_key_usages(csr.get()))
            if (std::find(spec.key_usage.begin(), spec.key_usage.end(), ku) == spec.key_usage.end()) spec.key_usage.push_back(ku);
    } else {
        auto subject = subject_from_fields(f);
        if (subject.common_name.empty()) subject.common_name = x509::common_name(X509_REQ_get_subject_name(csr.get()));
        require_common_name(subject);
        built = x509::build_name(subject);
        spec.subject = built.get();
        spec.sans = sans_from_fields(f, subject.common_name);
    }
    auto validity = validity_from_fields(ctx, ctx.m().default_lease_ttl, ctx.m().max_lease_ttl, warnings, f.duration("not_before_duration"));
    spec.public_key = pub;
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = fit_to_issuer(issuer, issuer_cert.get(), validity.not_after);
    spec.ca = true;
    spec.max_path_len = mpl;
    spec.permitted_dns_domains = permitted_dns_domains(f);
    spec.urls = load_urls(ctx.txn, mount);
    auto signer = load_private_key(ctx, issuer.key_id);
    auto cert = x509::sign_certificate(spec, x509::signer_of(issuer_cert.get()), signer.get(), static_cast<int>(f.integer("signature_bits")));
    store_certificate(ctx, cert.get(), issuer.id);
    return api::reply(signed_response(cert.get(), issuer, format), std::move(warnings));
}

api::Response sign_self_issued(Context& ctx) {
    const auto& f = ctx.fields;
    Issuer issuer = signing_issuer(ctx, f.str("issuer_ref"));
    auto issuer_cert = issuer.cert();
    std::string text = f.str("certificate");
    if (util::trim(text).empty()) fail(ErrorKind::Invalid, "certificate is required; give the PEM self-issued CA certificate");
    auto cert = x509::parse_cert(text);
    x509::refuse_weak_signature(X509_get_signature_nid(cert.get()), "the certificate");
    crypto::refuse_weak_key(X509_get0_pubkey(cert.get()), "the certificate");
    if (!x509::self_issued(cert.get()))
        fail(ErrorKind::Invalid, "the certificate is not self-issued (its subject and issuer differ); use sign-intermediate for a CSR instead");
    if (!x509::is_ca(cert.get())) fail(ErrorKind::Invalid, "the certificate is not a CA certificate; only self-issued CA certificates can be signed here");
    if (f.boolean("require_matching_certificate_algorithms") &&
        x509::key_algorithm(X509_get0_pubkey(cert.get())) != x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())))
        fail(ErrorKind::Invalid, "the certificate's key algorithm ({}) differs from the issuer's ({})",
             x509::key_algorithm(X509_get0_pubkey(cert.get())), x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())));
    auto signer = load_private_key(ctx, issuer.key_id);
    auto out = x509::resign_certificate(cert.get(), issuer_cert.get(), signer.get(), load_urls(ctx.txn, ctx.mount_name()));
    return api::reply(Json{{"certificate", x509::cert_pem(out.get())}, {"issuing_ca", issuer.certificate}});
}

api::Response set_signed(Context& ctx) {
    auto r = import_pem(ctx, ctx.fields.str("certificate"), false, "certificate");
    for (const auto& id : r.imported_issuers)
        if (auto i = find_issuer(ctx.txn, ctx.mount_name(), id.get<std::string>()); i && i->key_id.empty())
            r.warnings.push_back(fmt::format("issuer {} has no matching key in mount {}; it cannot sign until its key is imported", i->id,
                                             ctx.mount_name()));
    return api::reply(import_response(r), r.warnings);
}

api::Response delete_root(Context& ctx) {
    const auto& mount = ctx.mount_name();
    ctx.txn.erase_prefix(rec_prefix(mount, kIssuerKind));
    ctx.txn.erase_prefix(rec_prefix(mount, "key"));
    ctx.txn.erase_prefix(rec_prefix(mount, "crl"));
    ctx.txn.del(rec_key(mount, "config", "issuers"));
    ctx.txn.del(rec_key(mount, "config", "keys"));
    return api::reply(nullptr, {fmt::format("every issuer and key of mount {} was deleted", mount)});
}
}  // namespace pki::engine
