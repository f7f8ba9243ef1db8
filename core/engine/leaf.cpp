// Issuing under a role: issue/:role (key generated here), sign/:role (a CSR), sign-verbatim.
#include "engine/leaf.hpp"

#include <algorithm>

#include "crypto/keys.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/roles.hpp"
#include "policy/names.hpp"
#include "policy/role.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"

namespace pki::engine {
namespace {

// Names requested for a certificate, gathered as Vault gathers them.
struct RequestedNames {
    std::string common_name;
    x509::Sans sans;
    std::string subject_serial;  // the subject's serialNumber attribute: the request's, else the CSR's
};

// Policy checks over everything requested: one refused name refuses the whole request.
void check_names(const policy::Role& role, const RequestedNames& n, const std::string& subject_serial) {
    // The refusal names the role's allowed list once: the reason may already spell it out.
    auto listed = [](const std::string& why, const char* field, const std::vector<std::string>& allowed) {
        return why.find(field) != std::string::npos ? std::string() : fmt::format(" ({}: {})", field, util::join(allowed, ", "));
    };
    auto domains = [&](const std::string& why) { return listed(why, "allowed_domains", role.names.allowed_domains); };
    if (!n.common_name.empty())
        if (auto why = policy::check_name(role.names, n.common_name))
            fail(ErrorKind::Denied, "common name \"{}\" is not allowed by role \"{}\": {}{}", n.common_name, role.name, *why, domains(*why));
    for (const auto& d : n.sans.dns)
        if (auto why = policy::check_name(role.names, d))
            fail(ErrorKind::Denied, "subject alternative name \"{}\" is not allowed by role \"{}\": {}{}", d, role.name, *why,
                 domains(*why));
    for (const auto& e : n.sans.email)
        if (auto why = policy::check_name(role.names, e))
            fail(ErrorKind::Denied, "e-mail address \"{}\" is not allowed by role \"{}\": {}{}", e, role.name, *why, domains(*why));
    for (const auto& ip : n.sans.ip)
        if (auto why = policy::check_ip_san(role.allow_ip_sans, ip))
            fail(ErrorKind::Denied, "IP SAN \"{}\" is not allowed by role \"{}\": {}", ip, role.name, *why);
    for (const auto& u : n.sans.uri)
        if (auto why = policy::check_uri_san(role.allowed_uri_sans, u))
            fail(ErrorKind::Denied, "URI SAN \"{}\" is not allowed by role \"{}\": {}{}", u, role.name, *why,
                 listed(*why, "allowed_uri_sans", role.allowed_uri_sans));
    for (const auto& [oid, value] : n.sans.other) {
        std::string spec = oid + ";UTF8:" + value;
        if (auto why = policy::check_other_san(role.allowed_other_sans, spec))
            fail(ErrorKind::Denied, "other SAN \"{}\" is not allowed by role \"{}\": {} (allowed_other_sans: {})", spec, role.name, *why,
                 util::join(role.allowed_other_sans, ", "));
    }
    if (!subject_serial.empty())
        if (auto why = policy::check_subject_serial(role.allowed_serial_numbers, subject_serial))
            fail(ErrorKind::Denied, "subject serial number \"{}\" is not allowed by role \"{}\": {}", subject_serial, role.name, *why);
}


// Key usages (OpenSSL names) less those the key cannot have: an EC key signs and agrees keys,
// never enciphers (RFC 8813 3: no keyEncipherment, dataEncipherment); an RSA key signs and
// enciphers, never agrees keys (RFC 4055 1.2: no keyAgreement, encipherOnly, decipherOnly);
// an Ed25519 key only signs (RFC 8410 5).
std::vector<std::string> usages_for_key(std::vector<std::string> usages, EVP_PKEY* key) {
    auto drop = [&](std::initializer_list<const char*> names) {
        std::erase_if(usages, [&](const std::string& u) { return std::find(names.begin(), names.end(), u) != names.end(); });
    };
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_EC: drop({"keyEncipherment", "dataEncipherment"}); break;
        case EVP_PKEY_RSA: drop({"keyAgreement", "encipherOnly", "decipherOnly"}); break;
        case EVP_PKEY_ED25519: drop({"keyEncipherment", "keyAgreement", "dataEncipherment", "encipherOnly", "decipherOnly"}); break;
        default: break;
    }
    return usages;
}

std::vector<std::string> leaf_key_usage(const policy::Role& role, EVP_PKEY* key) {
    auto usages = x509::key_usage_names(role.key_usage);
    if (auto ca_usage = x509::ca_only_usage(usages))  // a role stored before these were refused at role write
        fail(ErrorKind::Denied, "role \"{}\" has the key usage {}, which only CA certificates may have; remove it from the role's key_usage",
             role.name, *ca_usage);
    return usages_for_key(std::move(usages), key);
}

// Refuse a certificate whose names fall outside the name constraints of any CA in the issuer's
// chain (RFC 5280 4.2.1.10): a verifier would reject it. The names are read from the certificate
// as signed (every CN and emailAddress of its subject, its SANs), so whatever a CSR carries is
// judged as the verifier will see it.
void check_name_constraints(const Issuer& issuer, X509* cert) {
    if (!issuer.name_constraints || issuer.name_constraints->empty()) return;
    auto s = x509::cert_sans(cert);
    const X509_NAME* subject = X509_get_subject_name(cert);
    x509::Sans names{s.dns, s.email, s.ip, s.uri, {}};
    for (auto& e : x509::name_attributes(subject, NID_pkcs9_emailAddress)) names.email.push_back(std::move(e));
    auto cns = x509::name_attributes(subject, NID_commonName);
    for (const auto& nc : *issuer.name_constraints) {
        if (auto why = x509::name_constraint_violation(nc, cns.empty() ? "" : cns[0], names)) fail(ErrorKind::Denied, "{}", *why);
        for (size_t i = 1; i < cns.size(); ++i)
            if (auto why = x509::name_constraint_violation(nc, cns[i], {})) fail(ErrorKind::Denied, "{}", *why);
    }
}

// The key in a CSR must meet the role's key_type and key_bits.
void check_csr_key(const policy::Role& role, EVP_PKEY* key) {
    auto spec = crypto::describe_key(key);  // refuses unsupported algorithms and curves
    std::string_view type = spec.type_name();
    if (type == "rsa" && spec.bits < 2048)
        fail(ErrorKind::Invalid, "the CSR's RSA key has {} bits; at least 2048 are required", spec.bits);
    if (role.key_type == "any") return;
    if (type != role.key_type)
        fail(ErrorKind::Denied, "role \"{}\" requires {} keys, but the CSR has a{} {} key", role.name, role.key_type,
             type == "ec" || type == "ed25519" ? "n" : "", type);
    if (type == "rsa" && spec.bits < role.key_bits)
        fail(ErrorKind::Denied, "role \"{}\" requires RSA keys of at least {} bits; the CSR's key has {}", role.name, role.key_bits, spec.bits);
    if (type == "ec" && spec.bits < role.key_bits)
        fail(ErrorKind::Denied, "role \"{}\" requires EC keys of at least P-{}; the CSR's key is P-{}", role.name, role.key_bits, spec.bits);
}

// Validity under a role: request ttl, else role ttl, else the mount default; capped by role
// max_ttl, else the mount max, with a warning whichever of them was capped (as Vault does);
// not_after from the request or the role. Backdated by the role's not_before_duration.
Validity role_validity(Context& ctx, const policy::Role& role, ValidityRequest v, bool ttl_given) {
    int64_t def = role.ttl > 0 ? role.ttl : ctx.m().default_lease_ttl;
    int64_t max = role.max_ttl > 0 ? role.max_ttl : ctx.m().max_lease_ttl;
    if (!ttl_given && v.not_after_text.empty() && !role.not_after.empty()) {
        Validity fixed{ctx.now - role.not_before_duration, *util::parse_utc_time(role.not_after)};
        if (fixed.not_after <= ctx.now)
            fail(ErrorKind::Denied, "role \"{}\" fixes not_after at {}, which has passed; update the role's not_after, or ask for a ttl",
                 role.name, role.not_after);
        return fixed;
    }
    v.not_before_duration = role.not_before_duration;
    return validity_from_request(ctx, v, def, max);
}

// Sign a leaf for `public_key` with `issuer` under `role`; stored unless the role says no_store.
IssuedCert sign_leaf(Context& ctx, const policy::Role& role, const Issuer& issuer, const X509_NAME* subject, EVP_PKEY* public_key,
                     const x509::Sans& sans, const STACK_OF(X509_EXTENSION)* copy, std::vector<std::string> key_usage,
                     std::vector<std::string> eku, const ValidityRequest& requested, bool ttl_given) {
    SignerInfo info = signer_info(issuer);
    auto validity = role_validity(ctx, role, requested, ttl_given);
    int64_t limit = info.not_after;
    if (validity.not_after > limit) {
        if (issuer.leaf_not_after_behavior == LeafNotAfter::Truncate) validity.not_after = limit;
        else if (issuer.leaf_not_after_behavior != LeafNotAfter::Permit)
            fail(ErrorKind::Denied,
                 "the requested expiry {} is after the expiry {} of issuer {}; ask for a shorter ttl, or set the issuer's "
                 "leaf_not_after_behavior to truncate or permit",
                 util::format_utc_time(validity.not_after), util::format_utc_time(limit), issuer.name.empty() ? issuer.id : issuer.name);
    }
    if (policy::mixes_time_stamping(eku))
        fail(ErrorKind::Invalid,
             "the TimeStamping extended key usage must be the only one (RFC 3161 2.3); ask for it alone (for a role: "
             "server_flag=false client_flag=false and no other ext_key_usage)");
    bool time_stamping = policy::is_time_stamping(eku);
    bool ocsp = policy::is_ocsp_signing(eku);  // an OCSP responder's certificate
    // A time-stamping key signs time stamps and nothing else: digitalSignature (nonRepudiation)
    // at most, as verifiers check for the timeStamping purpose.
    if (time_stamping)
        std::erase_if(key_usage, [](const std::string& u) { return u != "digitalSignature" && u != "nonRepudiation"; });
    x509::CertSpec spec;
    spec.subject = subject;
    spec.public_key = public_key;
    spec.public_key_direct = true;
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = validity.not_after;
    spec.basic_constraints_for_non_ca = role.basic_constraints_valid_for_non_ca;
    spec.key_usage = std::move(key_usage);
    spec.ext_key_usage = std::move(eku);
    spec.ext_key_usage_critical = time_stamping;
    spec.ocsp_no_check = ocsp;
    spec.sans = sans;
    sort_name_sans(spec.sans);
    spec.urls = load_urls(ctx.txn, ctx.mount_name());
    // An OCSP responder's certificate is not checked for revocation (RFC 6960 4.2.2.2.1): it
    // carries id-pkix-ocsp-nocheck and no CRL distribution point.
    if (ocsp) spec.urls.crl_distribution_points.clear(), spec.urls.delta_crl_distribution_points.clear();
    spec.policy_oids = role.policy_identifiers;
    spec.copy_extensions = copy;
    auto signer = load_private_key(ctx, issuer.key_id);
    IssuedCert out;
    out.cert = x509::sign_certificate(spec, info.signer, signer.get(), role.signature_bits);
    check_name_constraints(issuer, out.cert.get());
    out.certificate = x509::cert_pem(out.cert.get());  // encoded once, for the store and the response
    if (!role.no_store) store_certificate(ctx, out.cert.get(), issuer.id, out.certificate);
    if (role.generate_lease)
        ctx.warnings.push_back("generate_lease is accepted, but pki has no leases; revoke by serial number (pki revoke ...)");
    out.issuing_ca = issuer.certificate;
    out.ca_chain = issuer.ca_chain;
    return out;
}

std::string issuer_ref_for(const std::optional<std::string>& requested, const policy::Role& role) {
    return requested ? *requested : role.issuer_ref;
}

// Gather and check the names of an issue or sign request. `csr` is null for issue.
RequestedNames requested_names(const policy::Role& role, const IssueRequest& req, X509_REQ* csr) {
    RequestedNames n;
    n.common_name = csr && role.use_csr_common_name ? x509::common_name(X509_REQ_get_subject_name(csr)) : "";
    if (n.common_name.empty()) n.common_name = req.common_name;  // also when the CSR has no CN
    if (n.common_name.empty() && role.require_cn)
        fail(ErrorKind::Invalid, "common_name is required by role \"{}\" (require_cn=true); give --common-name or set require_cn=false",
             role.name);
    if (csr && role.use_csr_sans) {
        auto s = x509::csr_sans(csr);
        for (const auto& d : s.dns) add_name_san(n.sans, d, SanMode::AsGiven);
        for (const auto& e : s.email) add_name_san(n.sans, e, SanMode::AsGiven);
        n.sans.ip = s.ip;
        n.sans.uri = s.uri;
        for (const auto& o : s.other)
            if (auto p = policy::parse_other_san(o)) n.sans.other.emplace_back(p->oid, p->value);
    } else {
        for (const auto& a : req.sans.alt_names) add_name_san(n.sans, a, SanMode::AsGiven);
        n.sans.ip = req.sans.ip_sans;
        n.sans.uri = req.sans.uri_sans;
    }
    if (!n.common_name.empty() && !req.sans.exclude_cn_from_sans) add_name_san(n.sans, n.common_name, SanMode::CommonName);
    for (const auto& o : req.sans.other_sans) {
        auto p = policy::parse_other_san(o);
        if (!p) fail(ErrorKind::Invalid, "other_sans: \"{}\" is not of the form OID;UTF8:value", o);
        n.sans.other.emplace_back(p->oid, p->value);
    }
    n.subject_serial = req.serial_number;
    if (n.subject_serial.empty() && csr) n.subject_serial = x509::subject_serial_number(X509_REQ_get_subject_name(csr));
    check_names(role, n, n.subject_serial);
    // A host name in the CN is written as its SAN is (A-labels), so that the two agree.
    n.common_name = ascii_host_name(n.common_name);
    return n;
}

crypto::Req parse_request_csr(const std::string& pem) {
    if (util::trim(pem).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@request.csr)");
    return x509::parse_csr(pem);
}

}  // namespace

