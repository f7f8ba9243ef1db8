// Revocation, CRLs and tidy: revoke, config/crl, crl/rotate, the CRL reads, certs/revoked,
// tidy, tidy-status.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/crl.hpp"
#include "engine/inventory.hpp"
#include "engine/tidy.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/crl.hpp"
#include "x509/ocsp.hpp"

namespace pki::api {
namespace {

constexpr char kCrlDer[] = "application/pkix-crl";
constexpr char kCrlPem[] = "application/x-pem-file";
constexpr char kOcsp[] = "application/ocsp-response";

Response revoke(Call& c) {
    auto r = engine::revoke(c.ctx, {c.fields.str("serial_number"), c.fields.str("certificate"), c.fields.str("reason")});
    if (r.outcome == engine::RevokeOutcome::Expired) return reply(Json{{"revocation_time", 0}, {"state", "expired"}});
    return reply(Json{{"revocation_time", r.revocation_time},
                      {"revocation_time_rfc3339", util::format_utc_time(r.revocation_time)},
                      {"state", "revoked"}});
}

Json describe(const engine::CrlConfig& cfg) {
    return Json{{"expiry", util::format_duration(cfg.expiry)},
                {"disable", cfg.disable},
                {"ocsp_disable", cfg.ocsp_disable},
                {"ocsp_expiry", util::format_duration(cfg.ocsp_expiry)},
                {"auto_rebuild", cfg.auto_rebuild},
                {"auto_rebuild_grace_period", util::format_duration(cfg.auto_rebuild_grace_period)},
                {"enable_delta", cfg.enable_delta},
                {"delta_rebuild_interval", util::format_duration(cfg.delta_rebuild_interval)}};
}

Response read_crl_config(Call& c) { return reply(describe(engine::read_crl_config(c.ctx))); }

Response write_crl_config(Call& c) {
    engine::CrlConfigUpdate update;
    if (c.fields.has("expiry")) update.expiry = c.fields.duration("expiry");
    if (c.fields.has("disable")) update.disable = c.fields.boolean("disable");
    if (c.fields.has("ocsp_disable")) update.ocsp_disable = c.fields.boolean("ocsp_disable");
    if (c.fields.has("ocsp_expiry")) update.ocsp_expiry = c.fields.duration("ocsp_expiry");
    if (c.fields.has("auto_rebuild")) update.auto_rebuild = c.fields.boolean("auto_rebuild");
    if (c.fields.has("auto_rebuild_grace_period")) update.auto_rebuild_grace_period = c.fields.duration("auto_rebuild_grace_period");
    if (c.fields.has("enable_delta")) update.enable_delta = c.fields.boolean("enable_delta");
    if (c.fields.has("delta_rebuild_interval")) update.delta_rebuild_interval = c.fields.duration("delta_rebuild_interval");
    return reply(describe(engine::write_crl_config(c.ctx, update)));
}

Response rotate_crls(Call& c) {
    engine::rotate_crls(c.ctx);
    return reply(Json{{"success", true}});
}

// The CRL reads, complete or delta: the default issuer's on the paths without :issuer_ref.
std::string issuer_of(const Call& c) { return c.fields.has("issuer_ref") ? c.fields.str("issuer_ref") : "default"; }

template <engine::CrlKind K>
Response read_crl_der(Call& c) { return raw_reply(kCrlDer, engine::read_crl_der(c.ctx, issuer_of(c), K)); }

template <engine::CrlKind K>
Response read_crl_pem(Call& c) { return raw_reply(kCrlPem, engine::read_crl_pem(c.ctx, issuer_of(c), K) + "\n"); }

// cert/crl and cert/delta-crl: PEM in "certificate", as cert/:serial shows certificates.
template <engine::CrlKind K>
Response read_crl_as_cert(Call& c) { return reply(Json{{"certificate", engine::read_crl_pem(c.ctx, "default", K)}, {"revocation_time", 0}}); }

// issuer/:ref/crl and issuer/:ref/crl/delta: PEM in "crl".
template <engine::CrlKind K>
Response read_issuer_crl(Call& c) { return reply(Json{{"crl", engine::read_crl_pem(c.ctx, issuer_of(c), K)}}); }

constexpr auto kComplete = engine::CrlKind::Complete;
constexpr auto kDelta = engine::CrlKind::Delta;

Response rotate_delta_crls(Call& c) {
    engine::rotate_delta_crls(c.ctx);
    return reply(Json{{"success", true}});
}

// OCSP answers in OCSP's own terms, as Vault's responder: the response DER, or a bare OCSP status
// (malformedRequest 400, unauthorized 401, tryLater 503 when the issuer's key is on a token that is
// away, internalError 500), never the JSON error envelope.
Response ocsp_reply(int http_status, std::string der) {
    Response r = raw_reply(kOcsp, std::move(der));
    r.raw->status = http_status;
    return r;
}

// The largest request answered: enough for dozens of certificates in one request.
constexpr size_t kMaxOcspRequest = 16 * 1024;

Response ocsp(Call& c) {
    std::string encoded = c.fields.str("request");
    // pki ocsp --serial: not OCSP's protocol, so its refusals are plain errors that say what is wrong.
    if (c.fields.has("serial_number") && encoded.empty()) return ocsp_reply(200, engine::answer_ocsp_serial(c.ctx, c.fields.str("serial_number")));
    try {
        if (encoded.empty() || encoded.size() > kMaxOcspRequest * 4 / 3 + 4)
            return ocsp_reply(400, x509::ocsp_status_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST));
        return ocsp_reply(200, engine::answer_ocsp(c.ctx, util::base64_decode(encoded)));
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::Invalid) return ocsp_reply(400, x509::ocsp_status_response(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST));
        if (e.kind() == ErrorKind::Forbidden) return ocsp_reply(401, x509::ocsp_status_response(OCSP_RESPONSE_STATUS_UNAUTHORIZED));
        if (e.kind() == ErrorKind::Unavailable) return ocsp_reply(503, x509::ocsp_status_response(OCSP_RESPONSE_STATUS_TRYLATER));
        return ocsp_reply(500, x509::ocsp_status_response(OCSP_RESPONSE_STATUS_INTERNALERROR));
    }
}

