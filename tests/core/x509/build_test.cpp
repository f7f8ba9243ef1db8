// Certificate and CSR building (core/x509/build.*) and the parsing helpers it is checked with
// (core/x509/cert.*): names, SANs, deterministic signing, digests, CSRs, PEM blocks, serials and
// the key usage vocabularies. Test names start with "build_test: " (ctest -R build_test).
#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <map>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "crypto/keys.hpp"
#include "util/error.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"

using pki::Error;
using pki::ErrorKind;
namespace crypto = pki::crypto;
namespace x509 = pki::x509;

namespace {

// What `f` throws, as text: the pki::Error kind ("Invalid", "Denied" ...), "nothing", or "other: ...".
template <typename F>
std::string thrown(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        switch (e.kind()) {
            case ErrorKind::Invalid: return "Invalid";
            case ErrorKind::Denied: return "Denied";
            case ErrorKind::NotFound: return "NotFound";
            case ErrorKind::Usage: return "Usage";
            case ErrorKind::Forbidden: return "Forbidden";
            case ErrorKind::Unsupported: return "Unsupported";
            case ErrorKind::Unavailable: return "Unavailable";
            case ErrorKind::Storage: return "Storage";
            case ErrorKind::Internal: return "Internal";
        }
    } catch (const std::exception& e) {
        return std::string("other: ") + e.what();
    }
    return "nothing";
}

// Keys are slow to make (RSA especially): one of each, shared by all cases.
EVP_PKEY* key(const std::string& type, int bits) {
    static std::map<std::string, crypto::PKey> keys;
    std::string id = type + std::to_string(bits);
    auto it = keys.find(id);
    if (it == keys.end()) it = keys.emplace(id, crypto::generate_key(crypto::normalize_key_spec(type, bits))).first;
    return it->second.get();
}

std::string entry(const X509_NAME* name, int index) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, index);
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(e);
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
}
int entry_nid(const X509_NAME* name, int index) { return OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name, index))); }
int entry_type(const X509_NAME* name, int index) { return ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index))); }

crypto::Name name_cn(const std::string& cn) {
    x509::Subject s;
    s.common_name = cn;
    return x509::build_name(s);
}

// The text OpenSSL prints for one extension of `cert` ("" when absent).
std::string ext_text(X509* cert, int nid) {
    int idx = X509_get_ext_by_NID(cert, nid, -1);
    if (idx < 0) return "";
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    X509V3_EXT_print(bio.get(), X509_get_ext(cert, idx), 0, 0);
    return crypto::bio_string(bio.get());
}
bool ext_critical(X509* cert, int nid) {
    int idx = X509_get_ext_by_NID(cert, nid, -1);
    return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) == 1;
}
int ext_count(X509* cert, int nid) {
    int n = 0;
    for (int i = 0; i < X509_get_ext_count(cert); ++i)
        if (OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert, i))) == nid) ++n;
    return n;
}

constexpr int64_t kNotBefore = 1700000000;  // 2023-11-14T22:13:20Z
constexpr int64_t kNotAfter = 1800000000;   // 2027-01-15T08:00:00Z

x509::CertSpec ca_spec(const X509_NAME* subject, EVP_PKEY* pub) {
    x509::CertSpec spec;
    spec.subject = subject;
    spec.public_key = pub;
    spec.serial = {0x01, 0x02, 0x03, 0xfe};
    spec.not_before = kNotBefore;
    spec.not_after = kNotAfter;
    spec.ca = true;
    spec.key_usage = {"keyCertSign", "cRLSign"};
    return spec;
}

}  // namespace

TEST_CASE("build_test: build_name: fields in order, multi-valued, string types") {
    x509::Subject s;
    s.common_name = "Example CA";
    s.ou = {"Ops", "Sec"};
    s.organization = {"Example, Inc."};
    s.country = {"GB"};
    s.locality = {"London"};
    s.province = {"England"};
    s.street_address = {"1 Main St"};
    s.postal_code = {"N1 9GU"};
    s.serial_number = "SN-42";
    auto name = x509::build_name(s);
    REQUIRE(X509_NAME_entry_count(name.get()) == 10);
    const std::vector<std::pair<int, std::string>> want{
        {NID_countryName, "GB"},         {NID_stateOrProvinceName, "England"}, {NID_localityName, "London"},
        {NID_streetAddress, "1 Main St"}, {NID_postalCode, "N1 9GU"},          {NID_organizationName, "Example, Inc."},
        {NID_organizationalUnitName, "Ops"}, {NID_organizationalUnitName, "Sec"}, {NID_commonName, "Example CA"},
        {NID_serialNumber, "SN-42"}};
    for (int i = 0; i < 10; ++i) {
        CAPTURE(i);
        CHECK(entry_nid(name.get(), i) == want[static_cast<size_t>(i)].first);
        CHECK(entry(name.get(), i) == want[static_cast<size_t>(i)].second);
    }
    CHECK(entry_type(name.get(), 0) == V_ASN1_PRINTABLESTRING);  // countryName
    CHECK(entry_type(name.get(), 8) == V_ASN1_UTF8STRING);       // commonName
    CHECK(entry_type(name.get(), 9) == V_ASN1_PRINTABLESTRING);  // serialNumber
    CHECK(x509::common_name(name.get()) == "Example CA");
}

