#pragma once
// Building and reading CRLs (RFC 5280 5). Entries are pulled one at a time from the caller and
// encoded as they come, so a CRL of a million entries costs its DER and not a million OpenSSL
// objects; building one never needs the certificates themselves.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/handles.hpp"

namespace pki::x509 {

// RFC 5280 5.3.1 CRLReason: the names accepted for a revocation and their codes.
// Returns -1 for a name that is not one (removeFromCRL and certificateHold are not revocations
// this tool makes: it cannot release a hold).
int crl_reason_code(std::string_view name);
std::string_view crl_reason_name(int code);  // "" for a code without a name
// The accepted names, comma-separated, for error messages and help.
std::string crl_reason_names();

struct CrlEntry {
    std::string serial_hex;  // "aa:bb:..." as stored
    int64_t revocation_time = 0;
    int reason = -1;         // CRLReason code; -1: no reasonCode extension
};

struct CrlSpec {
    int64_t number = 1;
    int64_t this_update = 0;
    int64_t next_update = 0;
    // A delta CRL (RFC 5280 5.2.4): the number of the complete CRL it builds on.
    std::optional<int64_t> delta_base;
    // Freshest CRL (RFC 5280 5.2.6) URLs, where the delta CRLs are; complete CRLs only.
    std::vector<std::string> freshest;
};

// A version 2 CRL signed by `issuer`'s key, as DER: authority key identifier, CRL number, and
// the delta indicator or Freshest CRL extension the spec asks for. `fill` appends the next
// entries to the (empty) batch it is given, and leaves it empty when there are no more; it runs
// on the calling thread (a store cursor can stay there) while the batch before is encoded on
// another, so reading the entries and encoding them take two cores.
using CrlBatch = std::vector<CrlEntry>;
std::string build_crl(X509* issuer, EVP_PKEY* key, const CrlSpec& spec, const std::function<void(CrlBatch&)>& fill);

// The PEM of a CRL's DER, without decoding its entries; without a trailing newline.
std::string crl_der_to_pem(std::string_view der);

}  // namespace pki::x509
