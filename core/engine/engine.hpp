#pragma once
// What the engine's operations get beside their typed parameters: the transaction they run in,
// the mount, the time, the key store. Dispatch (matching a path, parsing fields into typed
// parameters, choosing the transaction, rendering the response) is core/api's; the engine never
// includes it, and never prints.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keys/keystore.hpp"
#include "keys/pkcs11.hpp"
#include "store/store.hpp"

namespace pki::engine {

struct Caches;  // engine/cache.hpp

struct MountInfo {
    std::string name;
    std::string description;
    int64_t default_lease_ttl = 0;
    int64_t max_lease_ttl = 0;
    std::string accessor;
    int64_t created = 0;
    std::vector<std::string> allowed_managed_keys{};  // managed keys (names or ids) the mount may use, as Vault's tune
};

// What an operation gets beside its typed parameters: the open transaction, the mount, the time,
// the service's key store, key generator and caches, and the request's warnings.
struct Caller;  // engine/tokens.hpp

struct Context {
    store::Txn& txn;
    std::optional<MountInfo> mount;   // absent for sys/ paths
    int64_t now;                      // Unix seconds, from the service's clock
    const keys::KeyStore& keys;
    const keys::Pkcs11& hsm;              // the PKCS#11 modules and sessions of managed keys
    const crypto::KeyGenerator& keygen;   // keys issued to leaves (never stored)
    const Caches& caches;                 // parsed roles and issuers, shared by the service's requests
    std::vector<std::string> warnings{};  // said to the caller with the result
    std::string token{};                  // the caller's token (pki serve); empty for the local operator
    Caller* caller = nullptr;             // what the store says of that token (null for the local operator)
    std::string remote{};                 // the caller's IP address over pki serve; "" for the local operator

    const MountInfo& m() const { return *mount; }
    const std::string& mount_name() const { return mount->name; }
};

// Progress of long work: what is being done, how far, out of how much (0: unknown).
using Progress = std::function<void(std::string_view what, uint64_t done, uint64_t total)>;

// What a batch handler gets: the store itself, to run bounded transactions of its own.
struct BatchContext {
    store::Backend& store;
    MountInfo mount;
    int64_t now;
    const keys::KeyStore& keys;
    const keys::Pkcs11& hsm;
    const crypto::KeyGenerator& keygen;
    const Caches& caches;
    const Progress& progress;
    std::function<int64_t()> clock;
};

}  // namespace pki::engine
