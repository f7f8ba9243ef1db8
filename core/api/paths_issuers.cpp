// Issuers and what reads them: issuers, issuer/:ref, config/issuers, config/urls, the CA
// certificate and chain, and the certificate store.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::api {

namespace {

std::vector<FieldSpec> issuer_update_fields() {
    return {
        issuer_ref_field(),
        string_field("issuer_name", "Name of the issuer; unique in the mount, and not \"default\".", ""),
        string_field("leaf_not_after_behavior", "When a certificate would outlive the issuer: err, truncate or permit.", "err",
                     {"err", "truncate", "permit"}),
        list_field("manual_chain", "Issuers (ids or names) forming this issuer's chain, starting with itself; empty: automatic."),
        list_field("usage", "Allowed uses: read-only, issuing-certificates, crl-signing, ocsp-signing.",
                   {"read-only", "issuing-certificates", "crl-signing", "ocsp-signing"}),
    };
}

// The issuer as issuer/:ref reads it.
Json describe(const engine::Issuer& i) {
    return Json{{"issuer_id", i.id},
                {"issuer_name", i.name},
                {"key_id", i.key_id},
                {"certificate", i.certificate},
                {"ca_chain", i.ca_chain},
                {"leaf_not_after_behavior", engine::leaf_not_after_name(i.leaf_not_after_behavior)},
                {"manual_chain", i.manual_chain.empty() ? Json() : Json(i.manual_chain)},
                {"usage", util::join(engine::issuer_usage_names(i.usage), ",")}};
}

std::optional<std::vector<std::string>> given_list(const Fields& f, const std::string& name) {
    if (!f.has(name)) return std::nullopt;
    return f.list(name);
}

// A write sets every setting (absent fields take their defaults, usage all of them); a patch
// only the given ones.
engine::IssuerUpdate issuer_update(const Fields& f, bool patch) {
    auto given = [&](const char* name) { return !patch || f.has(name); };
    engine::IssuerUpdate u;
    if (given("issuer_name")) u.name = f.str("issuer_name");
    if (given("leaf_not_after_behavior")) {
        std::string b = f.str("leaf_not_after_behavior");
        auto parsed = engine::parse_leaf_not_after(b);
        if (!parsed) fail(ErrorKind::Invalid, "leaf_not_after_behavior \"{}\" is not supported; use err, truncate or permit", b);
        u.leaf_not_after_behavior = *parsed;
    }
    if (given("usage")) u.usage = f.has("usage") ? engine::parse_issuer_usage(f.list("usage")) : engine::IssuerUsage::all();
    if (given("manual_chain")) u.manual_chain = f.list("manual_chain");
    return u;
}

Response list_issuers(Call& c) {
    Json keys = Json::array(), info = Json::object();
    std::string def = engine::default_issuer_id(c.ctx.txn, c.ctx.mount_name());
    for (const auto& i : engine::list_issuers(c.ctx)) {
        keys.push_back(i.id);
        info[i.id] = Json{{"issuer_name", i.name}, {"is_default", i.id == def}};
    }
    return reply(Json{{"keys", keys}, {"key_info", info}});
}

Response read_issuer(Call& c) { return reply(describe(engine::read_issuer(c.ctx, c.fields.str("issuer_ref")))); }

Response write_issuer(Call& c) {
    return reply(describe(engine::update_issuer(c.ctx, c.fields.str("issuer_ref"), issuer_update(c.fields, false))));
}

Response patch_issuer(Call& c) {
    return reply(describe(engine::update_issuer(c.ctx, c.fields.str("issuer_ref"), issuer_update(c.fields, true))));
}

Response delete_issuer(Call& c) {
    engine::delete_issuer(c.ctx, c.fields.str("issuer_ref"));
    return reply(nullptr);
}

Response read_issuer_json(Call& c) {
    auto i = engine::read_issuer(c.ctx, c.fields.str("issuer_ref"));
    return reply(Json{{"certificate", i.certificate}, {"ca_chain", i.ca_chain}, {"issuer_id", i.id}, {"issuer_name", i.name}, {"revocation_time", 0}});
}

Response read_issuer_der(Call& c) {
    auto i = engine::read_issuer(c.ctx, c.fields.str("issuer_ref"));
    return raw_reply("application/pkix-cert", x509::cert_der(i.cert().get()));
}

Response read_issuer_pem(Call& c) {
    auto i = engine::read_issuer(c.ctx, c.fields.str("issuer_ref"));
    return raw_reply("application/pem-file", i.certificate + "\n");
}

Response read_issuers_config(Call& c) { return reply(Json{{"default", engine::read_issuers_config(c.ctx)}}); }

Response write_issuers_config(Call& c) { return reply(Json{{"default", engine::write_issuers_config(c.ctx, c.fields.str("default"))}}); }

Response read_urls(Call& c) { return reply(engine::urls_json(engine::read_urls(c.ctx))); }

Response write_urls(Call& c) {
    engine::UrlsUpdate u{given_list(c.fields, "issuing_certificates"), given_list(c.fields, "crl_distribution_points"),
                         given_list(c.fields, "ocsp_servers"), given_list(c.fields, "delta_crl_distribution_points")};
    return reply(engine::urls_json(engine::write_urls(c.ctx, u)));
}

Response read_ca_der(Call& c) { return raw_reply("application/pkix-cert", x509::cert_der(engine::read_ca(c.ctx).cert().get())); }

Response read_ca_pem(Call& c) { return raw_reply("application/pem-file", engine::read_ca(c.ctx).certificate + "\n"); }

Response read_ca_chain_pem(Call& c) {
    auto i = engine::read_ca(c.ctx);
    return raw_reply("application/pkix-cert", util::join(i.ca_chain, "\n") + "\n");  // PEM, with Vault's media type
}

Response read_cert(Call& c) {
    auto cert = engine::read_cert(c.ctx, c.fields.str("serial"));
    Json data{{"certificate", cert.certificate}, {"revocation_time", cert.revocation_time}};
    if (cert.ca_chain) data["ca_chain"] = *cert.ca_chain;
    if (cert.revocation_time) data["revocation_time_rfc3339"] = util::format_utc_time(cert.revocation_time);
    return reply(std::move(data));
}

Response read_cert_raw(Call& c) {
    std::string pem = engine::read_cert_pem(c.ctx, c.fields.str("serial"));
    return raw_reply("application/pkix-cert", x509::cert_der(x509::parse_cert(pem).get()));
}

Response read_cert_raw_pem(Call& c) {
    return raw_reply("application/pem-file", engine::read_cert_pem(c.ctx, c.fields.str("serial")) + "\n");
}

Response list_certs(Call& c) {
    Json keys = Json::array();
    for (auto& serial : engine::list_certs(c.ctx)) keys.push_back(std::move(serial));
    return reply(Json{{"keys", std::move(keys)}});
}

}  // namespace

