#include "store/store.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "util/error.hpp"

namespace pki::store {
namespace {

constexpr size_t kInitialMap = size_t{256} << 20;  // 256 MiB of address space; the file grows as used
constexpr char kSchemaKey[] = "sys/schema";

[[noreturn]] void lmdb_fail(int rc, std::string_view what) {
    fail(ErrorKind::Storage, "state directory: {} failed: {}", what, mdb_strerror(rc));
}

MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

}  // namespace

// ---- Txn ----------------------------------------------------------------------------------------

Txn::Txn(MDB_env* env, MDB_dbi dbi, bool write) : dbi_(dbi), write_(write) {
    int rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn_);
    if (rc == MDB_MAP_RESIZED) {
        // Another process grew the map: adopt its size and try again.
        mdb_env_set_mapsize(env, 0);
        rc = mdb_txn_begin(env, nullptr, write ? 0 : MDB_RDONLY, &txn_);
    }
    if (rc != 0) lmdb_fail(rc, "beginning a transaction");
}

Txn::Txn(Txn&& other) noexcept : txn_(other.txn_), dbi_(other.dbi_), write_(other.write_) { other.txn_ = nullptr; }

Txn::~Txn() {
    if (txn_) mdb_txn_abort(txn_);
}

std::optional<std::string_view> Txn::get(std::string_view key) const {
    MDB_val k = val(key), v;
    int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return std::nullopt;
    if (rc != 0) lmdb_fail(rc, "reading");
    return view(v);
}

void Txn::put(std::string_view key, std::string_view value) {
    if (!write_) fail(ErrorKind::Internal, "write attempted in a read-only transaction (key {})", key);
    MDB_val k = val(key), v = val(value);
    int rc = mdb_put(txn_, dbi_, &k, &v, 0);
    if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) throw MapFull{};
    if (rc != 0) lmdb_fail(rc, "writing");
}

bool Txn::del(std::string_view key) {
    MDB_val k = val(key);
    int rc = mdb_del(txn_, dbi_, &k, nullptr);
    if (rc == MDB_NOTFOUND) return false;
    if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) throw MapFull{};
    if (rc != 0) lmdb_fail(rc, "deleting");
    return true;
}

void Txn::scan(std::string_view prefix, const std::function<bool(std::string_view, std::string_view)>& visit) const {
    scan_from(prefix, prefix, visit);
}

void Txn::scan_from(std::string_view prefix, std::string_view start,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const {
    MDB_cursor* cur = nullptr;
    int rc = mdb_cursor_open(txn_, dbi_, &cur);
    if (rc != 0) lmdb_fail(rc, "opening a cursor");
    struct Close {
        MDB_cursor* c;
        ~Close() { mdb_cursor_close(c); }
    } closer{cur};
    MDB_val k = val(start), v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
        auto key = view(k);
        if (key.substr(0, prefix.size()) != prefix) break;
        if (!visit(key, view(v))) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) lmdb_fail(rc, "scanning");
}

size_t Txn::erase_prefix(std::string_view prefix) {
    std::vector<std::string> keys;
    scan(prefix, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
    });
    for (const auto& k : keys) del(k);
    return keys.size();
}

void Txn::commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    if (rc == MDB_MAP_FULL) throw MapFull{};
    if (rc != 0) lmdb_fail(rc, "committing");
}

// ---- Env ----------------------------------------------------------------------------------------

Env::Env(std::filesystem::path dir, MDB_env* env, MDB_dbi dbi) : dir_(std::move(dir)), env_(env), dbi_(dbi) {}

Env::Env(Env&& other) noexcept : dir_(std::move(other.dir_)), env_(other.env_), dbi_(other.dbi_) { other.env_ = nullptr; }

Env::~Env() {
    if (env_) mdb_env_close(env_);
}

