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

namespace pki::engine {
namespace {

constexpr char kKind[] = "issuer";
const std::vector<std::string> kCaKeyUsage{"keyCertSign", "cRLSign"};

Json to_record(const Issuer& i) {
    return Json{{"issuer_id", i.id},         {"issuer_name", i.name},
                {"key_id", i.key_id},        {"certificate", i.certificate},
                {"leaf_not_after_behavior", i.leaf_not_after_behavior},
                {"manual_chain", i.manual_chain}, {"usage", i.usage},
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
    i.leaf_not_after_behavior = r.value("leaf_not_after_behavior", "err");
    i.manual_chain = r.value("manual_chain", std::vector<std::string>{});
    i.usage = r.value("usage", std::vector<std::string>{});
    i.ca_chain = r.value("ca_chain", std::vector<std::string>{});
    i.created = r.value("created", int64_t{0});
    i.subject_der = util::base64_decode(r.value("subject_der", ""));
    i.key_identifier = util::base64_decode(r.value("key_identifier", ""));
    i.not_after = r.value("not_after", int64_t{0});
    return i;
}

void save_issuer(store::Txn& txn, const std::string& mount, const Issuer& i) { save(txn, rec_key(mount, kKind, i.id), to_record(i)); }

void set_default_issuer(store::Txn& txn, const std::string& mount, const std::string& id) {
    save(txn, rec_key(mount, "config", "issuers"), Json{{"default", id}});
}

Json describe(const Issuer& i) {
    return Json{{"issuer_id", i.id},
                {"issuer_name", i.name},
                {"key_id", i.key_id},
                {"certificate", i.certificate},
                {"ca_chain", i.ca_chain},
                {"leaf_not_after_behavior", i.leaf_not_after_behavior},
                {"manual_chain", i.manual_chain.empty() ? Json() : Json(i.manual_chain)},
                {"usage", util::join(i.usage, ",")}};
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
    if (default_issuer_id(ctx.txn, mount).empty()) set_default_issuer(ctx.txn, mount, i.id);
    rebuild_chains(ctx.txn, mount);
    rebuild_crl(ctx, i.id, nullptr);
    return require_issuer(ctx.txn, mount, i.id);
}

struct ChosenKey {
    crypto::PKey key;
    KeyEntry entry;
    bool exported = false;
    std::vector<std::string> warnings;
};

// The key for a root or CSR: generated (internal/exported) or an existing one (key_ref).
ChosenKey choose_key(Context& ctx, const std::string& type) {
    const auto& f = ctx.fields;
    if (type == "kms") fail(ErrorKind::Invalid, "managed keys (type kms) are not available in pki; use internal, exported or existing");
    if (type == "existing") {
        std::string ref = f.str("key_ref").empty() ? "default" : f.str("key_ref");
        KeyEntry e = require_key(ctx.txn, ctx.mount_name(), ref);
        ChosenKey chosen{load_private_key(ctx, e.id), e, false, {}};
        for (const char* field : {"key_type", "key_bits"})  // as in Vault: ignored, but said so
            if (f.has(field))
                chosen.warnings.push_back(fmt::format("{} is ignored for type existing: key {} is used as it is", field, e.id));
        return chosen;
    }
    if (type != "internal" && type != "exported")
        fail(ErrorKind::Invalid, "type \"{}\" is not supported; use internal, exported or existing", type);
    auto spec = crypto::normalize_key_spec(f.str("key_type"), static_cast<int>(f.integer("key_bits")));
    check_key_name_free(ctx.txn, ctx.mount_name(), f.str("key_name"), "");
    if (type == "exported" && !ctx.keys.exportable())
        fail(ErrorKind::Denied, "the key store of this state keeps keys it generates; use type internal");
    auto generated = ctx.keys.generate(spec);
    KeyEntry e = store_key(ctx, generated.key.get(), f.str("key_name"), nullptr, generated.stored);
    return {std::move(generated.key), e, type == "exported", {}};
}

std::string require_common_name(const x509::Subject& s) {
    if (s.common_name.empty()) fail(ErrorKind::Invalid, "common_name is required; give the CA's name, e.g. common_name=\"Example Root CA\"");
    return s.common_name;
}

// permitted_dns_domains as host names (a leading dot allowed, IDNA converted), or Error(Invalid).
std::vector<std::string> permitted_dns_domains(const api::Fields& f) {
    std::vector<std::string> out;
    for (const auto& d : f.list("permitted_dns_domains")) {
        std::string_view host = d.front() == '.' ? std::string_view(d).substr(1) : std::string_view(d);
        auto ascii = policy::to_ascii(host);
        if (!ascii || !policy::is_hostname(*ascii))
            fail(ErrorKind::Invalid, "permitted_dns_domains: \"{}\" is not a DNS domain such as example.com or .example.com", d);
        std::string domain = d.front() == '.' ? "." : "";
        out.push_back(domain.append(*ascii));
    }
    return out;
}

void check_path_length(int64_t v) {
    if (v < -1 || v > 1000000)
        fail(ErrorKind::Invalid, "max_path_length {} is not allowed; use -1 (no limit) or 0 to 1000000", v);
}

void check_leaf_behavior(const std::string& b) {
    if (b != "err" && b != "truncate" && b != "permit")
        fail(ErrorKind::Invalid, "leaf_not_after_behavior \"{}\" is not supported; use err, truncate or permit", b);
}

// Apply the issuer's leaf_not_after_behavior to a requested notAfter.
int64_t fit_to_issuer(const Issuer& issuer, X509* issuer_cert, int64_t not_after) {
    int64_t limit = x509::not_after(issuer_cert);
    if (not_after <= limit) return not_after;
    if (issuer.leaf_not_after_behavior == "permit") return not_after;
    if (issuer.leaf_not_after_behavior == "truncate") return limit;
    fail(ErrorKind::Denied,
         "the requested expiry {} is after the expiry {} of issuer {}; ask for a shorter ttl, or set the issuer's "
         "leaf_not_after_behavior to truncate or permit",
         util::format_utc_time(not_after), util::format_utc_time(limit), issuer.name.empty() ? issuer.id : issuer.name);
}

std::vector<std::string> csr_key_usages(X509_REQ* req) {
    std::vector<std::string> out;
    crypto::Extensions exts(X509_REQ_get_extensions(req));
    if (!exts) return out;
    int idx = X509v3_get_ext_by_NID(exts.get(), NID_key_usage, -1);
    if (idx < 0) return out;
    crypto::Handle<ASN1_BIT_STRING, ASN1_BIT_STRING_free> bits(
        static_cast<ASN1_BIT_STRING*>(X509V3_EXT_d2i(sk_X509_EXTENSION_value(exts.get(), idx))));
    static const char* kNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
                                   "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};
    for (int b = 0; b < 9 && bits; ++b)
        if (ASN1_BIT_STRING_get_bit(bits.get(), b)) out.push_back(kNames[b]);
    return out;
}

// What a CA-signing path answers: certificate, issuing_ca, ca_chain, serial_number, expiration.
Json signed_response(X509* cert, const Issuer& issuer, const std::string& format) {
    std::string issuing = issuer.certificate;
    Json data{{"serial_number", x509::serial_hex(cert)}, {"expiration", x509::not_after(cert)}};
    std::vector<std::string> chain = issuer.ca_chain;
    if (format == "der") {
        issuing = encode_cert(issuer.cert().get(), "der");
        for (auto& c : chain) c = encode_cert(x509::parse_cert(c).get(), "der");
    }
    std::string certificate = encode_cert(cert, format);
    if (format == "pem_bundle") certificate.append("\n").append(util::join(issuer.ca_chain, "\n"));
    data["certificate"] = certificate;
    data["issuing_ca"] = issuing;
    data["ca_chain"] = chain;
    return data;
}

struct ImportResult {
    Json imported_issuers = Json::array();
    Json imported_keys = Json::array();
    Json mapping = Json::object();
    std::vector<std::string> warnings;
};

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
    for (auto& [id, key] : r.mapping.items())
        if (auto i = find_issuer(ctx.txn, mount, id)) key = i->key_id;
    if (r.imported_issuers.empty() && r.imported_keys.empty() && (!certs.empty() || !keys.empty()))
        r.warnings.push_back("everything in the bundle was already present; nothing was imported");
    return r;
}

Json import_response(const ImportResult& r) {
    return Json{{"imported_issuers", r.imported_issuers.empty() ? Json() : r.imported_issuers},
                {"imported_keys", r.imported_keys.empty() ? Json() : r.imported_keys},
                {"mapping", r.mapping}};
}

Issuer default_issuer(const store::Txn& txn, const std::string& mount) {
    std::string id = default_issuer_id(txn, mount);
    if (id.empty())
        fail_hint(ErrorKind::NotFound, Hint{"generate a root", "write", mount + "/root/generate/internal", "common_name=..."},
                  "mount {} has no default issuer", mount);
    return require_issuer(txn, mount, id);
}

}  // namespace

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

bool Issuer::can(const std::string& u) const { return std::find(usage.begin(), usage.end(), u) != usage.end(); }
crypto::Cert Issuer::cert() const { return x509::parse_cert(certificate); }

std::vector<Issuer> all_issuers(const store::Txn& txn, const std::string& mount) {
    std::vector<Issuer> out;
    txn.scan(rec_prefix(mount, kKind), [&](std::string_view key, std::string_view value) {
        out.push_back(from_record(decode_record(key, value)));
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
    if (auto r = load(txn, rec_key(mount, kKind, id))) return from_record(*r);
    for (auto& i : all_issuers(txn, mount))
        if (!i.name.empty() && i.name == ref) return i;
    return std::nullopt;
}

Issuer require_issuer(const store::Txn& txn, const std::string& mount, const std::string& ref) {
    if (auto i = find_issuer(txn, mount, ref)) return *i;
    if (ref == "default") default_issuer(txn, mount);
    fail_hint(ErrorKind::NotFound, Hint{"list issuers", "list", mount + "/issuers", ""}, "no issuer \"{}\" in mount {}", ref, mount);
}

Issuer signing_issuer(const Context& ctx, const std::string& ref) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ref.empty() ? "default" : ref);
    std::string label = i.name.empty() ? i.id : i.name;
    if (!i.can("issuing-certificates"))
        fail(ErrorKind::Denied, "issuer {} may not issue certificates (usage: {}); add issuing-certificates to its usage to allow it",
             label, util::join(i.usage, ","));
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
        }
    }
}

