// Issuing under a role: issue/:role (key generated here), sign/:role (a CSR), sign-verbatim.
#include "engine/leaf.hpp"
#include "engine/roles.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/keys.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
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

std::vector<std::string> role_ext_key_usage(const policy::Role& role) {
    std::vector<std::string> out;
    auto add = [&](const std::string& oid) {
        if (std::find(out.begin(), out.end(), oid) == out.end()) out.push_back(oid);
    };
    if (role.server_flag) add(x509::ext_key_usage_oid("ServerAuth"));
    if (role.client_flag) add(x509::ext_key_usage_oid("ClientAuth"));
    if (role.code_signing_flag) add(x509::ext_key_usage_oid("CodeSigning"));
    if (role.email_protection_flag) add(x509::ext_key_usage_oid("EmailProtection"));
    for (const auto& e : role.ext_key_usage) add(x509::ext_key_usage_oid(e));
    for (const auto& o : role.ext_key_usage_oids) add(o);
    return out;
}

// The role's key usages, less those RFC 8410 forbids for an Ed25519 key (it can only sign).
std::vector<std::string> leaf_key_usage(const policy::Role& role, EVP_PKEY* key) {
    auto usages = x509::key_usage_names(role.key_usage);
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
        std::erase_if(usages, [](const std::string& u) {
            return u == "keyEncipherment" || u == "keyAgreement" || u == "dataEncipherment" || u == "encipherOnly" || u == "decipherOnly";
        });
    return usages;
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

struct Issued {
    crypto::Cert cert;
    Issuer issuer;
    std::vector<std::string> warnings;
    std::string pem;  // the certificate's PEM, encoded once for the store and the response
};

// Validity under a role: request ttl, else role ttl, else the mount default; capped by role
// max_ttl, else the mount max, with a warning whichever of them was capped (as Vault does);
// not_after from the request or the role.
Validity role_validity(const Context& ctx, const policy::Role& role, std::vector<std::string>& warnings) {
    int64_t def = role.ttl > 0 ? role.ttl : ctx.m().default_lease_ttl;
    int64_t max = role.max_ttl > 0 ? role.max_ttl : ctx.m().max_lease_ttl;
    if (!ctx.fields.has("ttl") && ctx.fields.str("not_after").empty() && !role.not_after.empty()) {
        Validity v{ctx.now - role.not_before_duration, *util::parse_utc_time(role.not_after)};
        if (v.not_after <= ctx.now)
            fail(ErrorKind::Denied, "role \"{}\" fixes not_after at {}, which has passed; update the role's not_after, or ask for a ttl",
                 role.name, role.not_after);
        return v;
    }
    return validity_from_fields(ctx, def, max, warnings, role.not_before_duration);
}

Issued sign_leaf(Context& ctx, const policy::Role& role, const Issuer& issuer, const X509_NAME* subject, EVP_PKEY* public_key,
                 const x509::Sans& sans, const STACK_OF(X509_EXTENSION)* copy, std::vector<std::string> key_usage,
                 std::vector<std::string> eku, std::vector<std::string> warnings) {
    SignerInfo info = signer_info(issuer);
    auto validity = role_validity(ctx, role, warnings);
    int64_t limit = info.not_after;
    if (validity.not_after > limit) {
        if (issuer.leaf_not_after_behavior == LeafNotAfter::Truncate) validity.not_after = limit;
        else if (issuer.leaf_not_after_behavior != LeafNotAfter::Permit)
            fail(ErrorKind::Denied,
                 "the requested expiry {} is after the expiry {} of issuer {}; ask for a shorter ttl, or set the issuer's "
                 "leaf_not_after_behavior to truncate or permit",
                 util::format_utc_time(validity.not_after), util::format_utc_time(limit), issuer.name.empty() ? issuer.id : issuer.name);
    }
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
    spec.sans = sans;
    spec.urls = load_urls(ctx.txn, ctx.mount_name());
    spec.policy_oids = role.policy_identifiers;
    spec.copy_extensions = copy;
    auto signer = load_private_key(ctx, issuer.key_id);
    auto cert = x509::sign_certificate(spec, info.signer, signer.get(), role.signature_bits);
    std::string pem = x509::cert_pem(cert.get());
    if (!role.no_store) store_certificate(ctx, cert.get(), issuer.id, pem);
    if (role.generate_lease)
        warnings.push_back("generate_lease is accepted, but pki has no leases; revoke by serial number (pki revoke ...)");
    return {std::move(cert), issuer, std::move(warnings), std::move(pem)};
}

Json leaf_response(const Issued& issued, const std::string& format) {
    X509* cert = issued.cert.get();
    Json data{{"serial_number", x509::serial_hex(cert)}, {"expiration", x509::not_after(cert)}};
    std::vector<std::string> chain = issued.issuer.ca_chain;
    std::string issuing = issued.issuer.certificate;
    if (format == "der") {
        issuing = encode_cert(issued.issuer.cert().get(), "der");
        for (auto& c : chain) c = encode_cert(x509::parse_cert(c).get(), "der");
    }
    data["certificate"] = format == "der" || issued.pem.empty() ? encode_cert(cert, format) : issued.pem;
    data["issuing_ca"] = issuing;
    data["ca_chain"] = chain;
    return data;
}


std::string issuer_ref_for(const Context& ctx, const policy::Role& role) {
    return ctx.fields.has("issuer_ref") ? ctx.fields.str("issuer_ref") : role.issuer_ref;
}

// Gather and check the names of an issue or sign request. `csr` is null for issue.
RequestedNames requested_names(const Context& ctx, const policy::Role& role, X509_REQ* csr) {
    const auto& f = ctx.fields;
    RequestedNames n;
    n.common_name = csr && role.use_csr_common_name ? x509::common_name(X509_REQ_get_subject_name(csr)) : "";
    if (n.common_name.empty()) n.common_name = f.str("common_name");  // also when the CSR has no CN
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
        for (const auto& a : f.list("alt_names")) add_name_san(n.sans, a, SanMode::AsGiven);
        n.sans.ip = f.list("ip_sans");
        n.sans.uri = f.list("uri_sans");
    }
    if (!n.common_name.empty() && !f.boolean("exclude_cn_from_sans")) add_name_san(n.sans, n.common_name, SanMode::CommonName);
    for (const auto& o : f.list("other_sans")) {
        auto p = policy::parse_other_san(o);
        if (!p) fail(ErrorKind::Invalid, "other_sans: \"{}\" is not of the form OID;UTF8:value", o);
        n.sans.other.emplace_back(p->oid, p->value);
    }
    n.subject_serial = f.str("serial_number");
    if (n.subject_serial.empty() && csr) n.subject_serial = x509::subject_serial_number(X509_REQ_get_subject_name(csr));
    check_names(role, n, n.subject_serial);
    return n;
}

}  // namespace

