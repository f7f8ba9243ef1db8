#include "api/render.hpp"

#include "crypto/keys.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::api {

std::string encode_cert(X509* cert, engine::CertFormat format) {
    return format == engine::CertFormat::Der ? util::base64(x509::cert_der(cert)) : x509::cert_pem(cert);
}

std::string encode_cert_pem(const std::string& pem, engine::CertFormat format) {
    return format == engine::CertFormat::Der ? encode_cert(x509::parse_cert(pem).get(), format) : pem;
}

std::string encode_csr(X509_REQ* req, engine::CertFormat format) {
    return format == engine::CertFormat::Der ? util::base64(x509::csr_der(req)) : x509::csr_pem(req);
}

std::string encode_private_key(EVP_PKEY* key, const engine::OutputFormat& format) {
    if (format.format == engine::CertFormat::Der) return util::base64(crypto::private_key_der(key, format.private_key_format));
    return crypto::private_key_pem(key, format.private_key_format);
}

}  // namespace pki::api
