// OCSP as pki serve and pki ocsp take it: a request (any bytes a client sends), matched against an
// issuer and answered, signed, with its nonce echoed; and a response as pki ocsp reads one back.
#include "../test_ca.hpp"
#include "fuzz_common.hpp"
#include "x509/ocsp.hpp"

namespace {

struct Issuer : pki::test::SelfSignedCa {
    std::vector<pki::x509::CertIdHashes> hashes = pki::x509::certid_hashes(cert.get());
    pki::crypto::MdCtx prepared = pki::x509::ocsp_signing_context(key.get());
    Issuer() : SelfSignedCa("Fuzz Root", "ec", 256) {}
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
