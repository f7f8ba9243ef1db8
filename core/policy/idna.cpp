#include "policy/idna.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace pki::policy {
namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxHost = 253;

// RFC 3492 section 5 parameters.
constexpr std::uint32_t kBase = 36;
constexpr std::uint32_t kTMin = 1;
constexpr std::uint32_t kTMax = 26;
constexpr std::uint32_t kSkew = 38;
constexpr std::uint32_t kDamp = 700;
constexpr std::uint32_t kInitialBias = 72;
constexpr std::uint32_t kInitialN = 0x80;
constexpr std::uint32_t kMaxInt = std::numeric_limits<std::uint32_t>::max();

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Decodes one UTF-8 sequence at `pos`, advancing it. Rejects overlong forms, surrogates and
// code points beyond U+10FFFF.
std::optional<char32_t> decode_one(std::string_view text, std::size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
        ++pos;
        return lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, cp = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, cp = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, cp = lead & 0x07, minimum = 0x10000;
    } else {
        return std::nullopt;
    }
    if (text.size() - pos < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if (!is_continuation(byte)) return std::nullopt;
        cp = (cp << 6) | (byte & 0x3F);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    pos += length;
    return cp;
}

std::optional<std::u32string> decode_utf8(std::string_view text) {
    std::u32string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const auto cp = decode_one(text, pos);
        if (!cp) return std::nullopt;
        out.push_back(*cp);
    }
    return out;
}

bool is_dot(char32_t cp) { return cp == U'.' || cp == 0x3002 || cp == 0xFF0E || cp == 0xFF61; }

// A small case mapping: ASCII, Latin-1, Latin Extended-A, basic Greek and Cyrillic. Full
// Unicode case folding (and NFC) would need tables this project does not carry.
char32_t to_lower(char32_t cp) {
    if (cp >= U'A' && cp <= U'Z') return cp + 0x20;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
    if (cp == 0x130) return U'i';
    if (cp == 0x178) return 0xFF;
    const bool even_upper = (cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177);
    if (even_upper && cp % 2 == 0) return cp + 1;
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_upper && cp % 2 == 1) return cp + 1;
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
    if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
    return cp;
}

char encode_digit(std::uint32_t digit) {
    return static_cast<char>(digit < 26 ? 'a' + digit : '0' + (digit - 26));
}

std::uint32_t adapt(std::uint32_t delta, std::uint32_t num_points, bool first_time) {
    delta = first_time ? delta / kDamp : delta / 2;
    delta += delta / num_points;
    std::uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
        delta /= kBase - kTMin;
        k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

std::uint32_t threshold(std::uint32_t k, std::uint32_t bias) {
    if (k <= bias) return kTMin;
    if (k >= bias + kTMax) return kTMax;
    return k - bias;
}

// Appends the variable-length integer `q` in the generalized base-36 form of RFC 3492 6.3.
void append_varint(std::string& out, std::uint32_t q, std::uint32_t bias) {
    for (std::uint32_t k = kBase;; k += kBase) {
        const std::uint32_t t = threshold(k, bias);
        if (q < t) break;
        out.push_back(encode_digit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
    }
    out.push_back(encode_digit(q));
}

std::uint32_t smallest_at_least(std::u32string_view input, std::uint32_t n) {
    std::uint32_t m = kMaxInt;
    for (const char32_t c : input) {
        if (c >= n && c < m) m = c;
    }
    return m;
}

bool all_ascii(std::u32string_view label) {
    for (const char32_t c : label) {
        if (c >= 0x80) return false;
    }
    return true;
}

std::vector<std::u32string_view> split_labels(std::u32string_view host) {
    std::vector<std::u32string_view> labels;
    std::size_t start = 0;
    for (std::size_t i = 0; i < host.size(); ++i) {
        if (!is_dot(host[i])) continue;
        labels.push_back(host.substr(start, i - start));
        start = i + 1;
    }
    labels.push_back(host.substr(start));
    return labels;
}

}  // namespace

bool is_ascii(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

std::optional<std::string> punycode_encode(std::u32string_view input) {
    std::string out;
    for (const char32_t c : input) {
        if (c > 0x10FFFF) return std::nullopt;
        if (c < kInitialN) out.push_back(static_cast<char>(c));
    }
    const auto basic = static_cast<std::uint32_t>(out.size());
    if (basic > 0) out.push_back('-');

    std::uint32_t n = kInitialN;
    std::uint32_t delta = 0;
    std::uint32_t bias = kInitialBias;
    std::uint32_t handled = basic;
    while (handled < input.size()) {
        const std::uint32_t m = smallest_at_least(input, n);
        if (m - n > (kMaxInt - delta) / (handled + 1)) return std::nullopt;
        delta += (m - n) * (handled + 1);
        n = m;
        for (const char32_t c : input) {
            if (c < n && ++delta == 0) return std::nullopt;
            if (c != n) continue;
            append_varint(out, delta, bias);
            bias = adapt(delta, handled + 1, handled == basic);
            delta = 0;
            ++handled;
        }
        ++delta;
        ++n;
    }
    return out;
}

namespace {

std::optional<std::string> convert_label(std::u32string_view label) {
    std::string out;
    if (all_ascii(label)) {
        for (const char32_t c : label) out.push_back(static_cast<char>(c));
        return out;
    }
    std::u32string lowered(label);
    for (char32_t& c : lowered) c = to_lower(c);
    const auto encoded = punycode_encode(lowered);
    if (!encoded) return std::nullopt;
    return "xn--" + *encoded;
}

bool host_length_ok(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    return host.size() <= kMaxHost;
}

}  // namespace

std::optional<std::string> to_ascii(std::string_view host) {
    const auto decoded = decode_utf8(host);
    if (!decoded) return std::nullopt;
    std::string out;
    bool first = true;
    for (const auto label : split_labels(*decoded)) {
        const auto converted = convert_label(label);
        if (!converted || converted->size() > kMaxLabel) return std::nullopt;
        if (!first) out.push_back('.');
        out += *converted;
        first = false;
    }
    if (!host_length_ok(out)) return std::nullopt;
    return out;
}

}  // namespace pki::policy