Json describe(const std::vector<engine::OcspResponder>& rs) {
    Json::array_t out;
    for (const auto& r : rs)
        out.push_back(Json{{"issuer_id", r.issuer_id}, {"key_id", r.key_id}, {"certificate", r.certificate},
                           {"not_after", util::format_utc_time(r.not_after)}});
    return Json{{"responders", std::move(out)}};
}

Response read_ocsp_config(Call& c) { return reply(describe(engine::read_ocsp_responders(c.ctx))); }

Response write_ocsp_config(Call& c) {
    engine::write_ocsp_responder(c.ctx, c.fields.str("certificate"));
    return reply(describe(engine::read_ocsp_responders(c.ctx)));
}

Response delete_ocsp_config(Call& c) {
    engine::delete_ocsp_responders(c.ctx);
    return reply(nullptr);
}

Response list_revoked(Call& c) {
    auto serials = engine::list_revoked(c.ctx);
    Json::array_t keys;
    keys.reserve(serials.size());
    for (auto& s : serials) keys.emplace_back(std::move(s));
    return reply(Json{{"keys", std::move(keys)}});
}

Response inventory(Call& c) {
    const Fields& f = c.fields;
    engine::InventoryFilter filter;
    if (f.has("expiring_within")) filter.expiring_within = f.duration("expiring_within");
    filter.expired = f.boolean("expired");
    filter.revoked = f.boolean("revoked");
    filter.name = f.str("name");
    filter.issuer = f.str("issuer");
    auto rows = engine::inventory(c.ctx, filter);
    size_t n = rows.size();
    Json::array_t certificates;
    certificates.reserve(n);
    // Built field by field with moves: a million rows make this the inventory's hot loop.
    for (auto& r : rows) {
        Json::array_t sans;
        sans.reserve(r.sans.size());
        for (auto& s : r.sans) sans.emplace_back(std::move(s));
        Json row = Json::object();
        row["serial_number"] = std::move(r.serial_number);
        row["common_name"] = std::move(r.common_name);
        row["sans"] = std::move(sans);
        row["not_after"] = util::format_utc_time(r.not_after);
        row["issuer_name"] = std::move(r.issuer_name);
        row["issuer_id"] = std::move(r.issuer_id);
        row["state"] = engine::inventory_state_name(r.state);
        row["revocation_time"] = r.revocation_time;
        certificates.push_back(std::move(row));
    }
    return reply(Json{{"certificates", std::move(certificates)}, {"count", n}});
}

Json describe(const engine::TidyStatus& s) {
    auto or_null = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
    return Json{{"state", engine::tidy_state_name(s.state)},
                {"safety_buffer", or_null(s.safety_buffer)},
                {"tidy_cert_store", or_null(s.tidy_cert_store)},
                {"tidy_revoked_certs", or_null(s.tidy_revoked_certs)},
                {"error", or_null(s.error)},
                {"time_started", or_null(s.time_started)},
                {"time_finished", or_null(s.time_finished)},
                {"message", or_null(s.message)},
                {"cert_store_deleted_count", s.cert_store_deleted_count},
                {"revoked_cert_deleted_count", s.revoked_cert_deleted_count}};
}

