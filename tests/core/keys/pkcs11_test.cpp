// keys/pkcs11: the parsing of Vault's mechanism and key_id spellings, and keys on a real SoftHSM2
// token: generated there, found again, signing what OpenSSL verifies, and refusing a wrong PIN
// (also after a right one logged the token in) without trying it twice.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "crypto/keys.hpp"
#include "keys/pkcs11.hpp"
#include "support.hpp"
#include "util/error.hpp"

using pki::Error;
using pki::ErrorKind;
namespace k = pki::keys;

namespace {

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no error");
    return ErrorKind::Internal;
}

// A SoftHSM2 token labelled "unit" (user PIN 1234) in a directory of its own.
struct Token {
    pki::test::TempDir dir{"pki-p11-test"};
    Token() {
        REQUIRE_MESSAGE(std::system("command -v softhsm2-util >/dev/null") == 0, "softhsm2-util is missing: install the Debian package softhsm2");
        REQUIRE_MESSAGE(std::ifstream(kModule).good(), "SoftHSM's module is missing: install the Debian package softhsm2");
        std::filesystem::create_directories(dir.path / "tokens");
        std::ofstream(dir.path / "softhsm2.conf") << "directories.tokendir = " << (dir.path / "tokens").string()
                                                  << "\nobjectstore.backend = file\nlog.level = ERROR\n";
        ::setenv("SOFTHSM2_CONF", (dir.path / "softhsm2.conf").c_str(), 1);
        REQUIRE(std::system("softhsm2-util --init-token --free --label unit --pin 1234 --so-pin 5678 >/dev/null") == 0);
    }
    static k::TokenKeyConfig config(const std::string& label, k::TokenMechanism m) {
        k::TokenKeyConfig c;
        c.name = "unit";
        c.library = kModule;
        c.token_label = "unit";
        c.pin = "1234";
        c.key_label = label;
        c.mechanism = m;
        c.allow_generate_key = true;
        return c;
    }
};

bool signs_and_verifies(EVP_PKEY* key, const EVP_MD* md) {
    const unsigned char data[] = "what the CA signs";
    pki::crypto::MdCtx sign(EVP_MD_CTX_new()), verify(EVP_MD_CTX_new());
    std::vector<unsigned char> sig(static_cast<size_t>(EVP_PKEY_get_size(key)));
    size_t len = sig.size();
    if (EVP_DigestSignInit(sign.get(), nullptr, md, nullptr, key) != 1 || EVP_DigestSign(sign.get(), sig.data(), &len, data, sizeof data) != 1)
        return false;
    auto pub = pki::crypto::public_key_only(key);  // OpenSSL's own key, from the public half the token gave
    return EVP_DigestVerifyInit(verify.get(), nullptr, md, nullptr, pub.get()) == 1 &&
           EVP_DigestVerify(verify.get(), sig.data(), len, data, sizeof data) == 1;
}

}  // namespace

TEST_CASE("mechanisms are Vault's spellings of CKM_RSA_PKCS and CKM_ECDSA only") {
    CHECK(k::parse_mechanism("0x0001") == k::TokenMechanism::RsaPkcs);
    CHECK(k::parse_mechanism("1") == k::TokenMechanism::RsaPkcs);
    CHECK(k::parse_mechanism("CKM_RSA_PKCS") == k::TokenMechanism::RsaPkcs);
    CHECK(k::parse_mechanism("0x1041") == k::TokenMechanism::Ecdsa);
    CHECK(k::parse_mechanism("4161") == k::TokenMechanism::Ecdsa);
    CHECK(k::mechanism_text(k::TokenMechanism::Ecdsa) == "0x1041");
    for (const char* bad : {"0x000d", "0x0043", "0x 1041", "0x+1041", "", "ecdsa-ish", "0x1041x", "99999999999999999999999"})
        CHECK_MESSAGE(kind_of([&] { k::parse_mechanism(bad); }) == ErrorKind::Invalid, bad);
}

