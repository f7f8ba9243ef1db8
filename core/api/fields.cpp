#include "api/fields.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::api {

std::string_view op_name(Op op) {
    switch (op) {
        case Op::Read: return "read";
        case Op::Write: return "write";
        case Op::List: return "list";
        case Op::Delete: return "delete";
        case Op::Patch: return "patch";
    }
    return "?";
}

std::optional<Op> parse_op(std::string_view name) {
    for (Op op : {Op::Read, Op::Write, Op::List, Op::Delete, Op::Patch})
        if (op_name(op) == name) return op;
    return std::nullopt;
}

std::string_view type_name(FieldType t) {
    switch (t) {
        case FieldType::String: return "string";
        case FieldType::Int: return "int";
        case FieldType::Bool: return "bool";
        case FieldType::Duration: return "duration";
        case FieldType::List: return "list";
        case FieldType::Map: return "map";
    }
    return "?";
}

namespace {

std::string shown(const FieldSpec& spec, const Json& raw) {
    if (spec.sensitive) return "(value hidden)";
    std::string s = raw.is_string() ? raw.get<std::string>() : raw.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::string out(1, '"');
    out.append(util::printable(s, 57)).push_back('"');
    return out;
}

[[noreturn]] void bad(const FieldSpec& spec, const Json& raw, std::string_view path, std::string_view expect) {
    fail(ErrorKind::Invalid, "field \"{}\" on {}: {} is not {}", spec.name, path, shown(spec, raw), expect);
}

Json parse_bool(const FieldSpec& spec, const Json& raw, std::string_view path) {
    if (raw.is_boolean()) return raw;
    if (raw.is_number_integer()) {
        if (raw.get<int64_t>() == 0 || raw.get<int64_t>() == 1) return raw.get<int64_t>() == 1;
    }
    if (raw.is_string()) {
        auto s = util::to_lower(util::trim(raw.get<std::string>()));
        if (s == "true" || s == "1" || s == "t" || s == "yes") return true;
        if (s == "false" || s == "0" || s == "f" || s == "no") return false;
    }
    bad(spec, raw, path, "a boolean (use true or false)");
}

Json parse_int(const FieldSpec& spec, const Json& raw, std::string_view path) {
    if (raw.is_number_integer()) return raw.get<int64_t>();
    if (raw.is_string()) {
        auto s = util::trim(raw.get_ref<const std::string&>());
        int64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return v;
    }
    bad(spec, raw, path, "an integer");
}

// The longest duration any field takes: a century, far beyond any CA's lifetime and far inside
// what X.509 times can encode (year 9999), so no accepted value yields an unencodable certificate
// or CRL, and no sum of a time and a duration overflows.
constexpr int64_t kMaxDurationSeconds = int64_t{100} * 365 * 86400 + 25 * 86400;  // 876600h

Json parse_duration(const FieldSpec& spec, const Json& raw, std::string_view path) {
    std::optional<int64_t> seconds;
    if (raw.is_number_unsigned() && raw.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) seconds = INT64_MAX;
    else if (raw.is_number_integer() && raw.get<int64_t>() >= 0) seconds = raw.get<int64_t>();
    else if (raw.is_string()) {
        auto s = util::trim(raw.get_ref<const std::string&>());
        if (s.empty()) return int64_t{0};
        seconds = util::parse_duration(s);
    }
    if (!seconds) bad(spec, raw, path, "a duration (use forms like 72h, 30m, 45s, 1d or a number of seconds)");
    if (*seconds > kMaxDurationSeconds)
        fail(ErrorKind::Invalid, "field \"{}\" on {}: {} is longer than 100 years (876600h), the longest duration pki takes; give a shorter one",
             spec.name, path, raw.is_string() ? raw.get<std::string>() : raw.dump());
    return *seconds;
}

// Every string in `v` (and its keys) is UTF-8 without NUL bytes: the store keeps JSON, and names
// with NULs would be cut short by the C APIs they reach.
void check_text(const FieldSpec& spec, const Json& v, std::string_view path) {
    auto check = [&](const std::string& s) {
        if (!util::valid_utf8(s))
            fail(ErrorKind::Invalid, "field \"{}\" on {}: the value is not valid UTF-8 text; give it in UTF-8", spec.name, path);
        if (s.find('\0') != std::string::npos)
            fail(ErrorKind::Invalid, "field \"{}\" on {}: the value contains a NUL byte; remove it", spec.name, path);
    };
    if (v.is_string()) check(v.get_ref<const std::string&>());
    else if (v.is_array())
        for (const auto& item : v) check_text(spec, item, path);
    else if (v.is_object())
        for (const auto& [k, item] : v.items()) {
            check(k);
            check_text(spec, item, path);
        }
}

Json parse_list(const FieldSpec& spec, const Json& raw, std::string_view path) {
    Json out = Json::array();
    if (raw.is_array()) {
        for (const auto& item : raw) {
            if (item.is_object() && spec.object_items) {  // policy_identifiers: {"oid": ..., "cps": ..., "notice": ...}
                out.push_back(item.dump());
                continue;
            }
            if (!item.is_string()) bad(spec, raw, path, "a list of strings");
            auto s = util::trim(item.get_ref<const std::string&>());
            if (!s.empty()) out.push_back(std::string(s));
        }
        return out;
    }
    if (raw.is_string()) {
        const auto& s = raw.get_ref<const std::string&>();
        auto t = util::trim(s);
        if (!t.empty() && t.front() == '[') {
            Json parsed = parse_user_json(t);
            if (!parsed.is_discarded() && parsed.is_array()) return parse_list(spec, parsed, path);
        }
        for (auto& piece : util::split_list(s, ',')) out.push_back(piece);
        return out;
    }
    bad(spec, raw, path, "a list (a comma-separated string or a JSON array of strings)");
}

}  // namespace

