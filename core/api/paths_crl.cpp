// Revocation, CRLs and tidy: revoke, config/crl, crl/rotate, the CRL reads, certs/revoked,
// tidy, tidy-status.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/crl.hpp"
#include "engine/inventory.hpp"
#include "engine/tidy.hpp"

namespace pki::api {

void add_crl_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("crl", "Read, configure and rotate the CRLs.");
    t.describe_group("tidy", "Remove expired certificates and revoked entries; show the last tidy.");

    t.add(PathSpec{"revoke", "revoke", "Revoke a stored certificate by serial number, or any certificate of the mount's issuers by its PEM.",
                   {string_field("serial_number", "Serial number, colon- or hyphen-separated hex, any case."),
                    string_field("certificate", "The PEM certificate, instead of serial_number (also for no_store certificates).")},
                   {{Op::Write, revoke, "Revoke a certificate.", {"revoke"}}}});
    t.add(PathSpec{"config/crl", "crl", "CRL settings: lifetime and whether CRLs list revocations.",
                   {duration_field("expiry", "How long a CRL is valid (nextUpdate - thisUpdate). A write keeps what it leaves out.", "72h"),
                    bool_field("disable", "Serve signed empty CRLs (revocations are still recorded).", false)},
                   {{Op::Read, read_crl_config, "Show the CRL settings.", {"crl", "config"}},
                    {Op::Write, write_crl_config, "Change the CRL settings and rebuild the CRLs.", {"crl", "configure"}}}});
    t.add(PathSpec{"crl/rotate", "crl", "Rebuild every issuer's CRL.", {},
                   {{Op::Read, rotate_crls, "Rebuild every CRL.", {"crl", "rotate"}, nullptr, true}, {Op::Write, rotate_crls, "Rebuild every CRL.", {}}}});
    t.add(PathSpec{"cert/crl", "crl", "The default issuer's CRL, PEM in the certificate field.", {},
                   {{Op::Read, read_crl_json, "Show the default issuer's CRL.", {"crl", "read"}}}});
    t.add(PathSpec{"crl", "crl", "The default issuer's CRL, DER.", {}, {{Op::Read, read_crl_der, "Write the CRL as DER.", {"crl", "der"}}}});
    t.add(PathSpec{"crl/pem", "crl", "The default issuer's CRL, PEM.", {}, {{Op::Read, read_crl_pem, "Write the CRL as PEM.", {"crl", "pem"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/crl", "crl", "An issuer's CRL, PEM in the crl field.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_crl, "Show an issuer's CRL.", {"issuer", "crl"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/crl/der", "crl", "An issuer's CRL, DER.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_crl_der, "Write an issuer's CRL as DER.", {"issuer", "crl-der"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/crl/pem", "crl", "An issuer's CRL, PEM.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_crl_pem, "Write an issuer's CRL as PEM.", {"issuer", "crl-pem"}}}});
    t.add(PathSpec{"certs/revoked", "cert", "Serial numbers of revoked certificates.", {},
                   {{Op::List, list_revoked, "List revoked serial numbers.", {"cert", "revoked"}}}});
    t.add(PathSpec{"certs/inventory", "cert",
                   "Every stored certificate with its common name, SANs, expiry, issuer and state (valid, expired, revoked), filtered.",
                   {duration_field("expiring_within", "Only certificates that are still valid and expire within this duration."),
                    bool_field("expired", "Only expired certificates.", false),
                    bool_field("revoked", "Only revoked certificates.", false),
                    string_field("issuer", "Only certificates of this issuer (id, name or \"default\")."),
                    string_field("name", "Only certificates whose common name or a SAN matches this glob (* matches anything).")},
                   {{Op::Read, inventory, "Show the certificate inventory.", {}}}});
    t.add(PathSpec{"tidy", "tidy", "Remove certificates and revoked entries expired longer than safety_buffer ago, then rebuild CRLs.",
                   {bool_field("tidy_cert_store", "Remove expired certificates from the store.", false),
                    bool_field("tidy_revoked_certs", "Remove expired revoked entries (and their CRL entries).", false),
                    duration_field("safety_buffer", "How long past expiry an entry is kept (must be positive).", "72h")},
                   {{Op::Write, nullptr, "Tidy the store.", {"tidy", "run"}, tidy}}});
    t.add(PathSpec{"tidy-status", "tidy", "The state of the running or last tidy.", {},
                   {{Op::Read, tidy_status, "Show the tidy status.", {"tidy", "status"}}}});
}

}  // namespace pki::api
