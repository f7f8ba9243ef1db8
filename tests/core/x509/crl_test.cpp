// CRLs and OCSP at the x509 layer (core/x509/crl.*, core/x509/ocsp.*): what the entry-by-entry
// builder writes must read back in OpenSSL as the CRL it stands for (entries, times, reasons,
// the delta indicator, Freshest CRL) and verify with the issuer's key, for every key type; OCSP
// requests are read and answered as `openssl ocsp` would check them. Test names start with
// "crl_test: " (ctest -R crl_test).
#include <doctest/doctest.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "test_ca.hpp"
#include "crypto/keys.hpp"
#include "util/error.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "x509/crl.hpp"
#include "x509/ocsp.hpp"

namespace crypto = pki::crypto;
namespace x509 = pki::x509;
using pki::Error;
using pki::ErrorKind;

namespace {

struct TestCa : pki::test::SelfSignedCa {
    TestCa(const std::string& type, int bits) : SelfSignedCa("CRL Test Root " + type, type, bits) {}
};

std::vector<x509::CrlEntry> entries(size_t n) {
    std::vector<x509::CrlEntry> out;
    for (size_t i = 0; i < n; ++i) {
        char hex[64];
        std::snprintf(hex, sizeof hex, "7f:%02zx:%02zx:%02zx", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
        out.push_back({hex, 1800000000 + static_cast<int64_t>(i), i % 3 == 0 ? 1 : -1});
    }
    return out;
}

std::string build(const TestCa& ca, const x509::CrlSpec& spec, const std::vector<x509::CrlEntry>& list) {
    size_t pos = 0;
    return x509::build_crl(ca.cert.get(), ca.key.get(), spec, [&](x509::CrlBatch& batch) {  // batches of 7: several encoded in turn
        for (; pos < list.size() && batch.size() < 7; ++pos) batch.push_back(list[pos]);
    });
}

crypto::Crl parse(const std::string& der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
    REQUIRE(c != nullptr);
    CHECK(p == reinterpret_cast<const unsigned char*>(der.data()) + der.size());  // nothing left over
    return crypto::Crl(c);
}

int64_t number_of(X509_CRL* c, int nid) {
    crypto::Asn1Int n(static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(c, nid, nullptr, nullptr)));
    return n ? ASN1_INTEGER_get(n.get()) : -1;
}

}  // namespace

TEST_CASE("crl_test: the built CRL reads back with every entry, time and reason, and verifies") {
    for (auto [type, bits] : {std::pair<std::string, int>{"ec", 256}, {"ec", 384}, {"rsa", 2048}, {"ed25519", 0}}) {
        CAPTURE(type);
        TestCa ca(type, bits);
        auto list = entries(300);
        auto crl = parse(build(ca, x509::CrlSpec{7, 1800000000, 1800003600, std::nullopt, {}}, list));
        CHECK(X509_CRL_verify(crl.get(), ca.key.get()) == 1);
        CHECK(X509_CRL_get_version(crl.get()) == X509_CRL_VERSION_2);
        CHECK(X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), ca.name.get()) == 0);
        CHECK(number_of(crl.get(), NID_crl_number) == 7);
        CHECK(X509_CRL_get_ext_by_NID(crl.get(), NID_delta_crl, -1) < 0);
        CHECK(X509_CRL_get_ext_by_NID(crl.get(), NID_authority_key_identifier, -1) >= 0);
        auto* revoked = X509_CRL_get_REVOKED(crl.get());
        REQUIRE(sk_X509_REVOKED_num(revoked) == 300);
        for (int i = 0; i < 300; ++i) {
            X509_REVOKED* r = sk_X509_REVOKED_value(revoked, i);
            CHECK(x509::serial_hex(X509_REVOKED_get0_serialNumber(r)) == list[static_cast<size_t>(i)].serial_hex);
            int day = 0, sec = 0;
            crypto::Asn1Time want(ASN1_TIME_set(nullptr, static_cast<time_t>(list[static_cast<size_t>(i)].revocation_time)));
            ASN1_TIME_diff(&day, &sec, want.get(), X509_REVOKED_get0_revocationDate(r));
            CHECK(day == 0);
            CHECK(sec == 0);
            crypto::Handle<ASN1_ENUMERATED, ASN1_ENUMERATED_free> reason(
                static_cast<ASN1_ENUMERATED*>(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, nullptr, nullptr)));
            if (i % 3 == 0) {
                REQUIRE(reason);
                CHECK(ASN1_ENUMERATED_get(reason.get()) == 1);
            } else {
                CHECK_FALSE(reason);
            }
        }
    }
}

