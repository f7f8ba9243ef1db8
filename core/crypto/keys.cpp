#include "crypto/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::crypto {
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

}  // namespace

KeySpec normalize_key_spec(std::string_view type, int bits) {
    std::string t = util::to_lower(type);
    if (t == "rsa") {
        if (bits == 0) bits = 2048;
        if (bits != 2048 && bits != 3072 && bits != 4096 && bits != 8192)
            fail(ErrorKind::Invalid, "key_bits {} is not allowed for rsa keys; use 2048, 3072, 4096 or 8192", bits);
        return {"rsa", bits};
    }
    if (t == "ec") {
        if (bits == 0) bits = 256;
        if (!curve_for_bits(bits))
            fail(ErrorKind::Invalid, "key_bits {} is not allowed for ec keys; use 224, 256, 384 or 521", bits);
        return {"ec", bits};
    }
    if (t == "ed25519") return {"ed25519", 0};
    fail(ErrorKind::Invalid, "key_type \"{}\" is not supported; use rsa, ec or ed25519", type);
}

PKey generate_key(const KeySpec& spec) {
    EVP_PKEY* raw = nullptr;
    if (spec.type == "rsa") raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.bits));
    else if (spec.type == "ec") raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve_for_bits(spec.bits));
    else if (spec.type == "ed25519") raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!raw) fail(ErrorKind::Internal, "generating a {} key failed: {}", spec.type, openssl_error());
    return PKey(raw);
}

KeySpec describe_key(EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: return {"rsa", EVP_PKEY_get_bits(key)};
        case EVP_PKEY_EC: {
            char group[64] = {};
            size_t len = 0;
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len);
            std::string g(group);
            if (g == "P-224" || g == "secp224r1") return {"ec", 224};
            if (g == "P-256" || g == "prime256v1") return {"ec", 256};
            if (g == "P-384" || g == "secp384r1") return {"ec", 384};
            if (g == "P-521" || g == "secp521r1") return {"ec", 521};
            fail(ErrorKind::Invalid, "elliptic curve {} is not supported; use P-224, P-256, P-384 or P-521", g);
        }
        case EVP_PKEY_ED25519: return {"ed25519", 0};
        default: fail(ErrorKind::Invalid, "key algorithm {} is not supported; use rsa, ec or ed25519", EVP_PKEY_get0_type_name(key));
    }
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
    int ok;
    if (format == PrivateKeyFormat::Pkcs8 || EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519)
        ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    if (ok != 1) fail(ErrorKind::Internal, "encoding a private key failed: {}", openssl_error());
    return std::string(util::trim(bio_string(bio.get())));
}

std::string private_key_der(EVP_PKEY* key, PrivateKeyFormat format) {
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

std::string PlainSealer::seal(EVP_PKEY* key) const { return private_key_pem(key, PrivateKeyFormat::Pkcs8); }

PKey PlainSealer::unseal(std::string_view sealed) const { return parse_private_key(sealed); }

}  // namespace pki::crypto
