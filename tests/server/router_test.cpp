// Vault's HTTP API mapped onto requests of the service (server/router.cpp), and the tokens that
// guard it (engine/tokens.cpp through the service), without sockets. Test names start with
// "router_test: ".
#include <doctest/doctest.h>

#include "api/envelope.hpp"
#include "cli/remote.hpp"
#include "server/router.hpp"
#include "support.hpp"
#include "util/error.hpp"

using pki::Error;
using pki::ErrorKind;
using pki::api::Json;
using pki::api::Op;
using pki::server::HttpIn;
using pki::server::to_request;

namespace {

ErrorKind refused(const HttpIn& in) {
    try {
        to_request(in);
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("the request was accepted");
    return ErrorKind::Internal;
}

}  // namespace

TEST_CASE("router_test: methods map to Vault's operations") {
    CHECK(to_request({"GET", "/v1/pki/roles/web", "", ""}).op == Op::Read);
    CHECK(to_request({"GET", "/v1/pki/roles?list=true", "", ""}).op == Op::List);
    CHECK(to_request({"LIST", "/v1/pki/roles", "", ""}).op == Op::List);
    CHECK(to_request({"POST", "/v1/pki/roles/web", "{}", ""}).op == Op::Write);
    CHECK(to_request({"PUT", "/v1/pki/roles/web", "", ""}).op == Op::Write);
    CHECK(to_request({"PATCH", "/v1/pki/roles/web", "{\"ttl\":\"1h\"}", ""}).op == Op::Patch);
    CHECK(to_request({"DELETE", "/v1/pki/roles/web", "", ""}).op == Op::Delete);
    CHECK(refused({"HEAD", "/v1/pki/ca", "", ""}) == ErrorKind::Unsupported);
    CHECK(refused({"FOO", "/v1/pki/ca", "", ""}) == ErrorKind::Unsupported);
}

TEST_CASE("router_test: the path, the query and the body become the request") {
    auto r = to_request({"GET", "/v1/pki/cert/1a%3A2b?format=der&x=a+b&x=c", "", "tok"});
    CHECK(r.path == "pki/cert/1a:2b");
    CHECK(r.data["format"] == "der");
    CHECK(r.data["x"] == Json::array({"a b", "c"}));
    REQUIRE(r.token.has_value());
    CHECK(*r.token == "tok");  // an HTTP caller always has a token, even ""
    CHECK(to_request({"GET", "/v1/pki/ca", "", ""}).token.has_value());

    auto w = to_request({"POST", "/v1/pki/issue/web", R"({"common_name":"a.example.com","ttl":3600})", ""});
    CHECK(w.data["common_name"] == "a.example.com");
    CHECK(w.data["ttl"] == 3600);
    CHECK(to_request({"POST", "/v1/pki/tidy", "  ", ""}).data == Json::object());
    CHECK(!to_request({"GET", "/v1/pki/roles?list=true", "", ""}).data.contains("list"));
}

TEST_CASE("router_test: what is not Vault's API is refused with the right kind") {
    CHECK(refused({"GET", "/pki/ca", "", ""}) == ErrorKind::NotFound);
    CHECK(refused({"GET", "/v1/", "", ""}) == ErrorKind::NotFound);
    CHECK(refused({"POST", "/v1/pki/roles/web", "{not json", ""}) == ErrorKind::Invalid);
    CHECK(refused({"POST", "/v1/pki/roles/web", "[1,2]", ""}) == ErrorKind::Invalid);
    CHECK(refused({"GET", "/v1/pki/cert/%zz", "", ""}) == ErrorKind::Invalid);
    CHECK(refused({"GET", "/v1/pki/cert/%4", "", ""}) == ErrorKind::Invalid);
    CHECK(refused({"GET", "/v1/pki/cert/%00", "", ""}) == ErrorKind::Invalid);
}

TEST_CASE("router_test: tokens come from X-Vault-Token or a bearer Authorization") {
    CHECK(pki::server::token_from("abc", "") == "abc");
    CHECK(pki::server::token_from("", "Bearer xyz") == "xyz");
    CHECK(pki::server::token_from("", "bearer  xyz ") == "xyz");
    CHECK(pki::server::token_from("", "Basic dXNlcg==") == "");
    CHECK(pki::server::token_from("abc", "Bearer xyz") == "abc");
}

TEST_CASE("router_test: responses in Vault's shapes and statuses") {
    using pki::server::to_http;
    auto raw = to_http(pki::api::raw_reply("application/pkix-crl", "DER"), Op::Read, "id");
    CHECK(raw.status == 200);
    CHECK(raw.content_type == "application/pkix-crl");
    CHECK(raw.body == "DER");
    CHECK(to_http(pki::api::reply(nullptr), Op::Write, "id").status == 204);
    CHECK(to_http(pki::api::reply(Json{{"keys", Json::array()}}), Op::List, "id").status == 404);  // Vault's empty LIST
    auto env = to_http(pki::api::reply(Json{{"a", 1}}, {"careful"}), Op::Read, "rid");
    CHECK(env.status == 200);
    Json j = Json::parse(env.body);
    CHECK(j["request_id"] == "rid");
    CHECK(j["data"]["a"] == 1);
    CHECK(j["warnings"] == Json::array({"careful"}));
    for (auto key : {"lease_id", "renewable", "lease_duration", "wrap_info", "auth"}) CHECK(j.contains(key));

    auto err = pki::server::error_http(Error(ErrorKind::Forbidden, "permission denied"), "rid");
    CHECK(err.status == 403);
    CHECK(Json::parse(err.body)["errors"] == Json::array({"permission denied"}));
    CHECK(pki::server::error_http(Error(ErrorKind::NotFound, "x"), "r").status == 404);
    CHECK(pki::server::error_http(Error(ErrorKind::Unsupported, "x"), "r").status == 405);
    CHECK(pki::server::error_http(Error(ErrorKind::Denied, "x"), "r").status == 400);
    CHECK(pki::server::error_http(Error(ErrorKind::Storage, "x"), "r").status == 500);
}

TEST_CASE("router_test: an error survives the trip to a client whole") {
    Error e(ErrorKind::NotFound, "no mount \"x\"", "", pki::Hint{"enable it", "secrets-enable", "x", ""});
    Error back = pki::cli::error_from_body(404, pki::server::error_body(e).dump());
    CHECK(back.kind() == ErrorKind::NotFound);
    CHECK(std::string(back.what()) == "no mount \"x\"");
    CHECK(back.hint().verb == "secrets-enable");
    CHECK(pki::cli::error_from_body(403, R"({"errors":["permission denied"]})").kind() == ErrorKind::Forbidden);
    CHECK(pki::cli::error_from_body(502, "<html>").kind() == ErrorKind::Storage);
}

TEST_CASE("router_test: a caller over HTTP needs a valid token; the local operator does not") {
    pki::test::Ca ca;
    auto over_http = [](Op op, std::string path, std::string token, Json data = Json::object()) {
        pki::api::Request r{op, std::move(path), std::move(data)};
        r.token = std::move(token);
        return r;
    };
    auto kind_of = [&](const pki::api::Request& r) {
        try {
            ca.svc->execute(r);
        } catch (const Error& e) {
            return e.kind();
        }
        return ErrorKind::Internal;  // accepted
    };
    // No root token yet: nothing protected answers, open paths do.
    CHECK(kind_of(over_http(Op::Write, "pki/issue/web", "", Json{{"common_name", "a.example.com"}})) == ErrorKind::Forbidden);
    CHECK(kind_of(over_http(Op::Read, "pki/no/such/path", "")) == ErrorKind::Forbidden);  // 403 before 404
    CHECK(kind_of(over_http(Op::Write, "pki/roles/web", "", Json{{"no_such_field", 1}})) == ErrorKind::Forbidden);  // 403 before 400
    CHECK(ca.svc->execute(over_http(Op::Read, "pki/ca/pem", "")).raw.has_value());

    auto root = ca.svc->create_root_token_once();
    REQUIRE(root.has_value());
    CHECK(!ca.svc->create_root_token_once().has_value());  // once per state
    CHECK(ca.svc->accessor_of(*root).size() == 24);
    CHECK(ca.svc->execute(over_http(Op::Write, "pki/issue/web", *root, Json{{"common_name", "a.example.com"}})).data.contains("certificate"));
    CHECK(kind_of(over_http(Op::Read, "pki/no/such/path", *root)) == ErrorKind::NotFound);

    // A child with the default policy: its own token paths only.
    auto made = ca.svc->execute(over_http(Op::Write, "auth/token/create", *root, Json{{"policies", "default"}, {"ttl", "1h"}}));
    std::string child = made.auth["client_token"];
    CHECK(made.auth["lease_duration"] == 3600);
    CHECK(ca.svc->execute(over_http(Op::Read, "auth/token/lookup-self", child)).data["policies"] == Json::array({"default"}));
    CHECK(kind_of(over_http(Op::Read, "pki/roles/web", child)) == ErrorKind::Forbidden);
    CHECK(kind_of(over_http(Op::Write, "auth/token/create", child, Json{{"policies", "root"}})) == ErrorKind::Forbidden);
    // Expiry by the service's clock.
    ca.now += 3601;
    CHECK(kind_of(over_http(Op::Read, "auth/token/lookup-self", child)) == ErrorKind::Forbidden);
    // Revoking the root takes its children with it.
    auto second = ca.svc->execute(over_http(Op::Write, "auth/token/create", *root, Json::object())).auth["client_token"].get<std::string>();
    ca.svc->execute(over_http(Op::Write, "auth/token/revoke-self", *root));
    CHECK(kind_of(over_http(Op::Read, "pki/roles/web", *root)) == ErrorKind::Forbidden);
    CHECK(kind_of(over_http(Op::Read, "pki/roles/web", second)) == ErrorKind::Forbidden);
    // The local operator is not asked for one.
    CHECK(ca.run(Op::Read, "pki/roles/web").data.contains("allowed_domains"));
    CHECK(kind_of(over_http(Op::Write, "auth/token/create", "", Json{{"policies", "web"}})) == ErrorKind::Forbidden);
    // A policy nobody wrote yet is accepted, as Vault does, with a warning.
    auto web = ca.run(Op::Write, "auth/token/create", Json{{"policies", "web"}});
    CHECK(web.auth["policies"] == Json::array({"default", "web"}));
    REQUIRE(web.warnings.size() == 1);
    CHECK(web.warnings[0] == "policy \"web\" does not exist (yet); it grants nothing until it is written");
}
