// Issuer records: their stored form, lookups by id, name or default, the default issuer, chain
// building (the ca_chain of every issuer) and adding a new issuer.
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
#include "engine/cache.hpp"
#include "engine/issuer_store.hpp"

namespace pki::engine {

const std::vector<std::string> kCaKeyUsage{"keyCertSign", "cRLSign"};

Json to_record(const Issuer& i) {
    return Json{{"issuer_id", i.id},         {"issuer_name", i.name},
                {"key_id", i.key_id},        {"certificate", i.certificate},
                {"leaf_not_after_behavior", leaf_not_after_name(i.leaf_not_after_behavior)},
                {"manual_chain", i.manual_chain}, {"usage", issuer_usage_names(i.usage)}, {"usage_known", "ocsp-signing"},
                {"ca_chain", i.ca_chain},    {"created", i.created},
                {"subject_der", util::base64(i.subject_der)}, {"key_identifier", util::base64(i.key_identifier)},
                {"not_after", i.not_after}};
}

Issuer from_record(const Json& r) {
    Issuer i;
    i.id = r.at("issuer_id").get<std::string>();
    i.name = r.value("issuer_name", "");
    i.key_id = r.value("key_id", "");
    i.certificate = r.value("certificate", "");
    i.leaf_not_after_behavior = parse_leaf_not_after(r.value("leaf_not_after_behavior", "err")).value_or(LeafNotAfter::Err);
    i.manual_chain = r.value("manual_chain", std::vector<std::string>{});
    i.usage = parse_issuer_usage(r.value("usage", std::vector<std::string>{}));
    // Written before ocsp-signing existed: an issuer that signs CRLs signs OCSP responses too, as
    // Vault 1.12 migrated its issuers.
    if (!r.contains("usage_known") && i.can(IssuerUse::CrlSigning)) i.usage.add(IssuerUse::OcspSigning);
    i.ca_chain = r.value("ca_chain", std::vector<std::string>{});
    i.created = r.value("created", int64_t{0});
    i.subject_der = util::base64_decode(r.value("subject_der", ""));
    i.key_identifier = util::base64_decode(r.value("key_identifier", ""));
    i.not_after = r.value("not_after", int64_t{0});
    return i;
}

void save_issuer(store::Txn& txn, const std::string& mount, const Issuer& i) { save(txn, rec_key(mount, kIssuerKind, i.id), to_record(i)); }

void set_default_issuer(store::Txn& txn, const std::string& mount, const std::string& id) {
    save(txn, rec_key(mount, "config", "issuers"), Json{{"default", id}});
}

void check_issuer_name_free(const store::Txn& txn, const std::string& mount, const std::string& name, const std::string& except) {
    if (name.empty()) return;
    check_object_name("issuer name", name);
    for (const auto& i : all_issuers(txn, mount))
        if (i.name == name && i.id != except)
            fail(ErrorKind::Invalid, "issuer name \"{}\" is already used by issuer {} in mount {}; choose another name", name, i.id,
                 mount);
}

// Every issuer's ca_chain: itself, then every parent (an issuer whose subject is this one's issuer
// name and whose key verifies its signature), breadth first, self-signed parents before others.
void rebuild_chains(store::Txn& txn, const std::string& mount) {
    auto issuers = all_issuers(txn, mount);
    size_t n = issuers.size();
    std::vector<crypto::Cert> certs;
    for (const auto& i : issuers) certs.push_back(i.cert());
    std::vector<bool> self_signed(n);
    for (size_t i = 0; i < n; ++i)
        self_signed[i] = x509::self_issued(certs[i].get()) && x509::signed_by(certs[i].get(), X509_get0_pubkey(certs[i].get()));
    std::vector<std::vector<size_t>> parents(n);
    for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) {
            if (i == j) continue;
            if (X509_NAME_cmp(X509_get_subject_name(certs[j].get()), X509_get_issuer_name(certs[i].get())) != 0) continue;
            if (!x509::signed_by(certs[i].get(), X509_get0_pubkey(certs[j].get()))) continue;
            parents[i].push_back(j);
        }
        std::sort(parents[i].begin(), parents[i].end(), [&](size_t a, size_t b) {
            if (self_signed[a] != self_signed[b]) return static_cast<bool>(self_signed[a]);
            if (issuers[a].created != issuers[b].created) return issuers[a].created < issuers[b].created;
            return issuers[a].id < issuers[b].id;
        });
    }
    for (size_t i = 0; i < n; ++i) {
        std::vector<std::string> chain;
        if (!issuers[i].manual_chain.empty()) {
            for (const auto& ref : issuers[i].manual_chain)
                for (size_t j = 0; j < n; ++j)
                    if (issuers[j].id == ref || (!issuers[j].name.empty() && issuers[j].name == ref))
                        chain.push_back(issuers[j].certificate);
        } else {
            std::vector<bool> seen(n);
            std::deque<size_t> queue{i};
            seen[i] = true;
            while (!queue.empty()) {
                size_t cur = queue.front();
                queue.pop_front();
                chain.push_back(issuers[cur].certificate);
                for (size_t p : parents[cur])
                    if (!seen[p]) {
                        seen[p] = true;
                        queue.push_back(p);
                    }
            }
        }
        if (chain != issuers[i].ca_chain) {
            issuers[i].ca_chain = chain;
            save_issuer(txn, mount, issuers[i]);
        }
    }
}

