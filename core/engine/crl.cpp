#include "engine/crl.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "store/codec.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"
#include "x509/crl.hpp"

namespace pki::engine {
namespace {

std::string group_of(X509* cert);

}  // namespace

std::string crl_group(X509* cert) { return group_of(cert); }

namespace {

// Issuers sharing subject and key share a CRL: the group id is a hash of both.
std::string group_of(X509* cert) {
    std::string material = x509::name_der(X509_get_subject_name(cert)) + x509::public_key_der(cert);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), md);
    std::string hex;
    for (int i = 0; i < 16; ++i) hex += fmt::format("{:02x}", md[i]);
    return hex;
}

std::string der_key(const std::string& mount, const std::string& group) { return rec_key(mount, "crl", group + "/der"); }
std::string meta_key(const std::string& mount, const std::string& group) { return rec_key(mount, "crl", group + "/meta"); }

bool can_sign_crls(const Issuer& i, X509* cert) {
    return i.can(IssuerUse::CrlSigning) && !i.key_id.empty() && (X509_get_key_usage(cert) & KU_CRL_SIGN);
}

std::string label_of(const Issuer& i) { return i.name.empty() ? i.id : i.name; }

// The CRL bytes an issuer serves; Error(NotFound) when it has none.
std::string crl_der_for(const Context& ctx, const Issuer& issuer) {
    auto cert = issuer.cert();
    std::string key = der_key(ctx.mount_name(), group_of(cert.get()));
    auto der = ctx.txn.get(key);
    if (!der)
        fail(ErrorKind::NotFound, "issuer {} has no CRL (it needs a key, crl-signing usage and the cRLSign key usage); see pki read {}/issuer/{}",
             label_of(issuer), ctx.mount_name(), issuer.id);
    Json j = store::decode(key, *der);  // raw DER from before the codec reads as bytes too
    if (!j.is_binary()) fail(ErrorKind::Storage, "state directory: record {} is damaged (not a CRL); rotate the CRL with: pki read {}/crl/rotate", key, ctx.mount_name());
    const auto& bytes = j.get_binary();
    return std::string(bytes.begin(), bytes.end());
}

Issuer default_or_fail(const Context& ctx) { return require_issuer(ctx.txn, ctx.mount_name(), "default"); }

}  // namespace

bool parse_revoked(std::string_view serial, std::string_view value, RevokedEntry& out) {
    out.serial = std::string(serial);
    Json j = store::decode(fmt::format("revoked/{}", serial), value);
    if (j.is_binary()) {  // written before the record codec: "v1 <revoked> <not_after> <issuer>"
        std::string_view text(reinterpret_cast<const char*>(j.get_binary().data()), j.get_binary().size());
        auto parts = util::split(text, ' ');
        if (parts.size() != 4 || parts[0] != "v1") return false;
        std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), out.revocation_time);
        std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), out.not_after);
        out.issuer_id = std::string(parts[3]);
        if (out.issuer_id == "-") out.issuer_id.clear();
        return true;
    }
    if (!j.is_array() || j.size() != 3 || !j[0].is_number_integer() || !j[1].is_number_integer() || !j[2].is_string())
        fail(ErrorKind::Storage, "state directory: revoked entry {} is damaged (unexpected fields); restore the state directory from a backup",
             serial);
    out.revocation_time = j[0].get<int64_t>();
    out.not_after = j[1].get<int64_t>();
    out.issuer_id = j[2].get<std::string>();
    return true;
}

std::string format_revoked(const RevokedEntry& e) {
    return store::encode(Json::array({e.revocation_time, e.not_after, e.issuer_id}));
}

CrlConfig load_crl_config(const store::Txn& txn, const std::string& mount) {
    CrlConfig c;
    if (auto r = load(txn, rec_key(mount, "config", "crl"))) {
        c.expiry = r->value("expiry", c.expiry);
        c.disable = r->value("disable", false);
    }
    return c;
}

