// The LMDB backend: one environment in a 0700 state directory. It owns everything LMDB: the
// files and their permissions, the schema record, map growth (only with no transaction of this
// process open), nested transactions for group commit, and retries.
#include <lmdb.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "store/store.hpp"
#include "util/error.hpp"

namespace pki::store {
namespace {

namespace fs = std::filesystem;

constexpr size_t kInitialMap = size_t{256} << 20;  // 256 MiB of address space; the file grows as used
constexpr off_t kLockBytes = 64 << 10;  // more than LMDB's lock file needs for 256 readers

// LMDB maps data.mdb and trusts it: a file shorter than its own header says (truncated by a full
// disk or a bad copy) ends in SIGBUS at the first page read past its end. Check the two meta pages
// (LMDB's format, version 1, 64-bit) against the file's size before mapping it; Error(Storage)
// naming the file.
// What is wrong with data.mdb, or nothing.
std::optional<std::string> data_file_problem(const fs::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;  // permissions and the like: mdb_env_open reports them
    struct stat st {};
    ::fstat(fd, &st);
    auto size = static_cast<uint64_t>(st.st_size);
    if (size == 0) {
        ::close(fd);
        return std::string("it is empty (0 bytes)");
    }
    auto read_at = [&](uint64_t off, void* buf, size_t n) { return ::pread(fd, buf, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n); };
    struct Meta {
        bool ok = false;
        uint32_t psize = 0;
        uint64_t last_pg = 0, txnid = 0;
    };
    auto meta_at = [&](uint64_t off) {
        Meta m;
        unsigned char b[152];
        if (!read_at(off, b, sizeof b)) return m;
        uint32_t magic, version;
        std::memcpy(&magic, b + 16, 4);
        std::memcpy(&version, b + 20, 4);
        std::memcpy(&m.psize, b + 40, 4);
        std::memcpy(&m.last_pg, b + 136, 8);
        std::memcpy(&m.txnid, b + 144, 8);
        m.ok = magic == 0xBEEFC0DE && version == 1 && m.psize >= 512 && m.psize <= (1u << 16) && (m.psize & (m.psize - 1)) == 0;
        return m;
    };
    Meta first = meta_at(0);
    Meta second = first.ok ? meta_at(first.psize) : Meta{};
    ::close(fd);
    if (!first.ok) return size < 152 ? fmt::format("it is {} bytes, shorter than an LMDB header", size) : std::string("it has no valid LMDB header");
    const Meta& m = second.ok && second.txnid > first.txnid ? second : first;
    uint64_t needed = (m.last_pg + 1) * m.psize;
    if (size < needed) return fmt::format("it is {} bytes, but its header says it holds {} bytes (truncated)", size, needed);
    return std::nullopt;
}

void check_data_file(const fs::path& file) {
    // Another process may be creating the store this instant (LMDB writes the header just after
    // creating the file): look again for up to a second before calling it damaged.
    auto problem = data_file_problem(file);
    for (int i = 0; problem && i < 20; ++i) {
        ::usleep(50'000);
        problem = data_file_problem(file);
    }
    if (problem)
        fail(ErrorKind::Storage, "{} is damaged: {}; restore the state directory from a backup (pki does not treat it as an empty store)",
             file.string(), *problem);
}

// LMDB sizes lock.mdb with ftruncate and then writes it through a map: on a full file system the
// blocks are missing and the first write is SIGBUS. Allocate them first, so a full disk is an error.
// Created by root in a user's directory, it is given to the directory's owner (a root-owned lock
// file would lock the owner out).
void reserve_lock_file(const fs::path& file, const struct stat& dir) {
    bool existed = ::access(file.c_str(), F_OK) == 0;
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;  // mdb_env_open reports it
    if (!existed && ::geteuid() == 0 && dir.st_uid != 0 && ::fchown(fd, dir.st_uid, dir.st_gid) != 0) {
        // Left to root; the owner can take it back with chown.
    }
    struct stat st {};
    int rc = 0;
    // A lock file LMDB has used has its blocks; a new (or emptied) one gets them now.
    if (::fstat(fd, &st) == 0 && st.st_size == 0) rc = ::posix_fallocate(fd, 0, kLockBytes);
    ::close(fd);
    if (rc == ENOSPC || rc == EDQUOT)
        fail(ErrorKind::Storage, "cannot create the lock file {}: no space left on device; free some space", file.string());
}
constexpr char kSchemaKey[] = "sys/schema";
constexpr int kGrowAttempts = 16;

[[noreturn]] void lmdb_fail(int rc, std::string_view what) {
    // A full disk may surface as EIO from the write that met it: say what it most often is.
    if (rc == ENOSPC || rc == EDQUOT)
        fail(ErrorKind::Storage, "state directory: {} failed: no space left on device; free some space and run it again", what);
    if (rc == EIO)
        fail(ErrorKind::Storage, "state directory: {} failed: input/output error (a full disk or a failing device)", what);
    fail(ErrorKind::Storage, "state directory: {} failed: {}", what, mdb_strerror(rc));
}

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// The map is full: the whole unit is abandoned, the map grown, and the unit run again.
struct MapFull {};

struct CursorCloser {
    void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};

class LmdbTxn final : public Txn {
public:
    // `gate` is held shared for the transaction's life, so the map is never resized under it.
    LmdbTxn(MDB_env* env, MDB_dbi dbi, MDB_txn* parent, bool write, std::shared_lock<std::shared_mutex> gate)
        : dbi_(dbi), write_(write), gate_(std::move(gate)) {
        int rc = mdb_txn_begin(env, parent, write ? 0 : MDB_RDONLY, &txn_);
        if (rc == MDB_MAP_RESIZED) throw MapFull{};  // another process grew the map: adopt it
        if (rc != 0) lmdb_fail(rc, "beginning a transaction");
    }
    LmdbTxn(const LmdbTxn&) = delete;
    LmdbTxn& operator=(const LmdbTxn&) = delete;
    ~LmdbTxn() override {
        if (txn_) mdb_txn_abort(txn_);
    }

    MDB_txn* handle() const { return txn_; }
    bool writable() const override { return write_; }

    std::optional<std::string_view> get(std::string_view key) const override {
        MDB_val k = val(key), v;
        int rc = mdb_get(txn_, dbi_, &k, &v);
        if (rc == MDB_NOTFOUND) return std::nullopt;
        if (rc != 0) lmdb_fail(rc, "reading");
        return view(v);
    }

    void put(std::string_view key, std::string_view value) override {
        if (!write_) fail(ErrorKind::Internal, "write attempted in a read-only transaction (key {})", key);
        MDB_val k = val(key), v = val(value);
        int rc = mdb_put(txn_, dbi_, &k, &v, 0);
        if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) throw MapFull{};
        if (rc != 0) lmdb_fail(rc, "writing");
    }

    bool del(std::string_view key) override {
        if (!write_) fail(ErrorKind::Internal, "delete attempted in a read-only transaction (key {})", key);
        MDB_val k = val(key);
        int rc = mdb_del(txn_, dbi_, &k, nullptr);
        if (rc == MDB_NOTFOUND) return false;
        if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) throw MapFull{};
        if (rc != 0) lmdb_fail(rc, "deleting");
        return true;
    }

