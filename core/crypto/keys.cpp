#include "crypto/keys.hpp"

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::crypto {

std::optional<EcPublic> ec_public(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return std::nullopt;
    char group[64] = {};
    size_t glen = 0, plen = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1) return std::nullopt;
    EcPublic out;
    out.curve_nid = OBJ_txt2nid(group);
    if (out.curve_nid == NID_undef) out.curve_nid = EC_curve_nist2nid(group);
    if (out.curve_nid == NID_undef) return std::nullopt;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, nullptr, 0, &plen) != 1) return std::nullopt;
    out.point.resize(plen);
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out.point.data(), plen, &plen) != 1) return std::nullopt;
    out.point.resize(plen);
    return out;
}

namespace {

const char* curve_for_bits(int bits) {
    switch (bits) {
        case 224: return "P-224";
        case 256: return "P-256";
        case 384: return "P-384";
        case 521: return "P-521";
        default: return nullptr;
    }
}

// The SEC1 ECPrivateKey (RFC 5915) of an EC key: version 1, the private scalar, the named curve
// and the public point. OpenSSL writes this "traditional" form only after converting the key to
// its legacy EC_KEY, which costs more than generating the key; here it is put together from
// OpenSSL's own DER encoders for each element. Empty when the key lacks a parameter.
std::string ec_private_key_der(EVP_PKEY* key) {
    auto pub_part = ec_public(key);
    if (!pub_part) return {};
    int nid = pub_part->curve_nid;
    std::vector<unsigned char>& point = pub_part->point;
    size_t plen = point.size();
    BIGNUM* raw_priv = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &raw_priv) != 1) return {};
    std::unique_ptr<BIGNUM, void (*)(BIGNUM*)> priv(raw_priv, BN_clear_free);
    int order_bytes = (EVP_PKEY_get_bits(key) + 7) / 8;
    std::vector<unsigned char> scalar(static_cast<size_t>(order_bytes));
    if (BN_bn2binpad(priv.get(), scalar.data(), order_bytes) != order_bytes) return {};

    Handle<ASN1_INTEGER, ASN1_INTEGER_free> version(ASN1_INTEGER_new());
    Handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> secret(ASN1_OCTET_STRING_new());
    Handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free> pub(ASN1_BIT_STRING_new());
    if (!version || !secret || !pub || ASN1_INTEGER_set(version.get(), 1) != 1 ||
        ASN1_OCTET_STRING_set(secret.get(), scalar.data(), order_bytes) != 1 ||
        ASN1_BIT_STRING_set(pub.get(), point.data(), static_cast<int>(plen)) != 1)
        return {};
    OPENSSL_cleanse(scalar.data(), scalar.size());
    pub->flags = (pub->flags & ~0x07L) | ASN1_STRING_FLAG_BITS_LEFT;  // no unused bits
    const ASN1_OBJECT* curve = OBJ_nid2obj(nid);
    int v_len = i2d_ASN1_INTEGER(version.get(), nullptr), s_len = i2d_ASN1_OCTET_STRING(secret.get(), nullptr);
    int c_len = i2d_ASN1_OBJECT(curve, nullptr), p_len = i2d_ASN1_BIT_STRING(pub.get(), nullptr);
    int c_tagged = ASN1_object_size(1, c_len, 0), p_tagged = ASN1_object_size(1, p_len, 1);
    int body = v_len + s_len + c_tagged + p_tagged;
    int total = ASN1_object_size(1, body, V_ASN1_SEQUENCE);
    std::string der(static_cast<size_t>(total), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    ASN1_put_object(&p, 1, body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
    i2d_ASN1_INTEGER(version.get(), &p);
    i2d_ASN1_OCTET_STRING(secret.get(), &p);
    ASN1_put_object(&p, 1, c_len, 0, V_ASN1_CONTEXT_SPECIFIC);  // [0] parameters: the named curve
    i2d_ASN1_OBJECT(curve, &p);
    ASN1_put_object(&p, 1, p_len, 1, V_ASN1_CONTEXT_SPECIFIC);  // [1] publicKey
    i2d_ASN1_BIT_STRING(pub.get(), &p);
    return der;
}

}  // namespace