// ---- generation -----------------------------------------------------------------------------

api::Response generate_root(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    check_path_length(f.integer("max_path_length"));
    check_issuer_name_free(ctx.txn, ctx.mount_name(), f.str("issuer_name"), "");
    auto subject = subject_from_fields(f);
    require_common_name(subject);
    auto sans = sans_from_fields(f, subject.common_name);
    std::vector<std::string> warnings;
    auto validity = validity_from_fields(ctx, ctx.m().default_lease_ttl, ctx.m().max_lease_ttl, warnings, f.duration("not_before_duration"));
    auto chosen = choose_key(ctx, f.str("type"));
    warnings.insert(warnings.end(), chosen.warnings.begin(), chosen.warnings.end());

    auto name = x509::build_name(subject);
    x509::CertSpec spec;
    spec.subject = name.get();
    spec.public_key = chosen.key.get();
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = validity.not_after;
    spec.ca = true;
    spec.max_path_len = static_cast<int>(f.integer("max_path_length"));
    spec.key_usage = kCaKeyUsage;
    spec.sans = sans;
    spec.permitted_dns_domains = permitted_dns_domains(f);
    spec.urls = load_urls(ctx.txn, ctx.mount_name());
    auto cert = x509::sign_certificate(spec, x509::Signer{}, chosen.key.get());
    Issuer issuer = add_issuer(ctx, cert.get(), chosen.entry.id, f.str("issuer_name"));
    store_certificate(ctx, cert.get(), issuer.id);

    std::string certificate = encode_cert(cert.get(), format);
    Json data{{"certificate", certificate},
              {"issuing_ca", certificate},
              {"serial_number", x509::serial_hex(cert.get())},
              {"expiration", x509::not_after(cert.get())},
              {"issuer_id", issuer.id},
              {"issuer_name", issuer.name},
              {"key_id", chosen.entry.id},
              {"key_name", chosen.entry.name}};
    if (chosen.exported) {
        std::string key = encode_private_key(chosen.key.get(), format, f.str("private_key_format"));
        data["private_key"] = key;
        data["private_key_type"] = chosen.entry.type;
        if (format == "pem_bundle") data["certificate"] = key + "\n" + certificate;
    }
    return api::reply(std::move(data), std::move(warnings));
}