    void scan_from(std::string_view prefix, std::string_view start, const Visit& visit) const override {
        MDB_cursor* raw = nullptr;
        int rc = mdb_cursor_open(txn_, dbi_, &raw);
        if (rc != 0) lmdb_fail(rc, "opening a cursor");
        std::unique_ptr<MDB_cursor, CursorCloser> cur(raw);
        MDB_val k = val(start), v;
        rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
        while (rc == 0) {
            auto key = view(k);
            if (key.substr(0, prefix.size()) != prefix) break;
            if (!visit(key, view(v))) break;
            rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
        }
        if (rc != 0 && rc != MDB_NOTFOUND) lmdb_fail(rc, "scanning");
    }

    void release_read_pages() const override {
        // The map is read-only and shared (no MDB_WRITEMAP): dropping its pages from this
        // process leaves them in the page cache, and the next touch maps them again. LMDB does
        // not say where its map is (me_mapaddr is only set for MDB_FIXEDMAP), so the mappings of
        // data.mdb are found in /proc/self/maps; nothing else is ever advised.
        const char* dir = nullptr;
        if (mdb_env_get_path(mdb_txn_env(txn_), &dir) != 0 || !dir) return;
        std::string file = (fs::path(dir) / "data.mdb").string();
        std::ifstream maps("/proc/self/maps");
        std::string line;
        while (std::getline(maps, line)) {
            if (line.size() < file.size() || line.compare(line.size() - file.size(), file.size(), file) != 0) continue;
            unsigned long lo = 0, hi = 0;
            char perms[5] = {};
            if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[1] == 'w' || perms[3] != 's') continue;
            ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
        }
    }

