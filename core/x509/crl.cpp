#include "x509/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>
#include <future>

#include <cstring>

#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"

namespace pki::x509 {

using crypto::openssl_error;

namespace {

struct ReasonName {
    int code;
    std::string_view name;
};
// RFC 5280 5.3.1; 7 is unused, removeFromCRL (8) only undoes a hold.
constexpr ReasonName kReasons[] = {{0, "unspecified"},          {1, "keyCompromise"},        {2, "cACompromise"},
                                   {3, "affiliationChanged"},   {4, "superseded"},           {5, "cessationOfOperation"},
                                   {9, "privilegeWithdrawn"},   {10, "aACompromise"}};

// The magnitude bytes of a serial number given as hex ("1d:2e:..."), without leading zeros (at
// least one byte).
size_t serial_bytes(const std::string& hex_colon, unsigned char (&bytes)[64]) {
    size_t n = 0;
    int hi = -1;
    auto nibble = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    size_t digits = 0;
    for (char c : hex_colon) digits += nibble(c) >= 0;
    if (digits % 2) hi = 0;  // an odd count: the first digit is a low nibble
    for (char c : hex_colon) {
        int v = nibble(c);
        if (v < 0) continue;
        if (hi < 0) hi = v;
        else {
            if (n == sizeof bytes) fail(ErrorKind::Invalid, "serial number {} is too long", hex_colon);
            bytes[n++] = static_cast<unsigned char>(hi << 4 | v);
            hi = -1;
        }
    }
    size_t skip = 0;
    while (skip + 1 < n && bytes[skip] == 0) ++skip;
    if (skip) std::memmove(bytes, bytes + skip, n - skip);
    return n ? n - skip : (bytes[0] = 0, 1);
}

// One revokedCertificates element after another, through one reused X509_REVOKED: OpenSSL's
// encoder writes each, and nothing is allocated per entry but its DER.
class EntryEncoder {
public:
    EntryEncoder() : r_(X509_REVOKED_new()), serial_(ASN1_INTEGER_new()), when_(ASN1_TIME_new()) {}

    void append(std::string& out, const CrlEntry& e) {
        unsigned char bytes[64];
        size_t n = serial_bytes(e.serial_hex, bytes);
        if (!ASN1_STRING_set(serial_.get(), bytes, static_cast<int>(n)) || !X509_REVOKED_set_serialNumber(r_.get(), serial_.get()))
            fail(ErrorKind::Internal, "encoding the CRL entry of {} failed: {}", e.serial_hex, openssl_error());
        if (e.revocation_time != last_time_) {
            set_time(e.revocation_time);
            X509_REVOKED_set_revocationDate(r_.get(), when_.get());
            last_time_ = e.revocation_time;
        }
        int idx = X509_REVOKED_get_ext_by_NID(r_.get(), NID_crl_reason, -1);
        if (idx >= 0) X509_EXTENSION_free(X509_REVOKED_delete_ext(r_.get(), idx));
        if (e.reason >= 0) {
            crypto::Handle<ASN1_ENUMERATED, ASN1_ENUMERATED_free> code(ASN1_ENUMERATED_new());
            ASN1_ENUMERATED_set(code.get(), e.reason);
            X509_REVOKED_add1_ext_i2d(r_.get(), NID_crl_reason, code.get(), 0, 0);
        }
        int len = i2d_X509_REVOKED(r_.get(), nullptr);
        if (len <= 0) fail(ErrorKind::Internal, "encoding the CRL entry of {} failed: {}", e.serial_hex, openssl_error());
        size_t at = out.size();
        out.resize(at + static_cast<size_t>(len));
        auto* p = reinterpret_cast<unsigned char*>(out.data() + at);
        i2d_X509_REVOKED(r_.get(), &p);
    }

private:
    // RFC 5280 5.1.2.6: UTCTime through 2049, GeneralizedTime from 2050, as ASN1_TIME_set
    // would choose, written without its formatting machinery.
    void set_time(int64_t t) {
        time_t tt = static_cast<time_t>(t);
        std::tm tm{};
        if (!gmtime_r(&tt, &tm)) fail(ErrorKind::Invalid, "revocation time {} cannot be encoded", t);
        int year = tm.tm_year + 1900;
        if (year < 1950 || year > 9999) {
            if (!ASN1_TIME_set(when_.get(), tt)) fail(ErrorKind::Invalid, "revocation time {} cannot be encoded", t);
            return;
        }
        char buf[16];
        int n = 0;
        auto two = [&](int v) {
            buf[n++] = static_cast<char>('0' + v / 10 % 10);
            buf[n++] = static_cast<char>('0' + v % 10);
        };
        bool utc = year < 2050;
        if (!utc) two(year / 100);
        two(year % 100);
        two(tm.tm_mon + 1);
        two(tm.tm_mday);
        two(tm.tm_hour);
        two(tm.tm_min);
        two(tm.tm_sec);
        buf[n++] = 'Z';
        if (!ASN1_STRING_set(when_.get(), buf, n)) fail(ErrorKind::Internal, "encoding a revocation time failed: {}", openssl_error());
        when_.get()->type = utc ? V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME;  // asn1_string_st is public
    }

