#include "x509/cert.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "crypto/keys.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::x509 {

using crypto::openssl_error;

std::vector<PemBlock> pem_blocks(std::string_view text) {
    std::vector<PemBlock> out;
    size_t pos = 0;
    while (true) {
        auto begin = text.find("-----BEGIN ", pos);
        if (begin == std::string_view::npos) break;
        auto label_end = text.find("-----", begin + 11);
        if (label_end == std::string_view::npos) break;
        std::string label(text.substr(begin + 11, label_end - begin - 11));
        std::string end_marker = "-----END " + label + "-----";
        auto end = text.find(end_marker, label_end);
        if (end == std::string_view::npos)
            fail(ErrorKind::Invalid, "PEM block \"{}\" has no END line", label);
        out.push_back({label, std::string(text.substr(begin, end + end_marker.size() - begin))});
        pos = end + end_marker.size();
    }
    return out;
}

namespace {

// A certificate whose key OpenSSL cannot decode (an EC point off its curve, an unknown algorithm)
// parses, but every use of its key would meet a null one: refuse it where it comes in.
void require_public_key(X509* cert) {
    if (X509_get0_pubkey(cert)) return;
    ERR_clear_error();
    fail(ErrorKind::Invalid,
         "the certificate's public key cannot be decoded (an EC point not on its curve, or an unsupported algorithm); "
         "give a certificate with a valid key");
}

}  // namespace

crypto::Cert parse_cert(std::string_view pem) {
    auto blocks = pem_blocks(pem);
    if (blocks.empty() || blocks[0].label != "CERTIFICATE")
        fail(ErrorKind::Invalid, "expected a PEM certificate (-----BEGIN CERTIFICATE-----)");
    auto bio = crypto::mem_bio(blocks[0].text);
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!c) {
        openssl_error();
        fail(ErrorKind::Invalid, "could not parse the PEM certificate: its contents are not a valid X.509 certificate");
    }
    crypto::Cert cert(c);
    require_public_key(cert.get());
    return cert;
}

crypto::Cert cert_from_der(std::string_view der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
    if (!c) fail(ErrorKind::Invalid, "could not parse the DER certificate: {}", openssl_error());
    crypto::Cert cert(c);
    require_public_key(cert.get());
    return cert;
}

std::string cert_pem(X509* cert) {
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    return std::string(util::trim(crypto::bio_string(bio.get())));
}

std::string cert_der(X509* cert) { return crypto::to_der<X509>(cert, i2d_X509, "a certificate"); }

void refuse_weak_signature(int signature_nid, std::string_view what) {
    int digest = NID_undef, pkey = NID_undef;
    if (!OBJ_find_sigid_algs(signature_nid, &digest, &pkey)) return;
    if (digest == NID_sha1 || digest == NID_md5 || digest == NID_md4 || digest == NID_md2 || digest == NID_md5_sha1)
        fail(ErrorKind::Invalid, "{} is signed with {}, which is refused; re-create it with SHA-256 or stronger", what,
             OBJ_nid2sn(digest));
}

crypto::Req parse_csr(std::string_view pem) {
    auto blocks = pem_blocks(pem);
    if (blocks.empty() || (blocks[0].label != "CERTIFICATE REQUEST" && blocks[0].label != "NEW CERTIFICATE REQUEST"))
        fail(ErrorKind::Invalid, "expected a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)");
    auto bio = crypto::mem_bio(blocks[0].text);
    X509_REQ* r = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
    if (!r) {
        openssl_error();
        fail(ErrorKind::Invalid, "could not parse the CSR: its contents are not a valid PKCS#10 request");
    }
    crypto::Req req(r);
    refuse_weak_signature(X509_REQ_get_signature_nid(req.get()), "the CSR");
    EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
    if (!key) fail(ErrorKind::Invalid, "the CSR carries no usable public key");
    if (X509_REQ_verify(req.get(), key) != 1) {
        openssl_error();
        fail(ErrorKind::Invalid, "the CSR's signature does not verify with its own public key; create a new CSR");
    }
    return req;
}

std::string csr_pem(X509_REQ* req) {
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509_REQ(bio.get(), req);
    return std::string(util::trim(crypto::bio_string(bio.get())));
}

std::string csr_der(X509_REQ* req) { return crypto::to_der<X509_REQ>(req, i2d_X509_REQ, "a CSR"); }

std::string serial_hex(const ASN1_INTEGER* serial) {
    crypto::BigNum bn(ASN1_INTEGER_to_BN(serial, nullptr));
    // At least one byte: a zero serial is "00".
    std::vector<unsigned char> bytes(std::max<size_t>(1, static_cast<size_t>(BN_num_bytes(bn.get()))), 0);
    BN_bn2bin(bn.get(), bytes.data() + bytes.size() - static_cast<size_t>(BN_num_bytes(bn.get())));
    return util::hex_colon(bytes.data(), bytes.size());
}

std::string serial_hex(X509* cert) { return serial_hex(X509_get0_serialNumber(cert)); }

std::string normalise_serial(std::string_view text) {
    std::string hex;
    for (char c : util::trim(text)) {
        if (c == ':' || c == '-') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            fail(ErrorKind::Invalid, "serial number \"{}\" is not hexadecimal (expected a form like 1d:2e:c6:...)", text);
        hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.empty()) fail(ErrorKind::Invalid, "serial number is empty");
    if (hex.size() % 2) hex.insert(hex.begin(), '0');
    while (hex.size() > 2 && hex[0] == '0' && hex[1] == '0') hex.erase(0, 2);
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
        if (i) out += ':';
        out += hex.substr(i, 2);
    }
    return out;
}