TEST_CASE("build_test: build_name: empty values are skipped, UTF-8 kept, bad values refused") {
    x509::Subject empty;
    CHECK(X509_NAME_entry_count(x509::build_name(empty).get()) == 0);
    x509::Subject s;
    s.common_name = "Ünïcode Root";
    s.ou = {"", "Kept"};
    auto name = x509::build_name(s);
    REQUIRE(X509_NAME_entry_count(name.get()) == 2);
    CHECK(entry(name.get(), 0) == "Kept");
    CHECK(x509::common_name(name.get()) == "Ünïcode Root");
    CHECK(entry_type(name.get(), 1) == V_ASN1_UTF8STRING);
    x509::Subject bad;
    bad.country = {"Great Britain"};  // countryName is two letters
    CHECK(thrown([&] { x509::build_name(bad); }) == "Invalid");
}

TEST_CASE("build_test: build_general_names: every kind, in order") {
    x509::Sans sans;
    CHECK(sans.empty());
    sans.dns = {"a.example.com", "*.example.com"};
    sans.email = {"ca@example.com"};
    sans.ip = {"10.0.0.1", "2001:db8::1"};
    sans.uri = {"spiffe://example.com/ca"};
    sans.other = {{"1.3.6.1.4.1.311.20.2.3", "user@example.com"}};
    CHECK_FALSE(sans.empty());
    auto names = x509::build_general_names(sans);
    REQUIRE(sk_GENERAL_NAME_num(names.get()) == 7);
    const int types[] = {GEN_DNS, GEN_DNS, GEN_EMAIL, GEN_IPADD, GEN_IPADD, GEN_URI, GEN_OTHERNAME};
    for (int i = 0; i < 7; ++i) CHECK(sk_GENERAL_NAME_value(names.get(), i)->type == types[i]);
    auto list = x509::sans_of(names.get());
    CHECK(list.dns == std::vector<std::string>{"a.example.com", "*.example.com"});
    CHECK(list.email == std::vector<std::string>{"ca@example.com"});
    CHECK(list.ip == std::vector<std::string>{"10.0.0.1", "2001:db8::1"});
    CHECK(list.uri == std::vector<std::string>{"spiffe://example.com/ca"});
    CHECK(list.other == std::vector<std::string>{"1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com"});
    CHECK(sk_GENERAL_NAME_num(x509::build_general_names(x509::Sans{}).get()) == 0);
}

TEST_CASE("build_test: build_general_names: bad IP addresses, OIDs and non-ASCII names are refused") {
    for (std::string ip : {"300.1.1.1", "10.0.0", "not-an-ip", "", "1.2.3.4/24", "2001:db8:::1"}) {
        CAPTURE(ip);
        x509::Sans s;
        s.ip = {ip};
        CHECK(thrown([&] { x509::build_general_names(s); }) == "Invalid");
    }
    for (std::string oid : {"not.an.oid", "", "abc", "1.2.x"}) {
        CAPTURE(oid);
        x509::Sans s;
        s.other = {{oid, "value"}};
        CHECK(thrown([&] { x509::build_general_names(s); }) == "Invalid");
    }
    x509::Sans dns;
    dns.dns = {"bücher.example.com"};
    CHECK(thrown([&] { x509::build_general_names(dns); }) == "Invalid");
    x509::Sans uri;
    uri.uri = {"https://exämple.com/"};
    CHECK(thrown([&] { x509::build_general_names(uri); }) == "Invalid");
}

