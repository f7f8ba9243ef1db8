#include <doctest/doctest.h>

#include <iterator>
#include <string>
#include <vector>

#include "policy/names.hpp"

using pki::policy::NamePolicy;

namespace {

const std::string kLabel63(63, 'a');
const std::string kLabel64(64, 'a');

// Policies shared by many cases. Fields not named keep their defaults
// (allow_localhost, enforce_hostnames and allow_wildcard_certificates default to true).
const NamePolicy kEmpty{};
const NamePolicy kSub{.allowed_domains = {"example.com"}, .allow_subdomains = true};
const NamePolicy kSubLoose{.allowed_domains = {"example.com"}, .allow_subdomains = true, .enforce_hostnames = false};
const NamePolicy kBare{.allowed_domains = {"example.com"}, .allow_bare_domains = true};
const NamePolicy kBareSub{.allowed_domains = {"example.com"}, .allow_bare_domains = true, .allow_subdomains = true};
const NamePolicy kGlobFtp{.allowed_domains = {"ftp*.example.com"}, .allow_glob_domains = true};
const NamePolicy kGlobStar{.allowed_domains = {"*.example.com"}, .allow_glob_domains = true};
const NamePolicy kStarNoGlob{.allowed_domains = {"*.example.com"}, .allow_subdomains = true};
const NamePolicy kStarBare{.allowed_domains = {"*.example.com"}, .allow_bare_domains = true};
const NamePolicy kGlobMid{.allowed_domains = {"foo.*.example.com"}, .allow_subdomains = true, .allow_glob_domains = true};
const NamePolicy kGlobDouble{.allowed_domains = {"*.*.example.com"}, .allow_glob_domains = true};
const NamePolicy kAny{.allowed_domains = {}, .allow_any_name = true};
const NamePolicy kAnyLoose{.allowed_domains = {}, .allow_any_name = true, .enforce_hostnames = false};
const NamePolicy kNoWild{.allowed_domains = {"example.com"}, .allow_subdomains = true, .allow_any_name = true,
                         .allow_wildcard_certificates = false};
const NamePolicy kNoWildLoose{.allowed_domains = {}, .allow_any_name = true, .enforce_hostnames = false, .allow_wildcard_certificates = false};
const NamePolicy kLocalSub{.allowed_domains = {}, .allow_subdomains = true};
const NamePolicy kNoLocal{.allowed_domains = {}, .allow_localhost = false};
const NamePolicy kNoLocalSub{.allowed_domains = {}, .allow_subdomains = true, .allow_localhost = false};
const NamePolicy kIdnaSub{.allowed_domains = {"bücher.de"}, .allow_subdomains = true};
const NamePolicy kIdnaBare{.allowed_domains = {"xn--bcher-kva.de"}, .allow_bare_domains = true};
const NamePolicy kAllModes{.allowed_domains = {}, .allow_bare_domains = true, .allow_subdomains = true, .allow_glob_domains = true};
const NamePolicy kTrailingComma{.allowed_domains = {"example.com", ""}, .allow_bare_domains = true, .allow_subdomains = true};
const NamePolicy kTwoDomains{.allowed_domains = {"example.com", "example.org"}, .allow_subdomains = true};

struct NameCase {
    const char* description;
    NamePolicy policy;
    std::string name;
    bool allowed;
    const char* reason_contains = "";  // checked only for refusals, when non-empty
};

const NameCase kNameCases[] = {
    // Subdomains of example.com.
    {"subdomain foo", kSub, "foo.example.com", true},
    {"subdomain bar", kSub, "bar.example.com", true},
    {"nested subdomain", kSub, "bar.foo.example.com", true},
    {"wildcard subdomain *", kSub, "*.example.com", true},
    {"wildcard subdomain foo*", kSub, "foo*.example.com", true},
    {"wildcard subdomain *foo", kSub, "*foo.example.com", true},
    {"wildcard subdomain f*o", kSub, "f*o.example.com", true},
    {"wildcard of nested subdomain", kSub, "*.foo.example.com", true},
    {"bare domain refused when bare off", kSub, "example.com", false, "allow_bare_domains=false"},
    {"suffix without a dot is not a subdomain", kSub, "fooexample.com", false, "not within allowed_domains [example.com]"},
    {"other TLD refused", kSub, "foo.example.org", false},
    {"allowed domain as a prefix refused", kSub, "example.com.evil.net", false},
    {"upper case subdomain", kSub, "WWW.Example.COM", true},
    {"upper case allowed domain part", kSub, "foo.EXAMPLE.COM", true},
    {"refusal names the modes", kSub, "foo.example.net", false, "allow_subdomains=true, allow_glob_domains=false"},

    // Bare domains.
    {"bare domain", kBare, "example.com", true},
    {"bare domain in other case", kBare, "EXAMPLE.com", true},
    {"subdomain refused when subdomains off", kBare, "foo.example.com", false, "allow_subdomains=false"},
    {"wildcard refused when subdomains off", kBare, "*.example.com", false},
    {"bare with bare+sub", kBareSub, "example.com", true},
    {"subdomain with bare+sub", kBareSub, "foo.example.com", true},

    // Glob domains.
    {"glob ftp01", kGlobFtp, "ftp01.example.com", true},
    {"glob refuses www", kGlobFtp, "www.example.com", false, "allow_glob_domains=true"},
    {"glob star matches empty", kGlobFtp, "ftp.example.com", true},
    {"glob is case-insensitive", kGlobFtp, "FTP01.example.com", true},
    {"glob *.example.com matches foo", kGlobStar, "foo.example.com", true},
    {"glob * matches dots too", kGlobStar, "baz.bar.foo.example.com", true},
    {"glob *.example.com needs the dot", kGlobStar, "example.com", false},
    {"globs off: no glob match", kStarNoGlob, "foo.example.com", false},
    {"globs off: bare+wildcard gives the literal name", kStarBare, "*.example.com", true},
    {"globs off: bare does not glob", kStarBare, "foo.example.com", false},
    {"glob in the middle", kGlobMid, "foo.baz.example.com", true},
    {"glob never combines with subdomains", kGlobMid, "bar.foo.baz.example.com", false},
    {"double glob allows a wildcard name", kGlobDouble, "*.foo.example.com", true},
    {"double glob allows two labels", kGlobDouble, "a.b.example.com", true},
    {"double glob needs two labels", kGlobDouble, "a.example.com", false},

    // Malformed wildcards are refused whatever the rest of the policy says.
    {"two stars in a label", kAny, "**.example.com", false, "only one wildcard"},
    {"two wildcard labels", kAny, "*.*.example.com", false, "only one wildcard"},
    {"wildcard not left-most", kAny, "foo.*.example.com", false, "left-most"},
    {"two stars with text", kAny, "f*o*.example.com", false, "only one wildcard"},
    {"stars around text", kAny, "*foo*.example.com", false, "only one wildcard"},
    {"wildcard in TLD", kAny, "example.*", false, "left-most"},
    {"two stars even unenforced", kAnyLoose, "**.example.com", false, "only one wildcard"},
    {"not left-most even unenforced", kAnyLoose, "foo.*.example.com", false, "left-most"},
    {"lone star with any name", kAny, "*", true},
    {"wildcard label with bad character", kAny, "f_o*.example.com", false, "wildcard label"},
    {"wildcard label with bad character unenforced", kAnyLoose, "f_o*.example.com", true},
    {"wildcard with any name", kAny, "*.anything.net", true},

    // allow_wildcard_certificates=false wins over allow_any_name.
    {"no wildcards: *", kNoWild, "*.example.com", false, "allow_wildcard_certificates=false"},
    {"no wildcards: foo*", kNoWild, "foo*.example.com", false, "allow_wildcard_certificates=false"},
    {"no wildcards: *foo", kNoWild, "*foo.example.com", false, "allow_wildcard_certificates=false"},
    {"no wildcards: f*o", kNoWild, "f*o.example.com", false, "allow_wildcard_certificates=false"},
    {"no wildcards: lone star", kNoWild, "*", false, "allow_wildcard_certificates=false"},
    {"no wildcards: plain names still allowed", kNoWild, "foo.example.com", true},
    {"no wildcards unenforced", kNoWildLoose, "*.example.com", false, "allow_wildcard_certificates=false"},

    // enforce_hostnames wins over allow_any_name.
    {"underscore refused", kAny, "bad_name.example.com", false, "enforce_hostnames=true"},
    {"leading hyphen refused", kAny, "-x.example.com", false, "enforce_hostnames=true"},
    {"trailing hyphen refused", kAny, "x-.example.com", false, "enforce_hostnames=true"},
    {"empty label refused", kAny, "x..example.com", false, "enforce_hostnames=true"},
    {"64-char label refused", kAny, kLabel64 + ".example.com", false, "enforce_hostnames=true"},
    {"63-char label allowed", kAny, kLabel63 + ".example.com", true},
    {"space refused", kAny, "foo bar.example.com", false, "enforce_hostnames=true"},
    {"trailing dot allowed", kAny, "example.com.", true},
    {"any name", kAny, "anything.example.net", true},
    {"underscore unenforced", kAnyLoose, "bad_name.example.com", true},
    {"leading hyphen unenforced", kAnyLoose, "-x.example.com", true},
    {"empty label unenforced", kAnyLoose, "x..example.com", true},
    {"64-char label unenforced", kAnyLoose, kLabel64 + ".example.com", true},
    {"underscore under allowed domain", kSub, "bad_name.example.com", false, "enforce_hostnames=true"},
    {"underscore under allowed domain unenforced", kSubLoose, "bad_name.example.com", true},

    // E-mail addresses.
    {"e-mail at bare domain", kBare, "user@example.com", true},
    {"e-mail at bare domain, other case", kBare, "User@EXAMPLE.com", true},
    {"e-mail at subdomain needs subdomains", kBare, "user@sub.example.com", false},
    {"e-mail at subdomain", kSub, "user@sub.example.com", true},
    {"e-mail at bare domain needs bare", kSub, "user@example.com", false},
    {"two @ refused", kAny, "a@b@c", false, "exactly one '@'"},
    {"two @ refused unenforced", kAnyLoose, "a@b@c", false, "exactly one '@'"},
    {"wildcard e-mail refused", kAny, "user@*.example.com", false, "e-mail"},
    {"wildcard e-mail refused unenforced", kAnyLoose, "user@*.example.com", false, "e-mail"},
    {"e-mail without host refused", kAny, "user@", false, "enforce_hostnames=true"},
    {"e-mail with bad host refused", kAny, "user@bad_host.example.com", false, "enforce_hostnames=true"},

    // localhost and localdomain.
    {"localhost by default", kEmpty, "localhost", true},
    {"localdomain by default", kEmpty, "localdomain", true},
    {"localhost in upper case", kEmpty, "LOCALHOST", true},
    {"e-mail at localhost", kEmpty, "user@localhost", true},
    {"subdomain of localhost needs subdomains", kEmpty, "foo.localhost", false},
    {"subdomain of localhost", kLocalSub, "foo.localhost", true},
    {"subdomain of localdomain", kLocalSub, "bar.localdomain", true},
    {"wildcard of localhost", kLocalSub, "*.localhost", true},
    {"localhost as a bare suffix is not a subdomain", kLocalSub, "notlocalhost", false},
    {"localhost refused when off", kNoLocal, "localhost", false},
    {"localdomain refused when off", kNoLocal, "localdomain", false},
    {"e-mail at localhost refused when off", kNoLocal, "user@localhost", false},
    {"subdomain of localhost refused when off", kNoLocalSub, "foo.localhost", false},

    // Internationalized names compare in A-label form.
    {"U-label under ASCII domain", kSub, "bücher.example.com", true},
    {"A-label under ASCII domain", kSub, "xn--bcher-kva.example.com", true},
    {"A-label name under U-label domain", kIdnaSub, "www.xn--bcher-kva.de", true},
    {"U-label name under U-label domain", kIdnaSub, "www.bücher.de", true},
    {"upper-case U-label is lower-cased", kIdnaSub, "www.BÜCHER.de", true},
    {"different name under U-label domain", kIdnaSub, "www.buecher.de", false},
    {"U-label name as A-label bare domain", kIdnaBare, "bücher.de", true},
    {"invalid UTF-8 refused", kSub, "b\xff" "cher.example.com", false, "enforce_hostnames=true"},

    // allowed_domains contents.
    {"empty allowed_domains refuses", kEmpty, "example.com", false, "not within allowed_domains []"},
    {"empty allowed_domains refuses with all modes", kAllModes, "example.com", false},
    {"trailing comma: subdomain", kTrailingComma, "foo.example.com", true},
    {"trailing comma: bare", kTrailingComma, "example.com", true},
    {"trailing comma: other domain", kTrailingComma, "foo.example.org", false},
    {"trailing comma: empty name", kTrailingComma, "", false},
    {"second of two domains", kTwoDomains, "foo.example.org", true},
    {"neither of two domains", kTwoDomains, "foo.example.net", false, "[example.com, example.org]"},
};

struct GlobCase {
    const char* pattern;
    const char* text;
    bool matches;
};

const GlobCase kGlobCases[] = {
    {"*", "", true},
    {"*", "anything.at.all", true},
    {"", "", true},
    {"", "x", false},
    {"abc", "abc", true},
    {"abc", "ABC", false},
    {"a*c", "abbbc", true},
    {"a*c", "ac", true},
    {"a*c", "ab", false},
    {"*.example.com", "a.b.example.com", true},
    {"*.example.com", "example.com", false},
    {"foo.*.example.com", "foo.bar.example.com", true},
    {"foo.*.example.com", "bar.foo.baz.example.com", false},
    {"**", "x", true},
    {"*a*b*", "xxaxxbxx", true},
    {"*a*b*", "xxbxxaxx", false},
    {"spiffe://host/*", "spiffe://host/a/b", true},
    {"?", "x", false},
};

struct HostCase {
    std::string name;
    bool valid;
};

const HostCase kHostCases[] = {
    {"example.com", true},
    {"example.com.", true},
    {"example.com..", false},
    {"localhost", true},
    {"*.example.com", true},
    {"*", false},
    {"*.", false},
    {"foo*.example.com", false},
    {"a.*.example.com", false},
    {"", false},
    {".", false},
    {".example.com", false},
    {"x..example.com", false},
    {"-x.example.com", false},
    {"x-.example.com", false},
    {"x-y.example.com", true},
    {"xn--bcher-kva.example.com", true},
    {"bad_name.example.com", false},
    {"bücher.example.com", false},
    {"UPPER.Example.COM", true},
    {"123.example.com", true},
    {kLabel63 + ".com", true},
    {kLabel64 + ".com", false},
    {kLabel63 + "." + kLabel63 + "." + kLabel63 + "." + std::string(61, 'a'), true},
    {kLabel63 + "." + kLabel63 + "." + kLabel63 + "." + std::string(62, 'a'), false},
};

}  // namespace

