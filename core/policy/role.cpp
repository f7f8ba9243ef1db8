#include "policy/role.hpp"

#include <algorithm>

#include "crypto/keys.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "x509/build.hpp"

namespace pki::policy {

using Json = nlohmann::json;

namespace {

template <typename T>
void take(const Json& r, const char* key, T& into) {
    if (r.contains(key) && !r[key].is_null()) into = r[key].get<T>();
}

void refuse_identity_templates(const std::vector<std::string>& entries, const char* field) {
    for (const auto& e : entries)
        if (e.find("{{") != std::string::npos)
            fail(ErrorKind::Invalid,
                 "{} entry \"{}\" is a Vault identity template; pki has no identities to fill it from, so list the values explicitly",
                 field, e);
}

}  // namespace

bool valid_oid(const std::string& oid) { return is_oid(oid); }

Role role_from_json(const std::string& name, const Json& r) {
    Role role;
    role.name = name;
    for_each_setting(role, [&](const char* key, auto& into) { take(r, key, into); });
    return role;
}

Json role_to_json(const Role& role) {
    Json r = Json::object();
    for_each_setting(role, [&](const char* key, const auto& value) { r[key] = value; });
    return r;
}

namespace {
constexpr char kTimeStamping[] = "1.3.6.1.5.5.7.3.8";
constexpr char kOcspSigning[] = "1.3.6.1.5.5.7.3.9";

// RFC 3161 2.3: a time-stamping certificate has that one extended key usage, marked critical.
void check_time_stamping(const Role& r) {
    auto ekus = role_ext_key_usage(r);
    if (mixes_time_stamping(ekus))
        fail(ErrorKind::Invalid,
             "the TimeStamping extended key usage must be the only one (RFC 3161 2.3), but the role also asks for {}; set "
             "server_flag=false and client_flag=false (and the other flags) and list no other ext_key_usage",
             ekus.size() - 1 == 1 ? "another" : fmt::format("{} others", ekus.size() - 1));
}
}  // namespace

std::vector<std::string> role_ext_key_usage(const Role& role) {
    std::vector<std::string> out;
    auto add = [&](const std::string& oid) {
        if (std::find(out.begin(), out.end(), oid) == out.end()) out.push_back(oid);
    };
    if (role.server_flag) add(x509::ext_key_usage_oid("ServerAuth"));
    if (role.client_flag) add(x509::ext_key_usage_oid("ClientAuth"));
    if (role.code_signing_flag) add(x509::ext_key_usage_oid("CodeSigning"));
    if (role.email_protection_flag) add(x509::ext_key_usage_oid("EmailProtection"));
    for (const auto& e : role.ext_key_usage) add(x509::ext_key_usage_oid(e));
    for (const auto& o : role.ext_key_usage_oids) add(o);
    return out;
}

bool is_time_stamping(const std::vector<std::string>& ekus) { return ekus.size() == 1 && ekus[0] == kTimeStamping; }

bool mixes_time_stamping(const std::vector<std::string>& ekus) {
    return ekus.size() > 1 && std::find(ekus.begin(), ekus.end(), kTimeStamping) != ekus.end();
}

bool is_ocsp_signing(const std::vector<std::string>& ekus) { return ekus.size() == 1 && ekus[0] == kOcspSigning; }

void validate_role(Role& r) {
    if (r.no_store) r.generate_lease = false;  // the reference: no_store implies no lease
    if (r.max_ttl > 0 && r.ttl > r.max_ttl)
        fail(ErrorKind::Invalid, "ttl ({}) cannot be longer than max_ttl ({}); lower ttl or raise max_ttl", util::format_duration(r.ttl),
             util::format_duration(r.max_ttl));
    if (r.key_type == "any") {
        if (r.key_bits != 0) fail(ErrorKind::Invalid, "key_bits must be 0 when key_type is any");
    } else {
        auto spec = crypto::normalize_key_spec(r.key_type, r.key_bits);
        r.key_type = std::string(spec.type_name());
        r.key_bits = spec.bits;
    }
    int sig = r.signature_bits;
    x509::check_signature_bits(sig);
    // As Vault stores it: RSA's 0 is SHA-256, Ed25519 and "any" sign without a chosen hash.
    if (sig == 0 && r.key_type == "rsa") r.signature_bits = 256;
    if (r.key_type == "ed25519" || r.key_type == "any") r.signature_bits = 0;
    if (auto ca_usage = x509::ca_only_usage(x509::key_usage_names(r.key_usage)))
        fail(ErrorKind::Invalid,
             "key_usage {} is only for CA certificates, and a role issues leaves (which would be rejected without CA:TRUE); "
             "remove it, or sign a CA with root/sign-intermediate",
             *ca_usage);
    for (const auto& e : r.ext_key_usage) x509::ext_key_usage_oid(e);
    check_time_stamping(r);
    auto check_oids = [](const char* field, const std::vector<std::string>& oids) {
        for (const auto& oid : oids)
            if (!valid_oid(oid)) fail(ErrorKind::Invalid, "{}: \"{}\" is not a dotted OID such as 1.3.6.1.4.1.311.21.8", field, oid);
    };
    check_oids("ext_key_usage_oids", r.ext_key_usage_oids);
    for (auto& p : r.policy_identifiers) {
        if (!p.empty() && p.front() == '{') {
            p = x509::canonical_policy_identifier(p);  // Error(Invalid) naming what is wrong
            continue;
        }
        if (!valid_oid(p))
            fail(ErrorKind::Invalid, "policy_identifiers: \"{}\" is not a dotted OID such as 1.3.6.1.4.1.311.21.8, nor an object with "
                                     "\"oid\" (and \"cps\", \"notice\")", p);
    }
    for (const auto& o : r.allowed_other_sans)
        if (o != "*" && !parse_other_san(o))
            fail(ErrorKind::Invalid, "allowed_other_sans: \"{}\" is not of the form OID;UTF8:value (UTF8 is the only type; the value may be a glob), or *", o);
    if (r.allowed_domains_template) refuse_identity_templates(r.names.allowed_domains, "allowed_domains");
    if (r.allowed_uri_sans_template) refuse_identity_templates(r.allowed_uri_sans, "allowed_uri_sans");
    if (!r.not_after.empty() && !util::parse_utc_time(r.not_after))
        fail(ErrorKind::Invalid, "not_after \"{}\" is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ", r.not_after);
}

void validate_role(Json& record) {
    Role role = role_from_json("", record);
    validate_role(role);
    if (role.no_store) record["generate_lease"] = false;
    if (role.key_type != "any") {
        record["key_type"] = role.key_type;
        record["key_bits"] = role.key_bits;
    }
    record["signature_bits"] = role.signature_bits;
    record["policy_identifiers"] = role.policy_identifiers;
}

}  // namespace pki::policy