api::Response generate_intermediate(Context& ctx) {
    const auto& f = ctx.fields;
    std::string format = f.str("format");
    check_format(format);
    auto subject = subject_from_fields(f);
    auto sans = sans_from_fields(f, subject.common_name);
    std::string type = f.has("type") ? f.str("type") : "existing";
    auto chosen = choose_key(ctx, type);
    auto name = x509::build_name(subject);
    x509::CsrSpec spec;
    spec.subject = name.get();
    spec.sans = sans;
    spec.add_basic_constraints = f.boolean("add_basic_constraints");
    auto csr = x509::make_csr(spec, chosen.key.get());
    std::string csr_text = encode_csr(csr.get(), format);
    Json data{{"csr", csr_text}, {"key_id", chosen.entry.id}, {"key_name", chosen.entry.name}, {"key_type", chosen.entry.type}};
    if (chosen.exported) {
        std::string key = encode_private_key(chosen.key.get(), format, f.str("private_key_format"));
        data["private_key"] = key;
        data["private_key_type"] = chosen.entry.type;
        if (format == "pem_bundle") data["csr"] = key + "\n" + csr_text;
    }
    std::vector<std::string> warnings = chosen.warnings;
    if (f.has("ttl")) warnings.push_back("ttl does not apply to a CSR; give it when the CSR is signed (sign-intermediate ttl=...)");
    return api::reply(std::move(data), std::move(warnings));
}

