// Issuers and what reads them: issuers, issuer/:ref, config/issuers, config/urls, the CA
// certificate and chain, and the certificate store.
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"

namespace pki::api {

namespace {

std::vector<FieldSpec> issuer_update_fields() {
    return {
        issuer_ref_field(),
        string_field("issuer_name", "Name of the issuer; unique in the mount, and not \"default\".", ""),
        string_field("leaf_not_after_behavior", "When a certificate would outlive the issuer: err, truncate or permit.", "err",
                     {"err", "truncate", "permit"}),
        list_field("manual_chain", "Issuers (ids or names) forming this issuer's chain, starting with itself; empty: automatic."),
        list_field("usage", "Allowed uses: read-only, issuing-certificates, crl-signing.", {"read-only", "issuing-certificates", "crl-signing"}),
    };
}

}  // namespace

void add_issuer_paths(Table& t) {
    using namespace pki::engine;
    t.describe_group("issuer", "List, read, rename, configure and delete issuers; per-issuer signing.");
    t.describe_group("ca", "Read the default issuer's certificate and chain.");
    t.describe_group("cert", "Read and list the certificates of the store.");

    t.add(PathSpec{"issuers", "issuer", "The issuers of the mount.", {},
                   {{Op::List, list_issuers, "List issuers with their names.", {"issuer", "list"}}}});
    t.add(PathSpec{"issuer/:issuer_ref", "issuer", "One issuer, by id, name or \"default\".", issuer_update_fields(),
                   {{Op::Read, read_issuer, "Show an issuer.", {"issuer", "read"}},
                    {Op::Write, write_issuer, "Replace an issuer's settings (omitted fields take their defaults).", {"issuer", "write"}},
                    {Op::Patch, patch_issuer, "Change only the given settings of an issuer.", {"issuer", "patch"}},
                    {Op::Delete, delete_issuer, "Delete an issuer (its key stays).", {"issuer", "delete"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/json", "issuer", "An issuer's certificate and chain, as JSON.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_json, "Show an issuer's certificate and chain.", {"issuer", "json"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/der", "issuer", "An issuer's certificate, DER.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_der, "Write an issuer's certificate as DER.", {"issuer", "der"}}}});
    t.add(PathSpec{"issuer/:issuer_ref/pem", "issuer", "An issuer's certificate, PEM.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_pem, "Write an issuer's certificate as PEM.", {"issuer", "pem"}}}});
    t.add(PathSpec{"config/issuers", "config", "The mount's default issuer.",
                   {string_field("default", "Issuer (id or name) to make the default.")},
                   {{Op::Read, read_issuers_config, "Show the default issuer.", {"config", "issuers", "read"}},
                    {Op::Write, write_issuers_config, "Set the default issuer.", {"config", "issuers", "write"}}}});
    t.add(PathSpec{"config/urls", "config", "URLs written into issued certificates (AIA issuing certificates, CRL distribution points, OCSP).",
                   {list_field("issuing_certificates", "Issuing certificate (CA) URLs."),
                    list_field("crl_distribution_points", "CRL distribution point URLs."),
                    list_field("ocsp_servers", "OCSP server URLs.")},
                   {{Op::Read, read_urls, "Show the URLs.", {"config", "urls", "read"}},
                    {Op::Write, write_urls, "Set the URLs (only the given ones change; empty clears).", {"config", "urls", "write"}}}});

    t.add(PathSpec{"ca", "ca", "The default issuer's certificate, DER.", {},
                   {{Op::Read, read_ca_der, "Write the CA certificate as DER.", {"ca", "der"}}}});
    t.add(PathSpec{"ca/pem", "ca", "The default issuer's certificate, PEM.", {},
                   {{Op::Read, read_ca_pem, "Write the CA certificate as PEM.", {"ca", "pem"}}}});
    t.add(PathSpec{"ca_chain", "ca", "The default issuer's chain, PEM.", {},
                   {{Op::Read, read_ca_chain_pem, "Write the CA chain as PEM.", {"ca", "chain"}}}});
    t.add(PathSpec{"cert/:serial", "cert", "A stored certificate by serial number, or the special serials ca, ca_chain, crl.",
                   {path_field("serial", "Serial number (colon- or hyphen-separated hex), or ca, ca_chain, crl.")},
                   {{Op::Read, read_cert, "Show a certificate and its revocation time.", {"cert", "read"}}}});
    t.add(PathSpec{"cert/:serial/raw", "cert", "A stored certificate, DER.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw, "Write a certificate as DER.", {"cert", "der"}}}});
    t.add(PathSpec{"cert/:serial/raw/pem", "cert", "A stored certificate, PEM.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw_pem, "Write a certificate as PEM.", {"cert", "pem"}}}});
    t.add(PathSpec{"certs", "cert", "Serial numbers of the stored certificates.", {},
                   {{Op::List, list_certs, "List serial numbers.", {"cert", "serials"}}}});
}

}  // namespace pki::api