IssuedCert issue_cert(Context& ctx, const IssueRequest& req) {
    auto role = load_role(ctx, req.role);
    if (role.key_type == "any")
        fail(ErrorKind::Invalid, "role \"{}\" has key_type any, which only applies to signing CSRs; set key_type to rsa, ec or ed25519 to issue",
             role.name);
    Issuer issuer = signing_issuer(ctx, issuer_ref_for(req.issuer_ref, role));
    auto names = requested_names(role, req, nullptr);
    auto subject = x509::build_name(role_subject(role, names.common_name, names.subject_serial));
    auto key = ctx.keygen.generate(crypto::normalize_key_spec(role.key_type, role.key_bits));
    auto issued = sign_leaf(ctx, role, issuer, subject.get(), key.get(), names.sans, nullptr, leaf_key_usage(role, key.get()),
                            policy::role_ext_key_usage(role), req.validity, req.ttl_given);
    issued.private_key = std::move(key);
    issued.private_key_type = role.key_type;
    return issued;
}

IssuedCert sign_cert(Context& ctx, const SignRequest& req) {
    auto role = load_role(ctx, req.role);
    Issuer issuer = signing_issuer(ctx, issuer_ref_for(req.issuer_ref, role));
    auto csr = parse_request_csr(req.csr);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    check_csr_key(role, pub);
    auto names = requested_names(role, req, csr.get());
    auto subject = x509::build_name(role_subject(role, names.common_name, names.subject_serial));
    return sign_leaf(ctx, role, issuer, subject.get(), pub, names.sans, nullptr, leaf_key_usage(role, pub), policy::role_ext_key_usage(role),
                     req.validity, req.ttl_given);
}

