// Certificates (PEM and DER) and the checks pki runs on a certificate it is given (import,
// set-signed, config/ca): parse, describe the key, refuse weak keys and signatures, name
// constraints, usages.
#include "crypto/keys.hpp"
#include "fuzz_common.hpp"
#include "x509/cert.hpp"
#include "x509/constraints.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return pki::fuzz::run([&] {
        auto in = pki::fuzz::text(data, size);
        for (bool pem : {true, false}) {
            try {
                auto cert = pem ? pki::x509::parse_cert(in) : pki::x509::cert_from_der(in);
                pki::crypto::describe_key(X509_get0_pubkey(cert.get()));
                pki::crypto::refuse_weak_key(X509_get0_pubkey(cert.get()), "the certificate");
                pki::x509::refuse_weak_signature(X509_get_signature_nid(cert.get()), "the certificate");
                pki::x509::name_constraints_of(cert.get());
                pki::x509::serial_hex(cert.get());
                pki::x509::cert_pem(cert.get());
            } catch (const pki::Error&) {
            }
        }
    });
}