    crypto::Revoked r_;
    crypto::Asn1Int serial_;
    crypto::Asn1Time when_;
    int64_t last_time_ = INT64_MIN;
};

// DER's tag-length header.
void put_header(std::string& out, unsigned char tag, size_t len) {
    out.push_back(static_cast<char>(tag));
    if (len < 0x80) {
        out.push_back(static_cast<char>(len));
        return;
    }
    unsigned char buf[sizeof(size_t)];
    int n = 0;
    for (size_t v = len; v; v >>= 8) buf[n++] = static_cast<unsigned char>(v & 0xff);
    out.push_back(static_cast<char>(0x80 | n));
    while (n) out.push_back(static_cast<char>(buf[--n]));
}

// One element of DER at `pos`: its tag, where its content starts and where it ends.
struct Tlv {
    unsigned char tag = 0;
    size_t content = 0, end = 0;
};
Tlv read_tlv(std::string_view der, size_t pos) {
    auto bad = [] { fail(ErrorKind::Internal, "OpenSSL encoded a CRL this tool cannot read back"); };
    if (pos + 2 > der.size()) bad();
    Tlv t;
    t.tag = static_cast<unsigned char>(der[pos]);
    size_t len = static_cast<unsigned char>(der[pos + 1]);
    size_t p = pos + 2;
    if (len & 0x80) {
        size_t n = len & 0x7f;
        if (n == 0 || n > sizeof(size_t) || p + n > der.size()) bad();
        len = 0;
        for (size_t i = 0; i < n; ++i) len = len << 8 | static_cast<unsigned char>(der[p++]);
    }
    if (len > der.size() - p) bad();
    t.content = p;
    t.end = p + len;
    return t;
}

// The CRL with everything but its entries, signed so that OpenSSL fills in the signature
// algorithm of the key, in the TBSCertList and outside it.
crypto::Crl crl_shell(X509* issuer, EVP_PKEY* key, const CrlSpec& spec, const EVP_MD* md) {
    crypto::Crl crl(X509_CRL_new());
    X509_CRL* c = crl.get();
    X509_CRL_set_version(c, X509_CRL_VERSION_2);
    X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
    crypto::Asn1Time t(ASN1_TIME_new());
    ASN1_TIME_set(t.get(), static_cast<time_t>(spec.this_update));
    X509_CRL_set1_lastUpdate(c, t.get());
    ASN1_TIME_set(t.get(), static_cast<time_t>(spec.next_update));
    X509_CRL_set1_nextUpdate(c, t.get());

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, c, 0);
    crypto::Ext akid(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!akid) fail(ErrorKind::Internal, "building the CRL's authority key identifier failed: {}", openssl_error());
    X509_CRL_add_ext(c, akid.get(), -1);
    crypto::Asn1Int number(ASN1_INTEGER_new());
    ASN1_INTEGER_set_int64(number.get(), spec.number);
    X509_CRL_add1_ext_i2d(c, NID_crl_number, number.get(), 0, 0);
    if (spec.delta_base) {
        crypto::Asn1Int base(ASN1_INTEGER_new());
        ASN1_INTEGER_set_int64(base.get(), *spec.delta_base);
        X509_CRL_add1_ext_i2d(c, NID_delta_crl, base.get(), 1, 0);  // critical, as RFC 5280 5.2.4 requires
    } else if (!spec.freshest.empty()) {
        std::string value;
        for (const auto& u : spec.freshest) {
            if (u.find(',') != std::string::npos) fail(ErrorKind::Invalid, "URL \"{}\" must not contain a comma", u);
            value += (value.empty() ? "URI:" : ",URI:") + u;
        }
        crypto::Ext freshest(X509V3_EXT_conf_nid(nullptr, &ctx, NID_freshest_crl, value.c_str()));
        if (!freshest) fail(ErrorKind::Invalid, "could not build the Freshest CRL extension from \"{}\": {}", value, openssl_error());
        X509_CRL_add_ext(c, freshest.get(), -1);
    }
    if (X509_CRL_sign(c, key, md) <= 0) fail(ErrorKind::Internal, "signing the CRL failed: {}", openssl_error());
    return crl;
}

}  // namespace

int crl_reason_code(std::string_view name) {
    for (const auto& r : kReasons)
        if (util::iequals(r.name, name)) return r.code;
    return -1;
}

