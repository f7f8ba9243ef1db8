// api::Service (core/api/service.*): one service used from several threads at once, group commit
// with a refused request in the middle, the optimistic path's validation, and an injected clock.
// Test names start with "service_test: ".
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "api/service.hpp"
#include "support.hpp"
#include "util/error.hpp"

using pki::api::Json;
using pki::api::Op;
using pki::api::Prepared;
using pki::api::Request;
using pki::test::TempDir;

using Ca = pki::test::Ca;

TEST_CASE("service_test: one service, four threads issuing at once: every certificate stored, serials unique") {
    Ca ca;
    size_t before = ca.count("pki/certs");
    constexpr int kThreads = 4, kEach = 25;
    std::vector<std::thread> threads;
    std::vector<std::vector<std::string>> serials(kThreads);
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                try {
                    auto r = ca.svc->execute(Ca::issue(fmt::format("h{}-{}.example.com", t, i)));
                    serials[t].push_back(r.data["serial_number"].get<std::string>());
                } catch (...) {
                    ++failures;
                }
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    std::set<std::string> all;
    for (const auto& v : serials) all.insert(v.begin(), v.end());
    CHECK(all.size() == kThreads * kEach);
    CHECK(ca.count("pki/certs") == before + kThreads * kEach);
    // Each stored certificate reads back with its serial.
    for (const auto& s : serials[0]) CHECK(ca.svc->execute({Op::Read, "pki/cert/" + s, Json::object()}).data["certificate"].is_string());
}

TEST_CASE("service_test: readers and writers in parallel: reads see committed state only") {
    Ca ca;
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::thread writer([&] {
        for (int i = 0; i < 30; ++i) ca.svc->execute({Op::Write, "pki/roles/r" + std::to_string(i), Json{{"allowed_domains", "example.com"}}});
        stop = true;
    });
    std::thread reader([&] {
        size_t last = 0;
        while (!stop) {
            size_t n = ca.svc->execute({Op::List, "pki/roles", Json::object()}).data["keys"].size();
            if (n < last) ++bad;  // committed roles never disappear
            last = n;
        }
    });
    writer.join();
    reader.join();
    CHECK(bad == 0);
    CHECK(ca.svc->execute({Op::List, "pki/roles", Json::object()}).data["keys"].size() == 31);
}

TEST_CASE("service_test: group commit: a refused request in the middle leaves no trace and spares its neighbours") {
    Ca ca;
    size_t before = ca.count("pki/certs");
    std::vector<Prepared> ps;
    ps.push_back(ca.svc->prepare(Ca::issue("a.example.com")));
    ps.push_back(ca.svc->prepare(Ca::issue("b.example.com")));
    ps.push_back(ca.svc->prepare(Ca::issue("x.evil.org")));  // refused by the role
    ps.push_back(ca.svc->prepare({Op::Write, "pki/roles/db", Json{{"allowed_domains", "db.example.com"}, {"allow_bare_domains", true}}}));
    ps.push_back(ca.svc->prepare({Op::Write, "pki/issue/db", Json{{"common_name", "db.example.com"}}}));  // sees the role above
    ps.push_back(ca.svc->prepare({Op::Write, "pki/issue/nosuchrole", Json{{"common_name", "c.example.com"}}}));
    ps.push_back(ca.svc->prepare(Ca::issue("c.example.com")));
    std::vector<Prepared*> group;
    for (auto& p : ps) group.push_back(&p);
    int delivered = 0;
    ca.svc->commit(group, [&] { ++delivered; });
    CHECK(delivered == 1);
    CHECK_FALSE(ps[0].error());
    CHECK_FALSE(ps[1].error());
    REQUIRE(ps[2].error());
    try {
        std::rethrow_exception(ps[2].error());
    } catch (const pki::Error& e) {
        CHECK(e.kind() == pki::ErrorKind::Denied);
    }
    CHECK_FALSE(ps[3].error());
    CHECK_FALSE(ps[4].error());  // ran again at commit: the role it needs came earlier in the group
    CHECK(ps[4].response().data["certificate"].is_string());
    REQUIRE(ps[5].error());
    CHECK_FALSE(ps[6].error());
    CHECK(ca.count("pki/certs") == before + 4);
    // What was returned is what was stored.
    for (int i : {0, 1, 4, 6}) {
        std::string serial = ps[i].response().data["serial_number"];
        CHECK(ca.svc->execute({Op::Read, "pki/cert/" + serial, Json::object()}).data["certificate"] == ps[i].response().data["certificate"]);
    }
}

TEST_CASE("service_test: group commit: a request whose snapshot went stale runs again and sees the change") {
    Ca ca;
    // Prepared against the current role (ttl 24h), then the role changes before the commit.
    Prepared p = ca.svc->prepare(Ca::issue("late.example.com"));
    REQUIRE_FALSE(p.error());
    ca.svc->execute({Op::Write, "pki/roles/web", Json{{"allowed_domains", "other.com"}, {"key_type", "ec"}}});
    Prepared* g[] = {&p};
    ca.svc->commit(g);
    REQUIRE(p.error());  // run again under the new role, which no longer allows the name
    try {
        std::rethrow_exception(p.error());
    } catch (const pki::Error& e) {
        CHECK(std::string(e.what()).find("late.example.com") != std::string::npos);
    }
}

TEST_CASE("service_test: group commit with stop_at_first_error runs nothing after the refused request") {
    Ca ca;
    size_t before = ca.count("pki/certs");
    std::vector<Prepared> ps;
    ps.push_back(ca.svc->prepare(Ca::issue("a.example.com")));
    ps.push_back(ca.svc->prepare(Ca::issue("x.evil.org")));
    ps.push_back(ca.svc->prepare(Ca::issue("b.example.com")));
    std::vector<Prepared*> group{&ps[0], &ps[1], &ps[2]};
    ca.svc->commit(group, {}, true);
    CHECK_FALSE(ps[0].error());
    CHECK(ps[1].error());
    CHECK(ps[2].response().data.is_null());
    CHECK(ca.count("pki/certs") == before + 1);
}

TEST_CASE("service_test: a delivery that fails keeps nothing of the request or the group") {
    Ca ca;
    size_t before = ca.count("pki/certs");
    struct Undeliverable {};
    CHECK_THROWS_AS(ca.svc->execute(Ca::issue("a.example.com"), {}, [](const pki::api::Response&) { throw Undeliverable{}; }),
                    Undeliverable);
    CHECK(ca.count("pki/certs") == before);
    Prepared p = ca.svc->prepare(Ca::issue("b.example.com"));
    Prepared* g[] = {&p};
    CHECK_THROWS_AS(ca.svc->commit(g, [] { throw Undeliverable{}; }), Undeliverable);
    CHECK(ca.count("pki/certs") == before);
}

TEST_CASE("service_test: the injected clock dates what is issued") {
    Ca ca;
    ca.now = 1800000000 + 10 * 86400;  // ten days on, within the root's year
    auto r = ca.svc->execute(Ca::issue("t.example.com"));
    // ttl 24h from the role, from the service's clock: not the machine's.
    CHECK(r.data["expiration"].get<int64_t>() == 1800000000 + 10 * 86400 + 24 * 3600);
}