api::Response cross_sign(Context& ctx) { return generate_intermediate(ctx); }

api::Response sign_intermediate(Context& ctx) {
    const auto& f = ctx.fields;
    const auto& mount = ctx.mount_name();
    std::string format = f.str("format");
    check_format(format);
    check_path_length(f.integer("max_path_length"));
    Issuer issuer = signing_issuer(ctx, f.str("issuer_ref"));
    auto issuer_cert = issuer.cert();
    std::string label = issuer.name.empty() ? issuer.id : issuer.name;
    std::vector<std::string> warnings;

    int issuer_pl = x509::path_len(issuer_cert.get());
    if (issuer_pl == 0)
        fail(ErrorKind::Denied, "issuer {} has a path length of 0, so it cannot sign an intermediate CA; sign with an issuer whose path length allows it",
             label);
    int mpl = static_cast<int>(f.integer("max_path_length"));
    if (issuer_pl > 0) {
        if (mpl < 0) mpl = issuer_pl - 1;
        else if (mpl > issuer_pl - 1) {
            warnings.push_back(fmt::format("max_path_length {} exceeds what issuer {} allows; using {}", mpl, label, issuer_pl - 1));
            mpl = issuer_pl - 1;
        }
    }

    std::string csr_text = f.str("csr");
    if (util::trim(csr_text).empty()) fail(ErrorKind::Invalid, "csr is required; give the PEM CSR (csr=@intermediate.csr)");
    auto csr = x509::parse_csr(csr_text);
    EVP_PKEY* pub = X509_REQ_get0_pubkey(csr.get());
    auto kspec = crypto::describe_key(pub);
    if (kspec.type == "rsa" && kspec.bits < 2048)
        fail(ErrorKind::Invalid, "the CSR's RSA key has {} bits; at least 2048 are required", kspec.bits);

    x509::CertSpec spec;
    crypto::Name built;
    crypto::Extensions csr_exts;
    spec.key_usage = kCaKeyUsage;
    if (f.boolean("use_csr_values")) {
        spec.subject = X509_REQ_get_subject_name(csr.get());
        csr_exts.reset(X509_REQ_get_extensions(csr.get()));
        spec.copy_extensions = csr_exts.get();
        for (const auto& ku : csr_key_usages(csr.get()))
            if (std::find(spec.key_usage.begin(), spec.key_usage.end(), ku) == spec.key_usage.end()) spec.key_usage.push_back(ku);
    } else {
        auto subject = subject_from_fields(f);
        if (subject.common_name.empty()) subject.common_name = x509::common_name(X509_REQ_get_subject_name(csr.get()));
        require_common_name(subject);
        built = x509::build_name(subject);
        spec.subject = built.get();
        spec.sans = sans_from_fields(f, subject.common_name);
    }
    auto validity = validity_from_fields(ctx, ctx.m().default_lease_ttl, ctx.m().max_lease_ttl, warnings, f.duration("not_before_duration"));
    spec.public_key = pub;
    spec.serial = new_serial(ctx);
    spec.not_before = validity.not_before;
    spec.not_after = fit_to_issuer(issuer, issuer_cert.get(), validity.not_after);
    spec.ca = true;
    spec.max_path_len = mpl;
    spec.permitted_dns_domains = permitted_dns_domains(f);
    spec.urls = load_urls(ctx.txn, mount);
    auto signer = load_private_key(ctx, issuer.key_id);
    auto cert = x509::sign_certificate(spec, x509::signer_of(issuer_cert.get()), signer.get(), static_cast<int>(f.integer("signature_bits")));
    store_certificate(ctx, cert.get(), issuer.id);
    return api::reply(signed_response(cert.get(), issuer, format), std::move(warnings));
}