    void commit() {
        int rc = mdb_txn_commit(txn_);
        txn_ = nullptr;
        if (rc == MDB_MAP_FULL) throw MapFull{};
        if (rc != 0) lmdb_fail(rc, "committing");
    }

private:
    MDB_txn* txn_ = nullptr;
    MDB_dbi dbi_;
    bool write_;
    std::shared_lock<std::shared_mutex> gate_;
};

class LmdbBackend final : public Backend {
public:
    explicit LmdbBackend(fs::path dir) : dir_(std::move(dir)) {}
    ~LmdbBackend() override {
        if (env_) mdb_env_close(env_);
    }

    // Opens the environment when its files exist (or `create`); returns whether it is open.
    bool open(bool create);

    std::string location() const override { return "state directory " + dir_.string(); }
    bool exists() const override { return open_.load(std::memory_order_acquire); }

    std::vector<std::string> take_warnings() override {
        std::lock_guard lock(open_mu_);
        return std::exchange(warnings_, {});
    }

    void create() override {
        std::lock_guard lock(open_mu_);
        if (!env_) open(true);
    }

    void abandon() override {
        std::lock_guard lock(open_mu_);
        if (!created_here_ || committed_.load()) return;
        std::unique_lock gate(gate_);
        mdb_env_close(env_);
        env_ = nullptr;
        open_.store(false);
        std::error_code ec;
        fs::remove(dir_ / "data.mdb", ec);
        fs::remove(dir_ / "lock.mdb", ec);
        for (auto it = made_dirs_.rbegin(); it != made_dirs_.rend(); ++it) fs::remove(*it, ec);
        made_dirs_.clear();
        created_here_ = false;
    }

    std::unique_ptr<Txn> snapshot() const override {
        if (!exists()) return nullptr;
        for (int attempt = 0; attempt < kGrowAttempts; ++attempt) {
            try {
                return std::make_unique<LmdbTxn>(env_, dbi_, nullptr, false, std::shared_lock(gate_));
            } catch (const MapFull&) {
                adopt_map_size();
            }
        }
        fail(ErrorKind::Storage, "{}: the map size kept changing; try again", location());
    }

    void write(const Body& body, const Hook& before_commit) override {
        run_write([&](LmdbTxn& txn) { body(txn); }, before_commit);
    }

    void write_group(std::span<const Body> bodies, std::vector<std::exception_ptr>& errors, const Hook& before_commit) override {
        run_write(
            [&](LmdbTxn& parent) {
                errors.assign(bodies.size(), nullptr);
                for (size_t i = 0; i < bodies.size(); ++i) {
                    // A child transaction per body: its changes join the group only if it succeeds.
                    LmdbTxn child(env_, dbi_, parent.handle(), true, {});
                    try {
                        bodies[i](child);
                    } catch (const MapFull&) {
                        throw;  // the whole group grows and runs again
                    } catch (...) {
                        errors[i] = std::current_exception();
                        continue;  // the child aborts in its destructor
                    }
                    child.commit();
                }
            },
            before_commit);
    }

private:
    void require_open() const {
        if (!exists()) fail(ErrorKind::Internal, "write to a state directory that was not created");
        if (read_only_)
            fail(ErrorKind::Storage,
                 "read-only state directory {} ({}): it can be read but not changed; copy it to a writable place (or make it "
                 "writable) to change it",
                 dir_.string(), read_only_fs_ ? "a read-only file system" : "this user cannot write it");
    }

