#include <doctest/doctest.h>

#include <string>

#include "api/schema.hpp"
#include "api/table.hpp"

using namespace pki::api;

namespace {

Response nothing(Call&) { return reply(nullptr); }

Table small_table() {
    Table t;
    t.add(PathSpec{"roles", "role", "Roles.", {}, {{Op::List, nothing, "List roles.", {}}}});
    t.add(PathSpec{"roles/:name", "role", "One role.", {string_field("ttl", "A field.")},
                   {{Op::Read, nothing, "Read.", {}}, {Op::Write, nothing, "Write.", {}}}});
    t.add(PathSpec{"issuer/:issuer_ref/sign/:role", "issuer", "Sign.", {}, {{Op::Write, nothing, "Sign.", {}}}});
    t.add(PathSpec{"mounts/:path", "secrets", "A mount.", {}, {{Op::Read, nothing, "Read.", {}}}, "sys"});
    t.add(PathSpec{"mounts", "secrets", "Mounts.", {}, {{Op::List, nothing, "List.", {}}}, "sys"});
    return t;
}

}  // namespace

TEST_CASE("match: literal paths and paths with parameters") {
    Table t = small_table();
    auto m = t.match("roles", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "roles");
    CHECK(m->params.empty());

    m = t.match("roles/web", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "roles/:name");
    CHECK(m->params.at("name") == "web");

    m = t.match("issuer/default/sign/web-server", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "issuer/:issuer_ref/sign/:role");
    CHECK(m->params.size() == 2);
    CHECK(m->params.at("issuer_ref") == "default");
    CHECK(m->params.at("role") == "web-server");
}

TEST_CASE("match: a last part *name takes the rest of the path, slashes and all") {
    Table t;
    auto nothing = [](Call&) { return Response{}; };
    t.add(PathSpec{"ocsp", "crl", "OCSP.", {}, {{Op::Read, nothing, "Read.", {}}}});
    t.add(PathSpec{"ocsp/*request", "crl", "OCSP GET.", {}, {{Op::Read, nothing, "Read.", {}}}});
    auto m = t.match("ocsp/MEMwQTA/PjA9+MDsw==", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "ocsp/*request");
    CHECK(m->params.at("request") == "MEMwQTA/PjA9+MDsw==");
    m = t.match("ocsp/a//b", "");
    REQUIRE(m);
    CHECK(m->params.at("request") == "a//b");
    m = t.match("ocsp", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "ocsp");
    CHECK(t.paths()[1].params() == std::vector<std::string>{"request"});
}

TEST_CASE("match: a trailing slash is ignored") {
    Table t = small_table();
    auto m = t.match("roles/", "");
    REQUIRE(m);
    CHECK(m->spec->pattern == "roles");
    m = t.match("roles/web/", "");
    REQUIRE(m);
    CHECK(m->params.at("name") == "web");
}

TEST_CASE("match: sys paths and mount paths are separate") {
    Table t = small_table();
    auto m = t.match("mounts/pki", "sys");
    REQUIRE(m);
    CHECK(m->spec->sys());
    CHECK(m->params.at("path") == "pki");
    CHECK_FALSE(t.match("mounts/pki", ""));
    CHECK_FALSE(t.match("roles/web", "sys"));
    CHECK(t.match("mounts", "sys"));
    CHECK_FALSE(t.match("mounts", ""));
}

TEST_CASE("match: no match") {
    Table t = small_table();
    CHECK_FALSE(t.match("", ""));
    CHECK_FALSE(t.match("nope", ""));
    CHECK_FALSE(t.match("role", ""));
    CHECK_FALSE(t.match("roles/web/extra", ""));
    CHECK_FALSE(t.match("issuer/default/sign", ""));
    CHECK_FALSE(t.match("issuer//sign/web", ""));  // an empty parameter is no parameter
    CHECK_FALSE(t.match("ROLES/web", ""));         // paths are case-sensitive
}

TEST_CASE("add: path parameters become in-path string fields") {
    Table t = small_table();
    auto m = t.match("issuer/x/sign/y", "");
    REQUIRE(m);
    const auto& spec = *m->spec;
    CHECK(spec.params() == std::vector<std::string>{"issuer_ref", "role"});
    int in_path = 0;
    for (const auto& f : spec.fields)
        if (f.in_path) ++in_path;
    CHECK(in_path == 2);
    CHECK(spec.display() == ":mount/issuer/:issuer_ref/sign/:role");
    CHECK(t.match("mounts/x", "sys")->spec->display() == "sys/mounts/:path");
}

TEST_CASE("find: the operations a path accepts") {
    Table t = small_table();
    auto m = t.match("roles/web", "");
    REQUIRE(m);
    CHECK(m->spec->find(Op::Read));
    CHECK(m->spec->find(Op::Write));
    CHECK_FALSE(m->spec->find(Op::List));
    CHECK_FALSE(m->spec->find(Op::Delete));
}

TEST_CASE("the real table: foundation paths are there") {
    Table t = build_table();
    struct Case {
        const char* path;
        const char* root;
        const char* pattern;
    } cases[] = {
        {"mounts", "sys", "mounts"},
        {"mounts/pki_int", "sys", "mounts/:path"},
        {"mounts/pki_int/tune", "sys", "mounts/:path/tune"},
        {"keys/generate/internal", "", "keys/generate/:type"},
        {"keys/generate/exported", "", "keys/generate/:type"},
        {"keys/import", "", "keys/import"},
        {"keys", "", "keys"},
        {"keys/", "", "keys"},
        {"key/my-key", "", "key/:key_ref"},
        {"config/keys", "", "config/keys"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.path);
        auto m = t.match(c.path, c.root);
        REQUIRE(m);
        CHECK(m->spec->pattern == c.pattern);
    }
    CHECK_FALSE(t.match("keys/generate", ""));
    CHECK_FALSE(t.match("config/keys", "sys"));
    CHECK(t.match("token/create", "auth"));
    CHECK_FALSE(t.match("token/create", "sys"));
    CHECK(t.match("health", "sys")->spec->access == pki::api::Access::Open);
    CHECK(t.match("ca/pem", "")->spec->access == pki::api::Access::Open);
    CHECK(t.match("issue/web", "")->spec->access == pki::api::Access::Token);
    CHECK(t.match("token/renew-self", "auth")->spec->access == pki::api::Access::Token);  // the default policy allows it
    CHECK(t.match("approle/login", "auth")->spec->access == pki::api::Access::Open);
    CHECK(t.match("auth/approle", "sys")->spec->sudo);
    CHECK(pki::api::split_path("/auth/token/create/").root == "auth");
    CHECK(pki::api::split_path("pki/roles/web").mount == "pki");
    CHECK(pki::api::split_path("pki/roles/web").sub == "roles/web");
    // Every operation has a handler (or a batch handler), every path a family and a description.
    for (const auto& p : t.paths()) {
        CAPTURE(p.pattern);
        CHECK_FALSE(p.family.empty());
        CHECK_FALSE(p.description.empty());
        CHECK_FALSE(p.ops.empty());
        for (const auto& o : p.ops) CHECK((o.handler != nullptr || o.batch != nullptr));  // one or the other
    }
}
