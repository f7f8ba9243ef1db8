// OCSP as pki serve and pki ocsp take it: a request (any bytes a client sends), matched against an
// issuer and answered, signed, with its nonce echoed; and a response as pki ocsp reads one back.
#include "crypto/keys.hpp"
#include "fuzz_common.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "x509/ocsp.hpp"

namespace {

struct Issuer {
    pki::crypto::PKey key = pki::crypto::generate_key(pki::crypto::normalize_key_spec("ec", 256));
    pki::crypto::Name name;
    pki::crypto::Cert cert;
    std::vector<pki::x509::CertIdHashes> hashes;
    pki::crypto::MdCtx prepared;
    Issuer() {
        pki::x509::Subject s;
        s.common_name = "Fuzz Root";
        name = pki::x509::build_name(s);
        pki::x509::CertSpec spec;
        spec.subject = name.get();
        spec.public_key = key.get();
        spec.serial = {0x01};
        spec.not_before = 1700000000;
        spec.not_after = 1900000000;
        spec.ca = true;
        spec.key_usage = {"keyCertSign", "cRLSign"};
        cert = pki::x509::sign_certificate(spec, pki::x509::Signer{}, key.get());
        hashes = pki::x509::certid_hashes(cert.get());
        prepared = pki::x509::ocsp_signing_context(key.get());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Issuer issuer;
    auto input = pki::fuzz::text(data, size);
    pki::fuzz::run([&] {
        pki::x509::OcspRequest req(input);
        std::vector<pki::x509::OcspAnswer> answers;
        for (int i = 0; i < req.count(); ++i) {
            req.serial_hex(i);
            bool mine = req.issued_by(i, issuer.hashes);
            answers.push_back({mine ? pki::x509::OcspStatus::Revoked : pki::x509::OcspStatus::Unknown, 1800000000, mine ? 1 : -1});
        }
        auto der = pki::x509::ocsp_response(req, answers, {issuer.cert.get(), issuer.key.get(), issuer.prepared.get(), false, 1800000000, 1800003600});
        pki::x509::summarize_ocsp_response(der);
    });
    pki::fuzz::run([&] { pki::x509::summarize_ocsp_response(input); });
    return 0;
}
