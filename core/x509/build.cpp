#include "x509/build.hpp"

#include <openssl/objects.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "crypto/keys.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::x509 {

using crypto::openssl_error;

namespace {

// The request field a subject attribute comes from, for messages.
const char* field_name(int nid) {
    switch (nid) {
        case NID_countryName: return "country";
        case NID_stateOrProvinceName: return "province";
        case NID_localityName: return "locality";
        case NID_streetAddress: return "street_address";
        case NID_postalCode: return "postal_code";
        case NID_organizationName: return "organization";
        case NID_organizationalUnitName: return "ou";
        case NID_commonName: return "common_name";
        case NID_serialNumber: return "serial_number";
        default: return OBJ_nid2sn(nid);
    }
}

void add_entries(X509_NAME* name, int nid, const std::vector<std::string>& values) {
    for (const auto& v : values) {
        if (v.empty()) continue;
        int type = nid == NID_countryName || nid == NID_serialNumber ? MBSTRING_ASC : MBSTRING_UTF8;
        if (nid == NID_countryName && v.size() != 2)
            fail(ErrorKind::Invalid, "country \"{}\" is not a two-letter ISO 3166 code (e.g. US, DE)", v);
        // X.520's upper bounds (O and OU 64, L and ST 128, postalCode 40 ...), counted in characters.
        if (const ASN1_STRING_TABLE* bounds = ASN1_STRING_TABLE_get(nid); bounds && bounds->maxsize > 0) {
            long chars = 0;
            for (unsigned char c : v) chars += (c & 0xC0) != 0x80;
            if (chars > bounds->maxsize)
                fail(ErrorKind::Invalid, "{} \"{}\" is {} characters long; X.509 names allow at most {}", field_name(nid), v, chars,
                     bounds->maxsize);
        }
        if (X509_NAME_add_entry_by_NID(name, nid, type, reinterpret_cast<const unsigned char*>(v.data()),
                                       static_cast<int>(v.size()), -1, 0) != 1)
            fail(ErrorKind::Invalid, "subject value \"{}\" is not valid for {}: {}", v, OBJ_nid2sn(nid), openssl_error());
    }
}

ASN1_IA5STRING* ia5(const std::string& s) {
    for (unsigned char c : s)
        if (c > 0x7f) fail(ErrorKind::Invalid, "\"{}\" must be ASCII (use the IDNA form for international names)", s);
    ASN1_IA5STRING* out = ASN1_IA5STRING_new();
    ASN1_STRING_set(out, s.data(), static_cast<int>(s.size()));
    return out;
}

crypto::Ext conf_ext(X509V3_CTX* ctx, int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
    if (!ext) fail(ErrorKind::Invalid, "could not build the {} extension from \"{}\": {}", OBJ_nid2sn(nid), value, openssl_error());
    return crypto::Ext(ext);
}

void add_ext(X509* cert, X509_EXTENSION* ext) {
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    int idx = nid != NID_undef ? X509_get_ext_by_NID(cert, nid, -1) : -1;
    if (idx >= 0) X509_EXTENSION_free(X509_delete_ext(cert, idx));
    if (X509_add_ext(cert, ext, -1) != 1) fail(ErrorKind::Internal, "adding an extension failed: {}", openssl_error());
}

void set_time(ASN1_TIME* t, int64_t unix_seconds) {
    // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050 (ASN1_TIME_set picks that).
    if (!ASN1_TIME_set(t, static_cast<time_t>(unix_seconds))) fail(ErrorKind::Invalid, "time {} cannot be encoded", unix_seconds);
}

std::string uri_list(const std::string& prefix, const std::vector<std::string>& urls) {
    std::string out;
    for (const auto& u : urls) {
        if (u.find(',') != std::string::npos) fail(ErrorKind::Invalid, "URL \"{}\" must not contain a comma", u);
        if (!out.empty()) out += ",";
        out += prefix + "URI:" + u;
    }
    return out;
}

void add_distribution_points(X509* cert, X509V3_CTX* ctx, const Urls& urls) {
    std::string aia = uri_list("caIssuers;", urls.issuing_certificates);
    std::string ocsp = uri_list("OCSP;", urls.ocsp_servers);
    if (!ocsp.empty()) aia += (aia.empty() ? "" : ",") + ocsp;
    if (!aia.empty()) add_ext(cert, conf_ext(ctx, NID_info_access, aia).get());
    if (!urls.crl_distribution_points.empty())
        add_ext(cert, conf_ext(ctx, NID_crl_distribution_points, uri_list("", urls.crl_distribution_points)).get());
    if (!urls.delta_crl_distribution_points.empty())
        add_ext(cert, conf_ext(ctx, NID_freshest_crl, uri_list("", urls.delta_crl_distribution_points)).get());
}

void sign_with(X509* cert, EVP_PKEY* signer, int signature_bits) {
    if (X509_sign(cert, signer, digest_for(signer, signature_bits)) <= 0)
        fail(ErrorKind::Internal, "signing the certificate failed: {}", openssl_error());
}

}  // namespace