TEST_CASE("build_test: sign_certificate: the given serial and times, a self-signed CA") {
    auto name = name_cn("Fixed Root");
    EVP_PKEY* k = key("ec", 256);
    auto spec = ca_spec(name.get(), k);
    spec.max_path_len = 0;
    auto cert = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(x509::serial_hex(cert.get()) == "01:02:03:fe");
    CHECK(x509::not_before(cert.get()) == kNotBefore);
    CHECK(x509::not_after(cert.get()) == kNotAfter);
    CHECK(ASN1_STRING_type(X509_get0_notAfter(cert.get())) == V_ASN1_UTCTIME);
    CHECK(X509_get_version(cert.get()) == X509_VERSION_3);
    CHECK(X509_NAME_cmp(X509_get_subject_name(cert.get()), name.get()) == 0);
    CHECK(x509::self_issued(cert.get()));
    CHECK(x509::signed_by(cert.get(), k));
    CHECK(x509::is_ca(cert.get()));
    CHECK(x509::path_len(cert.get()) == 0);
    CHECK(ext_critical(cert.get(), NID_basic_constraints));
    CHECK(ext_critical(cert.get(), NID_key_usage));
    CHECK(ext_text(cert.get(), NID_key_usage) == "Certificate Sign, CRL Sign");
    CHECK(ext_count(cert.get(), NID_ext_key_usage) == 0);
    CHECK(ext_count(cert.get(), NID_subject_alt_name) == 0);
    CHECK(ext_count(cert.get(), NID_info_access) == 0);
    CHECK(ext_count(cert.get(), NID_crl_distribution_points) == 0);
    // SKID present; AKID names the same key.
    std::string skid = x509::subject_key_id(cert.get());
    CHECK_FALSE(skid.empty());
    const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert.get());
    REQUIRE(akid != nullptr);
    CHECK(ASN1_STRING_cmp(akid, X509_get0_subject_key_id(cert.get())) == 0);
    // Unconstrained when max_path_len is -1.
    spec.max_path_len = -1;
    auto free_ca = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(x509::is_ca(free_ca.get()));
    CHECK(x509::path_len(free_ca.get()) == -1);
    CHECK(ext_text(free_ca.get(), NID_basic_constraints) == "CA:TRUE");
}

TEST_CASE("build_test: sign_certificate: the same inputs give the same certificate (Ed25519 is deterministic)") {
    auto name = name_cn("Deterministic");
    EVP_PKEY* k = key("ed25519", 0);
    auto spec = ca_spec(name.get(), k);
    auto a = x509::sign_certificate(spec, x509::Signer{}, k);
    auto b = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(x509::cert_der(a.get()) == x509::cert_der(b.get()));
    spec.serial = {0x7f};
    auto c = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(x509::cert_der(a.get()) != x509::cert_der(c.get()));
    CHECK(x509::serial_hex(c.get()) == "7f");
}

TEST_CASE("build_test: sign_certificate: dates from 2050 on are GeneralizedTime, up to 9999-12-31T23:59:59Z") {
    auto name = name_cn("Long Lived");
    EVP_PKEY* k = key("ec", 256);
    auto spec = ca_spec(name.get(), k);
    spec.not_after = 253402300799;  // 9999-12-31T23:59:59Z
    auto cert = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(x509::not_after(cert.get()) == 253402300799);
    CHECK(ASN1_STRING_type(X509_get0_notAfter(cert.get())) == V_ASN1_GENERALIZEDTIME);
    spec.not_after = 2524607999;  // 2049-12-31T23:59:59Z
    auto last_utc = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(ASN1_STRING_type(X509_get0_notAfter(last_utc.get())) == V_ASN1_UTCTIME);
    spec.not_after = 2524608000;  // 2050-01-01T00:00:00Z
    auto first_gen = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(ASN1_STRING_type(X509_get0_notAfter(first_gen.get())) == V_ASN1_GENERALIZEDTIME);
    CHECK(x509::not_after(first_gen.get()) == 2524608000);
}

