#include "x509/ocsp.hpp"

#include <openssl/err.h>

#include <cstring>

#include "util/error.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"

namespace pki::x509 {

using crypto::openssl_error;

namespace {

using BasicResp = crypto::Handle<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using Response = crypto::Handle<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using CertId = crypto::Handle<OCSP_CERTID, OCSP_CERTID_free>;

}  // namespace

OcspRequest::OcspRequest(std::string_view der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    req_.reset(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
    if (!req_ || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
        ERR_clear_error();
        fail(ErrorKind::Invalid, "the OCSP request is not DER of an OCSPRequest (RFC 6960 4.1.1); build one with openssl ocsp -reqout");
    }
    if (count() == 0) fail(ErrorKind::Invalid, "the OCSP request asks about no certificate");
    for (int i = 0; i < count(); ++i) {
        ASN1_OBJECT* md = nullptr;
        OCSP_id_get0_info(nullptr, &md, nullptr, nullptr, id(i));
        if (!md || !EVP_get_digestbyobj(md))
            fail(ErrorKind::Invalid, "the OCSP request's certificate {} names a hash algorithm this tool does not know", i + 1);
    }
}

int OcspRequest::count() const { return OCSP_request_onereq_count(req_.get()); }

OCSP_CERTID* OcspRequest::id(int i) const { return OCSP_onereq_get0_id(OCSP_request_onereq_get0(req_.get(), i)); }

std::string OcspRequest::serial_hex(int i) const {
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id(i));
    return serial ? x509::serial_hex(serial) : std::string();
}

std::vector<CertIdHashes> certid_hashes(X509* issuer) {
    std::vector<CertIdHashes> out;
    const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(issuer);
    for (int nid : {NID_sha1, NID_sha256, NID_sha384, NID_sha512}) {
        const EVP_MD* md = EVP_get_digestbynid(nid);
        unsigned char buf[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        CertIdHashes h;
        h.md_nid = nid;
        if (!md || !X509_NAME_digest(X509_get_subject_name(issuer), md, buf, &n)) continue;
        h.name_hash.assign(reinterpret_cast<const char*>(buf), n);
        if (!key || !EVP_Digest(ASN1_STRING_get0_data(key), static_cast<size_t>(ASN1_STRING_length(key)), buf, &n, md, nullptr)) continue;
        h.key_hash.assign(reinterpret_cast<const char*>(buf), n);
        out.push_back(std::move(h));
    }
    ERR_clear_error();
    return out;
}

bool OcspRequest::issued_by(int i, const std::vector<CertIdHashes>& issuer) const {
    ASN1_OCTET_STRING *name = nullptr, *key = nullptr;
    ASN1_OBJECT* md = nullptr;
    OCSP_id_get0_info(&name, &md, &key, nullptr, id(i));
    if (!name || !key || !md) return false;
    int nid = OBJ_obj2nid(md);
    auto same = [](const ASN1_OCTET_STRING* a, const std::string& b) {
        return static_cast<size_t>(ASN1_STRING_length(a)) == b.size() && std::memcmp(ASN1_STRING_get0_data(a), b.data(), b.size()) == 0;
    };
    for (const auto& h : issuer)
        if (h.md_nid == nid) return same(name, h.name_hash) && same(key, h.key_hash);
    return false;
}

crypto::MdCtx ocsp_signing_context(EVP_PKEY* key) {
    crypto::MdCtx mctx(EVP_MD_CTX_new());
    if (!mctx || EVP_DigestSignInit(mctx.get(), nullptr, digest_for(key, 0), nullptr, key) != 1)
        fail(ErrorKind::Internal, "preparing to sign OCSP responses failed: {}", openssl_error());
    return mctx;
}

std::string ocsp_response(const OcspRequest& request, const std::vector<OcspAnswer>& answers, const OcspSigning& signing) {
    BasicResp bs(OCSP_BASICRESP_new());
    crypto::Asn1Time this_update(ASN1_TIME_new()), next_update(ASN1_TIME_new()), revoked_at(ASN1_TIME_new());
    ASN1_TIME_set(this_update.get(), static_cast<time_t>(signing.this_update));
    if (signing.next_update) ASN1_TIME_set(next_update.get(), static_cast<time_t>(*signing.next_update));
    for (int i = 0; i < request.count(); ++i) {
        const OcspAnswer& a = answers.at(static_cast<size_t>(i));
        int status = a.status == OcspStatus::Good ? V_OCSP_CERTSTATUS_GOOD
                     : a.status == OcspStatus::Revoked ? V_OCSP_CERTSTATUS_REVOKED
                                                       : V_OCSP_CERTSTATUS_UNKNOWN;
        ASN1_TIME* rev = nullptr;
        if (a.status == OcspStatus::Revoked) {
            ASN1_TIME_set(revoked_at.get(), static_cast<time_t>(a.revocation_time));
            rev = revoked_at.get();
        }
        if (!OCSP_basic_add1_status(bs.get(), request.id(i), status, a.status == OcspStatus::Revoked ? a.reason : -1, rev,
                                    this_update.get(), signing.next_update ? next_update.get() : nullptr))
            fail(ErrorKind::Internal, "building the OCSP response failed: {}", openssl_error());
    }
    if (OCSP_copy_nonce(bs.get(), request.get()) <= 0) fail(ErrorKind::Internal, "echoing the OCSP nonce failed: {}", openssl_error());

    crypto::MdCtx mctx(EVP_MD_CTX_new());
    bool ready = signing.prepared ? EVP_MD_CTX_copy_ex(mctx.get(), signing.prepared) == 1
                                  : EVP_DigestSignInit(mctx.get(), nullptr, digest_for(signing.key, 0), nullptr, signing.key) == 1;
    if (!ready || OCSP_basic_sign_ctx(bs.get(), signing.signer, mctx.get(), nullptr, signing.include_signer ? 0 : OCSP_NOCERTS) != 1)
        fail(ErrorKind::Internal, "signing the OCSP response failed: {}", openssl_error());
    Response resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs.get()));
    if (!resp) fail(ErrorKind::Internal, "building the OCSP response failed: {}", openssl_error());
    return crypto::to_der<OCSP_RESPONSE>(resp.get(), i2d_OCSP_RESPONSE, "an OCSP response");
}