TEST_CASE("check_name follows the role name policy") {
    CHECK(std::size(kNameCases) >= 90);
    for (const auto& c : kNameCases) {
        const std::string description = c.description;  // CAPTURE of a const char* logs the pointer
        CAPTURE(description);
        CAPTURE(c.name);
        const auto reason = pki::policy::check_name(c.policy, c.name);
        CHECK_MESSAGE(reason.has_value() != c.allowed, reason.value_or("allowed"));
        if (reason && !c.allowed) {
            CHECK_MESSAGE(reason->find(c.reason_contains) != std::string::npos, *reason);
        }
    }
}

TEST_CASE("glob_match") {
    for (const auto& c : kGlobCases) {
        const std::string pattern = c.pattern;
        const std::string text = c.text;
        CAPTURE(pattern);
        CAPTURE(text);
        CHECK(pki::policy::glob_match(c.pattern, c.text) == c.matches);
    }
}

TEST_CASE("is_hostname") {
    for (const auto& c : kHostCases) {
        CAPTURE(c.name);
        CHECK(pki::policy::is_hostname(c.name) == c.valid);
    }
}

TEST_CASE("check_uri_san") {
    using pki::policy::check_uri_san;
    const std::vector<std::string> spiffe{"spiffe://hostname/*"};
    CHECK_FALSE(check_uri_san(spiffe, "spiffe://hostname/workload"));
    CHECK_FALSE(check_uri_san(spiffe, "spiffe://hostname/ns/prod/sa/web"));
    CHECK(check_uri_san(spiffe, "spiffe://otherhost/workload"));
    CHECK(check_uri_san(spiffe, "https://hostname/workload"));
    CHECK(check_uri_san({}, "spiffe://hostname/workload"));
    CHECK(check_uri_san({"*"}, "not a uri"));
    CHECK(check_uri_san({"*"}, "noscheme"));
    CHECK(check_uri_san({"*"}, ":empty-scheme"));
    CHECK(check_uri_san({"*"}, "1http://digit-first"));
    CHECK(check_uri_san({"*"}, "http:"));
    CHECK_FALSE(check_uri_san({"*"}, "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
    CHECK_FALSE(check_uri_san({"*"}, "svn+ssh://host/repo"));
    CHECK_FALSE(check_uri_san({"urn:a", "urn:b"}, "urn:b"));
    const auto reason = check_uri_san(spiffe, "spiffe://other/x");
    REQUIRE(reason);
    CHECK(reason->find("spiffe://hostname/*") != std::string::npos);
}

TEST_CASE("parse_other_san") {
    using pki::policy::parse_other_san;
    const auto upn = parse_other_san("1.3.6.1.4.1.311.20.2.3;utf8:devops@example.com");
    REQUIRE(upn);
    CHECK(upn->oid == "1.3.6.1.4.1.311.20.2.3");
    CHECK(upn->value == "devops@example.com");
    const auto colon_value = parse_other_san("1.2.3;UTF-8:a:b;c");
    REQUIRE(colon_value);
    CHECK(colon_value->value == "a:b;c");
    CHECK(parse_other_san("2.25.329800735698586629295641978511506172918;Utf8:x"));
    CHECK(parse_other_san("1.2;UTF8:"));
    CHECK_FALSE(parse_other_san("1.2.3;IA5:x"));
    CHECK_FALSE(parse_other_san("1;UTF8:x"));
    CHECK_FALSE(parse_other_san("1..2;UTF8:x"));
    CHECK_FALSE(parse_other_san("1.2.;UTF8:x"));
    CHECK_FALSE(parse_other_san("1.a.3;UTF8:x"));
    CHECK_FALSE(parse_other_san("1.02;UTF8:x"));
    CHECK_FALSE(parse_other_san("3.1;UTF8:x"));
    CHECK_FALSE(parse_other_san("1.40;UTF8:x"));
    CHECK_FALSE(parse_other_san("1.2.3:UTF8;x"));
    CHECK_FALSE(parse_other_san("1.2.3;UTF8"));
    CHECK_FALSE(parse_other_san("1.2.3"));
    CHECK_FALSE(parse_other_san(""));
}

TEST_CASE("check_other_san") {
    using pki::policy::check_other_san;
    const std::vector<std::string> allowed{"1.3.6.1.4.1.311.20.2.3;utf8:devops@example.com",
                                           "1.3.6.1.4.1.311.20.2.4;UTF-8:*"};
    CHECK_FALSE(check_other_san(allowed, "1.3.6.1.4.1.311.20.2.3;utf8:devops@example.com"));
    CHECK_FALSE(check_other_san(allowed, "1.3.6.1.4.1.311.20.2.3;UTF8:devops@example.com"));
    CHECK(check_other_san(allowed, "1.3.6.1.4.1.311.20.2.3;utf8:admin@example.com"));
    CHECK_FALSE(check_other_san(allowed, "1.3.6.1.4.1.311.20.2.4;utf8:anything at all"));
    CHECK(check_other_san(allowed, "1.3.6.1.4.1.311.20.2.5;utf8:devops@example.com"));
    CHECK_FALSE(check_other_san({"*"}, "1.2.3;UTF8:whatever"));
    CHECK(check_other_san({}, "1.2.3;UTF8:whatever"));
    CHECK(check_other_san({"*"}, "1.2.3;IA5:x"));
    CHECK(check_other_san({"*"}, "garbage"));
    CHECK_FALSE(check_other_san({"1.2.3;utf8:dev*"}, "1.2.3;utf8:devops"));
    CHECK(check_other_san({"not an entry", "1.2.4;utf8:*"}, "1.2.3;utf8:x"));
}

TEST_CASE("check_subject_serial") {
    using pki::policy::check_subject_serial;
    CHECK(check_subject_serial({}, "12345"));
    CHECK_FALSE(check_subject_serial({"*"}, "12345"));
    CHECK_FALSE(check_subject_serial({"SN-*"}, "SN-0001"));
    CHECK(check_subject_serial({"SN-*"}, "XX-0001"));
    CHECK_FALSE(check_subject_serial({"A1", "B2"}, "B2"));
    CHECK(check_subject_serial({"A1", "B2"}, "C3"));
}

TEST_CASE("check_ip_san") {
    using pki::policy::check_ip_san;
    CHECK_FALSE(check_ip_san(true, "192.0.2.1"));
    CHECK_FALSE(check_ip_san(true, "2001:db8::1"));
    CHECK_FALSE(check_ip_san(true, "::1"));
    CHECK_FALSE(check_ip_san(true, "::ffff:192.0.2.1"));
    CHECK(check_ip_san(true, "256.0.0.1"));
    CHECK(check_ip_san(true, "192.0.2"));
    CHECK(check_ip_san(true, "not-an-ip"));
    CHECK(check_ip_san(true, ""));
    CHECK(check_ip_san(true, "2001:db8::1::2"));
    CHECK(check_ip_san(true, std::string_view("192.0.2.1\0x", 11)));
    const auto refused = check_ip_san(false, "192.0.2.1");
    REQUIRE(refused);
    CHECK(refused->find("allow_ip_sans=false") != std::string::npos);
}
