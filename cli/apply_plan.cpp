#include "cli/apply_plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>

#include "api/fields.hpp"
#include "engine/mounts.hpp"
#include "policy/role.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
using engine::check_mount_name;
namespace {

using api::Json;

struct Located {
    Json value;
    int line = 0;
};

// A section of the file: field name -> value as given (strings/lists/bools), with its line.
using Section = std::map<std::string, Located>;

struct MountDoc {
    std::string name;
    int line = 0;
    Section settings, urls, crl, root, intermediate;
    bool has_urls = false, has_crl = false, has_root = false, has_intermediate = false;
    std::map<std::string, Section> roles;
    std::map<std::string, int> role_lines;
};

[[noreturn]] void file_error(const std::string& file, int line, const std::string& message) {
    fail(ErrorKind::Invalid, "{}:{}: {}", file, line, message);
}

// Rethrow `e`, raised for the fields of `section`, at the line of the field its message names first
// (key_bits, ttl, expiry ...), else at `line`; the error keeps its kind.
[[noreturn]] void fail_at(const std::string& file, const Section& section, int line, const std::string& where, const Error& e) {
    std::string msg = e.what();
    int at = line;
    if (auto f = section.find(e.field()); !e.field().empty() && f != section.end()) {
        at = f->second.line;  // the error names its field
    } else {
        size_t best = std::string::npos;
        for (const auto& [name, loc] : section)
            if (auto pos = msg.find(name); pos < best) {
                best = pos;
                at = loc.line;
            }
    }
    throw Error(e.kind(), fmt::format("{}:{}: {}: {}", file, at, where, msg), e.field(), e.hint());
}

Json to_json(const YAML::Node& n) {
    if (n.IsSequence()) {
        Json a = Json::array();
        for (const auto& item : n) a.push_back(to_json(item));
        return a;
    }
    if (n.IsMap()) {
        Json o = Json::object();
        for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
        return o;
    }
    if (n.IsNull()) return nullptr;
    return n.as<std::string>();
}

Section read_section(const std::string& file, const YAML::Node& node, const std::string& where) {
    if (!node.IsMap()) file_error(file, node.Mark().line + 1, fmt::format("{} must be a mapping of field: value", where));
    Section s;
    for (const auto& kv : node) s[kv.first.as<std::string>()] = Located{to_json(kv.second), kv.first.Mark().line + 1};
    return s;
}

const api::PathSpec& spec_for(const api::Table& t, const std::string& pattern, const std::string& root = "") {
    for (const auto& p : t.paths())
        if (p.pattern == pattern && p.root == root) return p;
    fail(ErrorKind::Internal, "no table entry {}", pattern);
}

// Check every field of `s` against `specs` (plus `extra` names the caller handles itself).
void validate(const std::string& file, const Section& s, const std::vector<api::FieldSpec>& specs, const std::string& where,
              const std::vector<std::string>& extra = {}) {
    for (const auto& [name, loc] : s) {
        if (std::find(extra.begin(), extra.end(), name) != extra.end()) continue;
        const api::FieldSpec* spec = nullptr;
        for (const auto& f : specs)
            if (f.name == name && !f.in_path) spec = &f;
        if (!spec) {
            std::vector<std::string> known;
            for (const auto& f : specs)
                if (!f.in_path) known.push_back(f.name);
            known.insert(known.end(), extra.begin(), extra.end());
            file_error(file, loc.line, fmt::format("unknown field \"{}\" in {}; accepted: {}", name, where, util::join(known, ", ")));
        }
        try {
            api::parse_field(*spec, loc.value, where);
        } catch (const Error& e) {
            file_error(file, loc.line, e.what());
        }
    }
}

Json as_request(const Section& s, const std::vector<std::string>& skip = {}) {
    Json d = Json::object();
    for (const auto& [name, loc] : s)
        if (std::find(skip.begin(), skip.end(), name) == skip.end()) d[name] = loc.value;
    return d;
}

// What a loaded document may expand to through its aliases: far above any real apply file, far
// below what exhausts memory ("billion laughs").
constexpr size_t kMaxYamlNodes = 100000;
constexpr size_t kMaxYamlBytes = 64u << 20;

// Walk the loaded document once, before anything converts it: refuse aliases that contain
// themselves (a cycle would recurse forever), expansions beyond the bounds, mapping keys that are
// not plain values, and duplicate keys, each at its line and column.
void check_yaml(const std::string& file, const YAML::Node& root) {
    size_t nodes = 0, bytes = 0;
    std::vector<YAML::Node> path;
    auto at = [&](const YAML::Node& n) { return fmt::format("{}:{}:{}", file, n.Mark().line + 1, n.Mark().column + 1); };
    std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
        for (const auto& p : path)
            if (p.is(n)) fail(ErrorKind::Invalid, "{}: a YAML alias refers to a node that contains it; write the value out", at(n));
        if (++nodes > kMaxYamlNodes)
            fail(ErrorKind::Invalid, "{}: the YAML document expands to more than {} values through its aliases; write it without nested aliases",
                 file, kMaxYamlNodes);
        if (n.IsScalar()) {
            bytes += n.Scalar().size();
            if (bytes > kMaxYamlBytes)
                fail(ErrorKind::Invalid, "{}: the YAML document expands to more than 64 MiB of text through its aliases", file);
            return;
        }
        if (!n.IsMap() && !n.IsSequence()) return;
        path.push_back(n);
        if (n.IsSequence()) {
            for (const auto& item : n) walk(item);
        } else {
            std::set<std::string> keys;
            for (const auto& kv : n) {
                if (!kv.first.IsScalar())
                    fail(ErrorKind::Invalid, "{}: a mapping key must be a plain value, not a list or a mapping", at(kv.first));
                if (!keys.insert(kv.first.Scalar()).second)
                    fail(ErrorKind::Invalid, "{}: duplicate key \"{}\"; give each key once", at(kv.first), util::printable(kv.first.Scalar(), 100));
                walk(kv.second);
            }
        }
        path.pop_back();
    };
    walk(root);
}