    template <typename Run>
    void run_write(const Run& run, const Hook& before_commit) {
        require_open();
        for (int attempt = 0; attempt < kGrowAttempts; ++attempt) {
            bool grow = false;
            try {
                LmdbTxn txn(env_, dbi_, nullptr, true, std::shared_lock(gate_));
                run(txn);
                if (before_commit) before_commit();
                txn.commit();
                committed_.store(true);
                return;
            } catch (const MapFull&) {
                grow = true;  // the transaction (and its hold on the gate) is gone here
            } catch (const Error& e) {
                // Name the directory in the store's own failures ("state directory: committing ...").
                std::string m = e.what();
                if (e.kind() != ErrorKind::Storage || m.rfind("state directory: ", 0) != 0) throw;
                m = m.substr(17);
                // EIO from the write that met a full disk: say so when the file system is full.
                struct statvfs fs {};
                auto eio = m.find("input/output error (a full disk or a failing device)");
                if (eio != std::string::npos && ::statvfs(dir_.c_str(), &fs) == 0 && fs.f_bavail * fs.f_frsize < (1u << 20))
                    m = m.substr(0, eio) + "no space left on device; free some space and run it again";
                throw Error(e.kind(), fmt::format("{}: {}", location(), m), e.field(), e.hint());
            }
            if (grow) grow_map();
        }
        fail(ErrorKind::Storage, "{}: the database could not grow large enough", location());
    }

    // Another process grew the map: take its size, with no transaction of ours open.
    void adopt_map_size() const {
        std::unique_lock gate(gate_);
        int rc = mdb_env_set_mapsize(env_, 0);
        if (rc != 0) lmdb_fail(rc, "adopting the map size");
    }

    void grow_map() {
        std::unique_lock gate(gate_);
        MDB_envinfo info{};
        mdb_env_info(env_, &info);
        int rc = mdb_env_set_mapsize(env_, info.me_mapsize * 2);
        if (rc != 0) lmdb_fail(rc, "growing the map");
    }

    void check_schema();

    fs::path dir_;
    std::vector<std::string> warnings_;  // guarded by open_mu_
    MDB_env* env_ = nullptr;
    MDB_dbi dbi_ = 0;
    std::atomic<bool> open_{false};
    std::atomic<bool> committed_{false};
    bool read_only_ = false;  // opened read-only (a read-only file system, an unwritable directory): writes are refused
    bool read_only_fs_ = false;
    bool created_here_ = false;
    std::vector<fs::path> made_dirs_;
    std::mutex open_mu_;
    mutable std::shared_mutex gate_;  // shared by every transaction; exclusive to resize the map
};

