#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "support.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using pki::store::Txn;

using pki::test::TempDir;
using pki::test::table;

namespace {

// The LMDB backend as these tests use it: opened on a directory, with its warnings collected.
struct Env {
    std::unique_ptr<pki::store::Backend> backend;
    fs::path path;
    static Env open(const fs::path& dir, bool create, std::vector<std::string>& warnings) {
        Env e{pki::store::open_lmdb(dir.string(), create), dir};
        for (auto& w : e.backend->take_warnings()) warnings.push_back(std::move(w));
        return e;
    }
    bool exists() const { return backend->exists(); }
    const fs::path& dir() const { return path; }
    void write(const pki::store::Body& body) { backend->write(body); }
    void read(const pki::store::Body& body) const { backend->read(body); }
};

Env open_env(const fs::path& dir, bool create = true) {
    std::vector<std::string> warnings;
    return Env::open(dir, create, warnings);
}

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

std::optional<std::string> get(Env& env, const std::string& key) {
    std::optional<std::string> out;
    env.read([&](Txn& txn) {
        if (auto v = txn.get(key)) out = std::string(*v);
    });
    return out;
}

struct Abort {};

}  // namespace

TEST_CASE("put, get and del across transactions") {
    TempDir tmp{"pki-store-test"};
    Env env = open_env(tmp.path / "state");
    CHECK(env.exists());
    env.write([](Txn& txn) {
        CHECK(txn.writable());
        txn.put("pki/key/1", "one");
        txn.put("pki/key/2", std::string("two\0bytes", 9));
        CHECK(txn.get("pki/key/1") == std::optional<std::string_view>("one"));  // own writes are visible
    });
    CHECK(get(env, "pki/key/1") == std::optional<std::string>("one"));
    CHECK(get(env, "pki/key/2") == std::optional<std::string>(std::string("two\0bytes", 9)));
    CHECK_FALSE(get(env, "pki/key/3").has_value());

    env.write([](Txn& txn) { txn.put("pki/key/1", "uno"); });
    CHECK(get(env, "pki/key/1") == std::optional<std::string>("uno"));

    env.write([](Txn& txn) {
        CHECK(txn.del("pki/key/1"));
        CHECK_FALSE(txn.del("pki/key/1"));
        CHECK_FALSE(txn.del("never/there"));
    });
    CHECK_FALSE(get(env, "pki/key/1").has_value());
    CHECK(get(env, "pki/key/2").has_value());
}

TEST_CASE("a read transaction refuses writes") {
    TempDir tmp{"pki-store-test"};
    Env env = open_env(tmp.path / "state");
    env.read([](Txn& txn) {
        CHECK_FALSE(txn.writable());
        CHECK_THROWS_AS(txn.put("a", "b"), pki::Error);
    });
}

TEST_CASE("scan visits exactly the keys with the prefix, in order") {
    TempDir tmp{"pki-store-test"};
    Env env = open_env(tmp.path / "state");
    env.write([](Txn& txn) {
        for (const char* k : {"pki/key/b", "pki/key/a", "pki/keyring/x", "pki/kex", "pki/issuer/1", "pki_int/key/z", "pki/key/c"})
            txn.put(k, std::string("v:") + k);
    });
    std::vector<std::string> seen;
    env.read([&](Txn& txn) {
        txn.scan("pki/key/", [&](std::string_view k, std::string_view v) {
            seen.emplace_back(k);
            CHECK(v == "v:" + std::string(k));
            return true;
        });
    });
    CHECK(seen == std::vector<std::string>{"pki/key/a", "pki/key/b", "pki/key/c"});

    seen.clear();  // the callback stops the scan
    env.read([&](Txn& txn) {
        txn.scan("pki/key/", [&](std::string_view k, std::string_view) {
            seen.emplace_back(k);
            return false;
        });
    });
    CHECK(seen == std::vector<std::string>{"pki/key/a"});

    seen.clear();  // scan_from starts in the middle
    env.read([&](Txn& txn) {
        txn.scan_from("pki/key/", "pki/key/b", [&](std::string_view k, std::string_view) {
            seen.emplace_back(k);
            return true;
        });
    });
    CHECK(seen == std::vector<std::string>{"pki/key/b", "pki/key/c"});

    seen.clear();  // a prefix with nothing under it
    env.read([&](Txn& txn) {
        txn.scan("nothing/", [&](std::string_view k, std::string_view) {
            seen.emplace_back(k);
            return true;
        });
    });
    CHECK(seen.empty());

    size_t erased = 0;
    env.write([&](Txn& txn) { erased = txn.erase_prefix("pki/"); });
    CHECK(erased == 6);
    CHECK(get(env, "pki_int/key/z").has_value());
    CHECK_FALSE(get(env, "pki/kex").has_value());
}

TEST_CASE("a transaction that is not committed leaves nothing") {
    TempDir tmp{"pki-store-test"};
    Env env = open_env(tmp.path / "state");
    env.write([](Txn& txn) { txn.put("kept", "1"); });
    CHECK_THROWS_AS(env.write([](Txn& txn) {
        txn.put("half", "1");
        txn.put("kept", "2");
        txn.del("kept");
        throw Abort{};
    }),
                    Abort);
    CHECK_FALSE(get(env, "half").has_value());
    CHECK(get(env, "kept") == std::optional<std::string>("1"));

    // A pki::Error thrown inside the body propagates and aborts as well.
    CHECK_THROWS_AS(env.write([](Txn& txn) {
        txn.put("half", "1");
        pki::fail(pki::ErrorKind::Invalid, "refused");
    }),
                    pki::Error);
    CHECK_FALSE(get(env, "half").has_value());

    // Also after reopening the directory.
    fs::path dir = env.dir();
    Env again = open_env(dir);
    CHECK_FALSE(get(again, "half").has_value());
    CHECK(get(again, "kept") == std::optional<std::string>("1"));
}

