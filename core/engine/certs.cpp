// Reading CA certificates and issued certificates: ca, ca/pem, ca_chain, cert/:serial (with the
// special serials ca and ca_chain), cert/:serial/raw[/pem], certs.
#include "engine/issuers.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include "crypto/keys.hpp"
#include "crypto/random.hpp"
#include "engine/crl.hpp"
#include "engine/issuance.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/build.hpp"
#include "x509/cert.hpp"
#include "engine/issuer_store.hpp"

namespace pki::engine {

api::Response read_ca_der(Context& ctx) {
    return api::raw_reply("application/pkix-cert", x509::cert_der(default_issuer(ctx.txn, ctx.mount_name()).cert().get()));
}

api::Response read_ca_pem(Context& ctx) {
    return api::raw_reply("application/pem-certificate-chain", default_issuer(ctx.txn, ctx.mount_name()).certificate + "\n");
}

api::Response read_ca_chain_pem(Context& ctx) {
    auto i = default_issuer(ctx.txn, ctx.mount_name());
    return api::raw_reply("application/pem-certificate-chain", util::join(i.ca_chain, "\n") + "\n");
}

namespace {

Json stored_cert(const Context& ctx, const std::string& serial_text) {
    std::string serial = x509::normalise_serial(serial_text);
    auto r = load(ctx.txn, rec_key(ctx.mount_name(), "cert", serial));
    if (!r) fail(ErrorKind::NotFound, "no certificate with serial number {} in mount {}", serial, ctx.mount_name());
    return *r;
}

}  // namespace

api::Response read_cert(Context& ctx) {
    std::string serial = ctx.fields.str("serial");
    const auto& mount = ctx.mount_name();
    if (serial == "ca") return api::reply(Json{{"certificate", default_issuer(ctx.txn, mount).certificate}, {"revocation_time", 0}});
    if (serial == "crl") return api::reply(Json{{"certificate", default_crl_pem(ctx)}, {"revocation_time", 0}});
    if (serial == "ca_chain") {
        auto i = default_issuer(ctx.txn, mount);
        return api::reply(Json{{"certificate", util::join(i.ca_chain, "\n")}, {"ca_chain", i.ca_chain}, {"revocation_time", 0}});
    }
    Json r = stored_cert(ctx, serial);
    int64_t revoked = 0;
    std::string serial_text = r["serial_number"].get<std::string>();
    if (auto rev = ctx.txn.get(rec_key(mount, "revoked", serial_text))) {
        RevokedEntry e;
        if (parse_revoked(serial_text, *rev, e)) revoked = e.revocation_time;
    }
    Json data{{"certificate", r["certificate"]}, {"revocation_time", revoked}};
    if (revoked) data["revocation_time_rfc3339"] = util::format_utc_time(revoked);
    return api::reply(std::move(data));
}

api::Response read_cert_raw(Context& ctx) {
    Json r = stored_cert(ctx, ctx.fields.str("serial"));
    return api::raw_reply("application/pkix-cert", x509::cert_der(x509::parse_cert(r["certificate"].get<std::string>()).get()));
}

api::Response read_cert_raw_pem(Context& ctx) {
    Json r = stored_cert(ctx, ctx.fields.str("serial"));
    return api::raw_reply("application/pem-certificate-chain", r["certificate"].get<std::string>() + "\n");
}

api::Response list_certs(Context& ctx) { return api::reply(list_kind(ctx.txn, ctx.mount_name(), "cert")); }

}  // namespace pki::engine
