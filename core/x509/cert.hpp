#pragma once
// Parsing and inspecting certificates, CSRs and PEM bundles.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/handles.hpp"

namespace pki::x509 {

struct PemBlock {
    std::string label;  // "CERTIFICATE", "PRIVATE KEY", "X509 CRL" ...
    std::string text;   // the whole block, BEGIN to END
};
// Every PEM block in `text`, in order. Text outside blocks is ignored.
std::vector<PemBlock> pem_blocks(std::string_view text);

crypto::Cert parse_cert(std::string_view pem);  // exactly one PEM certificate; Error(Invalid) otherwise
crypto::Cert cert_from_der(std::string_view der);
std::string cert_pem(X509* cert);  // without a trailing newline
std::string cert_der(X509* cert);

// Error(Invalid) when a signature uses SHA-1 or MD5; `what` names the object in the message.
void refuse_weak_signature(int signature_nid, std::string_view what);

crypto::Req parse_csr(std::string_view pem);  // PEM CSR whose self-signature verifies; SHA-1/MD5 refused
std::string csr_pem(X509_REQ* req);
std::string csr_der(X509_REQ* req);

std::string serial_hex(const ASN1_INTEGER* serial);  // "1d:2e:c6:..."
std::string serial_hex(X509* cert);
// Normalise a serial given as colon/hyphen separated (or plain) hex, any case, to "aa:bb:...".
std::string normalise_serial(std::string_view text);

int64_t not_before(X509* cert);
int64_t not_after(X509* cert);
std::string name_der(const X509_NAME* name);
std::string name_text(const X509_NAME* name);  // RFC 2253 style, for messages
std::string common_name(const X509_NAME* name);
std::string subject_serial_number(const X509_NAME* name);  // the serialNumber attribute, "" when absent
bool is_ca(X509* cert);
int path_len(X509* cert);  // -1 when unconstrained or not a CA
bool self_issued(X509* cert);
bool signed_by(X509* cert, EVP_PKEY* key);
std::string public_key_der(X509* cert);
std::string key_algorithm(EVP_PKEY* key);  // "rsa", "ec", "ed25519"
std::string subject_key_id(X509* cert);      // hex with colons, "" when absent
std::string fingerprint(X509* cert);         // SHA-256 of the DER, hex

// The names of the certificate's SAN extension, as strings.
struct SanList {
    std::vector<std::string> dns, email, ip, uri, other;  // other: "oid;UTF8:value"
};
SanList sans_of(const GENERAL_NAMES* names);
SanList cert_sans(X509* cert);
SanList csr_sans(X509_REQ* req);
// The key usages (OpenSSL names) and extended key usages (dotted OIDs) a CSR asks for; empty when
// it has no such extension.
std::vector<std::string> csr_key_usages(X509_REQ* req);
std::vector<std::string> csr_ext_key_usages(X509_REQ* req);
// Every value of an attribute of a name (all its CNs, all its emailAddress values).
std::vector<std::string> name_attributes(const X509_NAME* name, int nid);

}  // namespace pki::x509
