#pragma once
// Field schemas and their parsing. Values arrive as strings (key=value on a command line) or as
// JSON values; each field's type says how to read it, as the reference describes:
// lists as comma strings or JSON arrays, durations as 72h/30m/45s/1d or seconds, booleans as
// true/false/1/0, integers as numbers or digit strings.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/request.hpp"

namespace pki::api {

enum class FieldType { String, Int, Bool, Duration, List, Map };
std::string_view type_name(FieldType t);

struct FieldSpec {
    std::string name;
    FieldType type = FieldType::String;
    Json default_value;                  // null: no default (absent unless given)
    std::string help;
    std::vector<std::string> choices;    // fixed set of accepted values, when there is one
    bool in_path = false;                // part of the path (":name"), not of the body
    bool sensitive = false;              // never echoed in errors
    bool object_items = false;           // a list whose items may also be JSON objects, kept as their compact JSON text
};

class Fields {
public:
    Fields() = default;
    // Parse `raw` (an object) against `specs`. Malformed values throw Error(Invalid) naming the
    // field and `path`; names the path does not know are ignored (unknown()), as Vault does.
    Fields(const std::vector<FieldSpec>& specs, const Json& raw, std::string_view path);

    bool has(const std::string& name) const { return given_.count(name) > 0; }
    const Json& value(const std::string& name) const;  // parsed value, default when not given
    std::string str(const std::string& name) const;
    int64_t integer(const std::string& name) const;
    bool boolean(const std::string& name) const;
    int64_t duration(const std::string& name) const;  // seconds
    std::vector<std::string> list(const std::string& name) const;
    void set(const std::string& name, Json v) { values_[name] = std::move(v); }
    // The names given that no field of the path has, in the order given.
    const std::vector<std::string>& unknown() const { return unknown_; }

private:
    std::map<std::string, Json> values_;
    std::set<std::string> given_;
    std::vector<std::string> unknown_;
};

// The field of `specs` a misspelt `name` most likely meant (allowed_domain: allowed_domains).
std::optional<std::string> closest_field(const std::vector<FieldSpec>& specs, std::string_view name);
// Vault's warning for ignored parameters ("Endpoint ignored these unrecognized parameters: [a b]"),
// then one naming the closest field for each that has one; empty when nothing was ignored.
std::vector<std::string> unknown_field_warnings(const Fields& f, const std::vector<FieldSpec>& specs);

// A field's default as help text shows it ("" when there is none; lists comma-separated).
std::string default_text(const FieldSpec& f);

// A field's accepted values as messages and manual pages show them: "der, pkcs8 (or empty)".
std::string choices_text(const FieldSpec& f);

// The empty value of a type: "", 0, false, [] or {}.
Json zero_value(FieldType type);

// JSON text a user gave (a request body, a list or map field): the value, or a discarded value
// when it is not JSON or nests deeper than 32 levels (no field needs more; deeper input could
// exhaust the stack of the recursive serializer).
Json parse_user_json(std::string_view text);

// Parse one value for `spec`; throws Error(Invalid) naming the field. Text must be UTF-8 without
// NUL bytes.
Json parse_field(const FieldSpec& spec, const Json& raw, std::string_view path);

}  // namespace pki::api
