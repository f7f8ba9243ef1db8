#pragma once
// A self-signed CA made directly with the x509 layer, without a service or a store: for the unit
// tests and fuzz harnesses of code that signs or checks against an issuer (CRLs, OCSP). No
// doctest here, so the fuzz harnesses can use it too.
#include <string>

#include "crypto/keys.hpp"
#include "x509/build.hpp"

namespace pki::test {

struct SelfSignedCa {
    crypto::PKey key;
    crypto::Name name;
    crypto::Cert cert;
    // `type` and `bits` as crypto::normalize_key_spec takes them ("ec", 256; "rsa", 2048; "ed25519", 0).
    SelfSignedCa(const std::string& common_name, const std::string& type, int bits)
        : key(crypto::generate_key(crypto::normalize_key_spec(type, bits))) {
        x509::Subject s;
        s.common_name = common_name;
        name = x509::build_name(s);
        x509::CertSpec spec;
        spec.subject = name.get();
        spec.public_key = key.get();
        spec.serial = {0x01};
        spec.not_before = 1700000000;
        spec.not_after = 1900000000;
        spec.ca = true;
        spec.key_usage = {"keyCertSign", "cRLSign"};
        cert = x509::sign_certificate(spec, x509::Signer{}, key.get());
    }
};

}  // namespace pki::test
