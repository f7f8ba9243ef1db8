#include "crypto/handles.hpp"

#include <openssl/err.h>

#include "util/error.hpp"

namespace pki::crypto {

std::string openssl_error() {
    std::string out;
    const char* data = nullptr;
    int flags = 0;
    while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        bool text = data && *data && (flags & ERR_TXT_STRING);
        if (!out.empty()) out += "; ";
        if (ERR_GET_LIB(e) == ERR_LIB_USER && text) {  // pki's own (a PKCS#11 token's refusal): the text says it all
            out += data;
            continue;
        }
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out += buf;
        if (text) out += std::string(" (") + data + ")";
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

void der_failure(const char* what) { fail(ErrorKind::Internal, "encoding {} failed: {}", what, openssl_error()); }

Bio mem_bio(std::string_view data) { return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size()))); }

std::string bio_string(BIO* bio) {
    char* p = nullptr;
    long n = BIO_get_mem_data(bio, &p);
    return std::string(p, static_cast<size_t>(n));
}

}  // namespace pki::crypto