std::vector<MountDoc> parse_doc(const std::string& file, const std::string& text) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        file_error(file, e.mark.line + 1, fmt::format("not valid YAML: {}", e.msg));
    }
    check_yaml(file, root);
    if (!root.IsMap()) file_error(file, 1, "the file must be a mapping with a \"mounts\" key");
    std::vector<MountDoc> mounts;
    for (const auto& top : root) {
        std::string key = top.first.as<std::string>();
        if (key != "mounts") file_error(file, top.first.Mark().line + 1, fmt::format("unknown top-level key \"{}\"; expected mounts", key));
        if (!top.second.IsMap()) file_error(file, top.second.Mark().line + 1, "mounts must map mount names to their settings");
        for (const auto& m : top.second) {
            MountDoc doc;
            doc.name = m.first.as<std::string>();
            doc.line = m.first.Mark().line + 1;
            if (m.second.IsNull()) {
                mounts.push_back(doc);
                continue;
            }
            if (!m.second.IsMap()) file_error(file, doc.line, fmt::format("mount {} must be a mapping", doc.name));
            for (const auto& kv : m.second) {
                std::string k = kv.first.as<std::string>();
                std::string where = "mounts." + doc.name + "." + k;
                int line = kv.first.Mark().line + 1;
                if (k == "urls") doc.urls = read_section(file, kv.second, where), doc.has_urls = true;
                else if (k == "crl") doc.crl = read_section(file, kv.second, where), doc.has_crl = true;
                else if (k == "root") doc.root = read_section(file, kv.second, where), doc.has_root = true;
                else if (k == "intermediate") doc.intermediate = read_section(file, kv.second, where), doc.has_intermediate = true;
                else if (k == "roles") {
                    if (!kv.second.IsMap()) file_error(file, line, where + " must map role names to role fields");
                    for (const auto& r : kv.second) {
                        std::string role = r.first.as<std::string>();
                        doc.roles[role] = r.second.IsNull() ? Section{} : read_section(file, r.second, where + "." + role);
                        doc.role_lines[role] = r.first.Mark().line + 1;
                    }
                } else doc.settings[k] = Located{to_json(kv.second), line};
            }
            mounts.push_back(std::move(doc));
        }
    }
    return mounts;
}

bool exists(const Executor& e, api::Op op, const std::string& path, Json* data = nullptr) {
    try {
        auto r = e({op, path, Json::object()});
        if (data) *data = r.data;
        return true;
    } catch (const Error& err) {
        if (err.kind() == ErrorKind::NotFound) return false;
        throw;
    }
}

}  // namespace

