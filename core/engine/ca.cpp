// CA generation and signing: root/generate, intermediate/generate, cross-signing, sign-intermediate,
// sign-self-issued, intermediate/set-signed, and deleting a mount's CA (DELETE root).
#include "engine/ca.hpp"

#include <algorithm>

#include "crypto/keys.hpp"
#include "engine/issuance.hpp"
#include "engine/issuer_store.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/managed_keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "x509/constraints.hpp"

namespace pki::engine {
namespace {

struct ChosenKey {
    crypto::PKey key;
    KeyEntry entry;
    bool exported = false;
};

// The key for a root or CSR: generated (internal/exported) or an existing one (key_ref).
ChosenKey choose_key(Context& ctx, const CaKeyRequest& req) {
    if (!req.source) fail(ErrorKind::Invalid, "type \"{}\" is not supported; use internal, exported, existing or kms", req.type);
    if (*req.source == KeySource::Managed) {
        refuse_key_spec("kms", req.key_type_given, req.key_bits_given, kManagedKeyDecides);  // as the reference says
        ChosenKey chosen;
        chosen.entry = use_managed_key(ctx, ManagedKeyRef{req.managed_key_name, req.managed_key_id}, req.key_name, &chosen.key);
        return chosen;
    }
    if (*req.source == KeySource::Existing) {
        std::string ref = req.key_ref.empty() ? "default" : req.key_ref;
        // As Vault 1.11: the existing key is what it is, so asking for a type or size is refused.
        refuse_key_spec("existing", req.key_type_given, req.key_bits_given, fmt::format("the key {} is used as it is", ref));
        KeyEntry e = require_key(ctx.txn, ctx.mount_name(), ref);
        return ChosenKey{load_private_key(ctx, e.id), e, false};
    }
    bool exported = *req.source == KeySource::Exported;
    auto spec = crypto::normalize_key_spec(req.spec.type, req.spec.bits);
    check_key_name_free(ctx.txn, ctx.mount_name(), req.key_name, "");
    if (exported && !ctx.keys.exportable())
        fail(ErrorKind::Denied, "the key store of this state keeps keys it generates; use type internal");
    auto generated = ctx.keys.generate(spec);
    KeyEntry e = store_key(ctx, generated.key.get(), req.key_name, nullptr, StoredKey{ctx.keys.scheme(), generated.stored, ""});
    return {std::move(generated.key), e, exported};
}

std::string require_common_name(const x509::Subject& s) {
    if (s.common_name.empty()) fail(ErrorKind::Invalid, "common_name is required; give the CA's name, e.g. common_name=\"Example Root CA\"");
    return s.common_name;
}

// The validity of a CA certificate: within the mount's TTLs.
Validity ca_validity(Context& ctx, const ValidityRequest& r) {
    return validity_from_request(ctx, r, ctx.m().default_lease_ttl, ctx.m().max_lease_ttl);
}

// permitted_dns_domains as host names (IDNA converted), or Error(Invalid). A leading dot
// (".example.com", OpenSSL's "subdomains only") is dropped: an RFC 5280 DNS constraint already
// covers every name under the domain, and verifiers disagree on the dotted form.
std::vector<std::string> permitted_dns_domains(const CaConstraints& c) {
    std::vector<std::string> out;
    for (const auto& d : c.permitted_dns_domains) {
        std::string_view host = !d.empty() && d.front() == '.' ? std::string_view(d).substr(1) : std::string_view(d);
        auto ascii = policy::to_ascii(host);
        if (!ascii || !policy::is_hostname(*ascii))
            fail(ErrorKind::Invalid, "permitted_dns_domains: \"{}\" is not a DNS domain such as example.com", d);
        std::string domain = x509::normalize_dns_constraint(*ascii);
        if (std::find(out.begin(), out.end(), domain) == out.end()) out.push_back(std::move(domain));
    }
    return out;
}

void check_path_length(int64_t v) {
    if (v < -1 || v > 1000000)
        fail(ErrorKind::Invalid, "max_path_length {} is not allowed; use -1 (no limit) or 0 to 1000000", v);
}

// A CA's key usages (key_usage of root/generate and intermediate/generate) in OpenSSL's names:
// keyCertSign is required; cRLSign and digitalSignature (a CA signing its own OCSP responses) are
// the only others a CA certificate has.
std::vector<std::string> ca_key_usage(const std::vector<std::string>& names) {
    auto usages = x509::key_usage_names(names);
    for (const auto& u : usages)
        if (u != "keyCertSign" && u != "cRLSign" && u != "digitalSignature")
            fail(ErrorKind::Invalid, "key_usage: {} is not a usage of a CA certificate; use CertSign, CRLSign and DigitalSignature", u);
    if (std::find(usages.begin(), usages.end(), "keyCertSign") == usages.end())
        fail(ErrorKind::Invalid, "key_usage must include CertSign: without it the CA cannot sign certificates");
    return usages;
}


}  // namespace

GeneratedCa generate_root(Context& ctx, const RootRequest& req) {
    check_path_length(req.constraints.max_path_length);
    check_issuer_name_free(ctx.txn, ctx.mount_name(), req.issuer_name, "");
    auto subject = req.subject;
    require_common_name(subject);
    subject.common_name = ascii_host_name(subject.common_name);  // a host name as its SAN has it
    auto sans = sans_from_request(req.sans, subject.common_name);
    auto validity = ca_validity(ctx, req.validity);
    // Every check of the request before the key: a key generated on a token stays there even
    // when the transaction is abandoned.
    auto key_usage = ca_key_usage(req.key_usage);
    auto permitted = permitted_dns_domains(req.constraints);
    x509::check_signature_bits(req.signature_bits);
    auto chosen = choose_key(ctx, req.key);

    auto name = x509::build_name(subject);
    x509::CertSpec spec;
    spec.subject = name.get();
    spec.public_key = chosen.key.get();
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = validity.not_after;
    spec.ca = true;
    spec.max_path_len = static_cast<int>(req.constraints.max_path_length);
    spec.key_usage = std::move(key_usage);
    spec.sans = sans;
    spec.permitted_dns_domains = std::move(permitted);
    spec.urls = load_urls(ctx.txn, ctx.mount_name());
    auto cert = x509::sign_certificate(spec, x509::Signer{}, chosen.key.get(), req.signature_bits);
    Issuer issuer = add_issuer(ctx, cert.get(), chosen.entry.id, req.issuer_name);
    store_certificate(ctx, cert.get(), issuer.id);
    GeneratedCa out{std::move(issuer), std::move(cert), chosen.entry, nullptr};
    if (chosen.exported) out.exported = std::move(chosen.key);
    return out;
}

GeneratedCsr generate_intermediate(Context& ctx, const CsrRequest& req) {
    auto subject = req.subject;
    subject.common_name = ascii_host_name(subject.common_name);
    auto sans = sans_from_request(req.sans, subject.common_name);
    std::vector<std::string> key_usage;
    if (!req.key_usage.empty()) key_usage = ca_key_usage(req.key_usage);
    x509::check_signature_bits(req.signature_bits);  // all checked before a key is made (see generate_root)
    auto chosen = choose_key(ctx, req.key);
    auto name = x509::build_name(subject);
    x509::CsrSpec spec;
    spec.subject = name.get();
    spec.sans = sans;
    spec.add_basic_constraints = req.add_basic_constraints;
    spec.key_usage = std::move(key_usage);
    GeneratedCsr out{x509::make_csr(spec, chosen.key.get(), req.signature_bits), chosen.entry, nullptr};
    if (chosen.exported) out.exported = std::move(chosen.key);
    if (req.ttl_given)
        ctx.warnings.push_back("a CSR has no lifetime: ttl, not_after and not_before_duration are ignored; give them when the CSR is "
                               "signed (sign-intermediate ttl=...)");
    return out;
}

SignedCa sign_intermediate(Context& ctx, const SignIntermediateRequest& req) {
    const auto& mount = ctx.mount_name();
    check_path_length(req.constraints.max_path_length);
    Issuer issuer = signing_issuer(ctx, req.issuer_ref);
    auto issuer_cert = issuer.cert();
    std::string label = issuer.name.empty() ? issuer.id : issuer.name;

    int issuer_pl = x509::path_len(issuer_cert.get());
    if (issuer_pl == 0)
        fail(ErrorKind::Denied, "issuer {} has a path length of 0, so it cannot sign an intermediate CA; sign with an issuer whose path length allows it",
             label);
    int mpl = static_cast<int>(req.constraints.max_path_length);
    if (issuer_pl > 0) {
        if (mpl < 0) mpl = issuer_pl - 1;
        else if (mpl > issuer_pl - 1) {
            ctx.warnings.push_back(fmt::format("max_path_length {} exceeds what issuer {} allows; using {}", mpl, label, issuer_pl - 1));
            mpl = issuer_pl - 1;
        }
    }

    if (util::trim(req.csr).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@intermediate.csr)");
    auto csr = x509::parse_csr(req.csr);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    auto kspec = crypto::describe_key(pub);
    if (kspec.type == crypto::KeyType::Rsa && kspec.bits < 2048)
        fail(ErrorKind::Invalid, "the CSR's RSA key has {} bits; at least 2048 are required", kspec.bits);

    x509::CertSpec spec;
    crypto::Name built;
    crypto::Extensions csr_exts;
    spec.key_usage = kCaKeyUsage;
    if (req.use_csr_values) {
        spec.subject = X509_REQ_get_subject_name(csr.get());
        csr_exts.reset(X509_REQ_get_extensions(csr.get()));
        spec.copy_extensions = csr_exts.get();
        for (const auto& ku : x509::csr_key_usages(csr.get()))
            if (std::find(spec.key_usage.begin(), spec.key_usage.end(), ku) == spec.key_usage.end()) spec.key_usage.push_back(ku);
    } else {
        auto subject = req.subject;
        X509_NAME* csr_subject = X509_REQ_get_subject_name(csr.get());
        if (subject.common_name.empty()) subject.common_name = x509::common_name(csr_subject);
        subject.common_name = ascii_host_name(subject.common_name);
        built = x509::build_name(subject);
        spec.subject = built.get();
        // No CN anywhere, as Vault allows: the request's other subject fields, or else the CSR's
        // subject as it is. A CA with no subject at all is refused (it could not name itself).
        if (X509_NAME_entry_count(built.get()) == 0) {
            if (X509_NAME_entry_count(csr_subject) == 0)
                fail(ErrorKind::Invalid,
                     "the CSR has an empty subject and the request gives none; give common_name (or organization, ou ...)");
            spec.subject = csr_subject;
            ctx.warnings.push_back("the CSR has no common name: the certificate takes the CSR's subject as it is");
        }
        spec.sans = sans_from_request(req.sans, subject.common_name);
    }
    auto validity = ca_validity(ctx, req.validity);
    spec.public_key = pub;
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    // As Vault: an intermediate may outlive its signer whatever leaf_not_after_behavior says, and
    // the response warns that it does.
    spec.not_after = validity.not_after;
    if (spec.not_after > x509::not_after(issuer_cert.get()))
        ctx.warnings.push_back(
            "The expiration time for the signed certificate is after the CA's expiration time. If the new certificate is not treated "
            "as a root, validation paths with the certificate past the issuing CA's expiration time will fail.");
    spec.ca = true;
    spec.max_path_len = mpl;
    spec.permitted_dns_domains = permitted_dns_domains(req.constraints);
    spec.urls = load_urls(ctx.txn, mount);
    auto signer = load_private_key(ctx, issuer.key_id);
    x509::check_signature_bits(req.signature_bits);
    auto cert = x509::sign_certificate(spec, x509::signer_of(issuer_cert.get()), signer.get(), req.signature_bits);
    store_certificate(ctx, cert.get(), issuer.id);
    return SignedCa{std::move(cert), issuer.certificate, issuer.ca_chain};
}

SignedCa sign_self_issued(Context& ctx, const SelfIssuedRequest& req) {
    Issuer issuer = signing_issuer(ctx, req.issuer_ref);
    auto issuer_cert = issuer.cert();
    if (util::trim(req.certificate).empty()) fail(ErrorKind::Invalid, "certificate is required; give the PEM self-issued CA certificate");
    auto cert = x509::parse_cert(req.certificate);
    x509::refuse_weak_signature(X509_get_signature_nid(cert.get()), "the certificate");
    crypto::refuse_weak_key(X509_get0_pubkey(cert.get()), "the certificate");
    if (!x509::self_issued(cert.get()))
        fail(ErrorKind::Invalid, "the certificate is not self-issued (its subject and issuer differ); use sign-intermediate for a CSR instead");
    if (!x509::is_ca(cert.get())) fail(ErrorKind::Invalid, "the certificate is not a CA certificate; only self-issued CA certificates can be signed here");
    if (req.require_matching_certificate_algorithms &&
        x509::key_algorithm(X509_get0_pubkey(cert.get())) != x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())))
        fail(ErrorKind::Invalid, "the certificate's key algorithm ({}) differs from the issuer's ({})",
             x509::key_algorithm(X509_get0_pubkey(cert.get())), x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())));
    auto signer = load_private_key(ctx, issuer.key_id);
    auto out = x509::resign_certificate(cert.get(), issuer_cert.get(), signer.get(), load_urls(ctx.txn, ctx.mount_name()));
    return SignedCa{std::move(out), issuer.certificate, {}};
}

ImportResult set_signed(Context& ctx, const std::string& certificate) {
    auto r = import_pem(ctx, certificate, false, "certificate");
    for (const auto& id : r.imported_issuers)
        if (auto i = find_issuer(ctx.txn, ctx.mount_name(), id); i && i->key_id.empty())
            ctx.warnings.push_back(fmt::format("issuer {} has no matching key in mount {}; it cannot sign until its key is imported", i->id,
                                               ctx.mount_name()));
    return r;
}

void delete_root(Context& ctx) {
    const auto& mount = ctx.mount_name();
    ctx.txn.erase_prefix(rec_prefix(mount, kIssuerKind));
    ctx.txn.erase_prefix(rec_prefix(mount, "key"));
    ctx.txn.erase_prefix(rec_prefix(mount, "crl"));
    ctx.txn.del(rec_key(mount, "config", "issuers"));
    ctx.txn.del(rec_key(mount, "config", "keys"));
    ctx.warnings.push_back(fmt::format("every issuer and key of mount {} was deleted", mount));
}

}  // namespace pki::engine