TEST_CASE("build_test: sign_certificate: issued by another CA, with SANs, URLs, name constraints, usages") {
    auto root_name = name_cn("Issuing Root");
    EVP_PKEY* root_key = key("rsa", 2048);
    auto root = x509::sign_certificate(ca_spec(root_name.get(), root_key), x509::Signer{}, root_key);

    auto leaf_name = name_cn("leaf.example.com");
    EVP_PKEY* leaf_key = key("ec", 384);
    x509::CertSpec spec;
    spec.subject = leaf_name.get();
    spec.public_key = leaf_key;
    spec.serial = {0x42};
    spec.not_before = kNotBefore;
    spec.not_after = kNotBefore + 3600;
    spec.basic_constraints_for_non_ca = true;
    spec.key_usage = {"digitalSignature", "keyEncipherment"};
    spec.ext_key_usage = {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"};
    spec.sans.dns = {"leaf.example.com"};
    spec.sans.ip = {"192.0.2.1"};
    spec.urls.issuing_certificates = {"http://ca.example.com/ca"};
    spec.urls.ocsp_servers = {"http://ocsp.example.com"};
    spec.urls.crl_distribution_points = {"http://ca.example.com/crl"};
    auto cert = x509::sign_certificate(spec, x509::signer_of(root.get()), root_key);

    CHECK(X509_NAME_cmp(X509_get_issuer_name(cert.get()), root_name.get()) == 0);
    CHECK_FALSE(x509::self_issued(cert.get()));
    CHECK(x509::signed_by(cert.get(), root_key));
    CHECK_FALSE(x509::signed_by(cert.get(), leaf_key));
    CHECK(X509_verify(cert.get(), X509_get0_pubkey(root.get())) == 1);
    CHECK_FALSE(x509::is_ca(cert.get()));
    CHECK(ext_text(cert.get(), NID_basic_constraints) == "CA:FALSE");
    CHECK(ext_text(cert.get(), NID_key_usage) == "Digital Signature, Key Encipherment");
    CHECK(ext_text(cert.get(), NID_ext_key_usage) == "TLS Web Server Authentication, TLS Web Client Authentication");
    CHECK_FALSE(ext_critical(cert.get(), NID_subject_alt_name));  // the subject is not empty
    auto sans = x509::cert_sans(cert.get());
    CHECK(sans.dns == std::vector<std::string>{"leaf.example.com"});
    CHECK(sans.ip == std::vector<std::string>{"192.0.2.1"});
    std::string aia = ext_text(cert.get(), NID_info_access);
    CHECK(aia.find("CA Issuers - URI:http://ca.example.com/ca") != std::string::npos);
    CHECK(aia.find("OCSP - URI:http://ocsp.example.com") != std::string::npos);
    CHECK(ext_text(cert.get(), NID_crl_distribution_points).find("URI:http://ca.example.com/crl") != std::string::npos);
    const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert.get());
    REQUIRE(akid != nullptr);
    CHECK(ASN1_STRING_cmp(akid, X509_get0_subject_key_id(root.get())) == 0);
    CHECK(x509::subject_key_id(cert.get()) != x509::subject_key_id(root.get()));

    // A CA with name constraints: critical, permitted subtrees.
    auto sub_name = name_cn("Constrained");
    auto sub = ca_spec(sub_name.get(), leaf_key);
    sub.max_path_len = 3;
    sub.permitted_dns_domains = {"example.com", ".example.org"};
    auto constrained = x509::sign_certificate(sub, x509::signer_of(root.get()), root_key);
    CHECK(ext_critical(constrained.get(), NID_name_constraints));
    std::string nc = ext_text(constrained.get(), NID_name_constraints);
    CHECK(nc.find("DNS:example.com") != std::string::npos);
    CHECK(nc.find("DNS:.example.org") != std::string::npos);
    CHECK(x509::path_len(constrained.get()) == 3);
}

TEST_CASE("build_test: sign_certificate: policy OIDs become a certificate policies extension") {
    auto name = name_cn("policies.example.com");
    EVP_PKEY* k = key("ec", 256);
    auto spec = ca_spec(name.get(), k);
    spec.ca = false;
    spec.policy_oids = {"1.3.6.1.4.1.44947.1.1.1", "2.23.140.1.2.1"};
    crypto::Cert cert;
    CHECK(thrown([&] { cert = x509::sign_certificate(spec, x509::Signer{}, k); }) == "nothing");
    REQUIRE(cert);
    std::string pol = ext_text(cert.get(), NID_certificate_policies);
    CHECK(pol.find("1.3.6.1.4.1.44947.1.1.1") != std::string::npos);
    CHECK(pol.find("2.23.140.1.2.1") != std::string::npos);
}

TEST_CASE("build_test: sign_certificate: an empty subject makes the SAN extension critical") {
    crypto::Name empty(X509_NAME_new());
    EVP_PKEY* k = key("ec", 256);
    x509::CertSpec spec;
    spec.subject = empty.get();
    spec.public_key = k;
    spec.serial = {0x01};
    spec.not_before = kNotBefore;
    spec.not_after = kNotAfter;
    spec.sans.uri = {"spiffe://example.com/workload"};
    auto cert = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(ext_critical(cert.get(), NID_subject_alt_name));
}

TEST_CASE("build_test: sign_certificate: copied extensions yield to the ones the spec sets") {
    EVP_PKEY* k = key("ec", 256);
    auto name = name_cn("Copied");
    x509::CsrSpec cs;
    cs.subject = name.get();
    cs.sans.dns = {"copied.example.com"};
    auto csr = x509::make_csr(cs, k);
    crypto::Extensions exts(X509_REQ_get_extensions(csr.get()));
    // Add a CA:FALSE basic constraints the spec must override.
    X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:FALSE");
    REQUIRE(bc != nullptr);
    sk_X509_EXTENSION_push(exts.get(), bc);
    auto spec = ca_spec(name.get(), k);
    spec.copy_extensions = exts.get();
    auto cert = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(ext_count(cert.get(), NID_basic_constraints) == 1);
    CHECK(x509::is_ca(cert.get()));
    CHECK(x509::cert_sans(cert.get()).dns == std::vector<std::string>{"copied.example.com"});
}

