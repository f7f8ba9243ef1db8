#include "engine/issuance.hpp"

#include "crypto/random.hpp"
#include "engine/records.hpp"
#include "store/codec.hpp"
#include "policy/idna.hpp"
#include "policy/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"
#include "x509/cert.hpp"

namespace pki::engine {

namespace {

// Is a name's A-label form a host name (a wildcard label allowed)?
bool is_host_name(std::string ascii) {
    if (auto star = ascii.find('*'); star != std::string::npos) ascii[star] = 'x';  // a wildcard label
    return policy::is_hostname(ascii);
}

}  // namespace

void add_name_san(x509::Sans& sans, const std::string& name, SanMode mode) {
    auto push_unique = [](std::vector<std::string>& v, const std::string& s) {
        if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
    };
    if (name.find('@') != std::string::npos) {
        push_unique(sans.email, name);
        return;
    }
    auto ascii = policy::to_ascii(name);
    if (ascii && is_host_name(*ascii)) push_unique(sans.dns, *ascii);
    else if (mode == SanMode::AsGiven) push_unique(sans.dns, ascii.value_or(name));
    else if (mode == SanMode::Checked)
        fail(ErrorKind::Invalid, "alt_names: \"{}\" is neither a host name nor an e-mail address; give DNS names or user@host", name);
}

void sort_name_sans(x509::Sans& sans) {
    for (auto* v : {&sans.dns, &sans.email}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
}

std::string ascii_host_name(const std::string& name) {
    // A host name has a dot: a one-word CN ("José", "Zürich") is a name, not a host.
    if (name.find('@') != std::string::npos || name.find('.') == std::string::npos) return name;
    auto ascii = policy::to_ascii(name);
    return ascii && is_host_name(*ascii) ? *ascii : name;
}

x509::Sans sans_from_request(const SanRequest& r, const std::string& common_name) {
    x509::Sans sans;
    if (!common_name.empty() && !r.exclude_cn_from_sans) add_name_san(sans, common_name, SanMode::CommonName);
    for (const auto& n : r.alt_names) add_name_san(sans, n, SanMode::Checked);
    sans.ip = r.ip_sans;
    sans.uri = r.uri_sans;
    for (const auto& o : r.other_sans) {
        auto parsed = policy::parse_other_san(o);
        if (!parsed) fail(ErrorKind::Invalid, "other_sans: \"{}\" is not of the form OID;UTF8:value", o);
        sans.other.emplace_back(parsed->oid, parsed->value);
    }
    sort_name_sans(sans);
    return sans;
}

Validity validity_from_request(Context& ctx, const ValidityRequest& r, int64_t default_ttl, int64_t max_ttl) {
    Validity v;
    v.not_before = ctx.now - r.not_before_duration;
    int64_t ttl = r.ttl;
    if (!r.not_after_text.empty() && ttl > 0) fail(ErrorKind::Invalid, "ttl and not_after cannot both be given; use one of them");
    if (!r.not_after_text.empty() && !r.not_after)
        fail(ErrorKind::Invalid, "not_after \"{}\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ", r.not_after_text);
    if (r.not_after) {
        if (*r.not_after <= ctx.now) fail(ErrorKind::Invalid, "not_after {} is in the past", r.not_after_text);
        v.not_after = *r.not_after;
        return v;
    }
    if (ttl <= 0) ttl = default_ttl;
    if (max_ttl > 0 && ttl > max_ttl) {
        ctx.warnings.push_back(fmt::format("TTL \"{}\" is longer than the maximum of {}; capping to {}", util::format_duration(ttl),
                                           util::format_duration(max_ttl), util::format_duration(max_ttl)));
        ttl = max_ttl;
    }
    v.not_after = ctx.now + ttl;
    return v;
}

std::vector<unsigned char> new_serial(const Context& ctx) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        auto serial = crypto::random_serial();
        std::string hex = util::hex_colon(serial.data() + (serial[0] == 0 ? 1 : 0), serial.size() - (serial[0] == 0 ? 1 : 0));
        if (!ctx.txn.get(rec_key(ctx.mount_name(), "cert", hex))) return serial;
    }
    fail(ErrorKind::Internal, "could not find an unused serial number");
}

std::string format_cert_summary(const CertSummary& c) {
    return store::encode(Json::array({c.not_after, c.issuer_id, c.common_name, c.sans}));
}

