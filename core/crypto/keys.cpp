#include "crypto/keys.hpp"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

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

void refuse_weak_key(EVP_PKEY* key, std::string_view what) {
    auto spec = describe_key(key);
    if (spec.type != "rsa" || spec.bits >= 2048) return;
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

// The stored form is the key's own parameters (EVP_PKEY_todata), hex-encoded in a small JSON
// document: loading it with EVP_PKEY_fromdata needs none of OpenSSL's decoders, whose first use
// costs more than the signature itself. PEM (PKCS#8) from earlier versions is still read.
std::string PlainSealer::seal(EVP_PKEY* key) const {
    OSSL_PARAM* raw = nullptr;
    if (EVP_PKEY_todata(key, EVP_PKEY_KEYPAIR, &raw) != 1) fail(ErrorKind::Internal, "exporting a key failed: {}", openssl_error());
    std::unique_ptr<OSSL_PARAM, void (*)(OSSL_PARAM*)> params(raw, OSSL_PARAM_free);
    nlohmann::json out{{"scheme", "params"}, {"type", EVP_PKEY_get0_type_name(key)}, {"params", nlohmann::json::array()}};
    for (const OSSL_PARAM* p = params.get(); p->key; ++p) {
        if (p->data_type == OSSL_PARAM_UNSIGNED_INTEGER) {
            BIGNUM* bn = nullptr;
            if (OSSL_PARAM_get_BN(p, &bn) != 1) continue;
            BigNum owned(bn);
            char* hex = BN_bn2hex(bn);
            out["params"].push_back({p->key, "bn", hex});
            OPENSSL_free(hex);
        } else if (p->data_type == OSSL_PARAM_UTF8_STRING) {
            out["params"].push_back({p->key, "utf8", std::string(static_cast<const char*>(p->data), p->data_size)});
        } else if (p->data_type == OSSL_PARAM_OCTET_STRING) {
            out["params"].push_back({p->key, "octets",
                                     util::hex_colon(static_cast<const unsigned char*>(p->data), p->data_size)});
        }
    }
    return out.dump();
}

PKey PlainSealer::unseal(std::string_view sealed) const {
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
