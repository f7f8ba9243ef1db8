#include "engine/crl.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "engine/cache.hpp"
#include "engine/issuance.hpp"
#include "engine/issuers.hpp"
#include "engine/keys.hpp"
#include "engine/records.hpp"
#include "store/codec.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"
#include "x509/crl.hpp"
#include "x509/ocsp.hpp"

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
std::string delta_key(const std::string& mount, const std::string& group) { return rec_key(mount, "crl", group + "/delta"); }
std::string seq_key(const std::string& mount, const std::string& group) { return rec_key(mount, "crl", group + "/seq"); }
// The entries revoked since the group's complete CRL: what its delta CRL lists.
std::string since_prefix(const std::string& mount, const std::string& group) { return rec_key(mount, "crl", group + "/since/"); }

bool can_sign_crls(const Issuer& i, X509* cert) {
    return i.can(IssuerUse::CrlSigning) && !i.key_id.empty() && (X509_get_key_usage(cert) & KU_CRL_SIGN);
}

std::string label_of(const Issuer& i) { return i.name.empty() ? i.id : i.name; }

// The CRL bytes an issuer serves; Error(NotFound) when it has none.
std::string crl_der_for(const Context& ctx, const Issuer& issuer, CrlKind kind) {
    bool delta = kind == CrlKind::Delta;
    auto cert = issuer.cert();
    std::string group = group_of(cert.get());
    std::string key = delta ? delta_key(ctx.mount_name(), group) : der_key(ctx.mount_name(), group);
    auto der = ctx.txn.get(key);
    if (!der && delta)
        fail(ErrorKind::NotFound, "issuer {} has no delta CRL; turn delta CRLs on with: pki write {}/config/crl auto_rebuild=true enable_delta=true",
             label_of(issuer), ctx.mount_name());
    if (!der)
        fail(ErrorKind::NotFound, "issuer {} has no CRL (it needs a key, crl-signing usage and the cRLSign key usage); see pki read {}/issuer/{}",
             label_of(issuer), ctx.mount_name(), issuer.id);
    Json j = store::decode(key, *der);  // raw DER from before the codec reads as bytes too
    if (!j.is_binary()) fail(ErrorKind::Storage, "state directory: record {} is damaged (not a CRL); rotate the CRL with: pki read {}/crl/rotate", key, ctx.mount_name());
    const auto& bytes = j.get_binary();
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace

namespace {

// A revoked entry's CBOR read straight into the entry (nlohmann's SAX interface): a CRL build
// reads a million of them, and a JSON value each would be most of its time.
struct RevokedSax {
    RevokedEntry& out;
    int depth = 0, index = 0;
    bool ok = true;

    bool integer(int64_t v) {
        if (depth != 1) return ok = false;
        switch (index++) {
            case 0: out.revocation_time = v; break;
            case 1: out.not_after = v; break;
            case 3: out.reason = static_cast<int>(v); break;
            default: return ok = false;
        }
        return true;
    }
    bool null() { return ok = false; }
    bool boolean(bool) { return ok = false; }
    bool number_integer(int64_t v) { return integer(v); }
    bool number_unsigned(uint64_t v) { return v <= static_cast<uint64_t>(INT64_MAX) ? integer(static_cast<int64_t>(v)) : (ok = false); }
    bool number_float(double, const std::string&) { return ok = false; }
    bool string(std::string& s) {
        if (depth != 1 || index++ != 2) return ok = false;
        out.issuer_id.swap(s);
        return true;
    }
    bool binary(Json::binary_t&) { return ok = false; }
    bool start_object(std::size_t) { return ok = false; }
    bool key(std::string&) { return ok = false; }
    bool end_object() { return ok = false; }
    bool start_array(std::size_t n) { return ++depth == 1 && (n == 3 || n == 4) ? true : (ok = false); }
    bool end_array() { return --depth == 0; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return ok = false; }
};

// The shape every revoked entry is written in, read without a parser: a CBOR array (RFC 8949)
// of two unsigned integers, a text string and, when there is a reason, a small unsigned integer.
// Anything else (or an integer past int64) returns false, and the SAX reader above decides.
bool read_revoked_cbor(std::string_view p, RevokedEntry& out) {
    size_t i = 0;
    auto byte = [&](uint8_t& b) {
        if (i >= p.size()) return false;
        b = static_cast<uint8_t>(p[i++]);
        return true;
    };
    auto argument = [&](uint8_t head, uint64_t& v) {  // the head's argument, for major types 0 and 3
        uint8_t info = head & 0x1f;
        if (info < 24) return v = info, true;
        int width = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
        if (!width || p.size() - i < static_cast<size_t>(width)) return false;
        v = 0;
        for (int k = 0; k < width; ++k) v = v << 8 | static_cast<uint8_t>(p[i++]);
        return true;
    };
    auto uint = [&](int64_t& into) {
        uint8_t h;
        uint64_t v;
        if (!byte(h) || (h >> 5) != 0 || !argument(h, v) || v > static_cast<uint64_t>(INT64_MAX)) return false;
        into = static_cast<int64_t>(v);
        return true;
    };
    uint8_t head;
    if (!byte(head) || (head != 0x83 && head != 0x84)) return false;
    if (!uint(out.revocation_time) || !uint(out.not_after)) return false;
    uint8_t h;
    uint64_t len;
    if (!byte(h) || (h >> 5) != 3 || !argument(h, len) || len > p.size() - i) return false;
    out.issuer_id.assign(p.substr(i, len));
    i += len;
    if (head == 0x84) {
        int64_t reason;
        if (!uint(reason) || reason > 10) return false;
        out.reason = static_cast<int>(reason);
    }
    return i == p.size();
}

}  // namespace

bool parse_revoked(std::string_view serial, std::string_view value, RevokedEntry& out) {
    out.serial.assign(serial);
    out.reason = -1;
    if (auto payload = store::payload(serial, value)) {
        if (read_revoked_cbor(*payload, out)) return true;
        out.reason = -1;
        RevokedSax sax{out};
        if (!Json::sax_parse(payload->begin(), payload->end(), &sax, nlohmann::json::input_format_t::cbor) || !sax.ok || sax.index < 3)
            fail(ErrorKind::Storage, "state directory: revoked entry {} is damaged (unexpected fields); restore the state directory from a backup",
                 serial);
        return true;
    }
    Json j = store::decode(serial, value);
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
    if (!j.is_array() || (j.size() != 3 && j.size() != 4) || !j[0].is_number_integer() || !j[1].is_number_integer() || !j[2].is_string() ||
        (j.size() == 4 && !j[3].is_number_integer()))
        fail(ErrorKind::Storage, "state directory: revoked entry {} is damaged (unexpected fields); restore the state directory from a backup",
             serial);
    out.revocation_time = j[0].get<int64_t>();
    out.not_after = j[1].get<int64_t>();
    out.issuer_id = j[2].get<std::string>();
    if (j.size() == 4) out.reason = j[3].get<int>();
    return true;
}

std::string format_revoked(const RevokedEntry& e) {
    Json j = Json::array({e.revocation_time, e.not_after, e.issuer_id});
    if (e.reason >= 0) j.push_back(e.reason);
    return store::encode(j);
}

CrlConfig load_crl_config(const store::Txn& txn, const std::string& mount) {
    CrlConfig c;
    if (auto r = load(txn, rec_key(mount, "config", "crl"))) {
        c.expiry = r->value("expiry", c.expiry);
        c.disable = r->value("disable", false);
        c.ocsp_disable = r->value("ocsp_disable", c.ocsp_disable);
        c.ocsp_expiry = r->value("ocsp_expiry", c.ocsp_expiry);
        c.auto_rebuild = r->value("auto_rebuild", c.auto_rebuild);
        c.auto_rebuild_grace_period = r->value("auto_rebuild_grace_period", c.auto_rebuild_grace_period);
        c.enable_delta = r->value("enable_delta", c.enable_delta);
        c.delta_rebuild_interval = r->value("delta_rebuild_interval", c.delta_rebuild_interval);
    }
    return c;
}

namespace {

Json config_record(const CrlConfig& c) {
    return Json{{"expiry", c.expiry},
                {"disable", c.disable},
                {"ocsp_disable", c.ocsp_disable},
                {"ocsp_expiry", c.ocsp_expiry},
                {"auto_rebuild", c.auto_rebuild},
                {"auto_rebuild_grace_period", c.auto_rebuild_grace_period},
                {"enable_delta", c.enable_delta},
                {"delta_rebuild_interval", c.delta_rebuild_interval}};
}

// Revocations of a group since its last complete CRL, counted: the complete CRL and the delta
// CRL each record the count they were built at, so either is stale when the count moved on.
int64_t revocation_count(const store::Txn& txn, const std::string& mount, const std::string& group) {
    auto r = load(txn, seq_key(mount, group));
    return r ? r->value("revocations", int64_t{0}) : 0;
}

// The group's signer: the oldest issuer of the group that can sign CRLs.
struct GroupSigner {
    std::string group;
    std::string label;  // the issuer asked about, as warnings name it
    std::map<std::string, std::string> group_by_issuer;  // every issuer of the mount
    std::string default_group;
    std::optional<Issuer> signer;
    crypto::Cert signer_cert;
};

// Nothing when the mount has no such issuer.
std::optional<GroupSigner> find_signer(const Context& ctx, const std::string& issuer_id) {
    const auto& mount = ctx.mount_name();
    auto issuers = all_issuers(ctx.txn, mount);
    auto found = std::find_if(issuers.begin(), issuers.end(), [&](const Issuer& i) { return i.id == issuer_id; });
    if (found == issuers.end()) return std::nullopt;
    GroupSigner g;
    g.group = group_of(found->cert().get());
    g.label = label_of(*found);
    std::sort(issuers.begin(), issuers.end(), [](const Issuer& a, const Issuer& b) { return a.created < b.created; });
    for (const auto& i : issuers) {
        auto c = i.cert();
        std::string grp = group_of(c.get());
        g.group_by_issuer[i.id] = grp;
        if (grp == g.group && !g.signer && can_sign_crls(i, c.get())) {
            g.signer = i;
            g.signer_cert = std::move(c);
        }
    }
    auto d = g.group_by_issuer.find(default_issuer_id(ctx.txn, mount));
    if (d != g.group_by_issuer.end()) g.default_group = d->second;
    return g;
}

void put_der(store::Txn& txn, const std::string& key, std::string der) {
    std::string record = store::encode_bytes(der);
    std::string().swap(der);
    txn.put(key, record);
}

// The delta CRL of a group: the entries revoked since its complete CRL, on top of that CRL's number.
void build_delta(Context& ctx, const GroupSigner& g, const CrlConfig& cfg, Json& meta) {
    const auto& mount = ctx.mount_name();
    int64_t number = std::max(meta.value("crl_number", int64_t{0}), meta.value("delta_number", int64_t{0})) + 1;
    std::vector<x509::CrlEntry> entries;
    if (!cfg.disable) {
        std::string prefix = since_prefix(mount, g.group);
        ctx.txn.scan(prefix, [&](std::string_view key, std::string_view value) {
            RevokedEntry e;
            if (parse_revoked(key.substr(prefix.size()), value, e)) entries.push_back({e.serial, e.revocation_time, e.reason});
            return true;
        });
    }
    x509::CrlSpec spec{number, ctx.now, ctx.now + cfg.expiry, meta.value("crl_number", int64_t{0}), {}};
    put_der(ctx.txn, delta_key(mount, g.group),
            x509::build_crl(g.signer_cert.get(), load_private_key(ctx, g.signer->key_id).get(), spec,
                            [&](x509::CrlBatch& batch) { batch.swap(entries); }));
    meta["delta_number"] = number;
    meta["delta_this_update"] = ctx.now;
    meta["delta_next_update"] = ctx.now + cfg.expiry;
    meta["delta_revocations"] = revocation_count(ctx.txn, mount, g.group);
}

// No signer in the group: its CRLs stay as they are.
bool warn_without_signer(const Context& ctx, const GroupSigner& g, std::vector<std::string>* warnings) {
    if (g.signer) return false;
    // Without crl-signing an issuer's CRL is frozen, as the reference describes retiring an
    // issuer: the last one it signed stays served, unchanged.
    if (warnings)
        warnings->push_back(fmt::format(
            "issuer {} cannot sign CRLs (it needs a key, crl-signing usage and the cRLSign key usage); {}", g.label,
            ctx.txn.get(der_key(ctx.mount_name(), g.group)) ? "its last CRL stays as it is (frozen) and does not list new revocations"
                                                            : "it has no CRL"));
    return true;
}

void rebuild_delta_crl(Context& ctx, const std::string& issuer_id, std::vector<std::string>* warnings) {
    auto g = find_signer(ctx, issuer_id);
    if (!g || warn_without_signer(ctx, *g, warnings)) return;
    auto meta = load(ctx.txn, meta_key(ctx.mount_name(), g->group));
    if (!meta) return;  // no complete CRL yet: the delta comes with it
    build_delta(ctx, *g, load_crl_config(ctx.txn, ctx.mount_name()), *meta);
    save(ctx.txn, meta_key(ctx.mount_name(), g->group), std::move(*meta));
}

// One issuer of each group: every CRL of the mount once.
template <typename F>
void each_group(const Context& ctx, F&& f) {
    std::map<std::string, bool> done;
    for (const auto& i : all_issuers(ctx.txn, ctx.mount_name())) {
        std::string g = group_of(i.cert().get());
        if (done[g]) continue;
        done[g] = true;
        f(i, g);
    }
}

}  // namespace

void rebuild_crl(Context& ctx, const std::string& issuer_id, std::vector<std::string>* warnings) {
    const auto& mount = ctx.mount_name();
    auto found = find_signer(ctx, issuer_id);
    if (!found || warn_without_signer(ctx, *found, warnings)) return;
    const GroupSigner& g = *found;
    auto cfg = load_crl_config(ctx.txn, mount);

    Json meta = Json::object();
    if (auto m = load(ctx.txn, meta_key(mount, g.group))) meta = std::move(*m);
    int64_t number = std::max(meta.value("crl_number", int64_t{0}), meta.value("delta_number", int64_t{0})) + 1;

    // Revoked entries a batch at a time from a cursor: the store's certificates are never loaded.
    std::string prefix = rec_prefix(mount, "revoked");
    std::string resume = prefix;
    bool exhausted = cfg.disable;
    RevokedEntry e;
    auto fill = [&](x509::CrlBatch& batch) {
        if (exhausted) return;
        batch.reserve(8192);
        bool skip_first = resume != prefix;
        ctx.txn.scan_from(prefix, resume, [&](std::string_view key, std::string_view value) {
            if (skip_first) {
                skip_first = false;
                if (key == resume) return true;
            }
            resume.assign(key);
            if (parse_revoked(key.substr(prefix.size()), value, e)) {
                auto it = g.group_by_issuer.find(e.issuer_id);
                const std::string& grp = it == g.group_by_issuer.end() ? g.default_group : it->second;
                if (grp == g.group) batch.push_back({e.serial, e.revocation_time, e.reason});
            }
            return batch.size() < 8192;
        });
        if (batch.size() < 8192) exhausted = true;
        ctx.txn.release_read_pages();  // a million entries are ~300 MB of store pages, read once
    };
    std::vector<std::string> freshest;
    if (cfg.enable_delta) freshest = load_urls(ctx.txn, mount).delta_crl_distribution_points;
    put_der(ctx.txn, der_key(mount, g.group),
            x509::build_crl(g.signer_cert.get(), load_private_key(ctx, g.signer->key_id).get(),
                            x509::CrlSpec{number, ctx.now, ctx.now + cfg.expiry, std::nullopt, freshest}, fill));
    // The complete CRL lists everything revoked so far: the delta starts again from it.
    ctx.txn.erase_prefix(since_prefix(mount, g.group));
    meta["crl_number"] = number;
    meta["this_update"] = ctx.now;
    meta["next_update"] = ctx.now + cfg.expiry;
    meta["signer"] = g.signer->id;
    meta["revocations"] = revocation_count(ctx.txn, mount, g.group);
    if (cfg.enable_delta) build_delta(ctx, g, cfg, meta);
    else ctx.txn.del(delta_key(mount, g.group));
    save(ctx.txn, meta_key(mount, g.group), std::move(meta));
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
    each_group(ctx, [&](const Issuer& i, const std::string&) { rebuild_crl(ctx, i.id, warnings); });
}

Revoked revoke(Context& ctx, const RevokeRequest& req) {
    const auto& mount = ctx.mount_name();
    RevokedEntry entry;
    if (!req.reason.empty()) {
        entry.reason = x509::crl_reason_code(req.reason);
        if (entry.reason < 0)
            fail(ErrorKind::Invalid, "reason \"{}\" is not an RFC 5280 revocation reason; use one of {}", util::printable(req.reason, 64),
                 x509::crl_reason_names());
        if (entry.reason == 0) entry.reason = -1;  // RFC 5280 5.3.1: absent rather than unspecified
    }
    auto issuers = all_issuers(ctx.txn, mount);
    if (!util::trim(req.certificate).empty()) {
        auto cert = x509::parse_cert(req.certificate);
        std::optional<Issuer> signer;
        for (const auto& i : issuers)
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
    for (const auto& i : issuers)
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
    std::string value = format_revoked(entry);
    ctx.txn.put(key, value);
    auto by_id = [&](const std::string& id) -> const Issuer* {
        auto it = std::find_if(issuers.begin(), issuers.end(), [&](const Issuer& i) { return i.id == id; });
        return it == issuers.end() ? nullptr : &*it;
    };
    // The CRL it goes on: its issuer's, or the default issuer's for an entry whose issuer is gone.
    const Issuer* of = by_id(entry.issuer_id);
    if (!of) of = by_id(default_issuer_id(ctx.txn, mount));
    if (of) {
        // Recorded for the group's delta CRL and counted, so both CRLs know they are stale.
        std::string group = group_of(of->cert().get());
        ctx.txn.put(since_prefix(mount, group) + entry.serial, value);
        save(ctx.txn, seq_key(mount, group), Json{{"revocations", revocation_count(ctx.txn, mount, group) + 1}});
        if (!load_crl_config(ctx.txn, mount).auto_rebuild) rebuild_crl(ctx, of->id, &ctx.warnings);
    }
    return Revoked{RevokeOutcome::Revoked, std::move(entry.serial), entry.revocation_time};
}

CrlConfig read_crl_config(Context& ctx) { return load_crl_config(ctx.txn, ctx.mount_name()); }

CrlConfig write_crl_config(Context& ctx, const CrlConfigUpdate& update) {
    auto c = load_crl_config(ctx.txn, ctx.mount_name());
    auto positive = [](const char* name, int64_t v) {
        if (v <= 0) fail(ErrorKind::Invalid, "{} must be a positive duration such as 72h", name);
    };
    if (update.expiry) positive("expiry", *update.expiry), c.expiry = *update.expiry;
    if (update.disable) c.disable = *update.disable;
    if (update.ocsp_disable) c.ocsp_disable = *update.ocsp_disable;
    if (update.ocsp_expiry) {
        if (*update.ocsp_expiry < 0) fail(ErrorKind::Invalid, "ocsp_expiry must be 0 (no nextUpdate) or a duration such as 12h");
        c.ocsp_expiry = *update.ocsp_expiry;
    }
    if (update.auto_rebuild) c.auto_rebuild = *update.auto_rebuild;
    if (update.auto_rebuild_grace_period) positive("auto_rebuild_grace_period", *update.auto_rebuild_grace_period),
        c.auto_rebuild_grace_period = *update.auto_rebuild_grace_period;
    if (update.enable_delta) c.enable_delta = *update.enable_delta;
    if (update.delta_rebuild_interval) positive("delta_rebuild_interval", *update.delta_rebuild_interval),
        c.delta_rebuild_interval = *update.delta_rebuild_interval;
    if (c.auto_rebuild && c.auto_rebuild_grace_period >= c.expiry)
        fail(ErrorKind::Invalid, "auto_rebuild_grace_period ({}) must be shorter than expiry ({}), or the CRL would be rebuilt all the time",
             util::format_duration(c.auto_rebuild_grace_period), util::format_duration(c.expiry));
    if (c.enable_delta && !c.auto_rebuild)
        fail(ErrorKind::Invalid, "enable_delta needs auto_rebuild=true: without it every revocation rebuilds the complete CRL and a delta has nothing to add");
    if (c.enable_delta && c.delta_rebuild_interval >= c.expiry)
        fail(ErrorKind::Invalid, "delta_rebuild_interval ({}) must be shorter than expiry ({})", util::format_duration(c.delta_rebuild_interval),
             util::format_duration(c.expiry));
    save(ctx.txn, rec_key(ctx.mount_name(), "config", "crl"), config_record(c));
    rebuild_all_crls(ctx, &ctx.warnings);
    return c;
}

void rotate_crls(Context& ctx) { rebuild_all_crls(ctx, &ctx.warnings); }

void rotate_delta_crls(Context& ctx) {
    if (!load_crl_config(ctx.txn, ctx.mount_name()).enable_delta) {
        ctx.warnings.push_back(fmt::format("delta CRLs are off on mount {}; nothing was rebuilt (turn them on with enable_delta=true)", ctx.mount_name()));
        return;
    }
    each_group(ctx, [&](const Issuer& i, const std::string&) { rebuild_delta_crl(ctx, i.id, &ctx.warnings); });
}

namespace {

enum class Due { None, Complete, Delta };

Due due_for(const Context& ctx, const CrlConfig& cfg, const std::string& group, bool on_read) {
    auto meta = load(ctx.txn, meta_key(ctx.mount_name(), group));
    if (!meta) return Due::None;  // no CRL (an issuer without a key): nothing to rebuild
    int64_t count = revocation_count(ctx.txn, ctx.mount_name(), group);
    if (ctx.now >= meta->value("next_update", int64_t{0}) - cfg.auto_rebuild_grace_period) return Due::Complete;
    bool complete_stale = meta->value("revocations", int64_t{0}) != count;
    if (!cfg.enable_delta) return on_read && complete_stale ? Due::Complete : Due::None;
    bool delta_stale = meta->value("delta_revocations", int64_t{0}) != count || !ctx.txn.get(delta_key(ctx.mount_name(), group));
    if (!delta_stale) return Due::None;
    if (on_read || ctx.now >= meta->value("delta_this_update", int64_t{0}) + cfg.delta_rebuild_interval) return Due::Delta;
    return Due::None;
}

}  // namespace

bool crls_due(const Context& ctx, bool on_read) {
    auto cfg = load_crl_config(ctx.txn, ctx.mount_name());
    if (!cfg.auto_rebuild) return false;
    bool due = false;
    each_group(ctx, [&](const Issuer&, const std::string& g) { due = due || due_for(ctx, cfg, g, on_read) != Due::None; });
    return due;
}

void rebuild_due_crls(Context& ctx, bool on_read) {
    auto cfg = load_crl_config(ctx.txn, ctx.mount_name());
    if (!cfg.auto_rebuild) return;
    each_group(ctx, [&](const Issuer& i, const std::string& g) {
        switch (due_for(ctx, cfg, g, on_read)) {
            case Due::Complete: rebuild_crl(ctx, i.id, &ctx.warnings); break;
            case Due::Delta: rebuild_delta_crl(ctx, i.id, &ctx.warnings); break;
            case Due::None: break;
        }
    });
}

std::string read_crl_der(const Context& ctx, const std::string& issuer_ref, CrlKind kind) {
    return crl_der_for(ctx, require_issuer(ctx.txn, ctx.mount_name(), issuer_ref), kind);
}

std::string read_crl_pem(const Context& ctx, const std::string& issuer_ref, CrlKind kind) {
    return x509::crl_der_to_pem(read_crl_der(ctx, issuer_ref, kind));
}

std::vector<std::string> list_revoked(const Context& ctx) {
    return list_kind(ctx.txn, ctx.mount_name(), "revoked");
}

namespace {

// The status of one certificate as `issuer` (of `group`) knows it.
x509::OcspAnswer status_of(const Context& ctx, const std::string& serial, const std::string& group,
                           const std::map<std::string, std::string>& group_by_issuer) {
    const auto& mount = ctx.mount_name();
    x509::OcspAnswer a;
    auto group_of_issuer = [&](const std::string& id) {
        auto it = group_by_issuer.find(id);
        return it == group_by_issuer.end() ? std::string() : it->second;
    };
    if (auto v = ctx.txn.get(rec_key(mount, "revoked", serial))) {
        RevokedEntry e;
        if (parse_revoked(serial, *v, e) && (e.issuer_id.empty() || group_of_issuer(e.issuer_id) == group)) {
            a.status = x509::OcspStatus::Revoked;
            a.revocation_time = e.revocation_time;
            a.reason = e.reason;
            return a;
        }
    }
    // The certificate's summary says who issued it (a record of ~160 bytes, not the certificate);
    // a store from before summaries has the certificate record alone.
    std::string issuer_id;
    CertSummary summary;
    if (auto v = ctx.txn.get(rec_key(mount, "certmeta", serial)); v && parse_cert_summary(serial, *v, summary)) issuer_id = summary.issuer_id;
    else if (auto r = load(ctx.txn, rec_key(mount, "cert", serial))) issuer_id = r->value("issuer_id", "");
    else return a;
    if (group_of_issuer(issuer_id) == group) a.status = x509::OcspStatus::Good;
    return a;  // never issued here, or issued with no_store: unknown
}

}  // namespace

namespace {

// A certificate OCSP signs with or answers for (an issuer's, a delegated responder's), with its
// CRL group and CertID hashes, worked out once per stored version of its PEM.
std::shared_ptr<const Caches::IssuerCert> cached_cert(const Context& ctx, const std::string& name, const std::string& pem) {
    std::string key = "ocsp-cert/" + ctx.mount_name() + "/" + name;
    if (auto hit = ctx.caches.certs.get(key, pem)) return hit;
    auto cert = x509::parse_cert(pem);
    std::string group = group_of(cert.get());
    auto hashes = x509::certid_hashes(cert.get());
    auto made = std::make_shared<const Caches::IssuerCert>(Caches::IssuerCert{std::move(cert), std::move(group), std::move(hashes)});
    ctx.caches.certs.put(key, pem, made);
    return made;
}

// An issuer's key ready to sign OCSP responses, once per stored version of its key record.
std::shared_ptr<const Caches::OcspSigner> ocsp_signer(const Context& ctx, const std::string& key_id) {
    std::string key = rec_key(ctx.mount_name(), "key", key_id);
    auto bytes = ctx.txn.get(key);
    if (bytes)
        if (auto hit = ctx.caches.ocsp_signers.get(key, *bytes)) return hit;
    // A token key is never cached, so it is asked for at each use: the key store checks the
    // token still has it, and that the mount may still use its managed key.
    bool on_token = bytes && decode_record(key, *bytes).value("seal", "") == "pkcs11";
    crypto::PKey pkey;
    try {
        pkey = load_private_key(ctx, key_id);
    } catch (const Error& e) {
        // Not the request's fault (a token that is away, a managed key set up wrong): tryLater.
        if (e.kind() == ErrorKind::Invalid || e.kind() == ErrorKind::Denied) fail(ErrorKind::Unavailable, "{}", e.what());
        throw;
    }
    auto prepared = x509::ocsp_signing_context(pkey.get());
    auto made = std::make_shared<const Caches::OcspSigner>(Caches::OcspSigner{std::move(pkey), std::move(prepared)});
    if (bytes && !on_token) ctx.caches.ocsp_signers.put(key, *bytes, made);
    return made;
}

}  // namespace

std::string answer_ocsp(const Context& ctx, std::string_view request_der) {
    const auto& mount = ctx.mount_name();
    x509::OcspRequest req(request_der);
    auto cfg = load_crl_config(ctx.txn, mount);
    if (cfg.ocsp_disable) fail(ErrorKind::Forbidden, "OCSP is turned off on mount {} (config/crl ocsp_disable)", mount);

    auto issuers = all_issuers_cached(ctx);
    std::vector<std::shared_ptr<const Caches::IssuerCert>> certs;
    std::map<std::string, std::string> group_by_issuer;
    for (const auto& i : issuers) {
        certs.push_back(cached_cert(ctx, i->id, i->certificate));
        group_by_issuer[i->id] = certs.back()->crl_group;
    }
    // Each certificate asked about is answered for the issuer its CertID names; the response is
    // signed by the issuer of the first one that can sign (the rest of another issuer: unknown).
    const Issuer* signer = nullptr;
    X509* signer_cert = nullptr;
    std::vector<x509::OcspAnswer> answers(static_cast<size_t>(req.count()));
    for (int n = 0; n < req.count(); ++n) {
        for (size_t k = 0; k < issuers.size(); ++k) {
            if (!req.issued_by(n, certs[k]->certid)) continue;
            const Issuer& i = *issuers[k];
            bool can_sign = !i.key_id.empty() && i.can(IssuerUse::OcspSigning);
            if (!signer && can_sign) {
                signer = &i;
                signer_cert = certs[k]->cert.get();
            }
            if (signer && group_by_issuer[signer->id] == group_by_issuer[i.id]) {
                answers[static_cast<size_t>(n)] = status_of(ctx, req.serial_hex(n), group_by_issuer[i.id], group_by_issuer);
                break;
            }
        }
    }
    if (!signer) {
        // No issuer here asked about: answer unknown, signed by the default issuer, as Vault does.
        auto d = find_issuer(ctx.txn, mount, "default");
        for (size_t k = 0; d && k < issuers.size(); ++k)
            if (issuers[k]->id == d->id && !issuers[k]->key_id.empty() && issuers[k]->can(IssuerUse::OcspSigning)) {
                signer = issuers[k].get();
                signer_cert = certs[k]->cert.get();
            }
        if (!signer)
            fail(ErrorKind::Forbidden, "no issuer of mount {} that the request names can sign OCSP responses (it needs its key and the ocsp-signing usage)",
                 mount);
    }
    // A delegated responder of the issuer's group signs instead, while it is valid and its key is here.
    std::shared_ptr<const Caches::IssuerCert> responder;
    std::shared_ptr<const Caches::OcspSigner> key;
    const std::string& group = group_by_issuer[signer->id];
    if (auto r = load(ctx.txn, rec_key(mount, "ocsp-responder", group))) {
        std::string key_id = r->value("key_id", "");
        if (r->value("not_after", int64_t{0}) > ctx.now && r->value("not_before", int64_t{0}) <= ctx.now && ctx.txn.get(rec_key(mount, "key", key_id))) {
            responder = cached_cert(ctx, "responder/" + group, r->value("certificate", ""));
            key = ocsp_signer(ctx, key_id);
        }
    }
    if (!key) key = ocsp_signer(ctx, signer->key_id);
    x509::OcspSigning signing{responder ? responder->cert.get() : signer_cert, key->key.get(), key->prepared.get(), responder != nullptr,
                              ctx.now, std::nullopt};
    if (cfg.ocsp_expiry > 0) signing.next_update = ctx.now + cfg.ocsp_expiry;
    return x509::ocsp_response(req, answers, signing);
}

std::vector<OcspResponder> read_ocsp_responders(Context& ctx) {
    std::vector<OcspResponder> out;
    std::string prefix = rec_prefix(ctx.mount_name(), "ocsp-responder");
    ctx.txn.scan(prefix, [&](std::string_view key, std::string_view value) {
        auto r = decode_record(key, value);
        out.push_back({r.value("issuer_id", ""), r.value("key_id", ""), r.value("certificate", ""), r.value("not_after", int64_t{0})});
        return true;
    });
    return out;
}

OcspResponder write_ocsp_responder(Context& ctx, const std::string& certificate_pem) {
    const auto& mount = ctx.mount_name();
    if (util::trim(certificate_pem).empty())
        fail(ErrorKind::Invalid, "give certificate: the PEM of the responder certificate (pki delete {}/config/ocsp removes the responders)", mount);
    auto cert = x509::parse_cert(certificate_pem);
    if (x509::is_ca(cert.get()))
        fail(ErrorKind::Invalid, "the responder certificate is a CA; an OCSP responder is a leaf with the OCSPSigning extended key usage");
    if (!(X509_get_extension_flags(cert.get()) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(cert.get()) & XKU_OCSP_SIGN))
        fail(ErrorKind::Invalid, "the responder certificate lacks the OCSPSigning extended key usage (RFC 6960 4.2.2.2); issue it from a role "
             "with ext_key_usage=OCSPSigning");
    if (x509::not_after(cert.get()) <= ctx.now) fail(ErrorKind::Invalid, "the responder certificate has expired");
    std::optional<Issuer> issuer;
    for (const auto& i : all_issuers(ctx.txn, mount)) {
        auto ic = i.cert();
        if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(ic.get())) == 0 &&
            x509::signed_by(cert.get(), X509_get0_pubkey(ic.get()))) {
            issuer = i;
            break;
        }
    }
    if (!issuer) fail(ErrorKind::Invalid, "the responder certificate was not issued by an issuer of mount {}", mount);
    auto key = find_key_by_public(ctx.txn, mount, x509::public_key_der(cert.get()));
    if (!key)
        fail(ErrorKind::Invalid, "mount {} does not hold the responder certificate's private key; import it first with: pki write {}/keys/import "
             "pem_bundle=@responder-key.pem", mount, mount);
    OcspResponder r{issuer->id, key->id, x509::cert_pem(cert.get()), x509::not_after(cert.get())};
    save(ctx.txn, rec_key(mount, "ocsp-responder", group_of(issuer->cert().get())),
         Json{{"issuer_id", r.issuer_id}, {"key_id", r.key_id}, {"certificate", r.certificate}, {"not_after", r.not_after},
              {"not_before", x509::not_before(cert.get())}});
    return r;
}

void delete_ocsp_responders(Context& ctx) { ctx.txn.erase_prefix(rec_prefix(ctx.mount_name(), "ocsp-responder")); }

std::string answer_ocsp_serial(const Context& ctx, const std::string& serial) {
    const auto& mount = ctx.mount_name();
    std::string s = x509::normalise_serial(serial);
    std::string issuer_id;
    if (auto v = ctx.txn.get(rec_key(mount, "revoked", s))) {
        RevokedEntry e;
        if (parse_revoked(s, *v, e)) issuer_id = e.issuer_id;
    }
    if (issuer_id.empty())
        if (auto r = load(ctx.txn, rec_key(mount, "cert", s))) issuer_id = r->value("issuer_id", "");
    auto issuer = find_issuer(ctx.txn, mount, issuer_id.empty() ? "default" : issuer_id);
    if (!issuer) issuer = require_issuer(ctx.txn, mount, "default");
    auto cert = issuer->cert();
    return answer_ocsp(ctx, x509::ocsp_request_for(cert.get(), s));
}

}  // namespace pki::engine
