#include "policy/names.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "policy/idna.hpp"

namespace pki::policy {
namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxHost = 253;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ldh(char c) { return is_alpha(c) || is_digit(c) || c == '-'; }

char lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = lower_char(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower_char(a[i]) != lower_char(b[i])) return false;
    }
    return true;
}

std::string_view bool_text(bool value) { return value ? "true" : "false"; }

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (item.empty()) continue;
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

bool glob_any(const std::vector<std::string>& patterns, std::string_view text) {
    for (const auto& pattern : patterns) {
        if (glob_match(pattern, text)) return true;
    }
    return false;
}

bool is_label(std::string_view label) {
    if (label.empty() || label.size() > kMaxLabel) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
        if (!is_ldh(c)) return false;
    }
    return true;
}

// A domain in the form used for comparisons: IDNA A-labels, lower-cased. When conversion fails
// the text is used as it is, so a malformed allowed_domains entry still compares literally.
std::string comparable(std::string_view domain) {
    if (is_ascii(domain)) return lower(domain);
    const auto converted = to_ascii(domain);
    return lower(converted ? std::string_view(*converted) : domain);
}

// The requested name split up as Vault's validateNames does it.
struct NameParts {
    std::string_view reduced;
    std::string_view email_domain;
    std::string_view wildcard_label;
    bool is_email = false;
    bool is_wildcard = false;
};

std::optional<std::string> split_email(std::string_view name, NameParts& parts) {
    const auto at = name.find('@');
    if (at == std::string_view::npos) return std::nullopt;
    if (name.find('@', at + 1) != std::string_view::npos) {
        return "an e-mail address must contain exactly one '@'";
    }
    parts.reduced = parts.email_domain = name.substr(at + 1);
    parts.is_email = true;
    return std::nullopt;
}

std::optional<std::string> split_wildcard(NameParts& parts) {
    const auto star = parts.reduced.find('*');
    if (star == std::string_view::npos) return std::nullopt;
    parts.is_wildcard = true;
    if (parts.reduced.find('*', star + 1) != std::string_view::npos) {
        return "only one wildcard '*' is allowed";
    }
    const auto dot = parts.reduced.find('.');
    if (dot == std::string_view::npos) {
        parts.wildcard_label = parts.reduced;
        parts.reduced = {};
        return std::nullopt;
    }
    parts.wildcard_label = parts.reduced.substr(0, dot);
    parts.reduced = parts.reduced.substr(dot + 1);
    if (parts.reduced.find('*') != std::string_view::npos) {
        return "a wildcard is only allowed in the left-most label";
    }
    return std::nullopt;
}

std::optional<std::string> split_name(std::string_view name, NameParts& parts) {
    parts.reduced = parts.email_domain = name;
    if (auto reason = split_email(name, parts)) return reason;
    return split_wildcard(parts);
}

// RFC 6125 section 6.4.3 left-most label forms: "*", "foo*", "*foo" and "f*o".
bool is_wildcard_label(std::string_view label) {
    std::size_t stars = 0;
    for (const char c : label) {
        if (c == '*') {
            ++stars;
        } else if (!is_ldh(c)) {
            return false;
        }
    }
    return stars == 1;
}

std::vector<std::string_view> split(std::string_view text, char separator);

std::optional<std::string> check_hostname_syntax(const NameParts& parts) {
    if (parts.is_email && parts.reduced.empty()) {
        return "the e-mail address has no host part (enforce_hostnames=true)";
    }
    if (!parts.reduced.empty()) {
        const auto converted = to_ascii(parts.reduced);
        if (!converted || !is_hostname(*converted)) {
            const std::string_view name = converted ? std::string_view(*converted) : std::string_view(parts.reduced);
            if (name.size() > 253) return "longer than the 253 characters a host name may have (enforce_hostnames=true)";
            for (const auto& label : split(name, '.'))
                if (label.size() > 63) return "a label is longer than the 63 characters DNS allows (enforce_hostnames=true)";
            if (!converted) return "not a valid internationalized host name (enforce_hostnames=true)";
            return "not a valid host name (enforce_hostnames=true)";
        }
    }
    if (parts.is_wildcard && !is_wildcard_label(parts.wildcard_label)) {
        return "the wildcard label must be one of *, foo*, *foo or f*o (enforce_hostnames=true)";
    }
    return std::nullopt;
}