Json parse_user_json(std::string_view text) {
    struct TooDeep {};
    try {
        return Json::parse(
            text,
            [](int depth, Json::parse_event_t, Json&) {
                if (depth > 32) throw TooDeep{};
                return true;
            },
            false);
    } catch (const TooDeep&) {
        return Json(Json::value_t::discarded);
    }
}

Json parse_field(const FieldSpec& spec, const Json& raw, std::string_view path) {
    check_text(spec, raw, path);
    Json v;
    switch (spec.type) {
        case FieldType::String:
            if (raw.is_string()) v = raw;
            else if (raw.is_number() || raw.is_boolean()) v = raw.dump();
            else if (raw.is_null()) v = "";
            else bad(spec, raw, path, "a string");
            break;
        case FieldType::Int: v = parse_int(spec, raw, path); break;
        case FieldType::Bool: v = parse_bool(spec, raw, path); break;
        case FieldType::Duration: v = parse_duration(spec, raw, path); break;
        case FieldType::List: v = parse_list(spec, raw, path); break;
        case FieldType::Map:
            if (raw.is_object()) v = raw;
            else if (raw.is_string()) {
                v = parse_user_json(raw.get<std::string>());
                if (v.is_discarded() || !v.is_object()) bad(spec, raw, path, "a JSON object");
            } else bad(spec, raw, path, "a JSON object");
            break;
    }
    if (!spec.choices.empty()) {
        auto check = [&](const std::string& s) {
            for (const auto& c : spec.choices)
                if (c == s) return;
            fail(ErrorKind::Invalid, "field \"{}\" on {}: \"{}\" is not one of: {}", spec.name, path, s, choices_text(spec));
        };
        if (v.is_string()) check(v.get<std::string>());
        else if (v.is_array())
            for (const auto& item : v) check(item.get<std::string>());
    }
    return v;
}