TEST_CASE("build_test: sign_certificate: refused inputs") {
    EVP_PKEY* k = key("ec", 256);
    auto name = name_cn("Bad");
    auto spec = ca_spec(name.get(), k);
    spec.urls.issuing_certificates = {"http://a,b/"};  // commas would split the URI list
    CHECK(thrown([&] { x509::sign_certificate(spec, x509::Signer{}, k); }) == "Invalid");
    spec = ca_spec(name.get(), k);
    spec.sans.ip = {"999.0.0.1"};
    CHECK(thrown([&] { x509::sign_certificate(spec, x509::Signer{}, k); }) == "Invalid");
}

TEST_CASE("build_test: resign_certificate: only the issuer, AKID and distribution points change") {
    EVP_PKEY* old_key = key("ec", 256);
    auto old_name = name_cn("Old Root");
    auto old_root = x509::sign_certificate(ca_spec(old_name.get(), old_key), x509::Signer{}, old_key);
    EVP_PKEY* new_key = key("ed25519", 0);
    auto new_name = name_cn("New Root");
    auto new_root = x509::sign_certificate(ca_spec(new_name.get(), new_key), x509::Signer{}, new_key);
    x509::Urls urls;
    urls.crl_distribution_points = {"http://new.example.com/crl"};
    auto out = x509::resign_certificate(old_root.get(), new_root.get(), new_key, urls);
    CHECK(X509_NAME_cmp(X509_get_subject_name(out.get()), old_name.get()) == 0);
    CHECK(X509_NAME_cmp(X509_get_issuer_name(out.get()), new_name.get()) == 0);
    CHECK(x509::serial_hex(out.get()) == x509::serial_hex(old_root.get()));
    CHECK(x509::not_after(out.get()) == x509::not_after(old_root.get()));
    CHECK(x509::public_key_der(out.get()) == x509::public_key_der(old_root.get()));
    CHECK(x509::subject_key_id(out.get()) == x509::subject_key_id(old_root.get()));
    CHECK(ASN1_STRING_cmp(X509_get0_authority_key_id(out.get()), X509_get0_subject_key_id(new_root.get())) == 0);
    CHECK(x509::signed_by(out.get(), new_key));
    CHECK_FALSE(x509::signed_by(out.get(), old_key));
    CHECK(ext_text(out.get(), NID_crl_distribution_points).find("http://new.example.com/crl") != std::string::npos);
    // The original is untouched.
    CHECK(x509::self_issued(old_root.get()));
    CHECK(x509::signed_by(old_root.get(), old_key));
}

TEST_CASE("build_test: digest_for: per key type and signature_bits") {
    CHECK(x509::digest_for(key("rsa", 2048), 0) == EVP_sha256());
    CHECK(x509::digest_for(key("rsa", 2048), 256) == EVP_sha256());
    CHECK(x509::digest_for(key("rsa", 2048), 384) == EVP_sha384());
    CHECK(x509::digest_for(key("rsa", 2048), 512) == EVP_sha512());
    CHECK(x509::digest_for(key("ec", 224), 0) == EVP_sha256());
    CHECK(x509::digest_for(key("ec", 256), 0) == EVP_sha256());
    CHECK(x509::digest_for(key("ec", 384), 0) == EVP_sha384());
    CHECK(x509::digest_for(key("ec", 521), 0) == EVP_sha512());
    CHECK(x509::digest_for(key("ec", 256), 512) == EVP_sha256());  // the curve decides, not signature_bits
    CHECK(x509::digest_for(key("ed25519", 0), 0) == nullptr);
    CHECK(x509::digest_for(key("ed25519", 0), 384) == nullptr);
    // And the certificates say so.
    const std::vector<std::pair<std::pair<std::string, int>, int>> sig{
        {{"rsa", 2048}, NID_sha256WithRSAEncryption}, {{"ec", 224}, NID_ecdsa_with_SHA256},
        {{"ec", 256}, NID_ecdsa_with_SHA256},         {{"ec", 384}, NID_ecdsa_with_SHA384},
        {{"ec", 521}, NID_ecdsa_with_SHA512},         {{"ed25519", 0}, NID_ED25519}};
    for (const auto& [kt, nid] : sig) {
        CAPTURE(kt.first);
        CAPTURE(kt.second);
        auto name = name_cn("Digest");
        EVP_PKEY* k = key(kt.first, kt.second);
        auto cert = x509::sign_certificate(ca_spec(name.get(), k), x509::Signer{}, k);
        CHECK(X509_get_signature_nid(cert.get()) == nid);
        CHECK(x509::signed_by(cert.get(), k));
    }
    auto name = name_cn("Digest 512");
    auto cert = x509::sign_certificate(ca_spec(name.get(), key("rsa", 2048)), x509::Signer{}, key("rsa", 2048), 512);
    CHECK(X509_get_signature_nid(cert.get()) == NID_sha512WithRSAEncryption);
}