PKey KeyGenerator::generate(const KeySpec& spec) const {
    if (spec.type != KeyType::Ec) return generate_key(spec);
    EVP_PKEY* templ = nullptr;
    {
        std::lock_guard lock(mu_);
        auto it = templates_.find(spec.bits);
        if (it == templates_.end()) {
            // The curve's parameters, made once: keys generated from them copy the group instead of
            // building it again.
            PKeyCtx pctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
            EVP_PKEY* params = nullptr;
            const char* curve = curve_for_bits(spec.bits);
            if (!pctx || !curve || EVP_PKEY_paramgen_init(pctx.get()) != 1 ||
                EVP_PKEY_CTX_set_group_name(pctx.get(), curve) != 1 || EVP_PKEY_paramgen(pctx.get(), &params) != 1)
                return generate_key(spec);
            it = templates_.emplace(spec.bits, PKey(params)).first;
        }
        templ = it->second.get();
    }
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, templ, nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_generate(ctx.get(), &key) != 1)
        fail(ErrorKind::Internal, "generating an ec key failed: {}", openssl_error());
    return PKey(key);
}

std::string_view key_type_name(KeyType t) {
    switch (t) {
        case KeyType::Rsa: return "rsa";
        case KeyType::Ec: return "ec";
        case KeyType::Ed25519: return "ed25519";
    }
    return "?";
}

std::optional<KeyType> parse_key_type(std::string_view name) {
    std::string t = util::to_lower(name);
    if (t == "rsa") return KeyType::Rsa;
    if (t == "ec") return KeyType::Ec;
    if (t == "ed25519") return KeyType::Ed25519;
    return std::nullopt;
}

KeySpec normalize_key_spec(KeyType type, int bits) {
    switch (type) {
        case KeyType::Rsa:
            if (bits == 0) bits = 2048;
            if (bits != 2048 && bits != 3072 && bits != 4096 && bits != 8192)
                fail(ErrorKind::Invalid, "key_bits {} is not allowed for rsa keys; use 2048, 3072, 4096 or 8192", bits);
            return {KeyType::Rsa, bits};
        case KeyType::Ec:
            if (bits == 0) bits = 256;
            if (!curve_for_bits(bits))
                fail(ErrorKind::Invalid, "key_bits {} is not allowed for ec keys; use 224, 256, 384 or 521", bits);
            return {KeyType::Ec, bits};
        case KeyType::Ed25519: return {KeyType::Ed25519, 0};
    }
    fail(ErrorKind::Internal, "unknown key type");
}

KeySpec normalize_key_spec(std::string_view type, int bits) {
    auto t = parse_key_type(type);
    if (!t) fail(ErrorKind::Invalid, "key_type \"{}\" is not supported; use rsa, ec or ed25519", type);
    return normalize_key_spec(*t, bits);
}

PKey generate_key(const KeySpec& spec) {
    EVP_PKEY* raw = nullptr;
    switch (spec.type) {
        case KeyType::Rsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.bits)); break;
        case KeyType::Ec: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve_for_bits(spec.bits)); break;
        case KeyType::Ed25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    }
    if (!raw) fail(ErrorKind::Internal, "generating a {} key failed: {}", spec.type_name(), openssl_error());
    return PKey(raw);
}

KeySpec describe_key(EVP_PKEY* key) {
    if (!key) fail(ErrorKind::Invalid, "the public key cannot be decoded; give a certificate or CSR with a valid key");
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: return {KeyType::Rsa, EVP_PKEY_get_bits(key)};
        case EVP_PKEY_EC: {
            char group[64] = {};
            size_t len = 0;
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
            std::string g(group);
            if (g == "P-224" || g == "secp224r1") return {KeyType::Ec, 224};
            if (g == "P-256" || g == "prime256v1") return {KeyType::Ec, 256};
            if (g == "P-384" || g == "secp384r1") return {KeyType::Ec, 384};
            if (g == "P-521" || g == "secp521r1") return {KeyType::Ec, 521};
            fail(ErrorKind::Invalid, "elliptic curve {} is not supported; use P-224, P-256, P-384 or P-521", g);
        }
        case EVP_PKEY_ED25519: return {KeyType::Ed25519, 0};
        default: fail(ErrorKind::Invalid, "key algorithm {} is not supported; use rsa, ec or ed25519", EVP_PKEY_get0_type_name(key));
    }
}

void refuse_weak_key(EVP_PKEY* key, std::string_view what) {
    auto spec = describe_key(key);
    if (spec.type != KeyType::Rsa || spec.bits >= 2048) return;
    if (what.empty()) fail(ErrorKind::Invalid, "RSA keys of {} bits are refused; use at least 2048 bits", spec.bits);
    fail(ErrorKind::Invalid, "{} has an RSA key of {} bits, which is refused; use at least 2048 bits", what, spec.bits);
}

