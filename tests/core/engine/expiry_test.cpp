// Expiry, revocation and tidy as engine operations, with the service's injected clock: time moves
// by assignment, not by sleeping. Test names start with "expiry_test: ".
#include <doctest/doctest.h>

#include <string>

#include "api/service.hpp"
#include "support.hpp"
#include "util/error.hpp"

using pki::api::Json;
using pki::api::Op;
using pki::test::TempDir;

// The shared test CA (support.hpp), its role "web" without a ttl of its own.
struct Clocked : pki::test::Ca {
    Clocked() { run(Op::Write, "pki/roles/web", Json{{"allowed_domains", "example.com"}, {"allow_subdomains", true}, {"key_type", "ec"}}); }
};

TEST_CASE("expiry_test: tidy removes what expired before the safety buffer, by the service's clock") {
    Clocked c;
    std::string short_lived = c.run(Op::Write, "pki/issue/web", Json{{"common_name", "a.example.com"}, {"ttl", "1h"}}).data["serial_number"];
    std::string revoked = c.run(Op::Write, "pki/issue/web", Json{{"common_name", "b.example.com"}, {"ttl", "1h"}}).data["serial_number"];
    c.run(Op::Write, "pki/issue/web", Json{{"common_name", "c.example.com"}, {"ttl", "720h"}});
    c.run(Op::Write, "pki/revoke", Json{{"serial_number", revoked}});
    size_t certs = c.count("pki/certs");
    REQUIRE(c.count("pki/certs/revoked") == 1);

    // Nothing has expired yet.
    auto t0 = c.run(Op::Write, "pki/tidy", Json{{"tidy_cert_store", true}, {"tidy_revoked_certs", true}, {"safety_buffer", "1s"}});
    CHECK(t0.data["cert_store_deleted_count"] == 0);

    // Two hours on: the two 1h certificates are past their expiry by more than the buffer.
    c.now += 2 * 3600;
    auto inv = c.run(Op::Read, "pki/certs/inventory", Json{{"expired", true}});
    CHECK(inv.data["certificates"].size() == 2);
    auto t1 = c.run(Op::Write, "pki/tidy", Json{{"tidy_cert_store", true}, {"tidy_revoked_certs", true}, {"safety_buffer", "1s"}});
    CHECK(t1.data["cert_store_deleted_count"] == 2);
    CHECK(t1.data["revoked_cert_deleted_count"] == 1);
    CHECK(c.count("pki/certs") == certs - 2);
    CHECK(c.count("pki/certs/revoked") == 0);
    CHECK_THROWS_AS(c.run(Op::Read, "pki/cert/" + short_lived), pki::Error);
    // tidy-status reports the run in the service's time.
    auto st = c.run(Op::Read, "pki/tidy-status");
    CHECK(st.data["state"] == "Finished");
}

TEST_CASE("expiry_test: a role's not_after is refused at issue once the clock passes it") {
    Clocked c;
    c.run(Op::Write, "pki/roles/fixed", Json{{"allowed_domains", "example.com"}, {"allow_subdomains", true}, {"key_type", "ec"},
                                             {"not_after", "2027-01-20T00:00:00Z"}});
    CHECK(c.run(Op::Write, "pki/issue/fixed", Json{{"common_name", "x.example.com"}}).data["expiration"] == 1800403200);
    c.now = 1800403200 + 1;  // just past 2027-01-20
    try {
        c.run(Op::Write, "pki/issue/fixed", Json{{"common_name", "y.example.com"}});
        FAIL("expected the passed not_after to be refused");
    } catch (const pki::Error& e) {
        CHECK(std::string(e.what()).find("not_after") != std::string::npos);
    }
}
