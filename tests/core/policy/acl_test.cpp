#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/acl.hpp"
#include "util/error.hpp"

using pki::Error;
using pki::policy::Acl;
using pki::policy::capability_names;
using pki::policy::parse_policy;
using pki::policy::Policy;
namespace p = pki::policy;

namespace {

Acl acl_of(std::vector<std::string> texts) {
    std::vector<Policy> policies;
    for (const auto& t : texts) policies.push_back(parse_policy(t));
    return Acl(policies);
}

std::string parse_error(const std::string& text) {
    try {
        parse_policy(text);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("acl_test: HCL as Vault's docs write it: comments, several blocks, the older policy form") {
    auto pol = parse_policy(R"(# issue from the web role
path "pki/issue/web" {
  capabilities = ["update"]   // trailing comment
}
/* a block
   comment */
path "pki/roles/*" { capabilities = ["read", "list",] }
path "/sys/mounts" { policy = "read" }
path "secret/*" { policy = "write" }
)");
    REQUIRE(pol.rules.size() == 4);
    CHECK(pol.rules[0].path == "pki/issue/web");
    CHECK(pol.rules[0].capabilities == p::kUpdate);
    CHECK(pol.rules[1].capabilities == (p::kRead | p::kList));
    CHECK(pol.rules[2].path == "sys/mounts");  // the leading '/' dropped, as Vault
    CHECK(pol.rules[2].capabilities == (p::kRead | p::kList));
    CHECK(pol.rules[3].capabilities == (p::kCreate | p::kRead | p::kUpdate | p::kDelete | p::kList));
}

TEST_CASE("acl_test: the JSON form parses to the same rules") {
    auto pol = parse_policy(R"({"path": {"pki/issue/web": {"capabilities": ["update"]}, "pki/roles/*": {"capabilities": ["deny"]}}})");
    REQUIRE(pol.rules.size() == 2);
    CHECK(pol.rules[0].capabilities == p::kUpdate);
    CHECK(pol.rules[1].capabilities == p::kDeny);
}

TEST_CASE("acl_test: a policy that does not parse is refused with its line and column") {
    CHECK(parse_error("path \"a\" {\n  capabilities = [\"read\"\n}\n") ==
          "policy does not parse: line 3, column 1: expected ',' or ']' in a list, found '}'");
    CHECK(parse_error("path \"a\" {\n  capabilities = read\n}") ==
          "policy does not parse: line 2, column 18: expected a value, found the word \"read\" (strings need quotes)");
    CHECK(parse_error("path \"a\" {\n") == "policy does not parse: line 2, column 1: block is not closed with '}'");
    CHECK(parse_error("path \"a {}") == "policy does not parse: line 1, column 6: string is not closed with '\"' on its line");
    CHECK(parse_error("pth \"a\" {}") == "policy does not parse: line 1, column 1: invalid key \"pth\" (a policy holds path blocks)");
    CHECK(parse_error("/* open") == "policy does not parse: line 1, column 1: comment opened with /* is never closed with */");
    CHECK(parse_error("{\"path\": {\"a\": }") == "policy does not parse: line 1, column 16: this is not valid JSON");
    CHECK(parse_error("path \"a\" { capabilities = [\"reed\"] }") ==
          "path \"a\": invalid capability \"reed\" (create, read, update, patch, delete, list, sudo or deny)");
    CHECK(parse_error("path \"a\" { capability = [\"read\"] }") ==
          "line 1, column 12: path \"a\": invalid key \"capability\" (a path block holds capabilities)");
    CHECK(parse_error("path \"a/+*\" { capabilities = [\"read\"] }").find("'+*' is forbidden") != std::string::npos);
    // What would not be enforced is refused, not ignored.
    CHECK(parse_error("path \"pki/issue/web\" {\n capabilities = [\"update\"]\n allowed_parameters = { \"ttl\" = [] }\n}") ==
          "line 3, column 2: path \"pki/issue/web\": allowed_parameters is not supported by pki (it would not be enforced); drop it "
          "or split the path");
}

TEST_CASE("acl_test: an exact path wins over every glob, deny wins among the same path's rules") {
    auto acl = acl_of({R"(path "pki/*" { capabilities = ["deny"] }
path "pki/issue/web" { capabilities = ["update"] })"});
    CHECK(acl.capabilities("pki/issue/web") == p::kUpdate);
    CHECK(acl.capabilities("pki/issue/db") == p::kDeny);
    CHECK(acl.capabilities("sys/mounts") == 0);
    // Two policies on one path: their capabilities add up, a deny leaves only deny.
    auto both = acl_of({R"(path "pki/roles/web" { capabilities = ["read"] })", R"(path "pki/roles/web" { capabilities = ["update"] })"});
    CHECK(both.capabilities("pki/roles/web") == (p::kRead | p::kUpdate));
    auto denied = acl_of({R"(path "pki/*" { capabilities = ["read", "update"] })", R"(path "pki/*" { capabilities = ["deny"] })"});
    CHECK(denied.capabilities("pki/issue/web") == p::kDeny);
}

TEST_CASE("acl_test: the longest prefix wins; a deny on a narrower glob beats a wider allow") {
    auto acl = acl_of({R"(path "pki/*" { capabilities = ["read", "update", "list"] }
path "pki/root/*" { capabilities = ["deny"] })"});
    CHECK(acl.capabilities("pki/issue/web") == (p::kRead | p::kUpdate | p::kList));
    CHECK(acl.capabilities("pki/root/generate/internal") == p::kDeny);
    CHECK(acl.capabilities("pki/root") == (p::kRead | p::kUpdate | p::kList));  // "pki/root/" is not a prefix of it
    // A prefix matches inside a segment.
    auto partial = acl_of({R"(path "pki/iss*" { capabilities = ["read"] })"});
    CHECK(partial.capabilities("pki/issue/web") == p::kRead);
    CHECK(partial.capabilities("pki/issuers") == p::kRead);
    CHECK(partial.capabilities("pki/roles") == 0);
}

TEST_CASE("acl_test: '+' matches exactly one segment, with Vault's order of specificity") {
    auto acl = acl_of({R"(path "+/issue/web" { capabilities = ["update"] })"});
    CHECK(acl.capabilities("pki/issue/web") == p::kUpdate);
    CHECK(acl.capabilities("pki_int/issue/web") == p::kUpdate);
    CHECK(acl.capabilities("pki/issue/web/more") == 0);  // not a prefix: as many segments as the rule
    CHECK(acl.capabilities("issue/web") == 0);
    CHECK(acl.capabilities("a/b/issue/web") == 0);

    // A later first wildcard is more specific: foo/bar/+ over foo/+/bar.
    auto order = acl_of({R"(path "pki/+/web" { capabilities = ["read"] }
path "pki/issue/+" { capabilities = ["update"] }
path "pki/*" { capabilities = ["deny"] })"});
    CHECK(order.capabilities("pki/issue/web") == p::kUpdate);
    CHECK(order.capabilities("pki/roles/web") == p::kRead);
    CHECK(order.capabilities("pki/roles/db") == p::kDeny);
    // A glob after '+' is a prefix: pki/+/* matches deeper paths, and loses to pki/+/web.
    auto mixed = acl_of({R"(path "pki/+/*" { capabilities = ["list"] }
path "pki/+/web" { capabilities = ["read"] })"});
    CHECK(mixed.capabilities("pki/roles/web") == p::kRead);
    CHECK(mixed.capabilities("pki/roles/db") == p::kList);
    CHECK(mixed.capabilities("pki/certs/a/b") == p::kList);
    // Fewer '+' segments are more specific.
    auto count = acl_of({R"(path "+/+/web" { capabilities = ["read"] }
path "+/issue/web" { capabilities = ["update"] })"});
    CHECK(count.capabilities("pki/issue/web") == p::kUpdate);
}

TEST_CASE("acl_test: a LIST's path ends in '/', and an exact rule without it matches too") {
    auto acl = acl_of({R"(path "pki/roles" { capabilities = ["list"] })"});
    CHECK(acl.capabilities("pki/roles/", true) == p::kList);
    CHECK(acl.capabilities("pki/roles/", false) == 0);
    auto glob = acl_of({R"(path "pki/roles/*" { capabilities = ["list"] })"});
    CHECK(glob.capabilities("pki/roles/", true) == p::kList);
}

TEST_CASE("acl_test: capability names come in Vault's order; nothing granted reads as deny") {
    CHECK(capability_names(p::kUpdate | p::kRead | p::kCreate) == std::vector<std::string>{"create", "read", "update"});
    CHECK(capability_names(0) == std::vector<std::string>{"deny"});
    CHECK(capability_names(p::kDeny) == std::vector<std::string>{"deny"});
}

TEST_CASE("acl_test: hostile nesting is refused, not followed down the stack") {
    CHECK(parse_error("path \"a\" { capabilities = " + std::string(100000, '[') + " }").find("nesting is deeper than 32 levels") !=
          std::string::npos);
    CHECK(parse_error("{\"path\": " + std::string(100000, '[') + "}") ==
          "policy does not parse: the JSON nests deeper than 32 levels");
}

TEST_CASE("acl_test: a JSON number beyond a double is refused as input (a fuzzer's finding)") {
    CHECK(parse_error("{\"path\": 1" + std::string(400, '5') + "e999999}") == "policy does not parse: a number in the JSON is out of range");
}