static int64_t asn1_time_unix(const ASN1_TIME* t) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return static_cast<int64_t>(timegm(&tm));
}

int64_t not_before(X509* cert) { return asn1_time_unix(X509_get0_notBefore(cert)); }
int64_t not_after(X509* cert) { return asn1_time_unix(X509_get0_notAfter(cert)); }

std::string name_der(const X509_NAME* name) {
    const unsigned char* der = nullptr;
    size_t len = 0;
    X509_NAME_get0_der(const_cast<X509_NAME*>(name), &der, &len);
    return std::string(reinterpret_cast<const char*>(der), len);
}

std::string name_text(const X509_NAME* name) {
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    return crypto::bio_string(bio.get());
}

namespace {
std::string name_attribute(const X509_NAME* name, int nid) {
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return "";
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* raw = nullptr;
    int n = ASN1_STRING_to_UTF8(&raw, s);
    crypto::OsslBytes utf8(raw);
    if (n < 0) return "";
    return std::string(reinterpret_cast<const char*>(utf8.get()), static_cast<size_t>(n));
}
}  // namespace

std::string common_name(const X509_NAME* name) { return name_attribute(name, NID_commonName); }
std::string subject_serial_number(const X509_NAME* name) { return name_attribute(name, NID_serialNumber); }

bool is_ca(X509* cert) { return X509_check_ca(cert) == 1 && (X509_get_extension_flags(cert) & EXFLAG_CA); }

int path_len(X509* cert) {
    if (!is_ca(cert)) return -1;
    long p = X509_get_pathlen(cert);
    return p < 0 ? -1 : static_cast<int>(p);
}

bool self_issued(X509* cert) { return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0; }

bool signed_by(X509* cert, EVP_PKEY* key) {
    bool ok = X509_verify(cert, key) == 1;
    if (!ok) openssl_error();  // clear the queue
    return ok;
}

std::string public_key_der(X509* cert) { return crypto::public_key_der(X509_get0_pubkey(cert)); }

std::string key_algorithm(EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: return "rsa";
        case EVP_PKEY_EC: return "ec";
        case EVP_PKEY_ED25519: return "ed25519";
        default: return EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown";
    }
}

std::string subject_key_id(X509* cert) {
    const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(cert);
    if (!id) return "";
    return util::hex_colon(ASN1_STRING_get0_data(id), static_cast<size_t>(ASN1_STRING_length(id)));
}

std::string fingerprint(X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    return util::hex_colon(md, len);
}

SanList sans_of(const GENERAL_NAMES* names) {
    SanList out;
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
        auto str = [](const ASN1_STRING* s) {
            return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
        };
        switch (gn->type) {
            case GEN_DNS: out.dns.push_back(str(gn->d.dNSName)); break;
            case GEN_EMAIL: out.email.push_back(str(gn->d.rfc822Name)); break;
            case GEN_URI: out.uri.push_back(str(gn->d.uniformResourceIdentifier)); break;
            case GEN_IPADD: {
                const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
                char buf[INET6_ADDRSTRLEN] = {};
                if (ip->length == 4 && inet_ntop(AF_INET, ip->data, buf, sizeof buf)) out.ip.push_back(buf);
                if (ip->length == 16 && inet_ntop(AF_INET6, ip->data, buf, sizeof buf)) out.ip.push_back(buf);
                break;
            }
            case GEN_OTHERNAME: {
                char oid[128];
                OBJ_obj2txt(oid, sizeof oid, gn->d.otherName->type_id, 1);
                const ASN1_TYPE* v = gn->d.otherName->value;
                if (v->type == V_ASN1_UTF8STRING) out.other.push_back(std::string(oid) + ";UTF8:" + str(v->value.utf8string));
                break;
            }
            default: break;
        }
    }
    return out;
}

SanList cert_sans(X509* cert) {
    crypto::GeneralNames names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    return sans_of(names.get());
}

namespace {

// The decoded value of a CSR's extension `nid` (the first one), or nullptr when it has none.
template <typename T, void (*Free)(T*)>
crypto::Handle<T, Free> csr_extension(X509_REQ* req, int nid) {
    crypto::Extensions exts(X509_REQ_get_extensions(req));
    int idx = exts ? X509v3_get_ext_by_NID(exts.get(), nid, -1) : -1;
    if (idx < 0) return crypto::Handle<T, Free>(nullptr);
    return crypto::Handle<T, Free>(static_cast<T*>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts.get(), idx))));
}

}  // namespace

SanList csr_sans(X509_REQ* req) {
    auto names = csr_extension<GENERAL_NAMES, crypto::gens_free>(req, NID_subject_alt_name);
    return names ? sans_of(names.get()) : SanList{};
}

std::vector<std::string> csr_key_usages(X509_REQ* req) {
    std::vector<std::string> out;
    auto bits = csr_extension<ASN1_BIT_STRING, ASN1_BIT_STRING_free>(req, NID_key_usage);
    static const char* kNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
                                   "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};
    for (int b = 0; b < 9 && bits; ++b)
        if (ASN1_BIT_STRING_get_bit(bits.get(), b)) out.push_back(kNames[b]);
    return out;
}

std::vector<std::string> csr_ext_key_usages(X509_REQ* req) {
    std::vector<std::string> out;
    auto eku = csr_extension<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>(req, NID_ext_key_usage);
    for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
        char buf[128];
        OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(eku.get(), i), 1);
        out.emplace_back(buf);
    }
    return out;
}

std::vector<std::string> name_attributes(const X509_NAME* name, int nid) {
    std::vector<std::string> out;
    for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
        unsigned char* utf8 = nullptr;
        int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
        if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
        OPENSSL_free(utf8);
    }
    return out;
}

}  // namespace pki::x509
