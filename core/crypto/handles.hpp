#pragma once
// RAII for OpenSSL handles: one stateless deleter per type, as BoringSSL's UniquePtr does.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

namespace pki::crypto {

template <typename T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Free>>;

inline void bio_free(BIO* b) { BIO_free_all(b); }
inline void gens_free(GENERAL_NAMES* g) { GENERAL_NAMES_free(g); }
inline void x509_stack_free(STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); }
inline void ext_stack_free(STACK_OF(X509_EXTENSION)* s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }

using PKey = Handle<EVP_PKEY, EVP_PKEY_free>;
using PKeyCtx = Handle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = Handle<EVP_MD_CTX, EVP_MD_CTX_free>;
using Bio = Handle<BIO, bio_free>;
using Cert = Handle<X509, X509_free>;
using Req = Handle<X509_REQ, X509_REQ_free>;
using Crl = Handle<X509_CRL, X509_CRL_free>;
using Revoked = Handle<X509_REVOKED, X509_REVOKED_free>;
using Name = Handle<X509_NAME, X509_NAME_free>;
using Ext = Handle<X509_EXTENSION, X509_EXTENSION_free>;
using GeneralNames = Handle<GENERAL_NAMES, gens_free>;
using Asn1Int = Handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using Asn1Time = Handle<ASN1_TIME, ASN1_TIME_free>;
using Asn1Octets = Handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Asn1Object = Handle<ASN1_OBJECT, ASN1_OBJECT_free>;
using BigNum = Handle<BIGNUM, BN_free>;
using CertStack = Handle<STACK_OF(X509), x509_stack_free>;
using Extensions = Handle<STACK_OF(X509_EXTENSION), ext_stack_free>;

// Memory OpenSSL allocated for us (i2d output, UTF-8 conversions).
inline void openssl_free(unsigned char* p) { OPENSSL_free(p); }
using OsslBytes = Handle<unsigned char, openssl_free>;

// DER encoding of any object with an i2d function; Error(Internal) naming `what` on failure.
template <typename T>
std::string to_der(const T* obj, int (*i2d)(const T*, unsigned char**), const char* what);

// The text of OpenSSL's error queue (then cleared), for error messages.
std::string openssl_error();

// A memory BIO over `data`; read-only.
Bio mem_bio(std::string_view data);
// Drain a memory BIO into a string.
std::string bio_string(BIO* bio);

[[noreturn]] void der_failure(const char* what);

template <typename T>
std::string to_der(const T* obj, int (*i2d)(const T*, unsigned char**), const char* what) {
    unsigned char* raw = nullptr;
    int n = i2d(obj, &raw);
    OsslBytes buf(raw);
    if (n <= 0) der_failure(what);
    return std::string(reinterpret_cast<const char*>(buf.get()), static_cast<size_t>(n));
}

}  // namespace pki::crypto
