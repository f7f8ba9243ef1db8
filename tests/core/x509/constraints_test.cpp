// Name constraints matching (x509/constraints): which names fall inside RFC 5280 subtrees.
#include <doctest/doctest.h>

#include "util/error.hpp"
#include "x509/constraints.hpp"

using pki::x509::NameConstraints;
using pki::x509::Sans;

namespace {
bool within(const NameConstraints& nc, const std::string& cn, const Sans& sans = {}) {
    return !pki::x509::name_constraint_violation(nc, cn, sans).has_value();
}
NameConstraints permitting_dns(std::vector<std::string> dns) {
    NameConstraints nc;
    nc.ca = "Test CA";
    nc.permitted.dns = std::move(dns);
    return nc;
}
}  // namespace

TEST_CASE("constraints: a DNS subtree holds the domain and names under it, at label boundaries") {
    auto nc = permitting_dns({"example.com"});
    CHECK(within(nc, "example.com"));
    CHECK(within(nc, "www.example.com"));
    CHECK(within(nc, "WWW.Example.COM."));  // case and a final dot do not matter
    CHECK(within(nc, "*.example.com"));
    CHECK_FALSE(within(nc, "badexample.com"));
    CHECK_FALSE(within(nc, "example.com.evil.org"));
    CHECK(within(nc, "Jane Doe"));  // not a host name: not a DNS name
    auto dotted = permitting_dns({".example.com"});  // another CA's "subdomains only"
    CHECK_FALSE(within(dotted, "example.com"));
    CHECK(within(dotted, "a.example.com"));
    auto why = pki::x509::name_constraint_violation(nc, "", Sans{{"ok.example.com", "x.other.org"}, {}, {}, {}, {}});
    REQUIRE(why);
    CHECK(*why == "the name \"x.other.org\" is outside the name constraints of CA \"Test CA\" (permitted DNS subtrees: example.com); "
                  "ask for names within them");
}

TEST_CASE("constraints: excluded subtrees win over permitted ones") {
    auto nc = permitting_dns({"example.com"});
    nc.excluded.dns = {"secret.example.com"};
    CHECK(within(nc, "www.example.com"));
    CHECK_FALSE(within(nc, "secret.example.com"));
    CHECK_FALSE(within(nc, "a.secret.example.com"));
}

TEST_CASE("constraints: e-mail, URI and IP subtrees; kinds without subtrees are unconstrained") {
    NameConstraints nc;
    nc.ca = "CA";
    nc.permitted.email = {"example.com", ".example.org", "boss@example.net"};
    nc.permitted.uri = {".example.com"};
    nc.permitted.ip = {{10, 0, 0, 0, 255, 0, 0, 0}};
    auto sans = [](std::vector<std::string> email, std::vector<std::string> uri, std::vector<std::string> ip) {
        return Sans{{}, std::move(email), std::move(ip), std::move(uri), {}};
    };
    CHECK(within(nc, "", sans({"a@example.com", "b@mail.example.org", "boss@example.net"}, {}, {})));
    CHECK_FALSE(within(nc, "", sans({"a@mail.example.com"}, {}, {})));  // a host subtree: that host only
    CHECK_FALSE(within(nc, "", sans({"other@example.net"}, {}, {})));   // a mailbox subtree: that mailbox only
    CHECK(within(nc, "", sans({"boss@EXAMPLE.net"}, {}, {})));          // its host in any case
    CHECK_FALSE(within(nc, "", sans({"Boss@example.net"}, {}, {})));    // its local part exactly
    CHECK(within(nc, "", sans({}, {"https://h.example.com:8443/p?q"}, {})));
    NameConstraints host_only;
    host_only.ca = "CA";
    host_only.permitted.uri = {"h.example.com"};
    CHECK(within(host_only, "", sans({}, {"https://h.example.com/x"}, {})));
    CHECK_FALSE(within(host_only, "", sans({}, {"https://user@h.example.com/"}, {})));  // OpenSSL reads the user part as the host
    CHECK_FALSE(within(nc, "", sans({}, {"https://example.com/"}, {})));
    CHECK_FALSE(within(nc, "", sans({}, {"urn:uuid:1234"}, {})));  // no host
    CHECK(within(nc, "", sans({}, {}, {"10.1.2.3"})));
    CHECK_FALSE(within(nc, "", sans({}, {}, {"11.1.2.3"})));
    CHECK_FALSE(within(nc, "", sans({}, {}, {"::1"})));  // no IPv6 subtree permits it
    CHECK(within(nc, "anything.org"));                     // no DNS subtrees: DNS names unconstrained
}

TEST_CASE("constraints: excluded e-mail, URI and IPv6 subtrees; a URI without a host") {
    NameConstraints nc;
    nc.ca = "CA";
    nc.excluded.email = {".bad.example"};
    nc.excluded.uri = {"evil.example"};
    // 2001:db8::/32
    nc.excluded.ip = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
    auto sans = [](std::vector<std::string> email, std::vector<std::string> uri, std::vector<std::string> ip) {
        return Sans{{}, std::move(email), std::move(ip), std::move(uri), {}};
    };
    CHECK_FALSE(within(nc, "", sans({"a@mx.bad.example"}, {}, {})));
    CHECK(within(nc, "", sans({"a@good.example"}, {}, {})));
    CHECK_FALSE(within(nc, "", sans({}, {"https://evil.example/x"}, {})));
    CHECK(within(nc, "", sans({}, {"https://good.example/x"}, {})));
    auto why = pki::x509::name_constraint_violation(nc, "", sans({}, {"urn:uuid:1"}, {}));
    REQUIRE(why);
    CHECK(why->find("has no host") != std::string::npos);
    why = pki::x509::name_constraint_violation(nc, "", sans({}, {}, {"2001:db8::1"}));
    REQUIRE(why);
    CHECK(why->find("excluded IP subtree 2001:db8:0:0:0:0:0:0/32") != std::string::npos);
    CHECK(within(nc, "", sans({}, {}, {"2001:db9::1", "10.0.0.1"})));
}

TEST_CASE("constraints: a dotted DNS constraint is written without its dot; an empty one is refused") {
    CHECK(pki::x509::normalize_dns_constraint(".Example.COM") == "example.com");
    CHECK(pki::x509::normalize_dns_constraint("example.com.") == "example.com");
    CHECK_THROWS_AS(pki::x509::normalize_dns_constraint("."), pki::Error);
}
