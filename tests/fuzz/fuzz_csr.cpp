// CSRs as sign/ROLE and sign-verbatim take them: parse (signature checked), the key, the requested
// usages and names.
#include "crypto/keys.hpp"
#include "fuzz_common.hpp"
#include "x509/cert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        auto req = pki::x509::parse_csr(pki::fuzz::text(data, size));
        pki::crypto::describe_key(X509_REQ_get0_pubkey(req.get()));
        pki::x509::csr_key_usages(req.get());
        pki::x509::csr_ext_key_usages(req.get());
        pki::x509::csr_pem(req.get());
    });
}
