#pragma once
// Parsed records shared by the requests of one service (roles, issuers): a record is parsed once
// and reused while its stored bytes stay the same. An entry is found by the record's key and
// must match its bytes exactly, so a hit is never staler than the transaction that read them.
// Safe from any thread; bounded (it starts over past kEntries).
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "engine/issuers.hpp"
#include "policy/role.hpp"
#include "x509/ocsp.hpp"

namespace pki::engine {

template <typename T>
class ParsedCache {
public:
    static constexpr size_t kEntries = 1024;

    std::shared_ptr<const T> get(std::string_view key, std::string_view bytes) const {
        std::lock_guard lock(mu_);
        auto it = map_.find(std::string(key));
        if (it == map_.end() || it->second.first != bytes) return nullptr;
        return it->second.second;
    }
    void put(std::string_view key, std::string_view bytes, std::shared_ptr<const T> value) const {
        std::lock_guard lock(mu_);
        if (map_.size() >= kEntries) map_.clear();
        map_.insert_or_assign(std::string(key), std::make_pair(std::string(bytes), std::move(value)));
    }

private:
    mutable std::mutex mu_;
    mutable std::unordered_map<std::string, std::pair<std::string, std::shared_ptr<const T>>> map_;
};

struct Caches {
    ParsedCache<policy::Role> roles;
    ParsedCache<Issuer> issuers;
    // Issuer certificates parsed, for the paths that need the X509 itself on every request
    // (OCSP): decoding a certificate's public key is most of an answer's cost in OpenSSL 3.
    // Shared read-only across threads, which OpenSSL allows.
    struct IssuerCert {
        crypto::Cert cert;
        std::string crl_group;                    // engine::crl_group of the certificate
        std::vector<x509::CertIdHashes> certid;  // how OCSP requests name it
    };
    ParsedCache<IssuerCert> certs;
    // OCSP signing: the issuer's key and a signing context to copy, per stored key record.
    struct OcspSigner {
        crypto::PKey key;
        crypto::MdCtx prepared;
    };
    ParsedCache<OcspSigner> ocsp_signers;
};

}  // namespace pki::engine