bool is_local_name(std::string_view domain) { return domain == "localhost" || domain == "localdomain"; }

bool ends_with_local(std::string_view domain) {
    return domain.ends_with(".localhost") || domain.ends_with(".localdomain");
}

// Comparable (A-label, lower-case) forms of the name and its parts.
struct Comparable {
    std::string name;
    std::string reduced;
    std::string email_domain;
};

Comparable make_comparable(std::string_view name, const NameParts& parts) {
    Comparable out{comparable(name), comparable(parts.reduced), comparable(parts.email_domain)};
    if (parts.is_email) {
        out.name = lower(name.substr(0, name.find('@'))) + "@" + out.email_domain;
    }
    return out;
}

bool localhost_allows(const NamePolicy& policy, const NameParts& parts, const Comparable& forms) {
    if (!policy.allow_localhost) return false;
    if (is_local_name(forms.reduced) || (parts.is_email && is_local_name(forms.email_domain))) return true;
    if (!policy.allow_subdomains) return false;
    return ends_with_local(forms.reduced) || (parts.is_wildcard && is_local_name(forms.reduced));
}

bool domain_allows(const NamePolicy& policy, std::string_view domain, const NameParts& parts,
                   const Comparable& forms) {
    const bool bare = forms.name == domain || (parts.is_email && forms.email_domain == domain);
    if (policy.allow_bare_domains && bare) return true;
    if (policy.allow_subdomains) {
        const bool sub = forms.reduced.size() > domain.size() &&
                         forms.reduced.ends_with(domain) &&
                         forms.reduced[forms.reduced.size() - domain.size() - 1] == '.';
        if (sub || (parts.is_wildcard && forms.reduced == domain)) return true;
    }
    // The glob is matched against the full name and never combined with subdomains.
    return policy.allow_glob_domains && domain.find('*') != std::string_view::npos &&
           glob_match(domain, forms.name);
}

bool allowed_domains_allow(const NamePolicy& policy, std::string_view name, const NameParts& parts) {
    const Comparable forms = make_comparable(name, parts);
    if (localhost_allows(policy, parts, forms)) return true;
    for (const auto& entry : policy.allowed_domains) {
        if (entry.empty()) continue;
        if (domain_allows(policy, comparable(entry), parts, forms)) return true;
    }
    return false;
}

std::string not_within(const NamePolicy& policy) {
    return "not within allowed_domains [" + join(policy.allowed_domains) + "] (allow_bare_domains=" +
           std::string(bool_text(policy.allow_bare_domains)) +
           ", allow_subdomains=" + std::string(bool_text(policy.allow_subdomains)) +
           ", allow_glob_domains=" + std::string(bool_text(policy.allow_glob_domains)) + ")";
}

bool is_uri(std::string_view uri) {
    const auto colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
    if (!is_alpha(uri.front())) return false;
    for (const char c : uri.substr(0, colon)) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    }
    for (const char c : uri) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F) return false;
    }
    return true;
}

bool is_arc(std::string_view arc) {
    if (arc.empty()) return false;
    if (arc.size() > 1 && arc.front() == '0') return false;
    for (const char c : arc) {
        if (!is_digit(c)) return false;
    }
    return true;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (auto pos = text.find(separator); pos != std::string_view::npos; pos = text.find(separator, start)) {
        parts.push_back(text.substr(start, pos - start));
        start = pos + 1;
    }
    parts.push_back(text.substr(start));
    return parts;
}

bool is_ip_literal(std::string_view ip) {
    // inet_pton reads a terminated string, so an embedded NUL would hide trailing garbage.
    if (ip.find('\0') != std::string_view::npos) return false;
    const std::string text(ip);
    in6_addr buffer{};
    return inet_pton(AF_INET, text.c_str(), &buffer) == 1 || inet_pton(AF_INET6, text.c_str(), &buffer) == 1;
}