TEST_CASE("build_test: make_csr: round trip through parse_csr") {
    for (auto [type, bits] : std::vector<std::pair<std::string, int>>{{"rsa", 2048}, {"ec", 256}, {"ed25519", 0}}) {
        CAPTURE(type);
        EVP_PKEY* k = key(type, bits);
        x509::Subject s;
        s.common_name = "csr.example.com";
        s.organization = {"Org"};
        auto name = x509::build_name(s);
        x509::CsrSpec spec;
        spec.subject = name.get();
        spec.sans.dns = {"csr.example.com", "alt.example.com"};
        spec.sans.ip = {"192.0.2.5"};
        spec.sans.uri = {"urn:example:csr"};
        spec.add_basic_constraints = true;
        auto csr = x509::make_csr(spec, k);
        std::string pem = x509::csr_pem(csr.get());
        CHECK(pem.rfind("-----BEGIN CERTIFICATE REQUEST-----", 0) == 0);
        CHECK(pem.back() == '-');  // no trailing newline
        auto back = x509::parse_csr(pem);
        CHECK(X509_NAME_cmp(X509_REQ_get_subject_name(back.get()), name.get()) == 0);
        CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(back.get()), k) == 1);
        auto sans = x509::csr_sans(back.get());
        CHECK(sans.dns == std::vector<std::string>{"csr.example.com", "alt.example.com"});
        CHECK(sans.ip == std::vector<std::string>{"192.0.2.5"});
        CHECK(sans.uri == std::vector<std::string>{"urn:example:csr"});
        crypto::Extensions exts(X509_REQ_get_extensions(back.get()));
        REQUIRE(exts);
        CHECK(X509v3_get_ext_by_NID(exts.get(), NID_basic_constraints, -1) >= 0);
        CHECK(x509::csr_der(back.get()) == x509::csr_der(csr.get()));
    }
    // Without SANs or basic constraints the CSR has no extension request.
    auto name = name_cn("plain");
    x509::CsrSpec plain;
    plain.subject = name.get();
    auto csr = x509::parse_csr(x509::csr_pem(x509::make_csr(plain, key("ec", 256)).get()));
    crypto::Extensions exts(X509_REQ_get_extensions(csr.get()));
    CHECK((!exts || sk_X509_EXTENSION_num(exts.get()) == 0));
    CHECK(x509::csr_sans(csr.get()).dns.empty());
}

