#include "x509/constraints.hpp"

#include <openssl/x509v3.h>

#include <algorithm>

#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::x509 {
namespace {

std::string ia5_text(const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string fold(std::string s) {
    s = util::to_lower(s);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

void collect(const STACK_OF(GENERAL_SUBTREE) * trees, NameConstraints::Subtrees& out) {
    for (int i = 0; trees && i < sk_GENERAL_SUBTREE_num(trees); ++i) {
        const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(trees, i)->base;
        switch (base->type) {
            case GEN_DNS: out.dns.push_back(fold(ia5_text(base->d.dNSName))); break;
            case GEN_EMAIL: out.email.push_back(ia5_text(base->d.rfc822Name)); break;  // a mailbox's local part is exact
            case GEN_URI: out.uri.push_back(fold(ia5_text(base->d.uniformResourceIdentifier))); break;
            case GEN_IPADD: {
                const ASN1_OCTET_STRING* o = base->d.iPAddress;
                const unsigned char* p = ASN1_STRING_get0_data(o);
                out.ip.emplace_back(p, p + ASN1_STRING_length(o));
                break;
            }
            default: break;  // directory and other names: not checked here
        }
    }
}

// A DNS name within a DNS subtree: the subtree itself or any name under it. A subtree written
// with a leading dot (by other CAs) holds only the names under it.
bool dns_within(std::string name, const std::string& base) {
    name = fold(std::move(name));
    if (base.empty()) return true;
    if (base.front() == '.') return name.size() > base.size() && util::ends_with(name, base);
    return name == base || (name.size() > base.size() && util::ends_with(name, base) && name[name.size() - base.size() - 1] == '.');
}

// An e-mail address within an rfc822Name subtree: a mailbox (exact), a host (its domain), or a
// domain with a leading dot (hosts under it).
bool email_within(const std::string& address, const std::string& raw_base) {
    auto at = address.rfind('@');
    std::string host = fold(at == std::string::npos ? address : address.substr(at + 1));
    if (auto base_at = raw_base.rfind('@'); base_at != std::string::npos)  // local parts exact, hosts in any case
        return at != std::string::npos && address.substr(0, at) == raw_base.substr(0, base_at) && host == fold(raw_base.substr(base_at + 1));
    std::string base = fold(raw_base);
    if (!base.empty() && base.front() == '.') return host.size() > base.size() && util::ends_with(host, base);
    return host == base;
}

// The host of a URI as verifiers read it for name constraints: what follows "//" up to a ':' or
// '/' ("" when there is no "//"). A user part is not removed: OpenSSL reads it as part of the
// host, so such a URI cannot be within a host subtree.
std::string uri_host(const std::string& uri) {
    auto scheme = uri.find("://");
    if (scheme == std::string::npos) return "";
    std::string rest = uri.substr(scheme + 3);
    auto end = rest.find(':');
    if (end == std::string::npos) end = rest.find('/');
    return fold(rest.substr(0, end));
}

// A URI within a URI subtree: its host is the subtree's host, or (leading dot) under it.
bool uri_within(const std::string& uri, const std::string& base) {
    std::string host = uri_host(uri);
    if (host.empty()) return false;
    if (!base.empty() && base.front() == '.') return host.size() > base.size() && util::ends_with(host, base);
    return host == base;
}

bool ip_within(const std::vector<unsigned char>& addr, const std::vector<unsigned char>& subtree) {
    if (subtree.size() != addr.size() * 2) return false;  // the other family
    for (size_t i = 0; i < addr.size(); ++i)
        if ((addr[i] & subtree[addr.size() + i]) != (subtree[i] & subtree[addr.size() + i])) return false;
    return true;
}

std::string ip_subtree_text(const std::vector<unsigned char>& s) {
    size_t n = s.size() / 2;
    int bits = 0;
    for (size_t i = n; i < s.size(); ++i)
        for (int b = 7; b >= 0; --b) bits += (s[i] >> b) & 1;
    std::string addr;
    if (n == 4) {
        addr = fmt::format("{}.{}.{}.{}", s[0], s[1], s[2], s[3]);
    } else {
        for (size_t i = 0; i < n; i += 2) addr += fmt::format("{}{:x}", i ? ":" : "", (s[i] << 8) | s[i + 1]);
    }
    return fmt::format("{}/{}", addr, bits);
}

// Is a common name meant as a host name (checked as one)? A name with a dot and only host-name
// characters; "My CA" or "Jane Doe" is not.
bool host_like(const std::string& cn) {
    if (cn.find('.') == std::string::npos) return false;
    return std::all_of(cn.begin(), cn.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '*' || c == '_';
    });
}

template <typename T, typename Within, typename Show>
std::optional<std::string> check(const std::string& ca, const char* kind, const std::string& shown, const T& name,
                                 const std::vector<T>& permitted, const std::vector<T>& excluded, Within within, Show show) {
    for (const auto& e : excluded)
        if (within(name, e))
            return fmt::format("the name \"{}\" is excluded by the name constraints of CA \"{}\" (excluded {} subtree {}); ask for other names",
                               shown, ca, kind, show(e));
    if (permitted.empty()) return std::nullopt;
    for (const auto& p : permitted)
        if (within(name, p)) return std::nullopt;
    std::vector<std::string> listed;
    for (const auto& p : permitted) listed.push_back(show(p));
    return fmt::format("the name \"{}\" is outside the name constraints of CA \"{}\" (permitted {} subtrees: {}); ask for names within them",
                       shown, ca, kind, util::join(listed, ", "));
}

}  // namespace

std::optional<NameConstraints> name_constraints_of(X509* ca) {
    int crit = 0;
    crypto::Handle<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free> nc(
        static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(ca, NID_name_constraints, &crit, nullptr)));
    if (!nc) return std::nullopt;
    NameConstraints out;
    out.ca = common_name(X509_get_subject_name(ca));
    if (out.ca.empty()) {
        char buf[256];
        X509_NAME_oneline(X509_get_subject_name(ca), buf, sizeof buf);
        out.ca = buf;
    }
    collect(nc->permittedSubtrees, out.permitted);
    collect(nc->excludedSubtrees, out.excluded);
    return out;
}