crypto::Name build_name(const Subject& s) {
    crypto::Name name(X509_NAME_new());
    add_entries(name.get(), NID_countryName, s.country);
    add_entries(name.get(), NID_stateOrProvinceName, s.province);
    add_entries(name.get(), NID_localityName, s.locality);
    add_entries(name.get(), NID_streetAddress, s.street_address);
    add_entries(name.get(), NID_postalCode, s.postal_code);
    add_entries(name.get(), NID_organizationName, s.organization);
    add_entries(name.get(), NID_organizationalUnitName, s.ou);
    add_entries(name.get(), NID_commonName, {s.common_name});
    add_entries(name.get(), NID_serialNumber, {s.serial_number});
    return name;
}

crypto::GeneralNames build_general_names(const Sans& sans) {
    crypto::GeneralNames names(sk_GENERAL_NAME_new_null());
    auto push = [&](int type, ASN1_STRING* value) {
        GENERAL_NAME* gn = GENERAL_NAME_new();
        GENERAL_NAME_set0_value(gn, type, value);
        sk_GENERAL_NAME_push(names.get(), gn);
    };
    for (const auto& d : sans.dns) push(GEN_DNS, ia5(d));
    for (const auto& e : sans.email) push(GEN_EMAIL, ia5(e));
    for (const auto& ip : sans.ip) {
        ASN1_OCTET_STRING* os = a2i_IPADDRESS(ip.c_str());
        if (!os) {
            openssl_error();
            fail(ErrorKind::Invalid, "ip_sans: \"{}\" is not a valid IPv4 or IPv6 address", ip);
        }
        push(GEN_IPADD, os);
    }
    for (const auto& u : sans.uri) push(GEN_URI, ia5(u));
    for (const auto& [oid, value] : sans.other) {
        ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
        if (!obj) fail(ErrorKind::Invalid, "other_sans: \"{}\" is not a valid OID", oid);
        ASN1_UTF8STRING* utf8 = ASN1_UTF8STRING_new();
        ASN1_STRING_set(utf8, value.data(), static_cast<int>(value.size()));
        ASN1_TYPE* t = ASN1_TYPE_new();
        ASN1_TYPE_set(t, V_ASN1_UTF8STRING, utf8);
        GENERAL_NAME* gn = GENERAL_NAME_new();
        GENERAL_NAME_set0_othername(gn, obj, t);
        sk_GENERAL_NAME_push(names.get(), gn);
    }
    return names;
}

namespace {

struct PolicyEntry {
    std::string oid, cps, notice;
};

PolicyEntry policy_entry(std::string_view text) {
    if (text.empty() || text.front() != '{') return PolicyEntry{std::string(text), "", ""};
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        fail(ErrorKind::Invalid, "policy_identifiers: {} is not a JSON object with \"oid\"", util::printable(text, 80));
    PolicyEntry p;
    for (const auto& [k, v] : j.items()) {
        if (k != "oid" && k != "cps" && k != "notice")
            fail(ErrorKind::Invalid, "policy_identifiers: unknown member \"{}\" (an entry has oid, cps and notice)", util::printable(k, 40));
        if (!v.is_string()) fail(ErrorKind::Invalid, "policy_identifiers: \"{}\" must be a string", k);
    }
    p.oid = j.value("oid", "");
    p.cps = j.value("cps", "");
    p.notice = j.value("notice", "");
    return p;
}

}  // namespace