TEST_CASE("crl_test: serials with leading zeros, odd digit counts and the high bit encode as OpenSSL would") {
    TestCa ca("ec", 256);
    std::vector<x509::CrlEntry> list{{"00:00:ab", 1800000000, -1}, {"ff:01", 1800000000, -1}, {"1", 1800000000, -1}, {"00", 1800000000, -1},
                                     {"80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01", 1800000000, -1}};
    auto crl = parse(build(ca, x509::CrlSpec{1, 1800000000, 1800003600, std::nullopt, {}}, list));
    auto* revoked = X509_CRL_get_REVOKED(crl.get());
    REQUIRE(sk_X509_REVOKED_num(revoked) == 5);
    std::vector<std::string> want{"ab", "ff:01", "01", "00", "80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01"};
    for (int i = 0; i < 5; ++i) CHECK(x509::serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))) == want[static_cast<size_t>(i)]);
}

TEST_CASE("crl_test: times from 2050 on are GeneralizedTime, before that UTCTime (RFC 5280 5.1.2.6)") {
    TestCa ca("ec", 256);
    std::vector<x509::CrlEntry> list{{"01", 2524608000 - 1, -1}, {"02", 2524608000, -1}};  // 2049-12-31T23:59:59Z, 2050-01-01
    auto crl = parse(build(ca, x509::CrlSpec{1, 1800000000, 1800003600, std::nullopt, {}}, list));
    auto* revoked = X509_CRL_get_REVOKED(crl.get());
    CHECK(ASN1_STRING_type(X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(revoked, 0))) == V_ASN1_UTCTIME);
    CHECK(ASN1_STRING_type(X509_REVOKED_get0_revocationDate(sk_X509_REVOKED_value(revoked, 1))) == V_ASN1_GENERALIZEDTIME);
    CHECK(X509_CRL_verify(crl.get(), ca.key.get()) == 1);
}

TEST_CASE("crl_test: an empty CRL has no revokedCertificates and still verifies") {
    TestCa ca("ec", 256);
    auto crl = parse(build(ca, x509::CrlSpec{1, 1800000000, 1800003600, std::nullopt, {}}, {}));
    CHECK(X509_CRL_get_REVOKED(crl.get()) == nullptr);
    CHECK(X509_CRL_verify(crl.get(), ca.key.get()) == 1);
}

TEST_CASE("crl_test: a delta CRL carries the critical indicator of its base; a complete one the Freshest CRL") {
    TestCa ca("ec", 256);
    auto delta = parse(build(ca, x509::CrlSpec{9, 1800000000, 1800003600, 8, {"http://ignored/delta"}}, entries(2)));
    CHECK(number_of(delta.get(), NID_delta_crl) == 8);
    CHECK(number_of(delta.get(), NID_crl_number) == 9);
    int idx = X509_CRL_get_ext_by_NID(delta.get(), NID_delta_crl, -1);
    REQUIRE(idx >= 0);
    CHECK(X509_EXTENSION_get_critical(X509_CRL_get_ext(delta.get(), idx)) == 1);
    CHECK(X509_CRL_get_ext_by_NID(delta.get(), NID_freshest_crl, -1) < 0);  // never on a delta
    CHECK(X509_CRL_verify(delta.get(), ca.key.get()) == 1);

    auto full = parse(build(ca, x509::CrlSpec{8, 1800000000, 1800003600, std::nullopt, {"http://ca.example.com/v1/pki/crl/delta"}}, {}));
    crypto::Handle<STACK_OF(DIST_POINT), CRL_DIST_POINTS_free> dps(
        static_cast<STACK_OF(DIST_POINT)*>(X509_CRL_get_ext_d2i(full.get(), NID_freshest_crl, nullptr, nullptr)));
    REQUIRE(dps);
    REQUIRE(sk_DIST_POINT_num(dps.get()) == 1);
    GENERAL_NAME* gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps.get(), 0)->distpoint->name.fullname, 0);
    REQUIRE(gn->type == GEN_URI);
    CHECK(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier))) ==
          "http://ca.example.com/v1/pki/crl/delta");
    CHECK_THROWS_AS(build(ca, x509::CrlSpec{8, 1800000000, 1800003600, std::nullopt, {"http://a,b"}}, {}), Error);
}

