#pragma once
// The state directory: one LMDB environment (data.mdb, lock.mdb) in a 0700 directory.
// A Txn aborts in its destructor unless committed, so a request either commits whole or
// changes nothing. Writers are serialised by LMDB across processes; readers never block.
#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pki::store {

inline constexpr int kSchemaVersion = 1;

class Txn {
public:
    Txn(MDB_env* env, MDB_dbi dbi, bool write);
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    Txn(Txn&& other) noexcept;
    ~Txn();

    bool writable() const { return write_; }
    std::optional<std::string_view> get(std::string_view key) const;
    void put(std::string_view key, std::string_view value);
    bool del(std::string_view key);
    // Visit every key with `prefix` in order; the callback returns false to stop.
    // Values are only touched (paged in) when the callback reads them.
    void scan(std::string_view prefix,
              const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
    // Scan starting at `start` (inclusive) while keys have `prefix`.
    void scan_from(std::string_view prefix, std::string_view start,
                   const std::function<bool(std::string_view key, std::string_view value)>& visit) const;
    size_t erase_prefix(std::string_view prefix);
    void commit();

private:
    MDB_txn* txn_ = nullptr;
    MDB_dbi dbi_;
    bool write_;
};

// Thrown by Txn::put when the map is full; Env::write grows the map and retries.
struct MapFull {};

class Env {
public:
    // Opens (creating when `create`) the environment in `dir`. Permission warnings are appended to
    // `warnings`. When !create and the directory holds no environment, returns an Env whose
    // exists() is false: reads then see an empty store and nothing is created.
    static Env open(const std::filesystem::path& dir, bool create, std::vector<std::string>& warnings);
    Env(Env&& other) noexcept;
    Env& operator=(Env&&) = delete;
    Env(const Env&) = delete;
    ~Env();

    bool exists() const { return env_ != nullptr; }
    const std::filesystem::path& dir() const { return dir_; }

    // Run `body` in a write transaction and commit it; on a full map, grow and run it again.
    void write(const std::function<void(Txn&)>& body);
    // Run `body` in a read-only snapshot.
    void read(const std::function<void(Txn&)>& body);

private:
    Env(std::filesystem::path dir, MDB_env* env, MDB_dbi dbi);
    Txn begin(bool write);
    void check_schema();
    std::filesystem::path dir_;
    MDB_env* env_ = nullptr;
    MDB_dbi dbi_ = 0;
};

}  // namespace pki::store