std::string ocsp_request_for(X509* issuer, const std::string& serial_hex) {
    std::string hex;
    for (char c : serial_hex)
        if (c != ':') hex += c;
    BIGNUM* raw = nullptr;
    if (hex.empty() || BN_hex2bn(&raw, hex.c_str()) != static_cast<int>(hex.size()))
        fail(ErrorKind::Invalid, "serial number \"{}\" is not hex such as 1d:2e:c6", serial_hex);
    crypto::BigNum bn(raw);
    crypto::Asn1Int serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    OcspReq req(OCSP_REQUEST_new());
    OCSP_CERTID* id = OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), serial.get());
    if (!id || !OCSP_request_add0_id(req.get(), id)) {
        OCSP_CERTID_free(id);
        fail(ErrorKind::Internal, "building the OCSP request failed: {}", openssl_error());
    }
    return crypto::to_der<OCSP_REQUEST>(req.get(), i2d_OCSP_REQUEST, "an OCSP request");
}

OcspSummary summarize_ocsp_response(std::string_view der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    Response resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    if (!resp) {
        ERR_clear_error();
        fail(ErrorKind::Invalid, "the answer is not an OCSP response");
    }
    OcspSummary out;
    int status = OCSP_response_status(resp.get());
    out.status = OCSP_response_status_str(status);
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) return out;
    BasicResp bs(OCSP_response_get1_basic(resp.get()));
    if (!bs) fail(ErrorKind::Invalid, "the OCSP response has no basic response");
    for (int i = 0; i < OCSP_resp_count(bs.get()); ++i) {
        OCSP_SINGLERESP* single = OCSP_resp_get0(bs.get(), i);
        ASN1_INTEGER* serial = nullptr;
        OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single)));
        int reason = -1;
        int st = OCSP_single_get0_status(single, &reason, nullptr, nullptr, nullptr);
        out.certificates.emplace_back(serial ? serial_hex(serial) : std::string("?"), OCSP_cert_status_str(st));
    }
    return out;
}

std::string ocsp_status_response(int status) {
    Response resp(OCSP_response_create(status, nullptr));
    if (!resp) fail(ErrorKind::Internal, "building the OCSP response failed: {}", openssl_error());
    return crypto::to_der<OCSP_RESPONSE>(resp.get(), i2d_OCSP_RESPONSE, "an OCSP response");
}

}  // namespace pki::x509
