// Reading CA certificates and issued certificates: ca, ca/pem, ca_chain, cert/:serial (with the
// special serials ca, ca_chain and crl), cert/:serial/raw[/pem], certs.
#include "engine/issuers.hpp"

#include "engine/crl.hpp"
#include "engine/records.hpp"
#include "engine/issuer_store.hpp"  // after records.hpp (it uses Json)
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::engine {

Issuer read_ca(Context& ctx) { return default_issuer(ctx.txn, ctx.mount_name()); }

namespace {

Json stored_cert(const Context& ctx, const std::string& serial_text) {
    std::string serial = x509::normalise_serial(serial_text);
    auto r = load(ctx.txn, rec_key(ctx.mount_name(), "cert", serial));
    if (!r) fail(ErrorKind::NotFound, "no certificate with serial number {} in mount {}", serial, ctx.mount_name());
    return *r;
}

}  // namespace

StoredCert read_cert(Context& ctx, const std::string& serial) {
    const auto& mount = ctx.mount_name();
    if (serial == "ca") return StoredCert{default_issuer(ctx.txn, mount).certificate, std::nullopt, 0};
    if (serial == "crl") return StoredCert{read_crl_pem(ctx), std::nullopt, 0};
    if (serial == "ca_chain") {
        auto i = default_issuer(ctx.txn, mount);
        return StoredCert{util::join(i.ca_chain, "\n"), i.ca_chain, 0};
    }
    Json r = stored_cert(ctx, serial);
    int64_t revoked = 0;
    std::string serial_text = r["serial_number"].get<std::string>();
    if (auto rev = ctx.txn.get(rec_key(mount, "revoked", serial_text))) {
        RevokedEntry e;
        if (parse_revoked(serial_text, *rev, e)) revoked = e.revocation_time;
    }
    return StoredCert{r["certificate"].get<std::string>(), std::nullopt, revoked};
}

std::string read_cert_pem(Context& ctx, const std::string& serial) {
    return stored_cert(ctx, serial)["certificate"].get<std::string>();
}

std::vector<std::string> list_certs(Context& ctx) {
    return list_kind(ctx.txn, ctx.mount_name(), "cert");
}

}  // namespace pki::engine
