// Revoked entries as stored (core/engine/crl.cpp): written and read back, with and without a
// reason, through the fast reader and the library's; damaged ones are a state failure. Test
// names start with "revoked_test: ".
#include <doctest/doctest.h>

#include "engine/crl.hpp"
#include "store/codec.hpp"
#include "util/error.hpp"

namespace engine = pki::engine;

TEST_CASE("revoked_test: entries read back as written, with and without a reason") {
    for (int reason : {-1, 1, 10}) {
        CAPTURE(reason);
        engine::RevokedEntry e{"", 1800000000, 4102444800, "5f1c2a3e-0000-4000-8000-000000000001", reason};
        engine::RevokedEntry got;
        got.reason = 7;  // overwritten
        REQUIRE(engine::parse_revoked("0a:0b", engine::format_revoked(e), got));
        CHECK(got.serial == "0a:0b");
        CHECK(got.revocation_time == e.revocation_time);
        CHECK(got.not_after == e.not_after);
        CHECK(got.issuer_id == e.issuer_id);
        CHECK(got.reason == reason);
    }
}

TEST_CASE("revoked_test: any integer width reads, as the library writes them; other shapes are damage") {
    using nlohmann::json;
    engine::RevokedEntry got;
    // Small, 1-, 2-, 4- and 8-byte integers and an empty issuer (pre-issuer entries).
    REQUIRE(engine::parse_revoked("01", pki::store::encode(json::array({5, 300, ""})), got));
    CHECK(got.revocation_time == 5);
    CHECK(got.not_after == 300);
    CHECK(got.issuer_id.empty());
    REQUIRE(engine::parse_revoked("01", pki::store::encode(json::array({70000, int64_t{1} << 40, "x", 4})), got));
    CHECK(got.not_after == int64_t{1} << 40);
    CHECK(got.reason == 4);
    for (const json& bad : {json::array({1, 2}), json::array({"a", 2, "x"}), json::array({1, 2, 3}), json::object({{"a", 1}}),
                            json::array({1, 2, "x", "y"})}) {
        CAPTURE(bad.dump());
        CHECK_THROWS_AS(engine::parse_revoked("01", pki::store::encode(bad), got), pki::Error);
    }
}