Env Env::open(const std::filesystem::path& dir, bool create, std::vector<std::string>& warnings) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            fail(ErrorKind::Storage, "state directory {} is not a directory; point --state-dir or PKI_STATE_DIR at a directory",
                 dir.string());
        if ((st.st_mode & 077) != 0)
            warnings.push_back(fmt::format("state directory {} is accessible by other users (mode {:o}); run: chmod 700 {}",
                                           dir.string(), st.st_mode & 0777, dir.string()));
    } else {
        if (errno == EACCES)
            fail(ErrorKind::Storage, "cannot read state directory {}: permission denied; run pki as the directory's owner", dir.string());
        if (!create) return Env(dir, nullptr, 0);
        // Every missing component is made 0700 from the start (whatever the umask): a world-writable
        // parent would let others replace the state directory.
        std::filesystem::path made;
        std::error_code ec;
        for (const auto& part : std::filesystem::absolute(dir, ec)) {
            made /= part;
            if (::mkdir(made.c_str(), 0700) != 0 && errno != EEXIST)
                fail(ErrorKind::Storage, "cannot create state directory {}: {}", dir.string(), std::strerror(errno));
        }
        ::chmod(dir.c_str(), 0700);
    }
    struct stat data {};
    if (::stat((dir / "data.mdb").c_str(), &data) != 0) {
        if (errno == EACCES)
            fail(ErrorKind::Storage, "cannot read state directory {}: permission denied; run pki as the directory's owner", dir.string());
        if (!create) return Env(dir, nullptr, 0);
    }

    MDB_env* env = nullptr;
    int rc = mdb_env_create(&env);
    if (rc != 0) lmdb_fail(rc, "creating the environment");
    size_t map = kInitialMap;
    std::error_code ec;
    auto existing = std::filesystem::file_size(dir / "data.mdb", ec);
    if (!ec && existing * 2 > map) map = static_cast<size_t>(existing) * 2;
    mdb_env_set_mapsize(env, map);
    mdb_env_set_maxreaders(env, 256);
    rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600);
    if (rc != 0) {
        mdb_env_close(env);
        if (rc == EACCES || rc == EROFS)  // LMDB writes its lock file even to read
            fail(ErrorKind::Storage, "cannot open state directory {}: {}; pki needs to write there (its lock file) even to read, "
                 "so run it as the directory's owner or make the directory and its files writable",
                 dir.string(), mdb_strerror(rc));
        fail(ErrorKind::Storage, "cannot open state directory {}: {}", dir.string(), mdb_strerror(rc));
    }
    int dead = 0;
    mdb_reader_check(env, &dead);  // free reader slots left by killed processes

    MDB_txn* txn = nullptr;
    MDB_dbi dbi = 0;
    rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    if (txn) mdb_txn_abort(txn);
    if (rc != 0) {
        mdb_env_close(env);
        lmdb_fail(rc, "opening the database");
    }
    Env out(dir, env, dbi);
    out.check_schema();
    return out;
}

void Env::check_schema() {
    std::optional<int> found;
    read([&](Txn& txn) {
        if (auto v = txn.get(kSchemaKey)) found = std::stoi(std::string(*v));
    });
    if (found && *found > kSchemaVersion)
        fail(ErrorKind::Storage,
             "state directory {} was written by a newer pki (schema {}; this pki reads up to schema {}); upgrade pki",
             dir_.string(), *found, kSchemaVersion);
    if (!found) {
        write([&](Txn& txn) {
            if (!txn.get(kSchemaKey)) txn.put(kSchemaKey, std::to_string(kSchemaVersion));
        });
    }
}

Txn Env::begin(bool write) { return Txn(env_, dbi_, write); }

void Env::write(const std::function<void(Txn&)>& body) {
    if (!env_) fail(ErrorKind::Internal, "write to a state directory that was opened read-only");
    for (int attempt = 0; attempt < 16; ++attempt) {
        try {
            Txn txn = begin(true);
            body(txn);
            txn.commit();
            return;
        } catch (const MapFull&) {
            MDB_envinfo info{};
            mdb_env_info(env_, &info);
            int rc = mdb_env_set_mapsize(env_, info.me_mapsize * 2);
            if (rc != 0) lmdb_fail(rc, "growing the map");
        }
    }
    fail(ErrorKind::Storage, "state directory {}: the database could not grow large enough", dir_.string());
}

void Env::read(const std::function<void(Txn&)>& body) {
    if (!env_) return;
    Txn txn = begin(false);
    body(txn);
}

}  // namespace pki::store
