// Service::atomically (core/api/service.*): the requests made inside commit together or not at
// all, and a state directory that had no environment keeps none after a failure. Test names start
// with "engine_test: ".
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/table.hpp"
#include "api/service.hpp"
#include "support.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using pki::api::Json;
using pki::api::Op;
using pki::api::Request;

using pki::test::TempDir;
using pki::test::table;

namespace {

size_t mount_count(const pki::api::Service& e) {
    return e.execute(Request{Op::List, "sys/mounts", Json::object()}).data["keys"].size();
}

}  // namespace

TEST_CASE("engine_test: atomically: every request commits, reads see the writes before them") {
    TempDir tmp{"pki-engine-test"};
    auto svc = pki::test::service(tmp.path / "state");
    auto& e = *svc;
    e.atomically([&](pki::api::Unit& u) {
        u.execute(Request{Op::Write, "sys/mounts/one", Json{{"type", "pki"}}});
        u.execute(Request{Op::Write, "one/roles/web", Json{{"allowed_domains", "example.com"}}});
        CHECK(u.execute(Request{Op::Read, "one/roles/web", Json::object()}).data["allowed_domains"] == Json{"example.com"});
    });
    CHECK(mount_count(e) == 1);
    CHECK(e.execute(Request{Op::Read, "one/roles/web", Json::object()}).data["allowed_domains"] == Json{"example.com"});
}

TEST_CASE("engine_test: atomically: a failing request undoes the ones before it") {
    TempDir tmp{"pki-engine-test"};
    auto svc = pki::test::service(tmp.path / "state");
    auto& e = *svc;
    e.execute(Request{Op::Write, "sys/mounts/pki", Json{{"type", "pki"}}});
    CHECK_THROWS_AS(e.atomically([&](pki::api::Unit& u) {
        u.execute(Request{Op::Write, "sys/mounts/two", Json{{"type", "pki"}}});
        u.execute(Request{Op::Write, "two/root/generate/internal", Json{{"common_name", "R"}, {"key_type", "rsa"}, {"key_bits", 1000}}});
    }),
                    pki::Error);
    CHECK(mount_count(e) == 1);
    // Batch operations run transactions of their own: refused inside.
    CHECK_THROWS_AS(e.atomically([&](pki::api::Unit& u) { u.execute(Request{Op::Write, "pki/tidy", Json{{"tidy_cert_store", true}}}); }), pki::Error);
}

TEST_CASE("engine_test: atomically: no environment is left where there was none") {
    TempDir tmp{"pki-engine-test"};
    fs::path state = tmp.path / "state";
    auto svc = pki::test::service(state);
    auto& e = *svc;
    CHECK_THROWS_AS(e.atomically([&](pki::api::Unit& u) {
        u.execute(Request{Op::Write, "sys/mounts/pki", Json{{"type", "pki"}}});
        u.execute(Request{Op::Write, "pki/config/crl", Json{{"expiry", "0"}}});
    }),
                    pki::Error);
    CHECK_FALSE(fs::exists(state));
    fs::create_directory(state);
    fs::permissions(state, fs::perms::owner_all);
    CHECK_THROWS_AS(e.atomically([&](pki::api::Unit& u) { u.execute(Request{Op::Write, "nomount/roles/web", Json::object()}); }), pki::Error);
    CHECK(fs::exists(state));
    CHECK(fs::is_empty(state));
}
