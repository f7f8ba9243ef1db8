#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "util/error.hpp"
#include "util/strings.hpp"

using pki::util::base64;
using pki::util::base64_decode;
using pki::util::split_list;
using Strings = std::vector<std::string>;

TEST_CASE("split_list trims pieces and drops empty ones") {
    CHECK(split_list("a,b,c") == Strings{"a", "b", "c"});
    CHECK(split_list(" a , b ,c ") == Strings{"a", "b", "c"});
    CHECK(split_list("a,,b,") == Strings{"a", "b"});
    CHECK(split_list("single") == Strings{"single"});
    CHECK(split_list("").empty());
    CHECK(split_list(" , ,, ").empty());
    CHECK(split_list("example.com,*.example.com") == Strings{"example.com", "*.example.com"});
}

TEST_CASE("split_list with another separator") {
    CHECK(split_list("a:b: c", ':') == Strings{"a", "b", "c"});
    CHECK(split_list("a,b", ':') == Strings{"a,b"});
}

TEST_CASE("base64 known vectors (RFC 4648)") {
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foo") == "Zm9v");
    CHECK(base64("foob") == "Zm9vYg==");
    CHECK(base64("fooba") == "Zm9vYmE=");
    CHECK(base64("foobar") == "Zm9vYmFy");
    CHECK(base64_decode("Zg==") == "f");
    CHECK(base64_decode("Zm8=") == "fo");
    CHECK(base64_decode("Zm9vYmFy") == "foobar");
    CHECK(base64_decode("") == "");
}

TEST_CASE("base64 round trip of every byte value and every length") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (size_t len = 0; len <= all.size(); len += (len < 10 ? 1 : 37)) {
        CAPTURE(len);
        std::string in = all.substr(0, len);
        CHECK(base64_decode(base64(in)) == in);
    }
    CHECK(base64_decode(base64(all)) == all);
    std::string zeros(7, '\0');
    CHECK(base64_decode(base64(zeros)) == zeros);
}

TEST_CASE("base64_decode ignores whitespace, as in PEM bodies") {
    CHECK(base64_decode("Zm9v\nYmFy\n") == "foobar");
    CHECK(base64_decode("  Zm9v YmFy\r\n") == "foobar");
}

TEST_CASE("base64_decode refuses bad input with an Invalid error") {
    for (const char* bad : {"abc", "Zg=", "!!!!", "Zm9v!mFy", "Zm9vY", "====", "Z===", "Zg==Zg==", "=Zg="}) {
        CAPTURE(std::string(bad));
        bool threw = false;
        try {
            base64_decode(bad);
        } catch (const pki::Error& e) {
            threw = true;
            CHECK(e.kind() == pki::ErrorKind::Invalid);
            CHECK(std::string(e.what()).find("base64") != std::string::npos);
        }
        CHECK(threw);
    }
}