TEST_CASE("the state directory is created 0700 with 0600 files, and a schema record") {
    TempDir tmp{"pki-store-test"};
    fs::path dir = tmp.path / "a" / "b" / "state";
    std::vector<std::string> warnings;
    {
        Env env = Env::open(dir, true, warnings);
        CHECK(warnings.empty());
        CHECK(get(env, "sys/schema") == std::optional<std::string>(std::to_string(pki::store::kSchemaVersion)));
    }
    CHECK(mode_of(dir) == 0700);
    CHECK(fs::exists(dir / "data.mdb"));
    CHECK(fs::exists(dir / "lock.mdb"));
    CHECK(mode_of(dir / "data.mdb") == 0600);
    CHECK(mode_of(dir / "lock.mdb") == 0600);
    // Reopening a 0700 directory warns about nothing.
    warnings.clear();
    Env again = Env::open(dir, true, warnings);
    CHECK(warnings.empty());
}

TEST_CASE("an existing directory with loose permissions gets a warning") {
    TempDir tmp{"pki-store-test"};
    fs::path dir = tmp.path / "state";
    fs::create_directory(dir);
    ::chmod(dir.c_str(), 0755);
    std::vector<std::string> warnings;
    Env env = Env::open(dir, true, warnings);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find(dir.string()) != std::string::npos);
    CHECK(warnings[0].find("755") != std::string::npos);
    CHECK(warnings[0].find("chmod 700") != std::string::npos);
    CHECK(env.exists());
    CHECK(mode_of(dir) == 0755);  // warned, not silently changed
}

TEST_CASE("a state directory path that is a file is a storage error") {
    TempDir tmp{"pki-store-test"};
    fs::path file = tmp.path / "not-a-dir";
    std::ofstream(file) << "hello";
    for (bool create : {true, false}) {
        std::vector<std::string> warnings;
        try {
            Env::open(file, create, warnings);
            FAIL("expected an error");
        } catch (const pki::Error& e) {
            CHECK(e.kind() == pki::ErrorKind::Storage);
            CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
            CHECK(std::string(e.what()).find("not a directory") != std::string::npos);
        }
    }
    // A path whose parent is a file cannot be created either.
    std::vector<std::string> warnings;
    try {
        Env::open(file / "state", true, warnings);
        FAIL("expected an error");
    } catch (const pki::Error& e) {
        CHECK(e.kind() == pki::ErrorKind::Storage);
    }
}

TEST_CASE("opening without create creates nothing") {
    TempDir tmp{"pki-store-test"};
    fs::path dir = tmp.path / "absent";
    std::vector<std::string> warnings;
    Env env = Env::open(dir, false, warnings);
    CHECK_FALSE(env.exists());
    bool visited = false;
    env.read([&](Txn&) { visited = true; });
    CHECK_FALSE(visited);  // reads see an empty store
    CHECK_FALSE(fs::exists(dir));
    CHECK_THROWS_AS(env.write([](Txn& txn) { txn.put("a", "b"); }), pki::Error);

    // An existing but empty directory stays empty too.
    fs::create_directory(dir);
    Env env2 = Env::open(dir, false, warnings);
    CHECK_FALSE(env2.exists());
    CHECK(fs::is_empty(dir));
}

TEST_CASE("a state directory written by a newer schema is refused") {
    TempDir tmp{"pki-store-test"};
    fs::path dir = tmp.path / "state";
    {
        Env env = open_env(dir);
        env.write([](Txn& txn) { txn.put("sys/schema", "99"); });
    }
    for (bool create : {true, false}) {
        std::vector<std::string> warnings;
        try {
            Env::open(dir, create, warnings);
            FAIL("expected the newer schema to be refused");
        } catch (const pki::Error& e) {
            CHECK(e.kind() == pki::ErrorKind::Storage);
            std::string msg = e.what();
            CHECK(msg.find("newer") != std::string::npos);
            CHECK(msg.find("99") != std::string::npos);
        }
    }
}

TEST_CASE("the map grows on demand past the initial size") {
    TempDir tmp{"pki-store-test"};
    fs::path dir = tmp.path / "state";
    const std::string mib(size_t{1} << 20, 'x');
    const int count = 300;  // 300 MiB in one transaction: more than the 256 MiB initial map
    {
        Env env = open_env(dir);
        int runs = 0;
        env.write([&](Txn& txn) {
            ++runs;
            for (int i = 0; i < count; ++i) {
                std::string v = mib;
                v[0] = static_cast<char>('a' + i % 26);
                txn.put("big/" + std::to_string(1000 + i), v);
            }
        });
        CHECK(runs >= 2);  // the first run filled the map; the body ran again after growing
        int found = 0;
        env.read([&](Txn& txn) {
            txn.scan("big/", [&](std::string_view k, std::string_view v) {
                int i = std::stoi(std::string(k.substr(4))) - 1000;
                CHECK(v.size() == mib.size());
                CHECK(v[0] == static_cast<char>('a' + i % 26));
                ++found;
                return true;
            });
        });
        CHECK(found == count);
    }
    CHECK(fs::file_size(dir / "data.mdb") > (size_t{256} << 20));
    // Reopened, the data is all there, and more can still be written.
    Env env = open_env(dir);
    CHECK(get(env, "big/1299").has_value());
    env.write([&](Txn& txn) { txn.put("after", "growth"); });
    CHECK(get(env, "after") == std::optional<std::string>("growth"));
}