std::string canonical_policy_identifier(std::string_view json_text) {
    PolicyEntry p = policy_entry(json_text);
    crypto::Handle<ASN1_OBJECT, ASN1_OBJECT_free> obj(p.oid.empty() ? nullptr : OBJ_txt2obj(p.oid.c_str(), 1));
    bool dotted = !p.oid.empty() && p.oid.find_first_not_of("0123456789.") == std::string::npos && p.oid.front() >= '0' &&
                  p.oid.front() <= '2' && p.oid.find("..") == std::string::npos && p.oid.back() != '.';
    if (!obj || !dotted) fail(ErrorKind::Invalid, "policy_identifiers: \"oid\" \"{}\" is not a dotted OID", util::printable(p.oid, 80));
    for (unsigned char ch : p.cps)
        if (ch < 0x21 || ch > 0x7e)
            fail(ErrorKind::Invalid, "policy_identifiers: \"cps\" must be a URI in printable ASCII (an IA5String), such as https://example.com/cps");
    if (!p.cps.empty() && p.cps.find(':') == std::string::npos)
        fail(ErrorKind::Invalid, "policy_identifiers: \"cps\" \"{}\" is not a URI (it has no scheme)", util::printable(p.cps, 80));
    size_t chars = 0;
    for (unsigned char ch : p.notice) chars += (ch & 0xC0) != 0x80;
    if (chars > 200)
        fail(ErrorKind::Invalid, "policy_identifiers: \"notice\" is longer than the 200 characters RFC 5280 allows");
    nlohmann::ordered_json out;
    out["oid"] = p.oid;
    if (!p.cps.empty()) out["cps"] = p.cps;
    if (!p.notice.empty()) out["notice"] = p.notice;
    return out.dump();
}

void check_signature_bits(int bits) {
    if (bits != 0 && bits != 256 && bits != 384 && bits != 512)
        fail(ErrorKind::Invalid, "signature_bits {} is not supported; use 0 (automatic), 256, 384 or 512", bits);
}

const EVP_MD* digest_for(EVP_PKEY* signer, int signature_bits) {
    switch (EVP_PKEY_get_base_id(signer)) {
        case EVP_PKEY_RSA:
            if (signature_bits == 384) return EVP_sha384();
            if (signature_bits == 512) return EVP_sha512();
            return EVP_sha256();
        case EVP_PKEY_EC: {
            // The curve decides, whatever signature_bits says (the reference's note, and Vault
            // 1.11's code: a hash longer than the curve would be truncated).
            int bits = EVP_PKEY_get_bits(signer);
            if (bits > 384) return EVP_sha512();
            if (bits > 256) return EVP_sha384();
            return EVP_sha256();
        }
        default: return nullptr;  // Ed25519 signs the message itself
    }
}

