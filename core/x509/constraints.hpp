#pragma once
// Name constraints (RFC 5280 4.2.1.10) of CA certificates, checked against the names of a
// certificate before it is signed, so that nothing is issued that a verifier would reject
// (OpenSSL error 47, "permitted subtree violation").
#include <optional>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "x509/build.hpp"

namespace pki::x509 {

struct NameConstraints {
    std::string ca;  // the CA's common name (else its subject), for messages
    struct Subtrees {
        std::vector<std::string> dns, email, uri;
        std::vector<std::vector<unsigned char>> ip;  // address then mask: 8 bytes (IPv4) or 32 (IPv6)
    };
    Subtrees permitted, excluded;
};

// The name constraints a CA certificate carries; nullopt when it has none.
std::optional<NameConstraints> name_constraints_of(X509* ca);

// The refusal, naming the name and the constraint, when the common name (checked as a DNS name
// when it is one) or a SAN (DNS, e-mail, IP, URI host) falls outside `nc`; nullopt when all are
// within it. Other names and directory names are not constrained here.
std::optional<std::string> name_constraint_violation(const NameConstraints& nc, const std::string& common_name, const Sans& sans);

// A DNS name as a name constraint: a leading dot (".example.com", an OpenSSL convention for
// "subdomains only") is dropped, case folded; Error(Invalid) naming the field when nothing is left.
std::string normalize_dns_constraint(const std::string& domain);

}  // namespace pki::x509
