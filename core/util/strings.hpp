#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pki::util {

std::string_view trim(std::string_view s);
// Split on `sep`, trimming each piece; empty pieces are dropped.
std::vector<std::string> split_list(std::string_view s, char sep = ',');
std::vector<std::string_view> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
// "common_name" -> "common-name"
std::string dashed(std::string_view field);
// Hex helpers: "0a:1b" style, lowercase.
std::string hex_colon(const unsigned char* data, size_t len);
std::string base64(std::string_view bytes);
std::string base64_decode(std::string_view text);  // throws Error(Invalid) on bad input
// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s);
// `s` for a one-line message: control characters escaped (\n, \x1b ...), at most `max` bytes
// (cut at a character boundary, "..." appended).
std::string printable(std::string_view s, size_t max = 2000);

}  // namespace pki::util