namespace {

std::string sha1_of_public_key(X509* cert) {
    const unsigned char* pk = nullptr;
    int len = 0;
    X509_PUBKEY_get0_param(nullptr, &pk, &len, nullptr, X509_get_X509_PUBKEY(cert));
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1(pk, static_cast<size_t>(len), md);  // an identifier (RFC 5280 4.2.1.2), not a signature
    return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

crypto::Asn1Octets octets(const std::string& bytes) {
    crypto::Asn1Octets os(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(os.get(), reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    return os;
}

}  // namespace

void set_public_key(X509* cert, EVP_PKEY* key) {
    // X509_set_pubkey encodes the key through an OSSL_ENCODER and decodes it again, which costs
    // more than signing. For EC and Ed25519 keys the SubjectPublicKeyInfo is built directly from
    // the key's public parameters (the same bytes); RSA keys take the general path. The
    // certificate then has no decoded key cached: X509_get0_pubkey() on it gives NULL until it is
    // encoded and parsed again.
    X509_PUBKEY* spki = X509_get_X509_PUBKEY(cert);
    int base = EVP_PKEY_get_base_id(key);
    if (base == EVP_PKEY_EC) {
        if (auto ec = crypto::ec_public(key)) {
            auto* point = static_cast<unsigned char*>(OPENSSL_memdup(ec->point.data(), ec->point.size()));
            if (point && X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT, OBJ_nid2obj(ec->curve_nid),
                                                point, static_cast<int>(ec->point.size())) == 1)
                return;
            OPENSSL_free(point);
        }
    } else if (base == EVP_PKEY_ED25519) {
        size_t len = 0;
        if (EVP_PKEY_get_raw_public_key(key, nullptr, &len) == 1) {
            auto* raw = static_cast<unsigned char*>(OPENSSL_malloc(len));
            if (raw && EVP_PKEY_get_raw_public_key(key, raw, &len) == 1 &&
                X509_PUBKEY_set0_param(spki, OBJ_nid2obj(NID_ED25519), V_ASN1_UNDEF, nullptr, raw, static_cast<int>(len)) == 1)
                return;
            OPENSSL_free(raw);
        }
    }
    if (X509_set_pubkey(cert, key) != 1) fail(ErrorKind::Internal, "setting the certificate's public key failed: {}", openssl_error());
}

std::string key_identifier(X509* cert) {
    if (const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(cert))
        return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)), static_cast<size_t>(ASN1_STRING_length(id)));
    return sha1_of_public_key(cert);
}

Signer signer_of(X509* ca_cert) { return Signer{X509_get_subject_name(ca_cert), key_identifier(ca_cert)}; }