IssuedCert sign_verbatim(Context& ctx, const VerbatimRequest& req) {
    policy::Role role;  // without a role: mount TTLs, 30s backdating, stored
    role.name = "(none)";
    role.key_usage.clear();
    role.server_flag = role.client_flag = false;
    if (!req.role.empty()) {
        auto named = load_role(ctx, req.role);
        role.name = named.name;
        role.ttl = named.ttl;
        role.max_ttl = named.max_ttl;
        role.generate_lease = named.generate_lease;
        role.no_store = named.no_store;
        role.not_before_duration = named.not_before_duration;
    }
    Issuer issuer = signing_issuer(ctx, req.issuer_ref.value_or("default"));
    auto csr = parse_request_csr(req.csr);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    crypto::refuse_weak_key(pub, "the CSR");
    crypto::Extensions exts(X509_REQ_get_extensions(csr.get()));
    bool has_ku = false, has_eku = false;
    for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
        X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        if (nid == NID_basic_constraints) {
            // As Vault: the leaf is issued without the CSR's basic constraints (a CA:TRUE there
            // would make a CA), and the response says so.
            crypto::Handle<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
            if (!bc || bc->ca) {
                ctx.warnings.push_back("the CSR asks for CA:TRUE; sign-verbatim issues leaves, so the certificate has no CA basic "
                                       "constraint (use root/sign-intermediate for a CA)");
                X509_EXTENSION_free(sk_X509_EXTENSION_delete(exts.get(), i));
                --i;
                continue;
            }
        }
        // What only a CA certificate may carry (RFC 5280 4.2.1.3, 4.2.1.10) has no place in a leaf.
        if (nid == NID_key_usage) {
            crypto::Handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free> bits(static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(ext)));
            if (bits && (ASN1_BIT_STRING_get_bit(bits.get(), 5) || ASN1_BIT_STRING_get_bit(bits.get(), 6)))
                fail(ErrorKind::Denied, "the CSR asks for the keyCertSign or cRLSign key usage, which only CA certificates may have; "
                                        "remove it, or use root/sign-intermediate for a CA");
        }
        if (nid == NID_name_constraints)
            fail(ErrorKind::Denied, "the CSR asks for name constraints, which only CA certificates may carry; remove them, or use "
                                    "root/sign-intermediate for a CA");
        has_ku = has_ku || nid == NID_key_usage;
        has_eku = has_eku || nid == NID_ext_key_usage;
    }
    if (auto ca_usage = x509::ca_only_usage(x509::key_usage_names(req.key_usage)))
        fail(ErrorKind::Denied, "key_usage {} is only for CA certificates, which sign-verbatim does not issue; remove it, or use "
                                "root/sign-intermediate for a CA", *ca_usage);
    // The CSR's own usages when it has them (else the request's), held to the same rules as a
    // role's: fitted to the key, TimeStamping alone, OCSP signing with nocheck.
    std::vector<std::string> ku = usages_for_key(has_ku ? x509::csr_key_usages(csr.get()) : x509::key_usage_names(req.key_usage), pub);
    if (has_ku && ku.empty())
        fail(ErrorKind::Denied, "the CSR asks only for key usages its {} key cannot have; ask for digitalSignature (or usages that fit the key)",
             crypto::describe_key(pub).type_name());
    std::vector<std::string> eku;
    if (has_eku) {
        eku = x509::csr_ext_key_usages(csr.get());
    } else {
        for (const auto& e : req.ext_key_usage) eku.push_back(x509::ext_key_usage_oid(e));
        for (const auto& o : req.ext_key_usage_oids) {
            if (!policy::valid_oid(o)) fail(ErrorKind::Invalid, "ext_key_usage_oids: \"{}\" is not a dotted OID", o);
            eku.push_back(o);
        }
    }
    // The CSR's subject, with Vault's additions: a common name when it has none, a serialNumber
    // when it has none.
    const X509_NAME* subject = X509_REQ_get_subject_name(csr.get());
    crypto::Name adjusted;
    auto add_entry = [&](int nid, const std::string& value) {
        if (!adjusted) adjusted.reset(X509_NAME_dup(subject));
        if (!X509_NAME_add_entry_by_NID(adjusted.get(), nid, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                        static_cast<int>(value.size()), -1, 0))
            fail(ErrorKind::Invalid, "\"{}\" cannot be a subject attribute (too long, or not valid text)", util::printable(value, 80));
    };
    X509_NAME* csr_subject = X509_REQ_get_subject_name(csr.get());
    if (!req.common_name.empty() && x509::common_name(csr_subject).empty()) add_entry(NID_commonName, req.common_name);
    if (!req.serial_number.empty() && x509::subject_serial_number(csr_subject).empty()) add_entry(NID_serialNumber, req.serial_number);
    if (adjusted) subject = adjusted.get();
    // other_sans join the CSR's names (its SAN extension is then written anew from them).
    x509::Sans sans;
    if (!req.other_sans.empty()) {
        auto s = x509::csr_sans(csr.get());
        sans.dns = s.dns;
        sans.email = s.email;
        sans.ip = s.ip;
        sans.uri = s.uri;
        for (const auto& o : s.other)
            if (auto p = policy::parse_other_san(o)) sans.other.emplace_back(p->oid, p->value);
        for (const auto& o : req.other_sans) {
            auto p = policy::parse_other_san(o);
            if (!p) fail(ErrorKind::Invalid, "other_sans: \"{}\" is not of the form OID;UTF8:value", o);
            sans.other.emplace_back(p->oid, p->value);
        }
    }
    // The pseudo-role has no not_after, so whether a ttl was given does not matter.
    return sign_leaf(ctx, role, issuer, subject, pub, sans, exts.get(), ku, eku, req.validity, false);
}

}  // namespace pki::engine