TEST_CASE("key_id is hex after 0x, otherwise the text's bytes") {
    CHECK(k::token_key_id("0x0a1B") == std::string("\x0a\x1b", 2));
    CHECK(k::token_key_id("kms-intermediate") == "kms-intermediate");
    CHECK(k::token_key_id("") == "");
    for (const char* bad : {"0x", "0x1", "0xzz", "0x-1"}) CHECK_MESSAGE(kind_of([&] { k::token_key_id(bad); }) == ErrorKind::Invalid, bad);
}

TEST_CASE("keys generated on SoftHSM sign what OpenSSL verifies, and are found again") {
    Token token;
    k::Pkcs11 hsm;
    bool generated = false;
    auto ec = hsm.key(Token::config("ec-key", k::TokenMechanism::Ecdsa), k::Pkcs11::Missing::Generate, &generated);
    CHECK(generated);
    CHECK(EVP_PKEY_get_base_id(ec.get()) == EVP_PKEY_EC);
    CHECK(EVP_PKEY_get_bits(ec.get()) == 256);
    CHECK(signs_and_verifies(ec.get(), EVP_sha256()));

    auto cfg = Token::config("rsa-key", k::TokenMechanism::RsaPkcs);
    cfg.key_bits = 3072;
    auto rsa = hsm.key(cfg, k::Pkcs11::Missing::Generate);
    CHECK(EVP_PKEY_get_bits(rsa.get()) == 3072);
    CHECK(signs_and_verifies(rsa.get(), EVP_sha384()));

    // Another process's view (a new Pkcs11) finds the same key, and generates nothing.
    k::Pkcs11 other;
    generated = false;
    auto again = other.key(Token::config("ec-key", k::TokenMechanism::Ecdsa), k::Pkcs11::Missing::Refuse, &generated);
    CHECK_FALSE(generated);
    CHECK(pki::crypto::public_key_der(again.get()) == pki::crypto::public_key_der(ec.get()));

    // A key of the other type, or one that is not there, is refused.
    CHECK(kind_of([&] { hsm.key(Token::config("ec-key", k::TokenMechanism::RsaPkcs), k::Pkcs11::Missing::Refuse); }) == ErrorKind::Denied);
    CHECK(kind_of([&] { other.key(Token::config("nothing", k::TokenMechanism::Ecdsa), k::Pkcs11::Missing::Refuse); }) == ErrorKind::Unavailable);
}

TEST_CASE("a wrong PIN is refused even when the token is logged in, and never tried twice") {
    Token token;
    k::Pkcs11 hsm;
    auto right = Token::config("ec-key", k::TokenMechanism::Ecdsa);
    hsm.key(right, k::Pkcs11::Missing::Generate);
    auto wrong = right;
    wrong.pin = "9999";
    std::string first, second;
    try {
        hsm.key(wrong, k::Pkcs11::Missing::Refuse);
    } catch (const Error& e) {
        first = e.what();
        CHECK(e.kind() == ErrorKind::Denied);
    }
    CHECK(first.find("CKR_PIN_INCORRECT") != std::string::npos);
    try {
        hsm.key(wrong, k::Pkcs11::Missing::Refuse);
    } catch (const Error& e) {
        second = e.what();
    }
    CHECK(second.find("does not try a refused PIN again") != std::string::npos);
    // The right PIN logs in again.
    CHECK(signs_and_verifies(hsm.key(right, k::Pkcs11::Missing::Refuse).get(), EVP_sha256()));
}

TEST_CASE("modules that are not there, or not PKCS#11, are named in the error") {
    k::Pkcs11 hsm;
    auto cfg = Token::config("k", k::TokenMechanism::Ecdsa);
    cfg.library = "/nonexistent/module.so";
    CHECK(kind_of([&] { hsm.key(cfg, k::Pkcs11::Missing::Refuse); }) == ErrorKind::Invalid);
    cfg.library = "/etc/hostname";
    CHECK(kind_of([&] { hsm.key(cfg, k::Pkcs11::Missing::Refuse); }) == ErrorKind::Invalid);
}
