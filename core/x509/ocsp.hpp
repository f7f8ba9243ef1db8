#pragma once
// OCSP (RFC 6960) on OpenSSL's own encoder and decoder: reading a request, answering it with a
// basic response signed by the issuer, and the bare error responses.
#include <openssl/ocsp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/handles.hpp"

namespace pki::x509 {

using OcspReq = crypto::Handle<OCSP_REQUEST, OCSP_REQUEST_free>;

// An issuer as OCSP requests name it (RFC 6960 4.1.1 CertID): the hashes of its subject name and
// of its public key, for each hash a request may use (SHA-1, SHA-256, SHA-384, SHA-512). Worked out
// once per issuer, so matching a request costs no hashing.
struct CertIdHashes {
    int md_nid = 0;
    std::string name_hash, key_hash;
};
std::vector<CertIdHashes> certid_hashes(X509* issuer);

// A decoded OCSP request. Error(Invalid) when `der` is not one (or asks about no certificate).
class OcspRequest {
public:
    explicit OcspRequest(std::string_view der);
    int count() const;                       // how many certificates it asks about
    std::string serial_hex(int i) const;     // "1d:2e:..."
    bool issued_by(int i, const std::vector<CertIdHashes>& issuer) const;  // the CertID names that issuer
    OCSP_CERTID* id(int i) const;
    OCSP_REQUEST* get() const { return req_.get(); }

private:
    OcspReq req_;
};

enum class OcspStatus { Good, Revoked, Unknown };
struct OcspAnswer {
    OcspStatus status = OcspStatus::Unknown;
    int64_t revocation_time = 0;
    int reason = -1;  // CRLReason code, -1 for none
};

struct OcspSigning {
    X509* signer = nullptr;  // the certificate whose key signs (the issuer)
    EVP_PKEY* key = nullptr;
    // A signing context for `key`, initialized once and copied for each response (initializing
    // one looks the digest and signature up in OpenSSL's providers, under a lock); may be null.
    const EVP_MD_CTX* prepared = nullptr;
    // A delegated responder (`signer` is not the issuer): its certificate goes into the response.
    bool include_signer = false;
    int64_t this_update = 0;
    std::optional<int64_t> next_update;  // absent: no nextUpdate (newer information is always available)
};

// A successful response with one answer per certificate of the request (in its order), the
// request's nonce echoed, the responder named by its key hash.
std::string ocsp_response(const OcspRequest& request, const std::vector<OcspAnswer>& answers, const OcspSigning& signing);
// A signing context for `key` with the digest responses are signed with, to copy (OcspSigning).
crypto::MdCtx ocsp_signing_context(EVP_PKEY* key);
// A request about one serial number ("1d:2e:...") of `issuer`, CertID hashed with SHA-256.
std::string ocsp_request_for(X509* issuer, const std::string& serial_hex);
// What a response says, as `openssl ocsp -resp_text` would summarise it: its status
// ("successful", "malformedrequest" ...) and, when successful, each certificate's serial and
// status ("good", "revoked", "unknown"). Error(Invalid) when `der` is not an OCSP response.
struct OcspSummary {
    std::string status;
    std::vector<std::pair<std::string, std::string>> certificates;
};
OcspSummary summarize_ocsp_response(std::string_view der);
// A response without a body: OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, _INTERNALERROR, _UNAUTHORIZED ...
std::string ocsp_status_response(int status);

}  // namespace pki::x509