crypto::Cert sign_certificate(const CertSpec& spec, const Signer& issuer, EVP_PKEY* signer, int signature_bits) {
    crypto::Cert cert(X509_new());
    X509* c = cert.get();
    X509_set_version(c, X509_VERSION_3);
    crypto::BigNum bn(BN_bin2bn(spec.serial.data(), static_cast<int>(spec.serial.size()), nullptr));
    BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(c));
    X509_set_subject_name(c, spec.subject);
    X509_set_issuer_name(c, issuer.subject ? issuer.subject : spec.subject);
    set_time(X509_getm_notBefore(c), spec.not_before);
    set_time(X509_getm_notAfter(c), spec.not_after);
    if (spec.public_key_direct) set_public_key(c, spec.public_key);
    else if (X509_set_pubkey(c, spec.public_key) != 1)
        fail(ErrorKind::Internal, "setting the certificate's public key failed: {}", openssl_error());

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, nullptr, c, nullptr, nullptr, 0);

    if (spec.copy_extensions)
        for (int i = 0; i < sk_X509_EXTENSION_num(spec.copy_extensions); ++i)
            add_ext(c, sk_X509_EXTENSION_value(spec.copy_extensions, i));

    if (spec.ca) {
        std::string bc = "critical,CA:TRUE";
        if (spec.max_path_len >= 0) bc += ",pathlen:" + std::to_string(spec.max_path_len);
        add_ext(c, conf_ext(&ctx, NID_basic_constraints, bc).get());
    } else if (spec.basic_constraints_for_non_ca) {
        add_ext(c, conf_ext(&ctx, NID_basic_constraints, "critical,CA:FALSE").get());
    }
    if (!spec.key_usage.empty())
        add_ext(c, conf_ext(&ctx, NID_key_usage, "critical," + util::join(spec.key_usage, ",")).get());
    if (!spec.ext_key_usage.empty())
        add_ext(c, conf_ext(&ctx, NID_ext_key_usage, (spec.ext_key_usage_critical ? "critical," : "") + util::join(spec.ext_key_usage, ",")).get());
    if (spec.ocsp_no_check) add_ext(c, conf_ext(&ctx, NID_id_pkix_OCSP_noCheck, "ignored").get());
    std::string skid = sha1_of_public_key(c);
    auto skid_os = octets(skid);
    add_ext(c, crypto::Ext(X509V3_EXT_i2d(NID_subject_key_identifier, 0, skid_os.get())).get());
    crypto::Handle<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(AUTHORITY_KEYID_new());
    akid->keyid = octets(issuer.subject ? issuer.key_id : skid).release();
    add_ext(c, crypto::Ext(X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid.get())).get());
    if (!spec.sans.empty()) {
        auto names = build_general_names(spec.sans);
        bool critical = X509_NAME_entry_count(spec.subject) == 0;  // RFC 5280 4.2.1.6
        crypto::Ext ext(X509V3_EXT_i2d(NID_subject_alt_name, critical ? 1 : 0, names.get()));
        add_ext(c, ext.get());
    }
    add_distribution_points(c, &ctx, spec.urls);
    if (!spec.policy_oids.empty()) {
        crypto::Handle<CERTIFICATEPOLICIES, CERTIFICATEPOLICIES_free> policies(sk_POLICYINFO_new_null());
        for (const auto& entry : spec.policy_oids) {
            PolicyEntry p = policy_entry(entry);
            ASN1_OBJECT* obj = OBJ_txt2obj(p.oid.c_str(), 1);
            if (!obj) fail(ErrorKind::Invalid, "policy identifier \"{}\" is not a valid OID", p.oid);
            POLICYINFO* info = POLICYINFO_new();
            sk_POLICYINFO_push(policies.get(), info);  // owned by the list from here
            ASN1_OBJECT_free(info->policyid);
            info->policyid = obj;
            // RFC 5280 4.2.1.4: a CPS pointer (IA5String URI) and a user notice (explicitText, UTF8String).
            auto qualifier = [&](int nid) {
                if (!info->qualifiers) info->qualifiers = sk_POLICYQUALINFO_new_null();
                POLICYQUALINFO* q = POLICYQUALINFO_new();
                sk_POLICYQUALINFO_push(info->qualifiers, q);
                q->pqualid = OBJ_nid2obj(nid);
                return q;
            };
            if (!p.cps.empty()) {
                POLICYQUALINFO* q = qualifier(NID_id_qt_cps);
                q->d.cpsuri = ASN1_IA5STRING_new();
                ASN1_STRING_set(q->d.cpsuri, p.cps.data(), static_cast<int>(p.cps.size()));
            }
            if (!p.notice.empty()) {
                POLICYQUALINFO* q = qualifier(NID_id_qt_unotice);
                q->d.usernotice = USERNOTICE_new();
                q->d.usernotice->exptext = ASN1_UTF8STRING_new();
                ASN1_STRING_set(q->d.usernotice->exptext, p.notice.data(), static_cast<int>(p.notice.size()));
            }
        }
        add_ext(c, crypto::Ext(X509V3_EXT_i2d(NID_certificate_policies, 0, policies.get())).get());
    }
    if (!spec.permitted_dns_domains.empty()) {
        std::string nc = "critical";
        for (const auto& d : spec.permitted_dns_domains) nc += ",permitted;DNS:" + d;
        add_ext(c, conf_ext(&ctx, NID_name_constraints, nc).get());
    }
    sign_with(c, signer, signature_bits);
    return cert;
}

crypto::Cert resign_certificate(X509* cert, X509* issuer, EVP_PKEY* signer, const Urls& urls) {
    crypto::Cert out(X509_dup(cert));
    X509* c = out.get();
    X509_set_issuer_name(c, X509_get_subject_name(issuer));
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, c, nullptr, nullptr, 0);
    add_ext(c, conf_ext(&ctx, NID_authority_key_identifier, "keyid:always").get());
    add_distribution_points(c, &ctx, urls);
    sign_with(c, signer, 0);
    return out;
}

