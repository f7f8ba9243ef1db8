#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace pki::policy {

// True when every byte of `text` is 7-bit ASCII.
bool is_ascii(std::string_view text);

// RFC 3492 punycode encoding of a sequence of Unicode code points (no "xn--" prefix).
// Returns std::nullopt on arithmetic overflow or an invalid code point.
std::optional<std::string> punycode_encode(std::u32string_view input);

// Convert a UTF-8 host name to its ASCII form, label by label. ASCII labels are kept exactly
// as given (case preserved); other labels are lower-cased and become "xn--" + punycode.
// The separators U+3002, U+FF0E and U+FF61 are treated as '.'.
// Returns std::nullopt for invalid UTF-8, a converted label over 63 octets, or a total over
// 253 octets (not counting one trailing dot).
std::optional<std::string> to_ascii(std::string_view host);

}  // namespace pki::policy
