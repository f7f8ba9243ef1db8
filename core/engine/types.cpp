#include "engine/types.hpp"

#include "util/error.hpp"

namespace pki::engine {

std::optional<CertFormat> parse_cert_format(std::string_view name) {
    if (name == "pem") return CertFormat::Pem;
    if (name == "der") return CertFormat::Der;
    if (name == "pem_bundle") return CertFormat::PemBundle;
    return std::nullopt;
}

std::string_view leaf_not_after_name(LeafNotAfter b) {
    switch (b) {
        case LeafNotAfter::Err: return "err";
        case LeafNotAfter::Truncate: return "truncate";
        case LeafNotAfter::Permit: return "permit";
    }
    return "err";
}

std::optional<LeafNotAfter> parse_leaf_not_after(std::string_view name) {
    if (name == "err") return LeafNotAfter::Err;
    if (name == "truncate") return LeafNotAfter::Truncate;
    if (name == "permit") return LeafNotAfter::Permit;
    return std::nullopt;
}

namespace {
constexpr std::pair<IssuerUse, const char*> kUses[] = {
    {IssuerUse::ReadOnly, "read-only"},
    {IssuerUse::IssuingCertificates, "issuing-certificates"},
    {IssuerUse::CrlSigning, "crl-signing"},
    {IssuerUse::OcspSigning, "ocsp-signing"},
};
}  // namespace

std::vector<std::string> issuer_usage_names(IssuerUsage u) {
    std::vector<std::string> out;
    for (const auto& [use, name] : kUses)
        if (u.has(use)) out.emplace_back(name);
    return out;
}

IssuerUsage parse_issuer_usage(const std::vector<std::string>& names) {
    IssuerUsage u;
    for (const auto& n : names) {
        bool known = false;
        for (const auto& [use, name] : kUses)
            if (n == name) {
                u.add(use);
                known = true;
            }
        if (!known) fail(ErrorKind::Invalid, "usage \"{}\" is not known; use read-only, issuing-certificates, crl-signing or ocsp-signing", n);
    }
    return u;
}

}  // namespace pki::engine
