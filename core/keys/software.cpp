#include <openssl/evp.h>
#include <openssl/x509.h>

#include <mutex>
#include <unordered_map>

#include "keys/keystore.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::keys {
namespace {

constexpr size_t kCacheEntries = 256;  // CA keys in use at once; the cache starts over past it

class SoftwareKeyStore final : public KeyStore {
public:
    std::string scheme() const override { return "software"; }

    Generated generate(const crypto::KeySpec& spec) const override {
        Generated g{crypto::generate_key(spec), ""};
        g.stored = store(g.key.get());
        return g;
    }

    std::string store(EVP_PKEY* key) const override {
        return util::base64(crypto::private_key_der(key, crypto::PrivateKeyFormat::Pkcs8));
    }

    crypto::PKey signer(std::string_view stored) const override {
        {
            std::lock_guard lock(mu_);
            if (auto it = cache_.find(std::string(stored)); it != cache_.end()) return share(it->second.get());
        }
        crypto::PKey key = decode(stored);
        std::lock_guard lock(mu_);
        if (cache_.size() >= kCacheEntries) cache_.clear();
        auto [it, inserted] = cache_.emplace(std::string(stored), share(key.get()));
        return share(it->second.get());
    }

    bool exportable() const override { return true; }

private:
    static crypto::PKey share(EVP_PKEY* k) {
        EVP_PKEY_up_ref(k);
        return crypto::PKey(k);
    }

    static crypto::PKey decode(std::string_view stored) {
        // Earlier versions stored the key's parameters as JSON, or PEM: still read, rewritten
        // as PKCS#8 when the key record is next written.
        if (!stored.empty() && (stored.front() == '{' || stored.substr(0, 11) == "-----BEGIN ")) return crypto::load_legacy_private_key(stored);
        std::string der = util::base64_decode(stored);
        const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
        crypto::Handle<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free> info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(der.size())));
        if (!info) fail(ErrorKind::Storage, "a stored private key is damaged (not PKCS#8); restore the state directory from a backup");
        EVP_PKEY* key = EVP_PKCS82PKEY(info.get());
        if (!key) fail(ErrorKind::Storage, "a stored private key could not be loaded; restore the state directory from a backup");
        return crypto::PKey(key);
    }

    mutable std::mutex mu_;
    mutable std::unordered_map<std::string, crypto::PKey> cache_;
};

}  // namespace

std::unique_ptr<KeyStore> software_key_store() { return std::make_unique<SoftwareKeyStore>(); }

}  // namespace pki::keys