Response tidy(BatchCall& c) {
    const Fields& f = c.fields;
    // tidy_revocation_list: Vault's older name for tidy_revoked_certs.
    engine::TidyOptions options{f.boolean("tidy_cert_store"), f.boolean("tidy_revoked_certs") || f.boolean("tidy_revocation_list"),
                                f.duration("safety_buffer")};
    auto result = engine::tidy(c.ctx, options);
    return reply(describe(result.status), std::move(result.warnings));
}

Response tidy_status(Call& c) { return reply(describe(engine::tidy_status(c.ctx))); }

// A read of a CRL: the local operator's read first rebuilds the CRLs that are due (auto_rebuild).
PathSpec crl_read(std::string pattern, std::string description, std::vector<FieldSpec> fields, Handler h, std::string summary,
                  std::vector<std::string> command) {
    OpSpec op{Op::Read, h, std::move(summary), std::move(command)};
    op.fresh_crls = true;
    return open_path(PathSpec{std::move(pattern), "crl", std::move(description), std::move(fields), {std::move(op)}});
}

}  // namespace

void add_crl_paths(Table& t) {
    t.describe_group("crl", "Read, configure and rotate the CRLs.");
    t.describe_group("ocsp-responder", "Show, set or remove the delegated OCSP responders (config/ocsp).");
    t.describe_group("tidy", "Remove expired certificates and revoked entries; show the last tidy.");

    t.add(PathSpec{"revoke", "revoke", "Revoke a stored certificate by serial number, or any certificate of the mount's issuers by its PEM.",
                   {string_field("serial_number", "Serial number, colon- or hyphen-separated hex, any case."),
                    string_field("certificate", "The PEM certificate, instead of serial_number (also for no_store certificates)."),
                    string_field("reason", "RFC 5280 revocation reason for the CRL entry and OCSP: " + x509::crl_reason_names() +
                                               " (none: no reasonCode). Not a Vault field.")},
                   {{Op::Write, revoke, "Revoke a certificate.", {"revoke"}}}});
    t.add(PathSpec{"config/crl", "crl", "CRL settings: lifetime and whether CRLs list revocations.",
                   {duration_field("expiry", "How long a CRL is valid (nextUpdate - thisUpdate). A write keeps what it leaves out.", "72h"),
                    bool_field("disable", "Serve signed empty CRLs (revocations are still recorded).", false),
                    bool_field("ocsp_disable", "Turn the OCSP responder off (its answers become OCSP unauthorized).", false),
                    duration_field("ocsp_expiry", "How long an OCSP response is valid (nextUpdate - thisUpdate); 0: no nextUpdate.", "12h"),
                    bool_field("auto_rebuild", "A revocation marks the CRL stale instead of rebuilding it; CRLs are rebuilt when due.", false),
                    duration_field("auto_rebuild_grace_period", "With auto_rebuild: rebuild the complete CRL this long before its nextUpdate.", "12h"),
                    bool_field("enable_delta", "Publish delta CRLs of the revocations since the complete CRL (needs auto_rebuild).", false),
                    duration_field("delta_rebuild_interval", "With enable_delta: how often pki serve rebuilds a delta CRL that lacks revocations.", "15m")},
                   {{Op::Read, read_crl_config, "Show the CRL settings.", {"crl", "config"}},
                    {Op::Write, write_crl_config, "Change the CRL settings and rebuild the CRLs.", {"crl", "configure"}}}});
    t.add(PathSpec{"crl/rotate", "crl", "Rebuild every issuer's CRL.", {},
                   {{Op::Read, rotate_crls, "Rebuild every CRL.", {"crl", "rotate"}, nullptr, true}, {Op::Write, rotate_crls, "Rebuild every CRL.", {}}}});
    t.add(PathSpec{"crl/rotate-delta", "crl", "Rebuild every issuer's delta CRL.", {},
                   {{Op::Read, rotate_delta_crls, "Rebuild every delta CRL.", {"crl", "rotate-delta"}, nullptr, true},
                    {Op::Write, rotate_delta_crls, "Rebuild every delta CRL.", {}}}});
    t.add(crl_read("cert/crl", "The default issuer's CRL, PEM in the certificate field.", {}, read_crl_as_cert<kComplete>, "Show the default issuer's CRL.",
                   {"crl", "read"}));
    t.add(crl_read("crl", "The default issuer's CRL, DER.", {}, read_crl_der<kComplete>, "Write the CRL as DER.", {"crl", "der"}));
    t.add(crl_read("crl/pem", "The default issuer's CRL, PEM.", {}, read_crl_pem<kComplete>, "Write the CRL as PEM.", {"crl", "pem"}));
    t.add(crl_read("issuer/:issuer_ref/crl", "An issuer's CRL, PEM in the crl field.", {issuer_ref_field()}, read_issuer_crl<kComplete>,
                   "Show an issuer's CRL.", {"issuer", "crl"}));
    t.add(crl_read("issuer/:issuer_ref/crl/der", "An issuer's CRL, DER.", {issuer_ref_field()}, read_crl_der<kComplete>,
                   "Write an issuer's CRL as DER.", {"issuer", "crl-der"}));
    t.add(crl_read("issuer/:issuer_ref/crl/pem", "An issuer's CRL, PEM.", {issuer_ref_field()}, read_crl_pem<kComplete>,
                   "Write an issuer's CRL as PEM.", {"issuer", "crl-pem"}));
    t.add(crl_read("cert/delta-crl", "The default issuer's delta CRL, PEM in the certificate field.", {}, read_crl_as_cert<kDelta>,
                   "Show the default issuer's delta CRL.", {"crl", "delta"}));
    t.add(crl_read("crl/delta", "The default issuer's delta CRL, DER.", {}, read_crl_der<kDelta>, "Write the delta CRL as DER.", {"crl", "delta-der"}));
    t.add(crl_read("crl/delta/pem", "The default issuer's delta CRL, PEM.", {}, read_crl_pem<kDelta>, "Write the delta CRL as PEM.",
                   {"crl", "delta-pem"}));
    t.add(crl_read("issuer/:issuer_ref/crl/delta", "An issuer's delta CRL, PEM in the crl field.", {issuer_ref_field()}, read_issuer_crl<kDelta>,
                   "Show an issuer's delta CRL.", {"issuer", "crl-delta"}));
    t.add(crl_read("issuer/:issuer_ref/crl/delta/der", "An issuer's delta CRL, DER.", {issuer_ref_field()}, read_crl_der<kDelta>,
                   "Write an issuer's delta CRL as DER.", {"issuer", "crl-delta-der"}));
    t.add(crl_read("issuer/:issuer_ref/crl/delta/pem", "An issuer's delta CRL, PEM.", {issuer_ref_field()}, read_crl_pem<kDelta>,
                   "Write an issuer's delta CRL as PEM.", {"issuer", "crl-delta-pem"}));
    t.add(PathSpec{"config/ocsp", "crl",
                   "Delegated OCSP responders (RFC 6960 4.2.2.2): a certificate with the OCSPSigning extended key usage, issued by an "
                   "issuer of the mount and with its key in the mount, signs that issuer's answers. Not a Vault path.",
                   {string_field("certificate", "The responder certificate (PEM); its key must be in the mount (keys/import).")},
                   {{Op::Read, read_ocsp_config, "Show the delegated OCSP responders.", {"ocsp-responder", "read"}},
                    {Op::Write, write_ocsp_config, "Set the delegated OCSP responder of the issuer that signed the certificate.",
                     {"ocsp-responder", "write"}},
                    {Op::Delete, delete_ocsp_config, "Remove every delegated responder: issuers sign their own answers.",
                     {"ocsp-responder", "delete"}}}});
    // Over HTTP a POST of application/ocsp-request reads here with the body as `request`.
    t.add(open_path(PathSpec{"ocsp", "crl", "The OCSP responder (RFC 6960): a DER OCSPRequest in, a DER OCSPResponse out.",
                             {string_field("request", "The DER OCSPRequest, base64 (over HTTP: the body of a POST of application/ocsp-request)."),
                              string_field("serial_number", "Instead of a request: answer for this serial number of the mount (pki ocsp --serial).")},
                             {{Op::Read, ocsp, "Answer an OCSP request.", {}}}}));
    t.add(open_path(PathSpec{"ocsp/*request", "crl", "The OCSP responder over GET (RFC 6960 A.1): the request base64 in the path.", {},
                             {{Op::Read, ocsp, "Answer an OCSP request given in the path.", {}}}}));
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
                    bool_field("tidy_revocation_list", "Vault's older name for tidy_revoked_certs.", false),
                    duration_field("safety_buffer", "How long past expiry an entry is kept (must be positive).", "72h")},
                   {{Op::Write, nullptr, "Tidy the store.", {"tidy", "run"}, tidy}}});
    t.add(PathSpec{"tidy-status", "tidy", "The state of the running or last tidy.", {},
                   {{Op::Read, tidy_status, "Show the tidy status.", {"tidy", "status"}}}});
}

}  // namespace pki::api
