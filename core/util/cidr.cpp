#include "util/cidr.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <optional>

#include "util/error.hpp"

namespace pki::util {
namespace {

struct Address {
    std::array<unsigned char, 16> bytes{};
    int bits = 0;  // 32 or 128
};

std::optional<Address> parse_address(std::string_view text) {
    std::string s(text);
    if (s.find('\0') != std::string::npos) return std::nullopt;
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.bits = 32;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
            std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
            std::memset(a.bytes.data() + 4, 0, 12);
            a.bits = 32;
        } else {
            a.bits = 128;
        }
        return a;
    }
    return std::nullopt;
}

struct Block {
    Address base;
    int prefix = 0;
};

std::optional<Block> parse_block(std::string_view text) {
    auto slash = text.find('/');
    auto addr = parse_address(text.substr(0, slash));
    if (!addr) return std::nullopt;
    Block b{*addr, addr->bits};
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
        int n = std::stoi(std::string(digits));
        if (n > addr->bits) return std::nullopt;
        b.prefix = n;
    }
    return b;
}

bool contains(const Block& b, const Address& a) {
    if (a.bits != b.base.bits) return false;
    int full = b.prefix / 8, rest = b.prefix % 8;
    if (std::memcmp(a.bytes.data(), b.base.bytes.data(), full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (a.bytes[full] & mask) == (b.base.bytes[full] & mask);
}

}  // namespace

void check_cidrs(const std::vector<std::string>& cidrs, std::string_view field) {
    for (const auto& c : cidrs)
        if (!parse_block(c))
            throw Error(ErrorKind::Invalid,
                        fmt::format("{}: \"{}\" is not a CIDR block (such as 10.0.0.0/8 or 2001:db8::/32) or an IP address", field,
                                    c.size() > 64 ? c.substr(0, 64) + "..." : c),
                        std::string(field));
}

bool cidrs_within(const std::vector<std::string>& inner, const std::vector<std::string>& outer) {
    if (outer.empty()) return true;
    for (const auto& i : inner) {
        auto in = parse_block(i);
        if (!in) return false;
        bool inside = false;
        for (const auto& o : outer)
            if (auto out = parse_block(o); out && out->base.bits == in->base.bits && in->prefix >= out->prefix && contains(*out, in->base))
                inside = true;
        if (!inside) return false;
    }
    return true;
}

bool address_in(std::string_view address, const std::vector<std::string>& cidrs) {
    auto a = parse_address(address);
    if (!a) return false;
    for (const auto& c : cidrs)
        if (auto b = parse_block(c); b && contains(*b, *a)) return true;
    return false;
}

}  // namespace pki::util
