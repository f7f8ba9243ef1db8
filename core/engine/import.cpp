// Importing PEM bundles of CA certificates and keys: issuers/import/bundle, issuers/import/cert
// (and the certificates of intermediate/set-signed).
#include <optional>

#include "crypto/keys.hpp"
#include "engine/ca.hpp"
#include "engine/records.hpp"  // Json, for issuer_store.hpp
#include "engine/issuer_store.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::engine {

ImportResult import_pem(Context& ctx, const std::string& pem, bool allow_keys, const char* field) {
    const auto& mount = ctx.mount_name();
    auto blocks = x509::pem_blocks(pem);
    if (blocks.empty())
        fail(ErrorKind::Invalid, "{} holds no PEM block; give PEM certificates{}", field, allow_keys ? " and keys" : "");
    std::vector<crypto::Cert> certs;
    std::vector<crypto::PKey> keys;
    for (const auto& b : blocks) {
        if (b.label == "CERTIFICATE") {
            auto c = x509::parse_cert(b.text);
            std::string what = fmt::format("certificate \"{}\"", x509::common_name(X509_get_subject_name(c.get())));
            x509::refuse_weak_signature(X509_get_signature_nid(c.get()), what);
            crypto::refuse_weak_key(X509_get0_pubkey(c.get()), what);
            if (!x509::is_ca(c.get()))
                fail(ErrorKind::Invalid, "certificate \"{}\" in {} is not a CA certificate (no CA:TRUE basic constraint); only CA certificates can be issuers",
                     x509::common_name(X509_get_subject_name(c.get())), field);
            certs.push_back(std::move(c));
        } else if (util::ends_with(b.label, "PRIVATE KEY")) {
            if (!allow_keys)
                fail(ErrorKind::Invalid, "{} contains a private key, which this path does not accept; use issuers/import/bundle", field);
            keys.push_back(crypto::parse_private_key(b.text));
        } else if (b.label != "X509 CRL") {
            fail(ErrorKind::Invalid, "{} contains a \"{}\" PEM block; only certificates{} are accepted", field, b.label,
                 allow_keys ? " and private keys" : "");
        }
    }
    ImportResult r;
    for (auto& k : keys) {
        bool existed = false;
        KeyEntry e = store_key(ctx, k.get(), "", &existed);
        if (!existed) r.imported_keys.push_back(e.id);
    }
    auto existing = all_issuers(ctx.txn, mount);
    for (auto& c : certs) {
        std::string der = x509::cert_der(c.get());
        std::optional<Issuer> same;
        for (const auto& i : existing)
            if (x509::cert_der(i.cert().get()) == der) same = i;
        if (!same) {
            auto key = find_key_by_public(ctx.txn, mount, x509::public_key_der(c.get()));
            same = add_issuer(ctx, c.get(), key ? key->id : "", "");
            existing.push_back(*same);
            r.imported_issuers.push_back(same->id);
        }
        r.mapping[same->id] = same->key_id;
    }
    link_issuer_keys(ctx);
    for (auto& [id, key] : r.mapping)
        if (auto i = find_issuer(ctx.txn, mount, id)) key = i->key_id;
    if (r.imported_issuers.empty() && r.imported_keys.empty() && (!certs.empty() || !keys.empty()))
        ctx.warnings.push_back("everything in the bundle was already present; nothing was imported");
    return r;
}

ImportResult import_bundle(Context& ctx, const std::string& pem_bundle) { return import_pem(ctx, pem_bundle, true, "pem_bundle"); }

ImportResult import_cert(Context& ctx, const std::string& pem_bundle) { return import_pem(ctx, pem_bundle, false, "pem_bundle"); }

}  // namespace pki::engine
