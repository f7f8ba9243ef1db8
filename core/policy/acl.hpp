#pragma once
// Vault's ACL policies: the policy language (HCL as Vault's docs write it, or its JSON form) and
// the rules that decide what a set of policies allows on a path. Pure: no store, no I/O.
//
// A policy is a list of path rules, each with capabilities. A path is exact ("pki/issue/web"),
// a prefix ending in '*' ("pki/issue/*"), or has '+' segments matching one segment each
// ("pki/+/web", "+/issue/*"). For a request path the most specific rule decides, with Vault's
// order: an exact rule first; otherwise, among the prefix and '+' rules that match, the one whose
// first wildcard comes latest, then one that is not a prefix, then fewer '+' segments, then the
// longer. Rules for the same path from several policies are merged: their capabilities add up,
// and "deny" in any of them leaves only deny.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pki::policy {

enum Capability : uint32_t {
    kDeny = 1u << 0,
    kCreate = 1u << 1,
    kRead = 1u << 2,
    kUpdate = 1u << 3,
    kDelete = 1u << 4,
    kList = 1u << 5,
    kSudo = 1u << 6,
    kPatch = 1u << 7,
};

struct PathRule {
    std::string path;       // as written, a leading '/' dropped: "pki/issue/*", "pki/+/web"
    uint32_t capabilities;  // Capability bits; kDeny alone when deny was given
};

struct Policy {
    std::vector<PathRule> rules;
};

// Parse a policy in Vault's HCL or JSON form ({"path": {"pki/issue/web": {"capabilities":
// ["update"]}}}). Error(Invalid) naming the line and column of what does not parse, an unknown
// capability or key, or a parameter constraint this version does not enforce
// (allowed_parameters and the like are refused rather than silently ignored).
Policy parse_policy(std::string_view text);

// "create", "read" ... in Vault's order; {"deny"} for deny or no capability at all.
std::vector<std::string> capability_names(uint32_t capabilities);

class Acl {
public:
    explicit Acl(const std::vector<Policy>& policies);
    // The capabilities the policies grant on `path` (no leading '/'; a LIST's path ends in '/'):
    // 0 when no rule matches, kDeny when the deciding rule denies.
    uint32_t capabilities(std::string_view path, bool list = false) const;

private:
    struct Wildcard {
        std::string path;  // with '+' segments, maybe a trailing '*'
        uint32_t capabilities;
    };
    uint32_t from_non_exact(std::string_view path) const;

    std::map<std::string, uint32_t, std::less<>> exact_;
    std::map<std::string, uint32_t, std::less<>> prefix_;  // the '*' dropped
    std::vector<Wildcard> wildcards_;
};

}  // namespace pki::policy
