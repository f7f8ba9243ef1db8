#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Role name policy, mirroring Vault's validateNames and the checks around it. All functions are
// pure: no I/O and no global state.
//
// Domain comparisons (bare domains, subdomains, localhost and glob domains) are case-insensitive:
// both sides are compared in IDNA A-label form and lower-cased. URI, other-SAN and subject-serial
// globs stay case-sensitive, as Vault's are.
namespace pki::policy {

struct NamePolicy {
    std::vector<std::string> allowed_domains;
    bool allow_bare_domains = false;
    bool allow_subdomains = false;
    bool allow_glob_domains = false;
    bool allow_any_name = false;
    bool allow_localhost = true;
    bool enforce_hostnames = true;
    bool allow_wildcard_certificates = true;
};

// Shell-style glob where only '*' is special and matches any run of characters, dots included.
// Case-sensitive. "*" matches everything.
bool glob_match(std::string_view pattern, std::string_view text);

// Is `name` a syntactically valid DNS host name (ASCII form; optional single trailing dot;
// labels 1..63 chars of [A-Za-z0-9-], not starting or ending with '-'; optional leading "*." label)?
bool is_hostname(std::string_view name);

// Check one requested name (a common name, a DNS SAN, or an e-mail address user@host).
// Returns std::nullopt when allowed, else a short reason in English that says why, e.g.
// "not within allowed_domains [example.com] (allow_subdomains=false)" or "wildcard certificates are
// not allowed (allow_wildcard_certificates=false)" or "not a valid host name (enforce_hostnames=true)".
std::optional<std::string> check_name(const NamePolicy& policy, std::string_view name);

// URI SAN: must look like a URI (scheme ":" rest, scheme = ALPHA *(ALPHA/DIGIT/+/-/.)); allowed when it
// glob-matches one entry of `allowed`; an empty `allowed` list refuses every URI SAN.
std::optional<std::string> check_uri_san(const std::vector<std::string>& allowed, std::string_view uri);

// Other SAN given as "OID;UTF8:value" (type UTF8 or UTF-8, case-insensitive). parse_other_san returns
// {oid, value} or nullopt when malformed (bad OID syntax: dotted decimal with at least two arcs).
struct OtherSan {
    std::string oid;
    std::string value;
};
std::optional<OtherSan> parse_other_san(std::string_view spec);

// allowed entries have the same "OID;UTF8:value" format; value may be a glob ('*' = any value);
// a single entry "*" allows any other SAN; an empty list refuses all.
std::optional<std::string> check_other_san(const std::vector<std::string>& allowed, std::string_view spec);

// Subject serial number (the subject DN attribute, not the certificate serial): allowed when it
// glob-matches an entry; an empty list refuses any.
std::optional<std::string> check_subject_serial(const std::vector<std::string>& allowed, std::string_view serial);

// IP SAN: valid IPv4 or IPv6 literal (use inet_pton); allow_ip_sans=false refuses.
std::optional<std::string> check_ip_san(bool allow_ip_sans, std::string_view ip);

// Is `oid` dotted decimal with at least two arcs, a first arc of 0..2, a second arc below 40
// under arcs 0 and 1, and no leading zeros?
bool is_oid(std::string_view oid);

}  // namespace pki::policy