Fields::Fields(const std::vector<FieldSpec>& specs, const Json& raw, std::string_view path) {
    for (const auto& spec : specs)
        if (!spec.default_value.is_null()) values_[spec.name] = parse_field(spec, spec.default_value, path);
    if (raw.is_null()) return;
    if (!raw.is_object()) fail(ErrorKind::Invalid, "request data for {} must be a JSON object", path);
    for (const auto& [name, value] : raw.items()) {
        if (value.is_null()) continue;  // as in Vault's API: a null field is a field not given
        const FieldSpec* spec = nullptr;
        for (const auto& s : specs)
            if (s.name == name) spec = &s;
        if (!spec) {
            // As Vault: a parameter the path does not know is ignored, and the response says so
            // (unknown_field_warnings). Its value is never read.
            unknown_.push_back(name);
            continue;
        }
        try {
            values_[name] = parse_field(*spec, value, path);
        } catch (const Error& e) {
            if (!e.field().empty()) throw;
            throw Error(e.kind(), e.what(), name, e.hint());  // the structured form names the field
        }
        given_.insert(name);
    }
}

namespace {

// Levenshtein distance, for suggesting the field a misspelt one meant.
size_t distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::optional<std::string> closest_field(const std::vector<FieldSpec>& specs, std::string_view name) {
    if (name.size() > 128) return std::nullopt;
    std::optional<std::string> best;
    size_t best_d = 0;
    size_t limit = name.size() < 6 ? 1 : 2;  // a short name is close only to a near twin
    for (const auto& s : specs) {
        if (s.in_path) continue;
        size_t d = distance(name, s.name);
        if (d <= limit && (!best || d < best_d)) {
            best = s.name;
            best_d = d;
        }
    }
    return best;
}

std::vector<std::string> unknown_field_warnings(const Fields& f, const std::vector<FieldSpec>& specs) {
    std::vector<std::string> out;
    if (f.unknown().empty()) return out;
    std::vector<std::string> shown;
    for (const auto& n : f.unknown()) shown.push_back(util::printable(n, 64));
    out.push_back(fmt::format("Endpoint ignored these unrecognized parameters: [{}]", util::join(shown, " ")));
    for (size_t i = 0; i < shown.size(); ++i)
        if (auto near = closest_field(specs, f.unknown()[i]))
            out.push_back(fmt::format("parameter \"{}\" was ignored: did you mean \"{}\"?", shown[i], *near));
    return out;
}

std::string default_text(const FieldSpec& f) {
    if (f.default_value.is_null()) return "";
    if (f.default_value.is_string()) return f.default_value.get<std::string>();
    if (f.default_value.is_array()) {
        std::vector<std::string> items;
        for (const auto& i : f.default_value) items.push_back(i.get<std::string>());
        return util::join(items, ",");
    }
    return f.default_value.dump();
}

std::string choices_text(const FieldSpec& f) {
    std::vector<std::string> named;
    bool empty_ok = false;
    for (const auto& c : f.choices) {
        if (c.empty()) empty_ok = true;
        else named.push_back(c);
    }
    return util::join(named, ", ") + (empty_ok ? " (or empty)" : "");
}

Json zero_value(FieldType type) {
    switch (type) {
        case FieldType::String: return "";
        case FieldType::Int:
        case FieldType::Duration: return 0;
        case FieldType::Bool: return false;
        case FieldType::List: return Json::array();
        case FieldType::Map: return Json::object();
    }
    return nullptr;
}

const Json& Fields::value(const std::string& name) const {
    static const Json null_value;
    auto it = values_.find(name);
    return it == values_.end() ? null_value : it->second;
}

std::string Fields::str(const std::string& name) const {
    const Json& v = value(name);
    return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t Fields::integer(const std::string& name) const {
    const Json& v = value(name);
    return v.is_number_integer() ? v.get<int64_t>() : 0;
}

bool Fields::boolean(const std::string& name) const {
    const Json& v = value(name);
    return v.is_boolean() && v.get<bool>();
}

int64_t Fields::duration(const std::string& name) const { return integer(name); }

std::vector<std::string> Fields::list(const std::string& name) const {
    const Json& v = value(name);
    std::vector<std::string> out;
    if (v.is_array())
        for (const auto& item : v) out.push_back(item.get<std::string>());
    return out;
}

}  // namespace pki::api