void rebuild_crl(Context& ctx, const std::string& issuer_id, std::vector<std::string>* warnings) {
    const auto& mount = ctx.mount_name();
    auto issuers = all_issuers(ctx.txn, mount);
    auto found = std::find_if(issuers.begin(), issuers.end(), [&](const Issuer& i) { return i.id == issuer_id; });
    if (found == issuers.end()) return;
    const Issuer target = *found;  // a copy: `issuers` is sorted below
    auto target_cert = target.cert();
    std::string group = group_of(target_cert.get());

    // Members of the group, and which issuer of the mount each revoked entry belongs to.
    std::map<std::string, std::string> group_by_issuer;
    const Issuer* signer = nullptr;
    crypto::Cert signer_cert;
    std::sort(issuers.begin(), issuers.end(), [](const Issuer& a, const Issuer& b) { return a.created < b.created; });
    for (const auto& i : issuers) {
        auto c = i.cert();
        std::string g = group_of(c.get());
        group_by_issuer[i.id] = g;
        if (g == group && !signer && can_sign_crls(i, c.get())) {
            signer = &i;
            signer_cert = std::move(c);
        }
    }
    if (!signer) {
        // Without crl-signing an issuer's CRL is frozen, as the reference describes retiring an
        // issuer: the last one it signed stays served, unchanged.
        if (warnings)
            warnings->push_back(fmt::format(
                "issuer {} cannot sign CRLs (it needs a key, crl-signing usage and the cRLSign key usage); {}", label_of(target),
                ctx.txn.get(der_key(mount, group)) ? "its last CRL stays as it is (frozen) and does not list new revocations"
                                                   : "it has no CRL"));
        return;
    }
    std::string default_group = group_by_issuer.count(default_issuer_id(ctx.txn, mount)) ? group_by_issuer[default_issuer_id(ctx.txn, mount)] : "";
    auto cfg = load_crl_config(ctx.txn, mount);

    int64_t number = 1;
    if (auto meta = load(ctx.txn, meta_key(mount, group))) number = meta->value("crl_number", int64_t{0}) + 1;

    // Pull revoked entries one at a time from a cursor: the store's certificates are never loaded.
    std::vector<std::pair<std::string, int64_t>> batch;
    std::string prefix = rec_prefix(mount, "revoked");
    std::string resume = prefix;
    bool exhausted = cfg.disable;
    size_t pos = 0;
    auto refill = [&] {
        batch.clear();
        pos = 0;
        bool skip_first = resume != prefix;
        ctx.txn.scan_from(prefix, resume, [&](std::string_view key, std::string_view value) {
            if (skip_first) {
                skip_first = false;
                if (key == resume) return true;
            }
            resume = std::string(key);
            RevokedEntry e;
            if (parse_revoked(key.substr(prefix.size()), value, e)) {
                auto it = group_by_issuer.find(e.issuer_id);
                const std::string& g = it == group_by_issuer.end() ? default_group : it->second;
                if (g == group) batch.emplace_back(e.serial, e.revocation_time);
            }
            return batch.size() < 4096;
        });
        if (batch.empty()) exhausted = true;
    };
    auto crl = x509::build_crl(signer_cert.get(), load_private_key(ctx, signer->key_id).get(),
                               x509::CrlSpec{number, ctx.now, ctx.now + cfg.expiry}, [&](x509::CrlEntry& out) {
                                   if (exhausted) return false;
                                   if (pos >= batch.size()) refill();
                                   if (exhausted) return false;
                                   out.serial_hex = batch[pos].first;
                                   out.revocation_time = batch[pos].second;
                                   ++pos;
                                   return true;
                               });
    {
        std::string der = x509::crl_der(crl.get());
        ctx.txn.put(der_key(mount, group), store::encode(Json::binary(Json::binary_t::container_type(der.begin(), der.end()))));
    }
    save(ctx.txn, meta_key(mount, group),
         Json{{"crl_number", number}, {"this_update", ctx.now}, {"next_update", ctx.now + cfg.expiry}, {"signer", signer->id}});
}

void crl_after_issuer_deleted(Context& ctx, X509* deleted_cert) {
    std::string group = group_of(deleted_cert);
    for (const auto& i : all_issuers(ctx.txn, ctx.mount_name()))
        if (group_of(i.cert().get()) == group) {
            rebuild_crl(ctx, i.id, nullptr);
            return;
        }
    ctx.txn.erase_prefix(rec_key(ctx.mount_name(), "crl", group + "/"));
}

void rebuild_all_crls(Context& ctx, std::vector<std::string>* warnings) {
    std::map<std::string, bool> done;
    for (const auto& i : all_issuers(ctx.txn, ctx.mount_name())) {
        std::string g = group_of(i.cert().get());
        if (done[g]) continue;
        done[g] = true;
        rebuild_crl(ctx, i.id, warnings);
    }
}