api::Response sign_self_issued(Context& ctx) {
    const auto& f = ctx.fields;
    Issuer issuer = signing_issuer(ctx, f.str("issuer_ref"));
    auto issuer_cert = issuer.cert();
    std::string text = f.str("certificate");
    if (util::trim(text).empty()) fail(ErrorKind::Invalid, "certificate is required; give the PEM self-issued CA certificate");
    auto cert = x509::parse_cert(text);
    x509::refuse_weak_signature(X509_get_signature_nid(cert.get()), "the certificate");
    crypto::refuse_weak_key(X509_get0_pubkey(cert.get()), "the certificate");
    if (!x509::self_issued(cert.get()))
        fail(ErrorKind::Invalid, "the certificate is not self-issued (its subject and issuer differ); use sign-intermediate for a CSR instead");
    if (!x509::is_ca(cert.get())) fail(ErrorKind::Invalid, "the certificate is not a CA certificate; only self-issued CA certificates can be signed here");
    if (f.boolean("require_matching_certificate_algorithms") &&
        x509::key_algorithm(X509_get0_pubkey(cert.get())) != x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())))
        fail(ErrorKind::Invalid, "the certificate's key algorithm ({}) differs from the issuer's ({})",
             x509::key_algorithm(X509_get0_pubkey(cert.get())), x509::key_algorithm(X509_get0_pubkey(issuer_cert.get())));
    auto signer = load_private_key(ctx, issuer.key_id);
    auto out = x509::resign_certificate(cert.get(), issuer_cert.get(), signer.get(), load_urls(ctx.txn, ctx.mount_name()));
    return api::reply(Json{{"certificate", x509::cert_pem(out.get())}, {"issuing_ca", issuer.certificate}});
}

api::Response set_signed(Context& ctx) {
    auto r = import_pem(ctx, ctx.fields.str("certificate"), false, "certificate");
    for (const auto& id : r.imported_issuers)
        if (auto i = find_issuer(ctx.txn, ctx.mount_name(), id.get<std::string>()); i && i->key_id.empty())
            r.warnings.push_back(fmt::format("issuer {} has no matching key in mount {}; it cannot sign until its key is imported", i->id,
                                             ctx.mount_name()));
    return api::reply(import_response(r), r.warnings);
}

api::Response import_bundle(Context& ctx) {
    auto r = import_pem(ctx, ctx.fields.str("pem_bundle"), true, "pem_bundle");
    return api::reply(import_response(r), r.warnings);
}

api::Response import_cert(Context& ctx) {
    auto r = import_pem(ctx, ctx.fields.str("pem_bundle"), false, "pem_bundle");
    return api::reply(import_response(r), r.warnings);
}

api::Response delete_root(Context& ctx) {
    const auto& mount = ctx.mount_name();
    ctx.txn.erase_prefix(rec_prefix(mount, kKind));
    ctx.txn.erase_prefix(rec_prefix(mount, "key"));
    ctx.txn.erase_prefix(rec_prefix(mount, "crl"));
    ctx.txn.del(rec_key(mount, "config", "issuers"));
    ctx.txn.del(rec_key(mount, "config", "keys"));
    return api::reply(nullptr, {fmt::format("every issuer and key of mount {} was deleted", mount)});
}

// ---- issuers --------------------------------------------------------------------------------

api::Response list_issuers(Context& ctx) {
    Json keys = Json::array(), info = Json::object();
    for (const auto& i : all_issuers(ctx.txn, ctx.mount_name())) {
        keys.push_back(i.id);
        info[i.id] = Json{{"issuer_name", i.name}};
    }
    return api::reply(Json{{"keys", keys}, {"key_info", info}});
}