void add_issuer_paths(Table& t) {
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
    t.add(open_path(PathSpec{"issuer/:issuer_ref/json", "issuer", "An issuer's certificate and chain, as JSON.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_json, "Show an issuer's certificate and chain.", {"issuer", "json"}}}}));
    t.add(open_path(PathSpec{"issuer/:issuer_ref/der", "issuer", "An issuer's certificate, DER.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_der, "Write an issuer's certificate as DER.", {"issuer", "der"}}}}));
    t.add(open_path(PathSpec{"issuer/:issuer_ref/pem", "issuer", "An issuer's certificate, PEM.", {issuer_ref_field()},
                   {{Op::Read, read_issuer_pem, "Write an issuer's certificate as PEM.", {"issuer", "pem"}}}}));
    t.add(PathSpec{"config/issuers", "config", "The mount's default issuer.",
                   {string_field("default", "Issuer (id or name) to make the default.")},
                   {{Op::Read, read_issuers_config, "Show the default issuer.", {"config", "issuers", "read"}},
                    {Op::Write, write_issuers_config, "Set the default issuer.", {"config", "issuers", "write"}}}});
    // Vault's alias of config/issuers for rotating roots: the default issuer becomes "next" unless told.
    t.add(PathSpec{"root/replace", "root", "Make an issuer the default (default: the one named next, as root/rotate names it).",
                   {string_field("default", "Issuer (id or name) to make the default.", "next")},
                   {{Op::Write, write_issuers_config, "Make an issuer the default.", {"root", "replace"}}}});
    t.add(PathSpec{"config/urls", "config", "URLs written into issued certificates (AIA issuing certificates, CRL distribution points, OCSP).",
                   {list_field("issuing_certificates", "Issuing certificate (CA) URLs."),
                    list_field("crl_distribution_points", "CRL distribution point URLs."),
                    list_field("ocsp_servers", "OCSP server URLs."),
                    list_field("delta_crl_distribution_points", "Delta CRL URLs: the Freshest CRL extension of issued certificates and complete CRLs.")},
                   {{Op::Read, read_urls, "Show the URLs.", {"config", "urls", "read"}},
                    {Op::Write, write_urls, "Set the URLs (only the given ones change; empty clears).", {"config", "urls", "write"}}}});

    t.add(open_path(PathSpec{"ca", "ca", "The default issuer's certificate, DER.", {},
                   {{Op::Read, read_ca_der, "Write the CA certificate as DER.", {"ca", "der"}}}}));
    t.add(open_path(PathSpec{"ca/pem", "ca", "The default issuer's certificate, PEM.", {},
                   {{Op::Read, read_ca_pem, "Write the CA certificate as PEM.", {"ca", "pem"}}}}));
    t.add(open_path(PathSpec{"ca_chain", "ca", "The default issuer's chain, PEM.", {},
                   {{Op::Read, read_ca_chain_pem, "Write the CA chain as PEM.", {"ca", "chain"}}}}));
    t.add(open_path(PathSpec{"cert/:serial", "cert", "A stored certificate by serial number, or the special serials ca, ca_chain, crl.",
                   {path_field("serial", "Serial number (colon- or hyphen-separated hex), or ca, ca_chain, crl.")},
                   {{Op::Read, read_cert, "Show a certificate and its revocation time.", {"cert", "read"}}}}));
    t.add(open_path(PathSpec{"cert/:serial/raw", "cert", "A stored certificate, DER.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw, "Write a certificate as DER.", {"cert", "der"}}}}));
    t.add(open_path(PathSpec{"cert/:serial/raw/pem", "cert", "A stored certificate, PEM.", {path_field("serial", "Serial number.")},
                   {{Op::Read, read_cert_raw_pem, "Write a certificate as PEM.", {"cert", "pem"}}}}));
    t.add(PathSpec{"certs", "cert", "Serial numbers of the stored certificates.", {},
                   {{Op::List, list_certs, "List serial numbers.", {"cert", "serials"}}}});
}

}  // namespace pki::api