TEST_CASE("build_test: parse_csr: refuses what is not a valid, self-signed CSR") {
    auto name = name_cn("tamper.example.com");
    x509::CsrSpec spec;
    spec.subject = name.get();
    std::string pem = x509::csr_pem(x509::make_csr(spec, key("ec", 256)).get());
    CHECK(thrown([] { x509::parse_csr(""); }) == "Invalid");
    CHECK(thrown([] { x509::parse_csr("garbage"); }) == "Invalid");
    CHECK(thrown([] { x509::parse_csr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"); }) ==
          "Invalid");
    auto root = x509::sign_certificate(ca_spec(name.get(), key("ec", 256)), x509::Signer{}, key("ec", 256));
    CHECK(thrown([&] { x509::parse_csr(x509::cert_pem(root.get())); }) == "Invalid");
    // Change one byte of the subject: the self-signature no longer verifies.
    auto csr = x509::parse_csr(pem);
    std::string der = x509::csr_der(csr.get());
    auto at = der.find("tamper");
    REQUIRE(at != std::string::npos);
    der[at] = 'T';
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    crypto::Req tampered(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
    REQUIRE(tampered);
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_REQ(bio.get(), tampered.get());
    std::string tampered_pem = crypto::bio_string(bio.get());
    CHECK(thrown([&] { x509::parse_csr(tampered_pem); }) == "Invalid");
    // The old "NEW CERTIFICATE REQUEST" label is accepted.
    std::string legacy = pem;
    for (auto marker : {std::string("-----BEGIN "), std::string("-----END ")}) {
        auto pos = legacy.find(marker + "CERTIFICATE REQUEST");
        REQUIRE(pos != std::string::npos);
        legacy.insert(pos + marker.size(), "NEW ");
    }
    CHECK(X509_NAME_cmp(X509_REQ_get_subject_name(x509::parse_csr(legacy).get()), name.get()) == 0);
}

TEST_CASE("build_test: refuse_weak_signature: SHA-1 and MD5 refused, SHA-2 and Ed25519 accepted") {
    for (int nid : {NID_sha1WithRSAEncryption, NID_ecdsa_with_SHA1, NID_md5WithRSAEncryption, NID_dsaWithSHA1})
        CHECK(thrown([&] { x509::refuse_weak_signature(nid, "the CSR"); }) == "Invalid");
    for (int nid : {NID_sha256WithRSAEncryption, NID_ecdsa_with_SHA384, NID_sha512WithRSAEncryption, NID_ED25519,
                    NID_rsassaPss})
        CHECK(thrown([&] { x509::refuse_weak_signature(nid, "the CSR"); }) == "nothing");
    try {
        x509::refuse_weak_signature(NID_sha1WithRSAEncryption, "certificate \"Old CA\"");
        FAIL("not refused");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("certificate \"Old CA\" is signed with SHA1") != std::string::npos);
    }
    // A CSR signed with SHA-1 is refused by parse_csr before anything else looks at it.
    auto name = name_cn("old.example.com");
    auto k = key("ec", 256);
    crypto::Req req(X509_REQ_new());
    X509_REQ_set_subject_name(req.get(), name.get());
    X509_REQ_set_pubkey(req.get(), k);
    REQUIRE(X509_REQ_sign(req.get(), k, EVP_sha1()) > 0);
    CHECK(thrown([&] { x509::parse_csr(x509::csr_pem(req.get())); }) == "Invalid");
}

TEST_CASE("build_test: pem_blocks: labels and texts in order, text between blocks ignored") {
    const std::string a = "-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----";
    const std::string b = "-----BEGIN EC PRIVATE KEY-----\nQkJC\n-----END EC PRIVATE KEY-----";
    const std::string c = "-----BEGIN X509 CRL-----\nQ0ND\n-----END X509 CRL-----";
    auto blocks = x509::pem_blocks("preamble\n" + a + "\nbetween\r\n" + b + c + "\ntrailer");
    REQUIRE(blocks.size() == 3);
    CHECK(blocks[0].label == "CERTIFICATE");
    CHECK(blocks[0].text == a);
    CHECK(blocks[1].label == "EC PRIVATE KEY");
    CHECK(blocks[1].text == b);
    CHECK(blocks[2].label == "X509 CRL");
    CHECK(blocks[2].text == c);
    CHECK(x509::pem_blocks("").empty());
    CHECK(x509::pem_blocks("no pem here").empty());
    CHECK(thrown([] { x509::pem_blocks("-----BEGIN CERTIFICATE-----\nQUFB\n"); }) == "Invalid");
    CHECK(thrown([] { x509::pem_blocks("-----BEGIN CERTIFICATE-----\nQUFB\n-----END PRIVATE KEY-----\n"); }) ==
          "Invalid");
    // CRLF line ends stay inside the block text; parse_cert copes with them.
    auto name = name_cn("crlf");
    auto cert = x509::sign_certificate(ca_spec(name.get(), key("ec", 256)), x509::Signer{}, key("ec", 256));
    std::string pem = x509::cert_pem(cert.get()), crlf;
    for (char ch : pem) {
        if (ch == '\n') crlf += '\r';
        crlf += ch;
    }
    auto crlf_blocks = x509::pem_blocks(crlf);
    REQUIRE(crlf_blocks.size() == 1);
    CHECK(x509::cert_der(x509::parse_cert(crlf).get()) == x509::cert_der(cert.get()));
}

TEST_CASE("build_test: parse_cert, cert_pem, cert_der: one certificate, exactly") {
    auto name = name_cn("Round Trip");
    EVP_PKEY* k = key("ec", 256);
    auto cert = x509::sign_certificate(ca_spec(name.get(), k), x509::Signer{}, k);
    std::string pem = x509::cert_pem(cert.get());
    CHECK(pem.back() == '-');
    CHECK(x509::cert_der(x509::parse_cert(pem).get()) == x509::cert_der(cert.get()));
    CHECK(x509::cert_der(x509::cert_from_der(x509::cert_der(cert.get())).get()) == x509::cert_der(cert.get()));
    CHECK(thrown([] { x509::parse_cert("nothing"); }) == "Invalid");
    CHECK(thrown([] { x509::parse_cert("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"); }) ==
          "Invalid");
    CHECK(thrown([] { x509::cert_from_der("not der"); }) == "Invalid");
    CHECK(x509::fingerprint(cert.get()).size() == 32 * 3 - 1);
}

TEST_CASE("build_test: normalise_serial: any accepted spelling to lower-case colon pairs") {
    CHECK(x509::normalise_serial("1D:2E:C6") == "1d:2e:c6");
    CHECK(x509::normalise_serial("1d-2e-c6") == "1d:2e:c6");
    CHECK(x509::normalise_serial("1d2ec6") == "1d:2e:c6");
    CHECK(x509::normalise_serial("  1d:2e:c6\n") == "1d:2e:c6");
    CHECK(x509::normalise_serial("abc") == "0a:bc");
    CHECK(x509::normalise_serial("00:00:ab") == "ab");
    CHECK(x509::normalise_serial("0") == "00");
    CHECK(x509::normalise_serial("00") == "00");
    CHECK(x509::normalise_serial("7f:00") == "7f:00");
    for (std::string bad : {"", ":", "--", "zz", "1d:2e:g6", "0x1d", "1d 2e"}) {
        CAPTURE(bad);
        CHECK(thrown([&] { x509::normalise_serial(bad); }) == "Invalid");
    }
    // What serial_hex writes, normalise_serial keeps.
    auto name = name_cn("Serial");
    auto spec = ca_spec(name.get(), key("ec", 256));
    spec.serial = {0x00, 0x0a, 0xbc};
    auto cert = x509::sign_certificate(spec, x509::Signer{}, key("ec", 256));
    CHECK(x509::serial_hex(cert.get()) == "0a:bc");
    CHECK(x509::normalise_serial(x509::serial_hex(cert.get())) == x509::serial_hex(cert.get()));
}

TEST_CASE("build_test: key_usage_names: the reference's names, any case, with or without the KeyUsage prefix") {
    CHECK(x509::key_usage_names({}).empty());
    CHECK(x509::key_usage_names({"DigitalSignature", "KeyAgreement", "KeyEncipherment"}) ==
          std::vector<std::string>{"digitalSignature", "keyAgreement", "keyEncipherment"});
    CHECK(x509::key_usage_names({"digitalsignature"}) == std::vector<std::string>{"digitalSignature"});
    CHECK(x509::key_usage_names({"KeyUsageDigitalSignature"}) == std::vector<std::string>{"digitalSignature"});
    CHECK(x509::key_usage_names({"ContentCommitment"}) == std::vector<std::string>{"nonRepudiation"});
    CHECK(x509::key_usage_names({"CertSign", "KeyCertSign", "CRLSign"}) == std::vector<std::string>{"keyCertSign", "cRLSign"});
    CHECK(x509::key_usage_names({"DataEncipherment", "EncipherOnly", "DecipherOnly"}) ==
          std::vector<std::string>{"dataEncipherment", "encipherOnly", "decipherOnly"});
    for (std::string bad : {"Bogus", "", "ServerAuth", "Digital Signature"}) {
        CAPTURE(bad);
        CHECK(thrown([&] { x509::key_usage_names({"DigitalSignature", bad}); }) == "Invalid");
    }
    // The OpenSSL names they map to build a key usage extension.
    auto name = name_cn("Usages");
    EVP_PKEY* k = key("ec", 256);
    auto spec = ca_spec(name.get(), k);
    spec.ca = false;
    spec.key_usage = x509::key_usage_names({"DigitalSignature", "ContentCommitment", "KeyAgreement"});
    auto cert = x509::sign_certificate(spec, x509::Signer{}, k);
    CHECK(ext_text(cert.get(), NID_key_usage) == "Digital Signature, Non Repudiation, Key Agreement");
}

TEST_CASE("build_test: ext_key_usage_oid: names to dotted OIDs, unknown names refused") {
    CHECK(x509::ext_key_usage_oid("ServerAuth") == "1.3.6.1.5.5.7.3.1");
    CHECK(x509::ext_key_usage_oid("serverauth") == "1.3.6.1.5.5.7.3.1");
    CHECK(x509::ext_key_usage_oid("ExtKeyUsageClientAuth") == "1.3.6.1.5.5.7.3.2");
    CHECK(x509::ext_key_usage_oid("CodeSigning") == "1.3.6.1.5.5.7.3.3");
    CHECK(x509::ext_key_usage_oid("EmailProtection") == "1.3.6.1.5.5.7.3.4");
    CHECK(x509::ext_key_usage_oid("TimeStamping") == "1.3.6.1.5.5.7.3.8");
    CHECK(x509::ext_key_usage_oid("OCSPSigning") == "1.3.6.1.5.5.7.3.9");
    CHECK(x509::ext_key_usage_oid("IPSECEndSystem") == "1.3.6.1.5.5.7.3.5");
    CHECK(x509::ext_key_usage_oid("IPSECTunnel") == "1.3.6.1.5.5.7.3.6");
    CHECK(x509::ext_key_usage_oid("IPSECUser") == "1.3.6.1.5.5.7.3.7");
    CHECK(x509::ext_key_usage_oid("Any") == "2.5.29.37.0");
    CHECK(x509::ext_key_usage_oid("MicrosoftServerGatedCrypto") == "1.3.6.1.4.1.311.10.3.3");
    CHECK(x509::ext_key_usage_oid("NetscapeServerGatedCrypto") == "2.16.840.1.113730.4.1");
    CHECK(x509::ext_key_usage_oid("MicrosoftCommercialCodeSigning") == "1.3.6.1.4.1.311.2.1.22");
    CHECK(x509::ext_key_usage_oid("MicrosoftKernelCodeSigning") == "1.3.6.1.4.1.311.61.1.1");
    for (std::string bad : {"Bogus", "", "DigitalSignature", "1.3.6.1.5.5.7.3.1", "Server Auth"}) {
        CAPTURE(bad);
        CHECK(thrown([&] { x509::ext_key_usage_oid(bad); }) == "Invalid");
    }
}
