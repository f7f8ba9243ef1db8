#pragma once
// Building and reading CRLs. Entries are pulled one at a time from the caller, so building a
// CRL never needs the certificates themselves, only (serial, revocation time) pairs.
#include <cstdint>
#include <functional>
#include <string>

#include "crypto/handles.hpp"

namespace pki::x509 {

struct CrlEntry {
    std::string serial_hex;  // "aa:bb:..." as stored
    int64_t revocation_time = 0;
};

struct CrlSpec {
    int64_t number = 1;
    int64_t this_update = 0;
    int64_t next_update = 0;
};

// A version 2 CRL signed by `issuer`'s key, with its authority key identifier and CRL number.
// `next` fills an entry and returns true, or returns false when there are no more.
crypto::Crl build_crl(X509* issuer, EVP_PKEY* key, const CrlSpec& spec, const std::function<bool(CrlEntry&)>& next);

std::string crl_der(X509_CRL* crl);
std::string crl_pem(X509_CRL* crl);  // without a trailing newline
crypto::Crl crl_from_der(std::string_view der);

}  // namespace pki::x509