bool is_utf8_type(std::string_view type) { return iequals(type, "utf8") || iequals(type, "utf-8"); }

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
    std::size_t p = 0;
    std::size_t t = 0;
    std::size_t star = std::string_view::npos;
    std::size_t resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p;
            ++t;
        } else if (star != std::string_view::npos) {
            // Let the last '*' swallow one more character and retry.
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool is_hostname(std::string_view name) {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.size() > kMaxHost) return false;
    if (name.starts_with("*.")) name.remove_prefix(2);
    if (name.empty()) return false;
    for (const auto label : split(name, '.')) {
        if (!is_label(label)) return false;
    }
    return true;
}

std::optional<std::string> check_name(const NamePolicy& policy, std::string_view name) {
    // Vault would let an empty name through with allow_any_name; an empty name is never useful.
    if (name.empty()) return "the name is empty";
    NameParts parts;
    if (auto reason = split_name(name, parts)) return reason;
    if (parts.is_email && parts.is_wildcard) return "wildcards are not allowed in e-mail addresses";
    if (parts.is_wildcard && !policy.allow_wildcard_certificates) {
        return "wildcard certificates are not allowed (allow_wildcard_certificates=false)";
    }
    if (policy.enforce_hostnames) {
        if (auto reason = check_hostname_syntax(parts)) return reason;
    }
    if (policy.allow_any_name) return std::nullopt;
    if (allowed_domains_allow(policy, name, parts)) return std::nullopt;
    return not_within(policy);
}

std::optional<std::string> check_uri_san(const std::vector<std::string>& allowed, std::string_view uri) {
    if (!is_uri(uri)) return "not a valid URI (expected scheme:rest)";
    if (allowed.empty()) return "URI SANs are not allowed (allowed_uri_sans is empty)";
    if (glob_any(allowed, uri)) return std::nullopt;
    return "not within allowed_uri_sans [" + join(allowed) + "]";
}

bool is_oid(std::string_view oid) {
    const auto arcs = split(oid, '.');
    if (arcs.size() < 2) return false;
    for (const auto arc : arcs) {
        if (!is_arc(arc)) return false;
    }
    const bool top_ok = arcs[0] == "0" || arcs[0] == "1" || arcs[0] == "2";
    const bool second_ok = arcs[0] == "2" || arcs[1].size() == 1 || (arcs[1].size() == 2 && arcs[1] < "40");
    return top_ok && second_ok;
}

std::optional<OtherSan> parse_other_san(std::string_view spec) {
    const auto semicolon = spec.find(';');
    if (semicolon == std::string_view::npos) return std::nullopt;
    const auto rest = spec.substr(semicolon + 1);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto oid = spec.substr(0, semicolon);
    if (!is_oid(oid) || !is_utf8_type(rest.substr(0, colon))) return std::nullopt;
    return OtherSan{std::string(oid), std::string(rest.substr(colon + 1))};
}

std::optional<std::string> check_other_san(const std::vector<std::string>& allowed, std::string_view spec) {
    const auto requested = parse_other_san(spec);
    if (!requested) return "not a valid other SAN (expected OID;UTF8:value)";
    if (allowed.empty()) return "other SANs are not allowed (allowed_other_sans is empty)";
    for (const auto& entry : allowed) {
        if (entry == "*") return std::nullopt;
        const auto pattern = parse_other_san(entry);
        if (pattern && pattern->oid == requested->oid && glob_match(pattern->value, requested->value)) {
            return std::nullopt;
        }
    }
    return "not within allowed_other_sans [" + join(allowed) + "]";
}

std::optional<std::string> check_subject_serial(const std::vector<std::string>& allowed, std::string_view serial) {
    if (allowed.empty()) return "subject serial numbers are not allowed (allowed_serial_numbers is empty)";
    if (glob_any(allowed, serial)) return std::nullopt;
    return "not within allowed_serial_numbers [" + join(allowed) + "]";
}

std::optional<std::string> check_ip_san(bool allow_ip_sans, std::string_view ip) {
    if (!allow_ip_sans) return "IP SANs are not allowed (allow_ip_sans=false)";
    if (!is_ip_literal(ip)) return "not a valid IPv4 or IPv6 address";
    return std::nullopt;
}

}  // namespace pki::policy