Issuer add_issuer(Context& ctx, X509* cert, const std::string& key_id, const std::string& name) {
    const auto& mount = ctx.mount_name();
    Issuer i;
    i.id = crypto::random_uuid();
    i.name = name;
    i.key_id = key_id;
    i.certificate = x509::cert_pem(cert);
    i.created = ctx.now;
    i.subject_der = x509::name_der(X509_get_subject_name(cert));
    i.key_identifier = x509::key_identifier(cert);
    i.not_after = x509::not_after(cert);
    save_issuer(ctx.txn, mount, i);
    // As Vault: an issuer becomes the default only when its key is in the mount (a keyless root
    // imported beside its intermediate cannot sign).
    if (!key_id.empty() && default_issuer_id(ctx.txn, mount).empty()) set_default_issuer(ctx.txn, mount, i.id);
    rebuild_chains(ctx.txn, mount);
    rebuild_crl(ctx, i.id, nullptr);
    return require_issuer(ctx.txn, mount, i.id);
}


Issuer default_issuer(const store::Txn& txn, const std::string& mount) {
    std::string id = default_issuer_id(txn, mount);
    if (id.empty()) {
        // Issuers without their key never become the default (as Vault): say so when that is why.
        if (!list_kind(txn, mount, kIssuerKind).empty())
            fail_hint(ErrorKind::NotFound, Hint{"choose one", "write", mount + "/config/issuers", "default=..."},
                      "mount {} has no default issuer: its issuers have no key here (an issuer becomes the default once its "
                      "key is imported with keys/import)",
                      mount);
        fail_hint(ErrorKind::NotFound, Hint{"generate a root", "write", mount + "/root/generate/internal", "common_name=..."},
                  "mount {} has no default issuer", mount);
    }
    return require_issuer(txn, mount, id);
}

SignerInfo signer_info(const Issuer& issuer) {
    SignerInfo info;
    if (issuer.subject_der.empty()) {  // a record from before the cache: read the certificate
        auto cert = issuer.cert();
        info.subject.reset(X509_NAME_dup(X509_get_subject_name(cert.get())));
        info.signer.key_id = x509::key_identifier(cert.get());
        info.not_after = x509::not_after(cert.get());
    } else {
        const unsigned char* p = reinterpret_cast<const unsigned char*>(issuer.subject_der.data());
        info.subject.reset(d2i_X509_NAME(nullptr, &p, static_cast<long>(issuer.subject_der.size())));
        if (!info.subject) fail(ErrorKind::Storage, "issuer {} has a corrupt subject record", issuer.id);
        info.signer.key_id = issuer.key_identifier;
        info.not_after = issuer.not_after;
    }
    info.signer.subject = info.subject.get();
    return info;
}

crypto::Cert Issuer::cert() const { return x509::parse_cert(certificate); }

std::vector<Issuer> all_issuers(const store::Txn& txn, const std::string& mount) {
    std::vector<Issuer> out;
    txn.scan(rec_prefix(mount, kIssuerKind), [&](std::string_view key, std::string_view value) {
        out.push_back(from_record(decode_record(key, value)));
        return true;
    });
    return out;
}