std::vector<ApplyStep> plan_apply(const api::Table& t, const Executor& engine, const std::string& file, const std::string& text) {
    auto mounts = parse_doc(file, text);

    // 1. Validate everything before looking at the state.
    const auto& mount_spec = spec_for(t, "mounts/:path", "sys");
    const auto& urls_spec = spec_for(t, "config/urls");
    const auto& crl_spec = spec_for(t, "config/crl");
    const auto& root_spec = spec_for(t, "root/generate/:type");
    const auto& csr_spec = spec_for(t, "intermediate/generate/:type");
    const auto& sign_spec = spec_for(t, "root/sign-intermediate");
    const auto& role_spec = spec_for(t, "roles/:name");
    for (const auto& m : mounts) {
        std::string w = "mounts." + m.name;
        try {
            check_mount_name(m.name);
        } catch (const Error& e) {
            file_error(file, m.line, e.what());
        }
        validate(file, m.settings, mount_spec.fields, w, {});
        if (m.settings.count("type")) file_error(file, m.settings.at("type").line, "type is always pki; leave it out");
        validate(file, m.urls, urls_spec.fields, w + ".urls");
        validate(file, m.crl, crl_spec.fields, w + ".crl");
        validate(file, m.root, root_spec.fields, w + ".root", {"type"});
        std::vector<api::FieldSpec> inter = csr_spec.fields;
        for (const auto& f : sign_spec.fields)
            if ((f.name == "ttl" || f.name == "max_path_length" || f.name == "permitted_dns_domains" || f.name == "not_after" ||
                 f.name == "not_before_duration" || f.name == "signature_bits") &&
                std::none_of(inter.begin(), inter.end(), [&](const api::FieldSpec& x) { return x.name == f.name; }))
                inter.push_back(f);
        validate(file, m.intermediate, inter, w + ".intermediate", {"signed_by", "type"});
        auto check_type = [&](const Section& s, const char* what, std::vector<std::string> allowed) {
            auto it = s.find("type");
            if (it == s.end()) return;
            std::string v = it->second.value.is_string() ? it->second.value.get<std::string>() : "";
            if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
                file_error(file, it->second.line,
                           fmt::format("field \"type\" in {}.{}: \"{}\" is not allowed here; use {}", w, what, v, util::join(allowed, " or ")));
        };
        check_type(m.root, "root", {"internal", "existing"});
        check_type(m.intermediate, "intermediate", {"internal", "existing"});
        if (m.has_root && m.has_intermediate)
            file_error(file, m.line, fmt::format("mount {} has both root and intermediate; give one", m.name));
        if (m.has_intermediate && !m.intermediate.count("signed_by"))
            file_error(file, m.line, fmt::format("mounts.{}.intermediate needs signed_by: the mount whose default issuer signs it", m.name));
        // Lease TTLs: the default may not exceed the maximum (768h each unless given).
        auto ttl_of = [&](const char* k) -> int64_t {
            auto it = m.settings.find(k);
            if (it == m.settings.end()) return 0;
            return api::parse_field(api::FieldSpec{k, api::FieldType::Duration, nullptr, "", {}}, it->second.value, w).get<int64_t>();
        };
        if (int64_t def = ttl_of("default_lease_ttl"), max = ttl_of("max_lease_ttl"); def && max && def > max)
            file_error(file, m.settings.at("default_lease_ttl").line,
                       fmt::format("{}: default_lease_ttl is longer than max_lease_ttl; lower it", w));
        for (const auto& entry : m.roles) {
            const std::string& role = entry.first;
            const auto& fields = entry.second;
            std::string where = w + ".roles." + role;
            int line = m.role_lines.at(role);
            bool safe = !role.empty();
            for (char c : role) safe = safe && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
            if (!safe) file_error(file, line, fmt::format("role name \"{}\" is not allowed; use letters, digits, '-', '_' or '.'", role));
            validate(file, fields, role_spec.fields, where);
            try {  // the checks that involve several fields (ttl and max_ttl, key_type and key_bits ...)
                Json desired = Json::object();
                for (const auto& f : role_spec.fields)
                    if (!f.in_path) {
                        auto it = fields.find(f.name);
                        desired[f.name] = it != fields.end() ? api::parse_field(f, it->second.value, where)
                                          : f.default_value.is_null() ? api::zero_value(f.type) : api::parse_field(f, f.default_value, where);
                    }
                policy::validate_role(desired);
            } catch (const Error& e) {
                fail_at(file, fields, line, where, e);
            }
        }
    }
    // An intermediate's signer must be a mount that has (or will have) a CA.
    for (const auto& m : mounts)
        if (m.has_intermediate) {
            const Located& by_loc = m.intermediate.at("signed_by");
            std::string by = by_loc.value.is_string() ? by_loc.value.get<std::string>() : "";
            auto in_file = std::find_if(mounts.begin(), mounts.end(), [&](const MountDoc& d) { return d.name == by; });
            bool has_ca = in_file != mounts.end() && (in_file->has_root || in_file->has_intermediate);
            if (!has_ca) {
                Json list;
                has_ca = exists(engine, api::Op::List, by + "/issuers", &list) && !list.value("keys", Json::array()).empty();
            }
            if (by == m.name) file_error(file, by_loc.line, "signed_by names the mount itself; name the mount of the signing CA");
            if (!has_ca)
                file_error(file, by_loc.line,
                           fmt::format("signed_by: mount \"{}\" has no CA in the file or the state to sign with; give it a root or an intermediate", by));
        }
    // Signers first: a mount whose intermediate another mount signs comes after that mount.
    std::vector<MountDoc> ordered;
    std::vector<bool> placed(mounts.size());
    for (size_t round = 0; round < mounts.size() && ordered.size() < mounts.size(); ++round)
        for (size_t i = 0; i < mounts.size(); ++i) {
            if (placed[i]) continue;
            const auto& m = mounts[i];
            std::string by = m.has_intermediate ? m.intermediate.at("signed_by").value.get<std::string>() : "";
            bool ready = by.empty();
            if (!ready) {
                auto it = std::find_if(mounts.begin(), mounts.end(), [&](const MountDoc& d) { return d.name == by; });
                ready = it == mounts.end() || placed[static_cast<size_t>(it - mounts.begin())];
            }
            if (ready) {
                ordered.push_back(m);
                placed[i] = true;
            }
        }
    if (ordered.size() < mounts.size())
        file_error(file, 1, "the intermediates' signed_by entries form a cycle; one mount must have a root");
    mounts = std::move(ordered);

    // 2. Compare with the state and plan. A step that fails when run names the file, the line of
    // the field its error is about (else of the section's owner) and the section.
    std::vector<ApplyStep> steps;
    auto add = [&](std::string description, const Section& fields, int line, std::string where, std::function<void(const Executor&)> fn) {
        steps.push_back({std::move(description), [file, fields, line, where = std::move(where), fn = std::move(fn)](const Executor& e) {
                             try {
                                 fn(e);
                             } catch (const Error& err) {
                                 fail_at(file, fields, line, where, err);
                             }
                         }});
    };
    for (const auto& m : mounts) {
        std::string name = m.name;
        Json current;
        bool have_mount = exists(engine, api::Op::Read, "sys/mounts/" + name + "/tune", &current);
        if (!have_mount) {
            Json d = as_request(m.settings);
            d["type"] = "pki";
            add("create mount " + name, m.settings, m.line, "mounts." + name,
                [name, d](const Executor& e) { e({api::Op::Write, "sys/mounts/" + name, d}); });
        } else {
            std::vector<std::string> changed;
            for (const auto& setting : m.settings) {
                const std::string& k = setting.first;
                const auto& loc = setting.second;
                Json want = api::parse_field(*std::find_if(mount_spec.fields.begin(), mount_spec.fields.end(),
                                                           [&](const api::FieldSpec& f) { return f.name == k; }),
                                             loc.value, name);
                if (current.value(k, Json()) != want) changed.push_back(k);
            }
            if (!changed.empty()) {
                Json d = as_request(m.settings);
                add("tune mount " + name + " (" + util::join(changed, ", ") + ")", m.settings, m.line, "mounts." + name,
                    [name, d](const Executor& e) { e({api::Op::Write, "sys/mounts/" + name + "/tune", d}); });
            }
        }
        auto compare_config = [&](const Section& s, const std::string& path, const api::PathSpec& spec, const char* what,
                                  const char* key) {
            if (s.empty()) return;
            Json cur;
            if (have_mount) exists(engine, api::Op::Read, name + "/" + path, &cur);
            std::vector<std::string> changed;
            for (const auto& entry : s) {
                const std::string& k = entry.first;
                const auto& loc = entry.second;
                const auto& f = *std::find_if(spec.fields.begin(), spec.fields.end(), [&](const api::FieldSpec& x) { return x.name == k; });
                Json want = api::parse_field(f, loc.value, path);
                Json have = cur.is_object() ? cur.value(k, Json()) : Json();
                if (f.type == api::FieldType::Duration && have.is_string()) have = api::parse_field(f, have, path);
                if (have != want) changed.push_back(k);
            }
            if (!changed.empty()) {
                Json d = as_request(s);
                add(fmt::format("set {} of {} ({})", what, name, util::join(changed, ", ")), s, m.line,
                    fmt::format("mounts.{}.{}", name, key), [name, path, d](const Executor& e) { e({api::Op::Write, name + "/" + path, d}); });
            }
        };
        compare_config(m.urls, "config/urls", urls_spec, "URLs", "urls");
        compare_config(m.crl, "config/crl", crl_spec, "CRL settings", "crl");

        bool has_issuer = false;
        if (have_mount) {
            Json list;
            exists(engine, api::Op::List, name + "/issuers", &list);
            has_issuer = list.is_object() && !list.value("keys", Json::array()).empty();
        }
        if (m.has_root && !has_issuer) {
            Json d = as_request(m.root, {"type"});
            std::string type = m.root.count("type") ? m.root.at("type").value.get<std::string>() : "internal";
            add("generate root CA in " + name, m.root, m.line, "mounts." + name + ".root",
                [name, d, type](const Executor& e) { e({api::Op::Write, name + "/root/generate/" + type, d}); });
        }
        if (m.has_intermediate && !has_issuer) {
            Json gen = Json::object(), sign = Json::object();
            for (const auto& [k, loc] : m.intermediate) {
                if (k == "signed_by" || k == "type") continue;
                bool for_sign = k == "ttl" || k == "max_path_length" || k == "permitted_dns_domains" || k == "not_after" ||
                                k == "not_before_duration" || k == "signature_bits";
                (for_sign ? sign : gen)[k] = loc.value;
            }
            std::string by = m.intermediate.at("signed_by").value.get<std::string>();
            std::string type = m.intermediate.count("type") ? m.intermediate.at("type").value.get<std::string>() : "internal";
            add("create intermediate CA in " + name + ", signed by " + by, m.intermediate, m.line, "mounts." + name + ".intermediate",
                [name, gen, sign, by, type](const Executor& e) {
                                 auto csr = e({api::Op::Write, name + "/intermediate/generate/" + type, gen});
                                 Json s = sign;
                                 s["csr"] = csr.data["csr"];
                                 s["format"] = "pem_bundle";
                                 s["use_csr_values"] = true;  // the subject given in the file, as the CSR carries it
                                 auto signed_cert = e({api::Op::Write, by + "/root/sign-intermediate", s});
                                 e({api::Op::Write, name + "/intermediate/set-signed",
                                            Json{{"certificate", signed_cert.data["certificate"]}}});
                });
        }
        for (const auto& entry : m.roles) {
            const std::string& role = entry.first;
            const auto& fields = entry.second;
            Json cur;
            bool have = have_mount && exists(engine, api::Op::Read, name + "/roles/" + role, &cur);
            Json desired = Json::object();
            for (const auto& f : role_spec.fields) {
                if (f.in_path) continue;
                auto it = fields.find(f.name);
                Json v = it != fields.end() ? api::parse_field(f, it->second.value, role)
                                            : (f.default_value.is_null() ? api::zero_value(f.type) : api::parse_field(f, f.default_value, role));
                desired[f.name] = v;
            }
            policy::validate_role(desired);
            std::vector<std::string> changed;
            if (have)
                for (const auto& [k, v] : desired.items())
                    if (cur.value(k, Json()) != v) changed.push_back(k);
            if (!have || !changed.empty()) {
                Json d = as_request(fields);
                add(have ? fmt::format("update role {} in {} ({})", role, name, util::join(changed, ", "))
                         : fmt::format("create role {} in {}", role, name),
                    fields, m.role_lines.at(role), "mounts." + name + ".roles." + role,
                    [name, role, d](const Executor& e) { e({api::Op::Write, name + "/roles/" + role, d}); });
            }
        }
    }
    return steps;
}

}  // namespace pki::cli