Revoked revoke(Context& ctx, const RevokeRequest& req) {
    const auto& mount = ctx.mount_name();
    RevokedEntry entry;
    if (!util::trim(req.certificate).empty()) {
        auto cert = x509::parse_cert(req.certificate);
        std::optional<Issuer> signer;
        for (const auto& i : all_issuers(ctx.txn, mount))
            if (x509::signed_by(cert.get(), X509_get0_pubkey(i.cert().get()))) {
                signer = i;
                break;
            }
        if (!signer) fail(ErrorKind::Invalid, "the certificate was not issued by any issuer of mount {}; revoke it on the mount that issued it", mount);
        entry.serial = x509::serial_hex(cert.get());
        entry.not_after = x509::not_after(cert.get());
        entry.issuer_id = signer->id;
        if (!req.serial_number.empty() && x509::normalise_serial(req.serial_number) != entry.serial)
            fail(ErrorKind::Invalid, "serial_number {} does not match the certificate's serial {}; give one or the other", req.serial_number,
                 entry.serial);
    } else {
        if (req.serial_number.empty())
            fail(ErrorKind::Invalid, "give serial_number (e.g. 1d:2e:c6:...) or certificate (the PEM) to revoke");
        entry.serial = x509::normalise_serial(req.serial_number);
        auto r = load(ctx.txn, rec_key(mount, "cert", entry.serial));
        if (!r)
            fail(ErrorKind::NotFound, "no certificate with serial number {} in mount {}; certificates issued with no_store can be revoked with certificate=@cert.pem",
                 entry.serial, mount);
        entry.not_after = r->value("not_after", int64_t{0});
        entry.issuer_id = r->value("issuer_id", "");
    }
    for (const auto& i : all_issuers(ctx.txn, mount))
        if (x509::serial_hex(i.cert().get()) == entry.serial)
            fail(ErrorKind::Denied, "serial number {} is issuer {} of mount {}; an issuer is not revoked here: delete it, or revoke it on the mount that signed it",
                 entry.serial, label_of(i), mount);
    std::string key = rec_key(mount, "revoked", entry.serial);
    if (auto existing = ctx.txn.get(key)) {
        RevokedEntry old;
        parse_revoked(entry.serial, *existing, old);
        ctx.warnings.push_back(fmt::format("certificate {} was already revoked", entry.serial));
        return Revoked{RevokeOutcome::AlreadyRevoked, std::move(entry.serial), old.revocation_time};
    }
    if (entry.not_after < ctx.now) {
        ctx.warnings.push_back(fmt::format("certificate {} has already expired; it was not added to the CRL", entry.serial));
        return Revoked{RevokeOutcome::Expired, std::move(entry.serial), 0};
    }
    entry.revocation_time = ctx.now;
    ctx.txn.put(key, format_revoked(entry));
    std::string crl_issuer = entry.issuer_id;
    if (!find_issuer(ctx.txn, mount, crl_issuer)) crl_issuer = default_issuer_id(ctx.txn, mount);
    if (!crl_issuer.empty()) rebuild_crl(ctx, crl_issuer, &ctx.warnings);
    return Revoked{RevokeOutcome::Revoked, std::move(entry.serial), entry.revocation_time};
}

CrlConfig read_crl_config(Context& ctx) { return load_crl_config(ctx.txn, ctx.mount_name()); }

CrlConfig write_crl_config(Context& ctx, const CrlConfigUpdate& update) {
    auto c = load_crl_config(ctx.txn, ctx.mount_name());
    if (update.expiry) {
        c.expiry = *update.expiry;
        if (c.expiry <= 0) fail(ErrorKind::Invalid, "expiry must be a positive duration such as 72h");
    }
    if (update.disable) c.disable = *update.disable;
    save(ctx.txn, rec_key(ctx.mount_name(), "config", "crl"), Json{{"expiry", c.expiry}, {"disable", c.disable}});
    rebuild_all_crls(ctx, &ctx.warnings);
    return c;
}

void rotate_crls(Context& ctx) { rebuild_all_crls(ctx, &ctx.warnings); }

std::string read_crl_der(const Context& ctx) { return crl_der_for(ctx, default_or_fail(ctx)); }

std::string default_crl_pem(const Context& ctx) { return x509::crl_pem(x509::crl_from_der(read_crl_der(ctx)).get()); }

std::string read_issuer_crl_der(const Context& ctx, const std::string& issuer_ref) {
    return crl_der_for(ctx, require_issuer(ctx.txn, ctx.mount_name(), issuer_ref));
}

std::string read_issuer_crl_pem(const Context& ctx, const std::string& issuer_ref) {
    return x509::crl_pem(x509::crl_from_der(read_issuer_crl_der(ctx, issuer_ref)).get());
}

std::vector<std::string> list_revoked(const Context& ctx) {
    return list_kind(ctx.txn, ctx.mount_name(), "revoked");
}

}  // namespace pki::engine
