#include <doctest/doctest.h>

#include <string>

#include "policy/idna.hpp"

using pki::policy::to_ascii;

TEST_CASE("to_ascii converts U-labels to A-labels") {
    CHECK(to_ascii("bücher") == "xn--bcher-kva");
    CHECK(to_ascii("münchen.de") == "xn--mnchen-3ya.de");
    CHECK(to_ascii("www.bücher.de") == "www.xn--bcher-kva.de");
    CHECK(to_ascii("BÜCHER.de") == "xn--bcher-kva.de");
    CHECK(to_ascii("例え.テスト") == "xn--r8jz45g.xn--zckzah");
    CHECK(to_ascii("bücher。de") == "xn--bcher-kva.de");
}

TEST_CASE("to_ascii keeps ASCII labels exactly") {
    CHECK(to_ascii("example.com") == "example.com");
    CHECK(to_ascii("WWW.Example.COM") == "WWW.Example.COM");
    CHECK(to_ascii("xn--bcher-kva.de") == "xn--bcher-kva.de");
    CHECK(to_ascii("*.example.com") == "*.example.com");
    CHECK(to_ascii("example.com.") == "example.com.");
    CHECK(to_ascii("") == "");
    CHECK(to_ascii("Www.bücher.DE") == "Www.xn--bcher-kva.DE");
}

TEST_CASE("punycode matches RFC 3492 section 7.1 samples") {
    // (A) Arabic (Egyptian) and (B) Chinese (simplified).
    const std::u32string arabic = U"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645"
                                  U"\u0648\u0634\u0639\u0631\u0628\u064A\u061F";
    CHECK(pki::policy::punycode_encode(arabic) == "egbpdaj6bu4bxfgehfvwxn");
    const std::u32string chinese = U"\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587";
    CHECK(pki::policy::punycode_encode(chinese) == "ihqwcrb4cv8a8dqg056pqjye");
    CHECK(to_ascii("\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587.cn") ==
          "xn--ihqwcrb4cv8a8dqg056pqjye.cn");
    // (L) keeps the case of its basic code points.
    const std::u32string mixed = U"3\u5E74B\u7D44\u91D1\u516B\u5148\u751F";
    CHECK(pki::policy::punycode_encode(mixed) == "3B-ww4c5e180e575a65lsy2b");
}

TEST_CASE("to_ascii refuses invalid input") {
    CHECK_FALSE(to_ascii("b\xff" "cher.de"));
    CHECK_FALSE(to_ascii("\xc3"));                  // truncated sequence
    CHECK_FALSE(to_ascii("\xc0\xaf"));              // overlong '/'
    CHECK_FALSE(to_ascii("\xed\xa0\x80.de"));       // UTF-16 surrogate
    CHECK_FALSE(to_ascii("\xf4\x90\x80\x80.de"));   // beyond U+10FFFF
    CHECK_FALSE(to_ascii(std::string(64, 'a') + ".de"));
    CHECK(to_ascii(std::string(63, 'a') + ".de"));
    // 58 basic code points + "-" + the encoded "ü" exceed 63 octets only after conversion.
    CHECK(to_ascii(std::string(50, 'a') + "ü.de"));
    CHECK_FALSE(to_ascii(std::string(58, 'a') + "ü.de"));
    const std::string label(63, 'a');
    const std::string host253 = label + "." + label + "." + label + "." + std::string(61, 'a');
    CHECK(to_ascii(host253));
    CHECK(to_ascii(host253 + "."));
    CHECK_FALSE(to_ascii(host253 + "a"));
}

TEST_CASE("is_ascii") {
    CHECK(pki::policy::is_ascii("example.com"));
    CHECK(pki::policy::is_ascii(""));
    CHECK_FALSE(pki::policy::is_ascii("bücher"));
}
