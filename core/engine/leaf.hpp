#pragma once
// Issuing under a role: issue/:role (a key generated here, returned once, never stored),
// sign/:role (a CSR), sign-verbatim (a CSR as it is), and their per-issuer forms.
#include <optional>
#include <string>
#include <vector>

#include "crypto/handles.hpp"
#include "engine/engine.hpp"
#include "engine/types.hpp"

namespace pki::engine {

// issue/:role and issuer/:issuer_ref/issue/:role.
struct IssueRequest {
    std::string role;
    std::optional<std::string> issuer_ref;  // the path's issuer; else the role's issuer_ref
    std::string common_name;
    SanRequest sans;
    std::string serial_number;  // the subject's serialNumber attribute (allowed_serial_numbers)
    // ttl and not_after (not_before_duration is the role's, whatever this says).
    ValidityRequest validity;
    bool ttl_given = false;  // a ttl was given, even 0: the role's not_after does not apply
};

// sign/:role and issuer/:issuer_ref/sign/:role: the CSR's key is certified; its common name and
// SANs are taken as the role's use_csr_common_name and use_csr_sans say.
struct SignRequest : IssueRequest {
    std::string csr;  // PEM
};

// sign-verbatim, sign-verbatim/:role and their per-issuer forms: the CSR's subject and
// extensions as they are (never a CA certificate).
struct VerbatimRequest {
    std::string role;                       // "": none; else its ttl, max_ttl, generate_lease, no_store, not_before_duration
    std::optional<std::string> issuer_ref;  // else the default issuer
    std::string csr;                        // PEM
    // Used only when the CSR asks for no key usage (extended key usage) of its own.
    std::vector<std::string> key_usage, ext_key_usage, ext_key_usage_oids;
    ValidityRequest validity;  // ttl and not_after, as in IssueRequest
    // What Vault 1.11 honours beside the CSR: a common name when the CSR has none, a subject
    // serialNumber when it has none, and other SANs added to the CSR's.
    std::string common_name, serial_number;
    std::vector<std::string> other_sans;  // "oid;UTF8:value"
};

// A certificate issued under a role, with what the response returns beside it.
struct IssuedCert {
    crypto::Cert cert;
    std::string certificate;            // its PEM (as stored)
    std::string issuing_ca;             // the issuer's certificate, PEM
    std::vector<std::string> ca_chain;  // PEM: the issuer's certificate, then its parents
    crypto::PKey private_key;           // issue only: the key generated for it (never stored)
    std::string private_key_type;       // issue only: the role's key_type
};

IssuedCert issue_cert(Context& ctx, const IssueRequest& req);
IssuedCert sign_cert(Context& ctx, const SignRequest& req);
IssuedCert sign_verbatim(Context& ctx, const VerbatimRequest& req);

}  // namespace pki::engine