std::string_view crl_reason_name(int code) {
    for (const auto& r : kReasons)
        if (r.code == code) return r.name;
    return "";
}

std::string crl_reason_names() {
    std::string out;
    for (const auto& r : kReasons) out += (out.empty() ? "" : ", ") + std::string(r.name);
    return out;
}

std::string build_crl(X509* issuer, EVP_PKEY* key, const CrlSpec& spec, const std::function<void(CrlBatch&)>& fill) {
    const EVP_MD* md = digest_for(key, 0);
    auto shell = crl_shell(issuer, key, spec, md);

    // TBSCertList ::= SEQUENCE { version, signature, issuer, thisUpdate, nextUpdate,
    //   revokedCertificates SEQUENCE OF ... OPTIONAL, [0] crlExtensions }: the entries go in
    // between the times and the extensions.
    std::string tbs;
    {
        unsigned char* raw = nullptr;
        int n = i2d_re_X509_CRL_tbs(shell.get(), &raw);
        crypto::OsslBytes buf(raw);
        if (n <= 0) fail(ErrorKind::Internal, "encoding the CRL failed: {}", openssl_error());
        tbs.assign(reinterpret_cast<const char*>(raw), static_cast<size_t>(n));
    }
    Tlv outer = read_tlv(tbs, 0);
    size_t at = outer.content;
    for (int i = 0; i < 5; ++i) at = read_tlv(tbs, at).end;  // version .. nextUpdate

    std::vector<std::string> chunks;  // the encoded batches, in order
    size_t entries_len = 0;
    std::future<std::string> encoding;  // the batch before, on its own thread
    for (;;) {
        CrlBatch batch;
        fill(batch);
        if (encoding.valid()) {
            chunks.push_back(encoding.get());
            entries_len += chunks.back().size();
        }
        if (batch.empty()) break;
        encoding = std::async(std::launch::async, [b = std::move(batch)] {
            EntryEncoder encoder;
            std::string out;
            out.reserve(b.size() * 48);
            for (const auto& e : b) encoder.append(out, e);
            ERR_clear_error();  // this thread's queue: nothing is left in it for anyone
            return out;
        });
    }
    // The TBSCertList, written once: its header, the fields before the entries, the entries, the
    // extensions.
    std::string entries_head;
    if (entries_len) put_header(entries_head, 0x30, entries_len);
    size_t body_len = (outer.end - outer.content) + entries_head.size() + entries_len;
    std::string signed_part;
    signed_part.reserve(body_len + 8);
    put_header(signed_part, 0x30, body_len);
    signed_part.append(tbs, outer.content, at - outer.content);
    signed_part += entries_head;
    for (auto& c : chunks) {
        signed_part += c;
        std::string().swap(c);
    }
    signed_part.append(tbs, at, outer.end - at);

    crypto::MdCtx mctx(EVP_MD_CTX_new());
    size_t sig_len = 0;
    auto data = reinterpret_cast<const unsigned char*>(signed_part.data());
    if (EVP_DigestSignInit(mctx.get(), nullptr, md, nullptr, key) != 1 ||
        EVP_DigestSign(mctx.get(), nullptr, &sig_len, data, signed_part.size()) != 1)
        fail(ErrorKind::Internal, "signing the CRL failed: {}", openssl_error());
    std::string sig(sig_len, '\0');
    if (EVP_DigestSign(mctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, data, signed_part.size()) != 1)
        fail(ErrorKind::Internal, "signing the CRL failed: {}", openssl_error());
    sig.resize(sig_len);

    const ASN1_BIT_STRING* shell_sig = nullptr;
    const X509_ALGOR* alg = nullptr;
    X509_CRL_get0_signature(shell.get(), &shell_sig, &alg);
    std::string alg_der = crypto::to_der<X509_ALGOR>(alg, i2d_X509_ALGOR, "the CRL's signature algorithm");

    std::string sig_head;
    put_header(sig_head, 0x03, sig.size() + 1);
    size_t inner_len = signed_part.size() + alg_der.size() + sig_head.size() + 1 + sig.size();
    std::string out;
    out.reserve(inner_len + 8);
    put_header(out, 0x30, inner_len);
    out += signed_part;
    std::string().swap(signed_part);
    out += alg_der;
    out += sig_head;
    out.push_back('\0');  // no unused bits
    out += sig;
    return out;
}

std::string crl_der_to_pem(std::string_view der) {
    crypto::Bio bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio(bio.get(), PEM_STRING_X509_CRL, "", reinterpret_cast<const unsigned char*>(der.data()), static_cast<long>(der.size())) <= 0)
        fail(ErrorKind::Internal, "encoding the CRL as PEM failed: {}", openssl_error());
    return std::string(util::trim(crypto::bio_string(bio.get())));
}

}  // namespace pki::x509