api::Response read_issuer(Context& ctx) {
    return api::reply(describe(require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"))));
}

namespace {

api::Response update_issuer(Context& ctx, bool patch) {
    const auto& mount = ctx.mount_name();
    const auto& f = ctx.fields;
    Issuer i = require_issuer(ctx.txn, mount, f.str("issuer_ref"));
    auto given = [&](const char* name) { return !patch || f.has(name); };
    if (given("issuer_name")) {
        check_issuer_name_free(ctx.txn, mount, f.str("issuer_name"), i.id);
        i.name = f.str("issuer_name");
    }
    if (given("leaf_not_after_behavior")) {
        check_leaf_behavior(f.str("leaf_not_after_behavior"));
        i.leaf_not_after_behavior = f.str("leaf_not_after_behavior");
    }
    if (given("usage")) {
        i.usage = f.has("usage") ? f.list("usage") : std::vector<std::string>{"read-only", "issuing-certificates", "crl-signing"};
        if (std::find(i.usage.begin(), i.usage.end(), "read-only") == i.usage.end()) i.usage.insert(i.usage.begin(), "read-only");
    }
    if (given("manual_chain")) {
        std::vector<std::string> chain;
        for (const auto& ref : f.list("manual_chain")) {
            Issuer member = require_issuer(ctx.txn, mount, ref == "self" ? i.id : ref);
            if (std::find(chain.begin(), chain.end(), member.id) != chain.end())
                fail(ErrorKind::Invalid, "manual_chain names issuer {} twice (\"{}\"); list each issuer once", member.id, ref);
            chain.push_back(member.id);
        }
        if (!chain.empty() && chain.front() != i.id)
            fail(ErrorKind::Invalid, "manual_chain must start with the issuer itself ({}), then its parents", i.id);
        i.manual_chain = chain;
    }
    save_issuer(ctx.txn, mount, i);
    rebuild_chains(ctx.txn, mount);
    std::vector<std::string> warnings;
    if (given("usage")) rebuild_crl(ctx, i.id, i.can("crl-signing") ? &warnings : nullptr);
    return api::reply(describe(require_issuer(ctx.txn, mount, i.id)), std::move(warnings));
}

}  // namespace

api::Response write_issuer(Context& ctx) { return update_issuer(ctx, false); }
api::Response patch_issuer(Context& ctx) { return update_issuer(ctx, true); }

api::Response delete_issuer(Context& ctx) {
    const auto& mount = ctx.mount_name();
    // Idempotent, as in Vault: deleting what is not there succeeds, with a warning.
    auto found = find_issuer(ctx.txn, mount, ctx.fields.str("issuer_ref"));
    if (!found)
        return api::reply(nullptr,
                          {fmt::format("there is no issuer \"{}\" in mount {}; nothing was deleted", ctx.fields.str("issuer_ref"), mount)});
    const Issuer& i = *found;
    ctx.txn.del(rec_key(mount, kKind, i.id));
    crl_after_issuer_deleted(ctx, i.cert().get());
    std::vector<std::string> warnings;
    if (default_issuer_id(ctx.txn, mount) == i.id) {
        ctx.txn.del(rec_key(mount, "config", "issuers"));
        warnings.push_back(fmt::format("issuer {} was the default issuer; the mount now has no default issuer (set one with: pki write {}/config/issuers default=...)",
                                       i.id, mount));
    }
    // Other issuers' manual chains may name it; drop it from them.
    for (auto& other : all_issuers(ctx.txn, mount)) {
        auto it = std::remove(other.manual_chain.begin(), other.manual_chain.end(), i.id);
        if (it != other.manual_chain.end()) {
            other.manual_chain.erase(it, other.manual_chain.end());
            save_issuer(ctx.txn, mount, other);
        }
    }
    rebuild_chains(ctx.txn, mount);
    return api::reply(nullptr, std::move(warnings));
}

api::Response read_issuer_json(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::reply(Json{{"certificate", i.certificate}, {"ca_chain", i.ca_chain}, {"issuer_id", i.id}, {"issuer_name", i.name}, {"revocation_time", 0}});
}

api::Response read_issuer_der(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::raw_reply("application/pkix-cert", x509::cert_der(i.cert().get()));
}

api::Response read_issuer_pem(Context& ctx) {
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ctx.fields.str("issuer_ref"));
    return api::raw_reply("application/pem-certificate-chain", i.certificate + "\n");
}

api::Response read_issuers_config(Context& ctx) {
    return api::reply(Json{{"default", default_issuer_id(ctx.txn, ctx.mount_name())}});
}

api::Response write_issuers_config(Context& ctx) {
    std::string ref = ctx.fields.str("default");
    if (ref.empty()) fail(ErrorKind::Invalid, "field \"default\" is required: the issuer (id or name) to make the default");
    Issuer i = require_issuer(ctx.txn, ctx.mount_name(), ref);
    set_default_issuer(ctx.txn, ctx.mount_name(), i.id);
    return api::reply(Json{{"default", i.id}});
}

// ---- CA and certificate reads ----------------------------------------------------------------

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
