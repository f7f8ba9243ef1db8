#pragma once
// Rendering typed results into the Vault response shapes shared by several paths: certificates,
// CSRs and private keys in the requested encoding.
#include <string>

#include "crypto/handles.hpp"
#include "engine/types.hpp"

namespace pki::api {

// PEM (pem, pem_bundle) or base64 DER (der).
std::string encode_cert(X509* cert, engine::CertFormat format);
std::string encode_cert_pem(const std::string& pem, engine::CertFormat format);  // a PEM certificate re-encoded
std::string encode_csr(X509_REQ* req, engine::CertFormat format);
std::string encode_private_key(EVP_PKEY* key, const engine::OutputFormat& format);

}  // namespace pki::api
