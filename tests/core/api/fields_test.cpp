#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api/fields.hpp"
#include "api/schema.hpp"
#include "util/error.hpp"

using namespace pki::api;
using Strings = std::vector<std::string>;

namespace {

const char* kPath = "pki/roles/web";

std::vector<FieldSpec> specs() {
    FieldSpec secret = string_field("secret", "A sensitive value.");
    secret.sensitive = true;
    return {
        string_field("name", "A string."),
        string_field("key_type", "A choice.", "rsa", {"rsa", "ec", "ed25519"}),
        int_field("key_bits", "An integer.", 0),
        bool_field("allow_any_name", "A boolean.", false),
        bool_field("enforce_hostnames", "A boolean defaulting to true.", true),
        duration_field("ttl", "A duration."),
        duration_field("max_ttl", "A duration with a default.", "72h"),
        list_field("allowed_domains", "A list."),
        list_field("key_usage", "A list with choices.", {"DigitalSignature", "KeyEncipherment"}),
        FieldSpec{"extra", FieldType::Map, nullptr, "A map.", {}},
        path_field("role", "Part of the path."),
        secret,
    };
}

Fields parse(const Json& raw) { return Fields(specs(), raw, kPath); }

// The message of the Error(Invalid) that parsing `raw` throws; fails the test when it does not throw.
std::string error_of(const Json& raw) {
    try {
        parse(raw);
    } catch (const pki::Error& e) {
        CHECK(e.kind() == pki::ErrorKind::Invalid);
        return e.what();
    }
    FAIL("expected an error for " << raw.dump());
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("lists: comma strings, JSON arrays and JSON-array strings give the same list") {
    CHECK(parse(Json{{"allowed_domains", "a.com,b.com"}}).list("allowed_domains") == Strings{"a.com", "b.com"});
    CHECK(parse(Json{{"allowed_domains", " a.com , b.com ,"}}).list("allowed_domains") == Strings{"a.com", "b.com"});
    CHECK(parse(Json{{"allowed_domains", Json::array({"a.com", "b.com"})}}).list("allowed_domains") == Strings{"a.com", "b.com"});
    CHECK(parse(Json{{"allowed_domains", "[\"a\",\"b\"]"}}).list("allowed_domains") == Strings{"a", "b"});
    CHECK(parse(Json{{"allowed_domains", " [ \"a\" , \"b\" ] "}}).list("allowed_domains") == Strings{"a", "b"});
    CHECK(parse(Json{{"allowed_domains", "single"}}).list("allowed_domains") == Strings{"single"});
    CHECK(parse(Json{{"allowed_domains", ""}}).list("allowed_domains").empty());
    CHECK(parse(Json{{"allowed_domains", Json::array()}}).list("allowed_domains").empty());
}

TEST_CASE("lists: non-string items and other JSON types are refused") {
    auto msg = error_of(Json{{"allowed_domains", Json::array({"a", 1})}});
    CHECK(contains(msg, "allowed_domains"));
    CHECK(contains(msg, kPath));
    error_of(Json{{"allowed_domains", Json{{"a", "b"}}}});
    error_of(Json{{"allowed_domains", 5}});
}

TEST_CASE("booleans: true/false/1/0 as strings, numbers and JSON booleans") {
    for (Json yes : {Json("true"), Json("1"), Json(1), Json(true), Json("TRUE"), Json("True")}) {
        CAPTURE(yes.dump());
        auto f = parse(Json{{"allow_any_name", yes}});
        CHECK(f.boolean("allow_any_name"));
        CHECK(f.value("allow_any_name") == Json(true));
    }
    for (Json no : {Json("false"), Json("0"), Json(0), Json(false), Json("FALSE")}) {
        CAPTURE(no.dump());
        auto f = parse(Json{{"enforce_hostnames", no}});
        CHECK_FALSE(f.boolean("enforce_hostnames"));
        CHECK(f.value("enforce_hostnames") == Json(false));
    }
}

TEST_CASE("booleans: anything else is refused, naming field, value and path") {
    for (Json bad : {Json("maybe"), Json("2"), Json(2), Json(-1), Json(""), Json("truee"), Json::array({"true"}), Json(1.0)}) {
        CAPTURE(bad.dump());
        auto msg = error_of(Json{{"allow_any_name", bad}});
        CHECK(contains(msg, "\"allow_any_name\""));
        CHECK(contains(msg, kPath));
        CHECK(contains(msg, "boolean"));
    }
}

TEST_CASE("integers: numbers and digit strings") {
    CHECK(parse(Json{{"key_bits", 4096}}).integer("key_bits") == 4096);
    CHECK(parse(Json{{"key_bits", "4096"}}).integer("key_bits") == 4096);
    CHECK(parse(Json{{"key_bits", " 384 "}}).integer("key_bits") == 384);
    CHECK(parse(Json{{"key_bits", "-1"}}).integer("key_bits") == -1);
    for (Json bad : {Json("abc"), Json("12x"), Json(""), Json("1.5"), Json(1.5), Json(true), Json("0x10"),
                     Json("99999999999999999999999")}) {
        CAPTURE(bad.dump());
        auto msg = error_of(Json{{"key_bits", bad}});
        CHECK(contains(msg, "\"key_bits\""));
        CHECK(contains(msg, kPath));
        CHECK(contains(msg, "integer"));
    }
}

TEST_CASE("durations: unit strings, digit strings and numbers") {
    CHECK(parse(Json{{"ttl", "72h"}}).duration("ttl") == 72 * 3600);
    CHECK(parse(Json{{"ttl", "30m"}}).duration("ttl") == 1800);
    CHECK(parse(Json{{"ttl", "45s"}}).duration("ttl") == 45);
    CHECK(parse(Json{{"ttl", "1d"}}).duration("ttl") == 86400);
    CHECK(parse(Json{{"ttl", "1h30m"}}).duration("ttl") == 5400);
    CHECK(parse(Json{{"ttl", "3600"}}).duration("ttl") == 3600);
    CHECK(parse(Json{{"ttl", 3600}}).duration("ttl") == 3600);
    CHECK(parse(Json{{"ttl", ""}}).duration("ttl") == 0);
    for (Json bad : {Json("soon"), Json("-5"), Json(-5), Json("1y"), Json(true), Json::array({"1h"})}) {
        CAPTURE(bad.dump());
        auto msg = error_of(Json{{"ttl", bad}});
        CHECK(contains(msg, "\"ttl\""));
        CHECK(contains(msg, kPath));
        CHECK(contains(msg, "duration"));
    }
}

TEST_CASE("strings: scalars become strings, containers are refused") {
    CHECK(parse(Json{{"name", "web"}}).str("name") == "web");
    CHECK(parse(Json{{"name", 5}}).str("name") == "5");
    CHECK(parse(Json{{"name", true}}).str("name") == "true");
    error_of(Json{{"name", Json::array({"a"})}});
    error_of(Json{{"name", Json{{"a", 1}}}});
}

TEST_CASE("maps: JSON objects and JSON-object strings") {
    CHECK(parse(Json{{"extra", Json{{"a", 1}}}}).value("extra") == Json{{"a", 1}});
    CHECK(parse(Json{{"extra", "{\"a\":1}"}}).value("extra") == Json{{"a", 1}});
    error_of(Json{{"extra", "not json"}});
    error_of(Json{{"extra", "[1,2]"}});
}

TEST_CASE("defaults apply when a field is not given, and has() tells them apart") {
    auto f = parse(Json::object());
    CHECK(f.str("key_type") == "rsa");
    CHECK_FALSE(f.has("key_type"));
    CHECK(f.integer("key_bits") == 0);
    CHECK_FALSE(f.boolean("allow_any_name"));
    CHECK(f.boolean("enforce_hostnames"));
    CHECK(f.duration("max_ttl") == 72 * 3600);  // a default given as "72h" is parsed like input
    CHECK(f.value("ttl").is_null());           // no default: absent
    CHECK(f.value("name").is_null());
    CHECK(f.str("name").empty());
    CHECK(f.list("allowed_domains").empty());
    CHECK_FALSE(f.has("ttl"));
    CHECK_FALSE(f.has("not_a_field"));

    auto g = parse(Json{{"key_type", "ec"}, {"enforce_hostnames", "false"}, {"ttl", "1h"}});
    CHECK(g.has("key_type"));
    CHECK(g.has("enforce_hostnames"));
    CHECK(g.has("ttl"));
    CHECK_FALSE(g.has("key_bits"));
    CHECK(g.str("key_type") == "ec");
    CHECK_FALSE(g.boolean("enforce_hostnames"));
    CHECK(g.duration("ttl") == 3600);
}

TEST_CASE("a given value equal to the default still counts as given") {
    auto f = parse(Json{{"key_type", "rsa"}, {"key_bits", 0}});
    CHECK(f.has("key_type"));
    CHECK(f.has("key_bits"));
}

TEST_CASE("a null request body is an empty one, and a non-object body is refused") {
    auto f = Fields(specs(), Json(), kPath);
    CHECK(f.str("key_type") == "rsa");
    CHECK_THROWS_AS(Fields(specs(), Json::array(), kPath), pki::Error);
    CHECK_THROWS_AS(Fields(specs(), Json("x"), kPath), pki::Error);
}

TEST_CASE("an unknown field is ignored, as Vault does, and the warning names it and the field meant") {
    auto f = parse(Json{{"name", "ok"}, {"bogus_field", "1"}, {"allowed_domain", "example.com"}});
    CHECK(f.unknown() == std::vector<std::string>{"allowed_domain", "bogus_field"});
    CHECK_FALSE(f.has("allowed_domains"));  // a misspelt field sets nothing
    auto w = pki::api::unknown_field_warnings(f, specs());
    REQUIRE(w.size() == 2);
    CHECK(w[0] == "Endpoint ignored these unrecognized parameters: [allowed_domain bogus_field]");
    CHECK(w[1] == "parameter \"allowed_domain\" was ignored: did you mean \"allowed_domains\"?");
    // Nothing to say when every name is known; path parameters are never suggested.
    CHECK(pki::api::unknown_field_warnings(parse(Json{{"name", "ok"}}), specs()).empty());
    CHECK_FALSE(pki::api::closest_field(specs(), "rolex"));
    CHECK(pki::api::closest_field(specs(), "key_bit") == std::optional<std::string>("key_bits"));
    CHECK(pki::api::closest_field(specs(), "tl") == std::optional<std::string>("ttl"));
    CHECK_FALSE(pki::api::closest_field(specs(), "xyz"));
    CHECK_FALSE(pki::api::closest_field(specs(), std::string(1000, 'a')));
}

TEST_CASE("choices are enforced for strings and for each list item") {
    CHECK(parse(Json{{"key_type", "ed25519"}}).str("key_type") == "ed25519");
    auto msg = error_of(Json{{"key_type", "dsa"}});
    CHECK(contains(msg, "\"key_type\""));
    CHECK(contains(msg, "\"dsa\""));
    CHECK(contains(msg, kPath));
    CHECK(contains(msg, "rsa, ec, ed25519"));

    CHECK(parse(Json{{"key_usage", "DigitalSignature,KeyEncipherment"}}).list("key_usage") ==
          Strings{"DigitalSignature", "KeyEncipherment"});
    auto msg2 = error_of(Json{{"key_usage", "DigitalSignature,Bogus"}});
    CHECK(contains(msg2, "\"key_usage\""));
    CHECK(contains(msg2, "\"Bogus\""));
}

TEST_CASE("the value of a sensitive field never appears in an error") {
    auto msg = error_of(Json{{"secret", Json::array({"hunter2"})}});
    CHECK(contains(msg, "\"secret\""));
    CHECK_FALSE(contains(msg, "hunter2"));
}

TEST_CASE("long values are shortened in errors") {
    std::string long_value(500, 'x');
    auto msg = error_of(Json{{"key_bits", long_value}});
    CHECK(msg.size() < 300);
}

TEST_CASE("path parameters are fields too") {
    auto f = parse(Json{{"role", "web"}});
    CHECK(f.str("role") == "web");
    CHECK(f.has("role"));
}

TEST_CASE("parse_field on its own") {
    auto spec = int_field("n", "", 0);
    CHECK(parse_field(spec, Json("42"), "p") == Json(42));
    CHECK_THROWS_AS(parse_field(spec, Json("x"), "p"), pki::Error);
}