bool parse_cert_summary(std::string_view serial, std::string_view value, CertSummary& out) {
    out.serial = std::string(serial);
    Json j = store::decode(fmt::format("certmeta/{}", serial), value);
    if (j.is_binary()) {  // written before the record codec: "v1 <not_after> <issuer> <cn>\t<san,...>"
        std::string_view text(reinterpret_cast<const char*>(j.get_binary().data()), j.get_binary().size());
        auto tab = text.find('\t');
        if (tab == std::string_view::npos || text.substr(0, 3) != "v1 ") return false;
        auto head = text.substr(3, tab - 3);
        auto sp1 = head.find(' ');
        auto sp2 = sp1 == std::string_view::npos ? sp1 : head.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos) return false;
        out.not_after = std::stoll(std::string(head.substr(0, sp1)));
        out.issuer_id = std::string(head.substr(sp1 + 1, sp2 - sp1 - 1));
        if (out.issuer_id == "-") out.issuer_id.clear();
        out.common_name = std::string(head.substr(sp2 + 1));
        out.sans = util::split_list(text.substr(tab + 1), ',');
        return true;
    }
    if (!j.is_array() || j.size() != 4 || !j[0].is_number_integer() || !j[1].is_string() || !j[2].is_string() || !j[3].is_array())
        fail(ErrorKind::Storage, "state directory: certificate summary {} is damaged (unexpected fields); restore the state directory from a backup",
             serial);
    out.not_after = j[0].get<int64_t>();
    out.issuer_id = j[1].get<std::string>();
    out.common_name = j[2].get<std::string>();
    out.sans.clear();
    for (const auto& s : j[3]) out.sans.push_back(s.get<std::string>());
    return true;
}

void store_certificate(Context& ctx, X509* cert, const std::string& issuer_id, const std::string& pem) {
    std::string serial = x509::serial_hex(cert);
    auto sans = x509::cert_sans(cert);
    CertSummary summary{serial, x509::common_name(X509_get_subject_name(cert)), {}, x509::not_after(cert), issuer_id};
    for (auto* list : {&sans.dns, &sans.email, &sans.ip, &sans.uri})
        summary.sans.insert(summary.sans.end(), list->begin(), list->end());
    ctx.txn.put(rec_key(ctx.mount_name(), "certmeta", serial), format_cert_summary(summary));
    save(ctx.txn, rec_key(ctx.mount_name(), "cert", serial),
         Json{{"serial_number", serial},
              {"certificate", pem.empty() ? x509::cert_pem(cert) : pem},
              {"issuer_id", issuer_id},
              {"common_name", x509::common_name(X509_get_subject_name(cert))},
              {"not_after", x509::not_after(cert)},
              {"issued", ctx.now}});
}

x509::Urls load_urls(const store::Txn& txn, const std::string& mount) {
    x509::Urls u;
    if (auto r = load(txn, rec_key(mount, "config", "urls"))) {
        u.issuing_certificates = r->value("issuing_certificates", std::vector<std::string>{});
        u.crl_distribution_points = r->value("crl_distribution_points", std::vector<std::string>{});
        u.ocsp_servers = r->value("ocsp_servers", std::vector<std::string>{});
        u.delta_crl_distribution_points = r->value("delta_crl_distribution_points", std::vector<std::string>{});
    }
    return u;
}

Json urls_json(const x509::Urls& u) {
    return Json{{"issuing_certificates", u.issuing_certificates},
                {"crl_distribution_points", u.crl_distribution_points},
                {"delta_crl_distribution_points", u.delta_crl_distribution_points},
                {"ocsp_servers", u.ocsp_servers}};
}

x509::Urls read_urls(Context& ctx) { return load_urls(ctx.txn, ctx.mount_name()); }

x509::Urls write_urls(Context& ctx, const UrlsUpdate& update) {
    auto u = load_urls(ctx.txn, ctx.mount_name());
    auto take = [&](const char* name, const std::optional<std::vector<std::string>>& given, std::vector<std::string>& into) {
        if (!given) return;
        into = *given;
        for (const auto& url : into) {
            auto colon = url.find("://");
            if (colon == std::string::npos || colon == 0 || url.find(',') != std::string::npos ||
                url.find(' ') != std::string::npos)
                fail(ErrorKind::Invalid, "{}: \"{}\" is not a URL (expected a form like http://host/path, without commas)", name, url);
        }
    };
    take("issuing_certificates", update.issuing_certificates, u.issuing_certificates);
    take("crl_distribution_points", update.crl_distribution_points, u.crl_distribution_points);
    take("ocsp_servers", update.ocsp_servers, u.ocsp_servers);
    take("delta_crl_distribution_points", update.delta_crl_distribution_points, u.delta_crl_distribution_points);
    save(ctx.txn, rec_key(ctx.mount_name(), "config", "urls"), urls_json(u));
    return u;
}

}  // namespace pki::engine
