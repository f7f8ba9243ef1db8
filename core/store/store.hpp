#pragma once
// Storage behind an interface: a Backend hands out transactions (Txn) over one ordered key-value
// space. A write transaction commits whole or changes nothing; a read transaction is a snapshot.
// Nothing above core/store knows which backend holds the state (LMDB today, see lmdb/).
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pki::store {

inline constexpr int kSchemaVersion = 1;

using Visit = std::function<bool(std::string_view key, std::string_view value)>;

class Txn {
public:
    virtual ~Txn() = default;
    virtual bool writable() const = 0;
    // The value stays valid until the transaction ends or the key is written again.
    virtual std::optional<std::string_view> get(std::string_view key) const = 0;
    virtual void put(std::string_view key, std::string_view value) = 0;
    virtual bool del(std::string_view key) = 0;
    // Visit keys >= `start` (inclusive) in order while they have `prefix`; `visit` returns false
    // to stop. Values are only touched (paged in) when the callback reads them.
    virtual void scan_from(std::string_view prefix, std::string_view start, const Visit& visit) const = 0;

    void scan(std::string_view prefix, const Visit& visit) const { scan_from(prefix, prefix, visit); }
    size_t erase_prefix(std::string_view prefix);
    // A hint from a long scan (a CRL of a million entries): the pages of the store it has read
    // need not stay in this process's resident set. Values read before stay valid (a backend
    // reads them back when they are touched again); a backend without mapped pages ignores it.
    virtual void release_read_pages() const {}
};

// Work run in a transaction. A backend may run it more than once (after growing its map, or when
// a group is replayed), so it must have no effect outside the transaction it is given.
using Body = std::function<void(Txn&)>;
// Runs once, after the final run of the bodies succeeded and before the commit; if it throws,
// nothing is committed.
using Hook = std::function<void()>;

class Backend {
public:
    virtual ~Backend() = default;

    // For messages: "state directory /home/me/.local/share/pki".
    virtual std::string location() const = 0;
    // Whether the store holds state. A backend opened without creating reads as empty.
    virtual bool exists() const = 0;
    // Make the store exist (idempotent, safe from several threads).
    virtual void create() = 0;
    // When this process created the store and nothing was ever committed to it, remove it, so a
    // refused first request leaves no state behind. Otherwise does nothing.
    virtual void abandon() = 0;
    // Notes from opening the store (loose permissions ...), each handed out once.
    virtual std::vector<std::string> take_warnings() = 0;

    // A read-only snapshot (nullptr when the store does not exist). Safe from any thread.
    virtual std::unique_ptr<Txn> snapshot() const = 0;
    // Run `body` in a write transaction and commit it.
    virtual void write(const Body& body, const Hook& before_commit = {}) = 0;
    // Group commit: each body runs in a nested unit of one write transaction, committed with a
    // single flush. A body that throws is rolled back alone (its exception lands in errors[i];
    // the others are unaffected); errors has one entry per body, null for those that succeeded.
    // A failure of the group itself (storage) throws and commits nothing.
    virtual void write_group(std::span<const Body> bodies, std::vector<std::exception_ptr>& errors,
                             const Hook& before_commit = {}) = 0;

    // Run `body` in a snapshot; does nothing when the store does not exist.
    void read(const Body& body) const;
};

// An LMDB environment (data.mdb, lock.mdb) in `dir`, created 0700 with 0600 files when `create`.
// Permission warnings wait in take_warnings(). When !create and the directory holds no
// environment, the backend reads as empty until create() is called.
std::unique_ptr<Backend> open_lmdb(const std::string& dir, bool create);

}  // namespace pki::store