crypto::Req make_csr(const CsrSpec& spec, EVP_PKEY* key, int signature_bits) {
    crypto::Req req(X509_REQ_new());
    X509_REQ_set_version(req.get(), X509_REQ_VERSION_1);
    X509_REQ_set_subject_name(req.get(), spec.subject);
    X509_REQ_set_pubkey(req.get(), key);
    crypto::Extensions exts(sk_X509_EXTENSION_new_null());
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
    if (spec.add_basic_constraints)
        sk_X509_EXTENSION_push(exts.get(), conf_ext(&ctx, NID_basic_constraints, "critical,CA:TRUE").release());
    if (!spec.key_usage.empty())
        sk_X509_EXTENSION_push(exts.get(), conf_ext(&ctx, NID_key_usage, "critical," + util::join(spec.key_usage, ",")).release());
    if (!spec.sans.empty()) {
        auto names = build_general_names(spec.sans);
        sk_X509_EXTENSION_push(exts.get(), X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
    }
    if (sk_X509_EXTENSION_num(exts.get()) > 0) X509_REQ_add_extensions(req.get(), exts.get());
    if (X509_REQ_sign(req.get(), key, digest_for(key, signature_bits)) <= 0)
        fail(ErrorKind::Internal, "signing the CSR failed: {}", openssl_error());
    return req;
}

std::vector<std::string> key_usage_names(const std::vector<std::string>& names) {
    static const std::pair<const char*, const char*> kMap[] = {
        {"digitalsignature", "digitalSignature"}, {"contentcommitment", "nonRepudiation"},
        {"nonrepudiation", "nonRepudiation"},     {"keyencipherment", "keyEncipherment"},
        {"dataencipherment", "dataEncipherment"}, {"keyagreement", "keyAgreement"},
        {"certsign", "keyCertSign"},              {"keycertsign", "keyCertSign"},
        {"crlsign", "cRLSign"},                   {"encipheronly", "encipherOnly"},
        {"decipheronly", "decipherOnly"}};
    std::vector<std::string> out;
    for (const auto& n : names) {
        std::string key = util::to_lower(n);
        if (util::ends_with(key, "keyusage")) key = key.substr(0, key.size() - 8);
        if (util::starts_with(key, "keyusage")) key = key.substr(8);
        const char* found = nullptr;
        for (const auto& [ref, ossl] : kMap)
            if (key == ref) found = ossl;
        if (!found)
            fail(ErrorKind::Invalid,
                 "key usage \"{}\" is not known; use DigitalSignature, ContentCommitment, KeyEncipherment, DataEncipherment, "
                 "KeyAgreement, CertSign, CRLSign, EncipherOnly or DecipherOnly",
                 n);
        if (std::find(out.begin(), out.end(), found) == out.end()) out.push_back(found);
    }
    return out;
}

std::optional<std::string> ca_only_usage(const std::vector<std::string>& usages) {
    for (const auto& u : usages) {
        if (u == "keyCertSign") return "CertSign";
        if (u == "cRLSign") return "CRLSign";
    }
    return std::nullopt;
}

std::string ext_key_usage_oid(const std::string& name) {
    static const std::pair<const char*, const char*> kMap[] = {
        {"any", "2.5.29.37.0"},
        {"serverauth", "1.3.6.1.5.5.7.3.1"},
        {"clientauth", "1.3.6.1.5.5.7.3.2"},
        {"codesigning", "1.3.6.1.5.5.7.3.3"},
        {"emailprotection", "1.3.6.1.5.5.7.3.4"},
        {"ipsecendsystem", "1.3.6.1.5.5.7.3.5"},
        {"ipsectunnel", "1.3.6.1.5.5.7.3.6"},
        {"ipsecuser", "1.3.6.1.5.5.7.3.7"},
        {"timestamping", "1.3.6.1.5.5.7.3.8"},
        {"ocspsigning", "1.3.6.1.5.5.7.3.9"},
        {"microsoftservergatedcrypto", "1.3.6.1.4.1.311.10.3.3"},
        {"netscapeservergatedcrypto", "2.16.840.1.113730.4.1"},
        {"microsoftcommercialcodesigning", "1.3.6.1.4.1.311.2.1.22"},
        {"microsoftkernelcodesigning", "1.3.6.1.4.1.311.61.1.1"},
    };
    std::string key = util::to_lower(name);
    if (util::starts_with(key, "extkeyusage")) key = key.substr(11);
    for (const auto& [ref, oid] : kMap)
        if (key == ref) return oid;
    fail(ErrorKind::Invalid,
         "extended key usage \"{}\" is not known; use ServerAuth, ClientAuth, CodeSigning, EmailProtection, TimeStamping, "
         "OCSPSigning, IPSECEndSystem, IPSECTunnel, IPSECUser, Any, or give an OID in ext_key_usage_oids",
         name);
}

}  // namespace pki::x509