bool LmdbBackend::open(bool create) {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            fail(ErrorKind::Storage, "state directory {} is not a directory; point --state-dir or PKI_STATE_DIR at a directory",
                 dir_.string());
        if ((st.st_mode & 077) != 0)
            warnings_.push_back(fmt::format("state directory {} is accessible by other users (mode {:o}); run: chmod 700 {}",
                                            dir_.string(), st.st_mode & 0777, dir_.string()));
    } else {
        if (errno == EACCES)
            fail(ErrorKind::Storage, "cannot read state directory {}: permission denied; run pki as the directory's owner", dir_.string());
        // A path that cannot be looked up (a symlink loop, a name too long, a file where a
        // directory should be) is a broken state path, not an empty store.
        if (errno != ENOENT) fail(ErrorKind::Storage, "cannot use state directory {}: {}", dir_.string(), std::strerror(errno));
        if (!create) return false;
        // Every missing component is made 0700 from the start (whatever the umask): a world-writable
        // parent would let others replace the state directory.
        fs::path made;
        std::error_code ec;
        // Resolved first: "a/../state" must not leave a stray directory "a" behind.
        fs::path target = fs::weakly_canonical(fs::absolute(dir_, ec), ec);
        if (ec) fail(ErrorKind::Storage, "cannot use state directory {}: {}", dir_.string(), ec.message());
        for (const auto& part : target) {
            made /= part;
            if (::mkdir(made.c_str(), 0700) == 0) made_dirs_.push_back(made);
            else if (errno != EEXIST)
                fail(ErrorKind::Storage, "cannot create state directory {}: {}", dir_.string(), std::strerror(errno));
        }
        ::chmod(dir_.c_str(), 0700);
    }
    struct stat data {};
    bool had_data = ::stat((dir_ / "data.mdb").c_str(), &data) == 0;
    if (!had_data) {
        if (errno == EACCES)
            fail(ErrorKind::Storage, "cannot read state directory {}: permission denied; run pki as the directory's owner", dir_.string());
        if (errno != ENOENT) fail(ErrorKind::Storage, "cannot use {}: {}", (dir_ / "data.mdb").string(), std::strerror(errno));
        if (!create) return false;
    }

    if (had_data) check_data_file(dir_ / "data.mdb");
    struct stat dir_st {};
    if (::access(dir_.c_str(), W_OK) == 0 && ::stat(dir_.c_str(), &dir_st) == 0) reserve_lock_file(dir_ / "lock.mdb", dir_st);

    size_t map = kInitialMap;
    std::error_code ec;
    auto existing = fs::file_size(dir_ / "data.mdb", ec);
    if (!ec && existing * 2 > map) map = static_cast<size_t>(existing) * 2;
    MDB_env* env = nullptr;
    // MDB_NOTLS: read transactions belong to no thread, so the service's threads may share them.
    auto open_env = [&](unsigned flags) {
        int created = mdb_env_create(&env);
        if (created != 0) lmdb_fail(created, "creating the environment");
        mdb_env_set_mapsize(env, map);
        mdb_env_set_maxreaders(env, 256);
        return mdb_env_open(env, dir_.c_str(), MDB_NOTLS | flags, 0600);
    };
    int rc = open_env(0);
    if (rc == EACCES && had_data && ::access(dir_.c_str(), W_OK) != 0 && ::access((dir_ / "data.mdb").c_str(), R_OK) == 0) {
        // A directory this user may read but not write (a write-protected copy, a read-only bind
        // mount): read it without the lock file; changes are refused.
        mdb_env_close(env);
        rc = open_env(MDB_RDONLY | MDB_NOLOCK);
        if (rc == 0) read_only_ = true;
    }
    if (rc == EROFS && had_data) {
        // A read-only file system (an offline root's state on write-protected media): nobody can
        // write there, so LMDB may read it without its lock file. Changes are refused.
        mdb_env_close(env);
        rc = open_env(MDB_RDONLY);
        if (rc == 0) read_only_ = read_only_fs_ = true;
    }
    if (rc != 0) {
        mdb_env_close(env);
        if (rc == EACCES || rc == EROFS)  // LMDB writes its lock file even to read
            fail(ErrorKind::Storage, "cannot open state directory {}: {}; pki needs to write there (its lock file) even to read, "
                 "so run it as the directory's owner or make the directory and its files writable",
                 dir_.string(), mdb_strerror(rc));
        fail(ErrorKind::Storage, "cannot open state directory {}: {}", dir_.string(), mdb_strerror(rc));
    }
    int dead = 0;
    if (!read_only_) mdb_reader_check(env, &dead);  // free reader slots left by killed processes

    MDB_txn* txn = nullptr;
    MDB_dbi dbi = 0;
    rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        mdb_env_close(env);
        lmdb_fail(rc, "opening the database");
    }
    env_ = env;
    dbi_ = dbi;
    created_here_ = !had_data;
    open_.store(true, std::memory_order_release);
    check_schema();
    return true;
}

void LmdbBackend::check_schema() {
    std::optional<int> found;
    read([&](Txn& txn) {
        if (auto v = txn.get(kSchemaKey)) {
            try {
                found = std::stoi(std::string(*v));
            } catch (const std::exception&) {
                fail(ErrorKind::Storage, "state directory {}: its schema record is damaged; restore the directory from a backup",
                     dir_.string());
            }
        }
    });
    if (found && *found > kSchemaVersion)
        fail(ErrorKind::Storage,
             "state directory {} was written by a newer pki (schema {}; this pki reads up to schema {}); upgrade pki",
             dir_.string(), *found, kSchemaVersion);
    if (!found && !read_only_) {
        run_write([&](LmdbTxn& txn) {
            if (!txn.get(kSchemaKey)) txn.put(kSchemaKey, std::to_string(kSchemaVersion));
        }, {});
        committed_.store(false);  // the schema record alone is not state worth keeping
    }
}

}  // namespace

std::unique_ptr<Backend> open_lmdb(const std::string& dir, bool create) {
    auto backend = std::make_unique<LmdbBackend>(dir);
    backend->open(create);
    return backend;
}

}  // namespace pki::store