std::vector<std::shared_ptr<const Issuer>> all_issuers_cached(const Context& ctx) {
    std::vector<std::shared_ptr<const Issuer>> out;
    ctx.txn.scan(rec_prefix(ctx.mount_name(), kIssuerKind), [&](std::string_view key, std::string_view value) {
        // Its own cache key: signing_issuer's entries carry name constraints, these do not.
        std::string cache_key = "listed/" + std::string(key);
        auto hit = ctx.caches.issuers.get(cache_key, value);
        if (!hit) {
            hit = std::make_shared<const Issuer>(from_record(decode_record(key, value)));
            ctx.caches.issuers.put(cache_key, value, hit);
        }
        out.push_back(std::move(hit));
        return true;
    });
    return out;
}

std::string default_issuer_id(const store::Txn& txn, const std::string& mount) {
    auto cfg = load(txn, rec_key(mount, "config", "issuers"));
    return cfg ? cfg->value("default", "") : "";
}

std::optional<Issuer> find_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref) {
    std::string id = ref == "default" ? default_issuer_id(txn, mount) : ref;
    if (id.empty()) return std::nullopt;
    if (auto r = load(txn, rec_key(mount, kIssuerKind, id))) return from_record(*r);
    for (auto& i : all_issuers(txn, mount))
        if (!i.name.empty() && i.name == ref) return i;
    return std::nullopt;
}

Issuer require_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref) {
    if (auto i = find_issuer(txn, mount, ref)) return *i;
    if (ref == "default") default_issuer(txn, mount);
    fail_hint(ErrorKind::NotFound, Hint{"list issuers", "list", mount + "/issuers", ""}, "no issuer \"{}\" in mount {}", ref, mount);
}

namespace {

std::shared_ptr<const std::vector<x509::NameConstraints>> chain_name_constraints(const Issuer& i) {
    auto out = std::make_shared<std::vector<x509::NameConstraints>>();
    const std::vector<std::string> own{i.certificate};
    for (const auto& pem : i.ca_chain.empty() ? own : i.ca_chain)
        if (auto nc = x509::name_constraints_of(x509::parse_cert(pem).get())) out->push_back(std::move(*nc));
    return out;
}

}  // namespace

Issuer signing_issuer(const Context& ctx, const std::string& ref) {
    // The issuer by id (or the default one; a name is looked up the usual way first), parsed with
    // its chain's name constraints once per stored version.
    const std::string& mount = ctx.mount_name();
    std::string wanted = ref.empty() ? "default" : ref;
    std::string id = wanted == "default" ? default_issuer_id(ctx.txn, mount) : wanted;
    std::string key = rec_key(mount, kIssuerKind, id);
    auto raw = id.empty() ? std::nullopt : ctx.txn.get(key);
    if (!raw) {
        key = rec_key(mount, kIssuerKind, require_issuer(ctx.txn, mount, wanted).id);
        raw = ctx.txn.get(key);
        if (!raw) fail(ErrorKind::Internal, "issuer {} of mount {} vanished while it was read", wanted, mount);
    }
    Issuer i;
    if (auto hit = ctx.caches.issuers.get(key, *raw)) {
        i = *hit;
    } else {
        i = from_record(decode_record(key, *raw));
        i.name_constraints = chain_name_constraints(i);
        ctx.caches.issuers.put(key, *raw, std::make_shared<const Issuer>(i));
    }
    std::string label = i.name.empty() ? i.id : i.name;
    if (!i.can(IssuerUse::IssuingCertificates))
        fail(ErrorKind::Denied, "issuer {} may not issue certificates (usage: {}); add issuing-certificates to its usage to allow it",
             label, util::join(issuer_usage_names(i.usage), ","));
    if (i.key_id.empty())
        fail_hint(ErrorKind::Denied, Hint{"import its key", "write", ctx.mount_name() + "/keys/import", "pem_bundle=@key.pem"},
                  "issuer {} has no private key in mount {}, so it cannot sign", label, ctx.mount_name());
    return i;
}

void link_issuer_keys(Context& ctx) {
    const auto& mount = ctx.mount_name();
    for (auto& i : all_issuers(ctx.txn, mount)) {
        if (!i.key_id.empty()) continue;
        if (auto k = find_key_by_public(ctx.txn, mount, x509::public_key_der(i.cert().get()))) {
            i.key_id = k->id;
            save_issuer(ctx.txn, mount, i);
            if (default_issuer_id(ctx.txn, mount).empty()) set_default_issuer(ctx.txn, mount, i.id);
        }
    }
}

}  // namespace pki::engine
