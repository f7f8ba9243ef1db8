#pragma once
// The engine: resolves a request to its table entry, parses its fields, runs its handler in one
// LMDB transaction (write or read), and returns the response. It never prints.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "api/table.hpp"
#include "crypto/keys.hpp"
#include "store/store.hpp"

namespace pki::engine {

struct MountInfo {
    std::string name;
    std::string description;
    int64_t default_lease_ttl = 0;
    int64_t max_lease_ttl = 0;
    std::string accessor;
    int64_t created = 0;
};

// What a handler gets: the open transaction, its parsed fields, the mount, the time.
struct Context {
    store::Txn& txn;
    api::Fields fields;
    std::string path;                 // the request path as given, for messages
    std::optional<MountInfo> mount;   // absent for sys/ paths
    int64_t now;                      // Unix seconds, from the engine's clock
    const crypto::KeySealer& sealer;
    api::Op op;
    const api::PathSpec* spec = nullptr;  // the table entry being served

    const MountInfo& m() const { return *mount; }
    const std::string& mount_name() const { return mount->name; }
};

// Progress of long work: what is being done, how far, out of how much (0: unknown).
using Progress = std::function<void(std::string_view what, uint64_t done, uint64_t total)>;

// What a batch handler gets: the environment itself, to run bounded transactions of its own.
struct BatchContext {
    store::Env& env;
    api::Fields fields;
    std::string path;
    MountInfo mount;
    int64_t now;
    const crypto::KeySealer& sealer;
    const api::PathSpec* spec;
    const Progress& progress;
    std::function<int64_t()> clock;
};

struct EngineOptions {
    std::filesystem::path state_dir;
    std::function<int64_t()> clock;   // defaults to the system clock
    Progress progress;                // optional
};

class Engine {
public:
    // `table` must outlive the engine (build it once with api::build_table()).
    Engine(EngineOptions options, const api::Table& table);
    ~Engine();

    // `before_commit`, when given, sees the response inside the transaction; if it throws, the
    // transaction is abandoned (the CLI renders output there, so a failed -field changes nothing).
    api::Response execute(const api::Request& request, const std::function<void(const api::Response&)>& before_commit = {});
    // Run `body` with every execute() it makes inside one write transaction: its requests commit
    // together or not at all (pki apply). A state directory that had no environment before is
    // left without one when `body` throws. Batch operations (tidy) are refused inside.
    void atomically(const std::function<void()>& body);
    const api::Table& table() const { return table_; }
    // Warnings from opening the state directory (loose permissions ...), once.
    std::vector<std::string> take_open_warnings();
    int64_t now() const;

private:
    store::Env& env(bool create);
    EngineOptions options_;
    const api::Table& table_;
    std::unique_ptr<store::Env> env_;
    store::Txn* active_ = nullptr;  // the transaction of atomically(), while it runs
    std::vector<std::string> open_warnings_;
    crypto::PlainSealer sealer_;
};

// Default state directory: $PKI_STATE_DIR, else $XDG_DATA_HOME/pki, else ~/.local/share/pki.
std::filesystem::path default_state_dir();

}  // namespace pki::engine
