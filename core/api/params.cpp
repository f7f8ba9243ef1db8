#include "api/params.hpp"

#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::api {

engine::CertFormat cert_format(const Fields& f) {
    std::string name = f.str("format");
    if (name.empty()) return engine::CertFormat::Pem;
    auto format = engine::parse_cert_format(name);
    if (!format) throw Error(ErrorKind::Invalid, fmt::format("format \"{}\" is not supported; use pem, der or pem_bundle", name), "format");
    return *format;
}

engine::OutputFormat output_format(const Fields& f) {
    engine::OutputFormat out;
    out.format = cert_format(f);
    out.private_key_format = crypto::parse_private_key_format(f.str("private_key_format"));
    return out;
}

crypto::KeySpec key_spec(const Fields& f) {
    return crypto::normalize_key_spec(f.str("key_type"), static_cast<int>(f.integer("key_bits")));
}

x509::Subject subject(const Fields& f) {
    x509::Subject s;
    s.common_name = f.str("common_name");
    s.ou = f.list("ou");
    s.organization = f.list("organization");
    s.country = f.list("country");
    s.locality = f.list("locality");
    s.province = f.list("province");
    s.street_address = f.list("street_address");
    s.postal_code = f.list("postal_code");
    s.serial_number = f.str("serial_number");
    return s;
}

engine::SanRequest san_request(const Fields& f) {
    engine::SanRequest r;
    r.alt_names = f.list("alt_names");
    r.ip_sans = f.list("ip_sans");
    r.uri_sans = f.list("uri_sans");
    r.other_sans = f.list("other_sans");
    r.exclude_cn_from_sans = f.boolean("exclude_cn_from_sans");
    return r;
}

engine::ValidityRequest validity_request(const Fields& f) {
    engine::ValidityRequest v;
    v.ttl = f.duration("ttl");
    v.not_before_duration = f.value("not_before_duration").is_null() ? 30 : f.duration("not_before_duration");
    v.not_after_text = f.str("not_after");
    if (!v.not_after_text.empty()) v.not_after = util::parse_utc_time(v.not_after_text);  // unset when not a time: refused by the operation
    return v;
}

engine::CaConstraints ca_constraints(const Fields& f) {
    engine::CaConstraints c;
    c.max_path_length = f.value("max_path_length").is_null() ? -1 : f.integer("max_path_length");
    c.permitted_dns_domains = f.list("permitted_dns_domains");
    return c;
}


std::optional<std::string> given_str(const Fields& f, const std::string& name) {
    if (!f.has(name)) return std::nullopt;
    return f.str(name);
}

}  // namespace pki::api
