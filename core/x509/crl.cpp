#include "x509/crl.hpp"

#include <openssl/pem.h>

#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"

namespace pki::x509 {

using crypto::openssl_error;

namespace {

void set_serial(ASN1_INTEGER* into, const std::string& hex_colon) {
    unsigned char bytes[64];
    size_t n = 0;
    int hi = -1;
    for (char c : hex_colon) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            if (n == sizeof bytes) fail(ErrorKind::Invalid, "serial number {} is too long", hex_colon);
            bytes[n++] = static_cast<unsigned char>(hi << 4 | v);
            hi = -1;
        }
    }
    crypto::BigNum bn(BN_bin2bn(bytes, static_cast<int>(n), nullptr));
    BN_to_ASN1_INTEGER(bn.get(), into);
}

}  // namespace

crypto::Crl build_crl(X509* issuer, EVP_PKEY* key, const CrlSpec& spec, const std::function<bool(CrlEntry&)>& next) {
    crypto::Crl crl(X509_CRL_new());
    X509_CRL* c = crl.get();
    X509_CRL_set_version(c, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
    crypto::Asn1Time t(ASN1_TIME_new());
    ASN1_TIME_set(t.get(), static_cast<time_t>(spec.this_update));
    X509_CRL_set1_lastUpdate(c, t.get());
    ASN1_TIME_set(t.get(), static_cast<time_t>(spec.next_update));
    X509_CRL_set1_nextUpdate(c, t.get());

    CrlEntry e;
    crypto::Asn1Time when(ASN1_TIME_new());
    while (next(e)) {
        crypto::Revoked r(X509_REVOKED_new());
        crypto::Asn1Int serial(ASN1_INTEGER_new());
        set_serial(serial.get(), e.serial_hex);
        X509_REVOKED_set_serialNumber(r.get(), serial.get());
        ASN1_TIME_set(when.get(), static_cast<time_t>(e.revocation_time));
        X509_REVOKED_set_revocationDate(r.get(), when.get());
        X509_CRL_add0_revoked(c, r.release());  // the CRL owns it now
    }

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, c, 0);
    crypto::Ext akid(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!akid) fail(ErrorKind::Internal, "building the CRL's authority key identifier failed: {}", openssl_error());
    X509_CRL_add_ext(c, akid.get(), -1);
    crypto::Asn1Int number(ASN1_INTEGER_new());
    ASN1_INTEGER_set_int64(number.get(), spec.number);
    X509_CRL_add1_ext_i2d(c, NID_crl_number, number.get(), 0, 0);

    X509_CRL_sort(c);
    if (X509_CRL_sign(c, key, digest_for(key, 0)) <= 0) fail(ErrorKind::Internal, "signing the CRL failed: {}", openssl_error());
    return crl;
}

std::string crl_der(X509_CRL* crl) { return crypto::to_der<X509_CRL>(crl, i2d_X509_CRL, "a CRL"); }

std::string crl_pem(X509_CRL* crl) {
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_CRL(bio.get(), crl);
    return std::string(util::trim(crypto::bio_string(bio.get())));
}

crypto::Crl crl_from_der(std::string_view der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()));
    if (!c) fail(ErrorKind::Storage, "a stored CRL is corrupt: {}", openssl_error());
    return crypto::Crl(c);
}

}  // namespace pki::x509