std::optional<std::string> name_constraint_violation(const NameConstraints& nc, const std::string& common_name, const Sans& sans) {
    auto same = [](const std::string& s) { return s; };
    const auto& p = nc.permitted;
    const auto& x = nc.excluded;
    std::vector<std::string> dns = sans.dns;
    if (!common_name.empty() && host_like(common_name)) dns.insert(dns.begin(), common_name);
    for (const auto& d : dns)
        if (auto v = check(nc.ca, "DNS", d, d, p.dns, x.dns, dns_within, same)) return v;
    for (const auto& e : sans.email)
        if (auto v = check(nc.ca, "e-mail", e, e, p.email, x.email, email_within, same)) return v;
    for (const auto& u : sans.uri) {
        if ((!p.uri.empty() || !x.uri.empty()) && uri_host(u).empty())
            return fmt::format("the URI \"{}\" has no host (scheme://host/...), which the URI name constraints of CA \"{}\" require; "
                               "give URIs with a host", u, nc.ca);
        if (auto v = check(nc.ca, "URI", u, u, p.uri, x.uri, uri_within, same)) return v;
    }
    for (const auto& ip : sans.ip) {
        crypto::Handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> os(a2i_IPADDRESS(ip.c_str()));
        if (!os) continue;  // refused where the SAN is encoded
        const unsigned char* b = ASN1_STRING_get0_data(os.get());
        std::vector<unsigned char> addr(b, b + ASN1_STRING_length(os.get()));
        if (auto v = check(nc.ca, "IP", ip, addr, p.ip, x.ip, ip_within, ip_subtree_text)) return v;
    }
    return std::nullopt;
}

std::string normalize_dns_constraint(const std::string& domain) {
    std::string d = fold(std::string(util::trim(domain)));
    while (!d.empty() && d.front() == '.') d.erase(0, 1);
    if (d.empty())
        throw Error(ErrorKind::Invalid,
                    fmt::format("permitted_dns_domains: \"{}\" is not a domain; give domains such as example.com", domain),
                    "permitted_dns_domains");
    return d;
}

}  // namespace pki::x509