PrivateKeyFormat parse_private_key_format(std::string_view s) {
    if (s.empty() || s == "der") return PrivateKeyFormat::Der;
    if (s == "pkcs8") return PrivateKeyFormat::Pkcs8;
    fail(ErrorKind::Invalid, "private_key_format \"{}\" is not supported; use der or pkcs8", s);
}

PKey parse_private_key(std::string_view pem) {
    Bio bio = mem_bio(pem);
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>(""));
    if (!raw) {
        openssl_error();
        fail(ErrorKind::Invalid, "could not parse the private key: expected an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)");
    }
    return PKey(raw);
}

std::string private_key_pem(EVP_PKEY* key, PrivateKeyFormat format) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (format == PrivateKeyFormat::Der && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        std::string der = ec_private_key_der(key);
        if (!der.empty()) {
            int ok = PEM_write_bio(bio.get(), "EC PRIVATE KEY", "", reinterpret_cast<const unsigned char*>(der.data()),
                                   static_cast<long>(der.size()));
            OPENSSL_cleanse(der.data(), der.size());
            if (ok <= 0) fail(ErrorKind::Internal, "encoding a private key failed: {}", openssl_error());
            return std::string(util::trim(bio_string(bio.get())));
        }
    }
    int ok;
    if (format == PrivateKeyFormat::Pkcs8 || EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
        ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    if (ok != 1) fail(ErrorKind::Internal, "encoding a private key failed: {}", openssl_error());
    return std::string(util::trim(bio_string(bio.get())));
}

std::string private_key_der(EVP_PKEY* key, PrivateKeyFormat format) {
    if (format == PrivateKeyFormat::Der && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC)
        if (std::string der = ec_private_key_der(key); !der.empty()) return der;
    Bio bio(BIO_new(BIO_s_mem()));
    int ok;
    if (format == PrivateKeyFormat::Pkcs8 || EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
        ok = i2d_PKCS8PrivateKey_bio(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        ok = i2d_PrivateKey_bio(bio.get(), key);
    if (ok != 1) fail(ErrorKind::Internal, "encoding a private key failed: {}", openssl_error());
    return bio_string(bio.get());
}

std::string public_key_der(EVP_PKEY* key) { return to_der<EVP_PKEY>(key, i2d_PUBKEY, "a public key"); }

PKey public_key_only(EVP_PKEY* key) {
    std::string der = public_key_der(key);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    PKey pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (!pub) fail(ErrorKind::Internal, "decoding a public key failed: {}", openssl_error());
    return pub;
}

PKey load_legacy_private_key(std::string_view sealed) {
    if (sealed.substr(0, 11) == "-----BEGIN ") return parse_private_key(sealed);
    auto doc = nlohmann::json::parse(sealed, nullptr, false);
    if (doc.is_discarded() || doc.value("scheme", "") != "params") fail(ErrorKind::Storage, "a stored private key is corrupt");
    std::unique_ptr<OSSL_PARAM_BLD, void (*)(OSSL_PARAM_BLD*)> bld(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    std::vector<BigNum> bns;
    std::vector<std::string> bytes;  // must outlive the build
    bytes.reserve(doc["params"].size());
    for (const auto& p : doc["params"]) {
        std::string name = p[0].get<std::string>(), kind = p[1].get<std::string>(), value = p[2].get<std::string>();
        if (kind == "bn") {
            BIGNUM* bn = nullptr;
            BN_hex2bn(&bn, value.c_str());
            bns.emplace_back(bn);
            OSSL_PARAM_BLD_push_BN(bld.get(), p[0].get_ref<const std::string&>().c_str(), bn);
        } else if (kind == "utf8") {
            bytes.push_back(value);
            OSSL_PARAM_BLD_push_utf8_string(bld.get(), p[0].get_ref<const std::string&>().c_str(), bytes.back().c_str(), 0);
        } else {
            std::string raw;
            for (size_t i = 0; i + 1 < value.size(); i += 3) raw += static_cast<char>(std::stoi(value.substr(i, 2), nullptr, 16));
            bytes.push_back(std::move(raw));
            OSSL_PARAM_BLD_push_octet_string(bld.get(), p[0].get_ref<const std::string&>().c_str(), bytes.back().data(),
                                             bytes.back().size());
        }
    }
    std::unique_ptr<OSSL_PARAM, void (*)(OSSL_PARAM*)> params(OSSL_PARAM_BLD_to_param(bld.get()), OSSL_PARAM_free);
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, doc.value("type", "").c_str(), nullptr));
    EVP_PKEY* key = nullptr;
    if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) != 1)
        fail(ErrorKind::Storage, "a stored private key could not be loaded: {}", openssl_error());
    return PKey(key);
}

}  // namespace pki::crypto