TEST_CASE("crl_test: reason names are RFC 5280's; hold and removeFromCRL are not revocations this tool makes") {
    CHECK(x509::crl_reason_code("keyCompromise") == 1);
    CHECK(x509::crl_reason_code("KEYCOMPROMISE") == 1);
    CHECK(x509::crl_reason_code("aACompromise") == 10);
    CHECK(x509::crl_reason_code("certificateHold") == -1);
    CHECK(x509::crl_reason_code("removeFromCRL") == -1);
    CHECK(x509::crl_reason_code("") == -1);
    CHECK(x509::crl_reason_code("7") == -1);
    CHECK(x509::crl_reason_name(4) == "superseded");
    CHECK(x509::crl_reason_name(7).empty());
}

TEST_CASE("crl_test: PEM from DER without decoding matches OpenSSL's own PEM of the CRL") {
    TestCa ca("ec", 256);
    std::string der = build(ca, x509::CrlSpec{1, 1800000000, 1800003600, std::nullopt, {}}, entries(50));
    auto crl = parse(der);
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_CRL(bio.get(), crl.get());  // OpenSSL's own PEM of the decoded CRL
    std::string pem = crypto::bio_string(bio.get());
    while (!pem.empty() && pem.back() == '\n') pem.pop_back();
    CHECK(x509::crl_der_to_pem(der) == pem);
}

TEST_CASE("crl_test: OCSP requests: read and answered with nonce and every certificate; garbage refused") {
    TestCa ca("ec", 256);
    TestCa other("ec", 256);
    std::string req_der = x509::ocsp_request_for(ca.cert.get(), "0a:0b");
    x509::OcspRequest req(req_der);
    REQUIRE(req.count() == 1);
    CHECK(req.serial_hex(0) == "0a:0b");
    CHECK(req.issued_by(0, x509::certid_hashes(ca.cert.get())));  // the precomputed hashes agree with OpenSSL's CertID
    CHECK_FALSE(req.issued_by(0, x509::certid_hashes(other.cert.get())));

    auto prepared = x509::ocsp_signing_context(ca.key.get());  // copied for each response, so usable again
    for (int round = 0; round < 2; ++round)
        x509::ocsp_response(req, {{x509::OcspStatus::Good, 0, -1}}, {ca.cert.get(), ca.key.get(), prepared.get(), false, 1800000100, std::nullopt});
    std::string resp =
        x509::ocsp_response(req, {{x509::OcspStatus::Revoked, 1800000000, 1}}, {ca.cert.get(), ca.key.get(), prepared.get(), false, 1800000100, 1800003700});
    auto summary = x509::summarize_ocsp_response(resp);
    CHECK(summary.status == "successful");
    REQUIRE(summary.certificates.size() == 1);
    CHECK(summary.certificates[0] == std::pair<std::string, std::string>{"0a:0b", "revoked"});
    // The signature verifies with the issuer as the trusted signer.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(resp.data());
    crypto::Handle<OCSP_RESPONSE, OCSP_RESPONSE_free> r(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(resp.size())));
    REQUIRE(r);
    crypto::Handle<OCSP_BASICRESP, OCSP_BASICRESP_free> bs(OCSP_response_get1_basic(r.get()));
    REQUIRE(bs);
    crypto::CertStack certs(sk_X509_new_null());
    sk_X509_push(certs.get(), X509_dup(ca.cert.get()));
    CHECK(OCSP_basic_verify(bs.get(), certs.get(), nullptr, OCSP_NOVERIFY) == 1);

    for (std::string bad : {std::string(), std::string("garbage"), req_der.substr(0, req_der.size() - 1), req_der + "x"}) {
        try {
            x509::OcspRequest r2(bad);
            FAIL("accepted a malformed request");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Invalid);
        }
    }
    CHECK(x509::summarize_ocsp_response(x509::ocsp_status_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST)).status == "malformedrequest");
    CHECK_THROWS_AS(x509::summarize_ocsp_response("not a response"), Error);
    CHECK_THROWS_AS(x509::ocsp_request_for(ca.cert.get(), "zz"), Error);
}
