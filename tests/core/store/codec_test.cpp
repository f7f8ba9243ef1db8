// The record codec (core/store/codec.*) and the optimistic transaction (core/store/overlay.*).
// Test names start with "codec_test: " and "overlay_test: ".
#include <doctest/doctest.h>

#include <string>

#include "store/codec.hpp"
#include "store/overlay.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/error.hpp"

using nlohmann::json;
using pki::store::Txn;
using pki::test::TempDir;

namespace {

pki::ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const pki::Error& e) {
        return e.kind();
    }
    FAIL("expected an error");
    return pki::ErrorKind::Internal;
}

}  // namespace

TEST_CASE("codec_test: a record round-trips, with its bytes") {
    json rec{{"v", 1}, {"name", "web"}, {"list", {"a", "b"}}, {"n", -5}, {"blob", json::binary({0, 1, 2, 255})}};
    std::string bytes = pki::store::encode(rec);
    CHECK(pki::store::is_encoded(bytes));
    CHECK(bytes.substr(0, 3) == "pkr");
    CHECK(pki::store::decode("k", bytes) == rec);
}

TEST_CASE("codec_test: every flipped byte and every truncation is reported as damage naming the record") {
    std::string bytes = pki::store::encode(json{{"v", 1}, {"allowed_domains", {"example.com"}}, {"ttl", 3600}});
    for (size_t i = 4; i < bytes.size(); ++i) {
        std::string bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ 0x20);
        try {
            pki::store::decode("pki/role/web", bad);
            FAIL("flipped byte " << i << " was not detected");
        } catch (const pki::Error& e) {
            CHECK(e.kind() == pki::ErrorKind::Storage);
            CHECK(std::string(e.what()).find("pki/role/web") != std::string::npos);
        }
    }
    for (size_t n = 8; n < bytes.size(); ++n)
        CHECK(kind_of([&] { pki::store::decode("pki/role/web", bytes.substr(0, n)); }) == pki::ErrorKind::Storage);
}

TEST_CASE("codec_test: a record from a newer codec asks for a newer pki") {
    std::string bytes = pki::store::encode(json{{"v", 1}});
    bytes[3] = 9;
    try {
        pki::store::decode("k", bytes);
        FAIL("expected an error");
    } catch (const pki::Error& e) {
        CHECK(e.kind() == pki::ErrorKind::Storage);
        CHECK(std::string(e.what()).find("newer") != std::string::npos);
    }
}

TEST_CASE("codec_test: records from before the codec are read: JSON text, and other bytes as binary") {
    CHECK(pki::store::decode("k", R"({"v":1,"name":"web"})") == json{{"v", 1}, {"name", "web"}});
    json legacy = pki::store::decode("k", "v1 100 200 abc");
    REQUIRE(legacy.is_binary());
    CHECK(std::string(legacy.get_binary().begin(), legacy.get_binary().end()) == "v1 100 200 abc");
    CHECK(kind_of([] { pki::store::decode("k", R"({"v":1,"name":)"); }) == pki::ErrorKind::Storage);
}

TEST_CASE("overlay_test: reads see own writes; validation notices changed reads and scans") {
    TempDir tmp{"pki-overlay-test"};
    auto b = pki::store::open_lmdb((tmp.path / "s").string(), true);
    b->write([](Txn& t) {
        t.put("a/1", "one");
        t.put("a/2", "two");
        t.put("b/1", "x");
    });
    auto snap = b->snapshot();
    pki::store::OverlayTxn o(*snap);
    CHECK(o.get("a/1") == std::optional<std::string_view>("one"));
    o.put("a/3", "three");
    CHECK(o.get("a/3") == std::optional<std::string_view>("three"));
    CHECK(o.del("a/2"));
    CHECK_FALSE(o.get("a/2").has_value());
    std::vector<std::string> seen;
    o.scan("a/", [&](std::string_view k, std::string_view) {
        seen.emplace_back(k);
        return true;
    });
    CHECK(seen == std::vector<std::string>{"a/1", "a/3"});
    snap.reset();

    // Unchanged state: valid, and apply writes exactly the buffered changes.
    b->write([&](Txn& t) {
        CHECK(o.validate(t));
        o.apply(t);
    });
    b->read([](Txn& t) {
        CHECK(t.get("a/3") == std::optional<std::string_view>("three"));
        CHECK_FALSE(t.get("a/2").has_value());
        CHECK(t.get("b/1") == std::optional<std::string_view>("x"));
    });

    // A value it read changed: invalid.
    auto snap2 = b->snapshot();
    pki::store::OverlayTxn o2(*snap2);
    o2.get("b/1");
    snap2.reset();
    b->write([](Txn& t) { t.put("b/1", "y"); });
    b->read([&](Txn& t) { CHECK_FALSE(o2.validate(t)); });

    // A key it found absent appeared, or a prefix it scanned gained an entry: invalid.
    auto snap3 = b->snapshot();
    pki::store::OverlayTxn o3(*snap3), o4(*snap3);
    CHECK_FALSE(o3.get("c/1").has_value());
    o4.scan("a/", [](std::string_view, std::string_view) { return true; });
    snap3.reset();
    b->read([&](Txn& t) {
        CHECK(o3.validate(t));
        CHECK(o4.validate(t));
    });
    b->write([](Txn& t) {
        t.put("c/1", "new");
        t.put("a/0", "new");
    });
    b->read([&](Txn& t) {
        CHECK_FALSE(o3.validate(t));
        CHECK_FALSE(o4.validate(t));
    });
}

TEST_CASE("overlay_test: group commit keeps the bodies that succeed and drops the one that throws") {
    TempDir tmp{"pki-overlay-test"};
    auto b = pki::store::open_lmdb((tmp.path / "s").string(), true);
    struct Refused {};
    std::vector<pki::store::Body> bodies{
        [](Txn& t) { t.put("k/1", "1"); },
        [](Txn& t) {
            t.put("k/2", "2");
            throw Refused{};
        },
        [](Txn& t) {
            CHECK_FALSE(t.get("k/2").has_value());  // the refused body left nothing, even inside the group
            CHECK(t.get("k/1").has_value());        // an earlier body's write is visible
            t.put("k/3", "3");
        },
    };
    std::vector<std::exception_ptr> errors;
    b->write_group(bodies, errors);
    REQUIRE(errors.size() == 3);
    CHECK_FALSE(errors[0]);
    CHECK(errors[1]);
    CHECK_FALSE(errors[2]);
    b->read([](Txn& t) {
        CHECK(t.get("k/1").has_value());
        CHECK_FALSE(t.get("k/2").has_value());
        CHECK(t.get("k/3").has_value());
    });
}