api::Response issue_cert(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    auto pkf = crypto::parse_private_key_format(f.str("private_key_format"));
    (void)pkf;
    auto role = load_role(ctx, f.str("role"));
    if (role.key_type == "any")
        fail(ErrorKind::Invalid, "role \"{}\" has key_type any, which only applies to signing CSRs; set key_type to rsa, ec or ed25519 to issue",
             role.name);
    Issuer issuer = signing_issuer(ctx, issuer_ref_for(ctx, role));
    auto names = requested_names(ctx, role, nullptr);
    auto subject = x509::build_name(role_subject(role, names.common_name, names.subject_serial));
    auto key = ctx.keygen.generate(crypto::normalize_key_spec(role.key_type, role.key_bits));
    auto issued = sign_leaf(ctx, role, issuer, subject.get(), key.get(), names.sans, nullptr,
                            leaf_key_usage(role, key.get()), role_ext_key_usage(role), {});
    Json data = leaf_response(issued, format);
    std::string private_key = encode_private_key(key.get(), format, f.str("private_key_format"));
    data["private_key"] = private_key;
    data["private_key_type"] = role.key_type;
    if (format == "pem_bundle")
        data["certificate"] = private_key + "\n" + data["certificate"].get<std::string>() + "\n" + issued.issuer.certificate;
    return api::reply(std::move(data), std::move(issued.warnings));
}

api::Response sign_cert(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    auto role = load_role(ctx, f.str("role"));
    Issuer issuer = signing_issuer(ctx, issuer_ref_for(ctx, role));
    std::string csr_text = f.str("csr");
    if (util::trim(csr_text).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@request.csr)");
    auto csr = x509::parse_csr(csr_text);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    check_csr_key(role, pub);
    auto names = requested_names(ctx, role, csr.get());
    auto subject = x509::build_name(role_subject(role, names.common_name, names.subject_serial));
    auto issued = sign_leaf(ctx, role, issuer, subject.get(), pub, names.sans, nullptr, leaf_key_usage(role, pub),
                            role_ext_key_usage(role), {});
    Json data = leaf_response(issued, format);
    if (format == "pem_bundle") data["certificate"] = data["certificate"].get<std::string>() + "\n" + issued.issuer.certificate;
    return api::reply(std::move(data), std::move(issued.warnings));
}

api::Response sign_verbatim(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    policy::Role role;  // without a role: mount TTLs, 30s backdating, stored
    role.name = "(none)";
    role.key_usage.clear();
    role.server_flag = role.client_flag = false;
    if (f.has("role") && !f.str("role").empty()) {
        auto named = load_role(ctx, f.str("role"));
        role.name = named.name;
        role.ttl = named.ttl;
        role.max_ttl = named.max_ttl;
        role.generate_lease = named.generate_lease;
        role.no_store = named.no_store;
        role.not_before_duration = named.not_before_duration;
    }
    Issuer issuer = signing_issuer(ctx, f.has("issuer_ref") ? f.str("issuer_ref") : "default");
    std::string csr_text = f.str("csr");
    if (util::trim(csr_text).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@request.csr)");
    auto csr = x509::parse_csr(csr_text);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    crypto::refuse_weak_key(pub, "the CSR");
    crypto::Extensions exts(X509_REQ_get_extensions(csr.get()));
    bool has_ku = false, has_eku = false;
    for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
        X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        if (nid == NID_basic_constraints) {
            crypto::Handle<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
            if (bc && bc->ca)
                fail(ErrorKind::Denied, "sign-verbatim does not issue CA certificates and the CSR asks for CA:TRUE; use root/sign-intermediate");
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
    std::vector<std::string> ku = has_ku ? std::vector<std::string>{} : x509::key_usage_names(f.list("key_usage"));
    std::vector<std::string> eku;
    if (!has_eku) {
        for (const auto& e : f.list("ext_key_usage")) eku.push_back(x509::ext_key_usage_oid(e));
        for (const auto& o : f.list("ext_key_usage_oids")) {
            if (!policy::valid_oid(o)) fail(ErrorKind::Invalid, "ext_key_usage_oids: \"{}\" is not a dotted OID", o);
            eku.push_back(o);
        }
    }
    auto issued = sign_leaf(ctx, role, issuer, X509_REQ_get_subject_name(csr.get()), pub, {}, exts.get(), ku, eku, {});
    Json data = leaf_response(issued, format);
    if (format == "pem_bundle") data["certificate"] = data["certificate"].get<std::string>() + "\n" + issued.issuer.certificate;
    return api::reply(std::move(data), std::move(issued.warnings));
}

}  // namespace pki::engine
