#include "policy/acl.hpp"

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::policy {
namespace {

// ---- HCL, the subset policies use: blocks, assignments, strings, numbers, booleans, lists ----

struct Pos {
    int line = 1, column = 1;
};

struct Value;
struct Item {
    std::string key;
    std::vector<std::string> labels;
    std::vector<Value> value;  // exactly one (a vector so Value may be incomplete here)
    Pos pos;
};
struct Value {
    enum Kind { String, Number, Bool, List, Object } kind = String;
    std::string text;
    std::vector<Value> items;  // List
    std::vector<Item> body;    // Object
    Pos pos;
};

[[noreturn]] void parse_fail(Pos p, const std::string& what) {
    fail(ErrorKind::Invalid, "policy does not parse: line {}, column {}: {}", p.line, p.column, what);
}

class Hcl {
public:
    explicit Hcl(std::string_view text) : s_(text) {}

    std::vector<Item> document() {
        auto items = body('\0');
        skip();
        if (i_ < s_.size()) parse_fail(pos_, fmt::format("unexpected {}", describe()));
        return items;
    }

private:
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void advance() {
        if (s_[i_] == '\n') {
            ++pos_.line;
            pos_.column = 1;
        } else {
            ++pos_.column;
        }
        ++i_;
    }
    // Whitespace and the three comment forms: # and // to the end of the line, /* ... */.
    void skip() {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance();
            } else if (c == '#' || (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '/')) {
                while (i_ < s_.size() && s_[i_] != '\n') advance();
            } else if (c == '/' && i_ + 1 < s_.size() && s_[i_ + 1] == '*') {
                Pos start = pos_;
                advance();
                advance();
                while (i_ < s_.size() && !(s_[i_] == '*' && i_ + 1 < s_.size() && s_[i_ + 1] == '/')) advance();
                if (i_ >= s_.size()) parse_fail(start, "comment opened with /* is never closed with */");
                advance();
                advance();
            } else {
                break;
            }
        }
    }
    static bool ident_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    }
    std::string describe() const {
        if (i_ >= s_.size()) return "end of the policy";
        char c = s_[i_];
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) return "a non-printable character";
        return fmt::format("'{}'", c);
    }
    std::string quoted() {
        Pos start = pos_;
        advance();  // the opening quote
        std::string out;
        while (true) {
            if (i_ >= s_.size() || s_[i_] == '\n') parse_fail(start, "string is not closed with '\"' on its line");
            char c = s_[i_];
            if (c == '"') {
                advance();
                return out;
            }
            if (c == '\\') {
                advance();
                if (i_ >= s_.size()) parse_fail(start, "string is not closed");
                char e = s_[i_];
                switch (e) {
                    case 'n': out.push_back('\n'); break;
                    case 't': out.push_back('\t'); break;
                    case '\\': out.push_back('\\'); break;
                    case '"': out.push_back('"'); break;
                    default: parse_fail(pos_, fmt::format("unknown escape \\{} in a string", e));
                }
                advance();
                continue;
            }
            out.push_back(c);
            advance();
        }
    }
    std::string word() {
        std::string out;
        while (i_ < s_.size() && ident_char(s_[i_])) {
            out.push_back(s_[i_]);
            advance();
        }
        return out;
    }

    // Items up to `close` ('}' or the end of the text for '\0').
    std::vector<Item> body(char close) {
        std::vector<Item> items;
        while (true) {
            skip();
            if (close != '\0' && peek() == close) {
                advance();
                return items;
            }
            if (i_ >= s_.size()) {
                if (close != '\0') parse_fail(pos_, "block is not closed with '}'");
                return items;
            }
            items.push_back(item());
            skip();
            if (peek() == ',') advance();
        }
    }

    Item item() {
        Item it;
        it.pos = pos_;
        if (peek() == '"') it.key = quoted();
        else if (ident_char(peek())) it.key = word();
        else parse_fail(pos_, fmt::format("expected a key such as path, found {}", describe()));
        while (true) {
            skip();
            char c = peek();
            if (c == '"') {
                it.labels.push_back(quoted());
            } else if (c == '=') {
                advance();
                skip();
                it.value.push_back(value());
                return it;
            } else if (c == '{') {
                it.value.push_back(value());
                return it;
            } else if (ident_char(c)) {
                it.labels.push_back(word());
            } else {
                parse_fail(pos_, fmt::format("expected '=' or '{{' after \"{}\", found {}", it.key, describe()));
            }
        }
    }

    Value value() {
        Value v;
        v.pos = pos_;
        Depth guard(*this, pos_);
        char c = peek();
        if (c == '"') {
            v.text = quoted();
        } else if (c == '<' && i_ + 1 < s_.size() && s_[i_ + 1] == '<') {
            parse_fail(pos_, "heredoc strings (<<EOF) are not supported in policies; write the value in quotes");
        } else if (c == '[') {
            v.kind = Value::List;
            advance();
            while (true) {
                skip();
                if (peek() == ']') {
                    advance();
                    break;
                }
                if (i_ >= s_.size()) parse_fail(v.pos, "list is not closed with ']'");
                v.items.push_back(value());
                skip();
                if (peek() == ',') advance();
                else if (peek() != ']') parse_fail(pos_, fmt::format("expected ',' or ']' in a list, found {}", describe()));
            }
        } else if (c == '{') {
            v.kind = Value::Object;
            advance();
            v.body = body('}');
        } else if (ident_char(c)) {
            v.text = word();
            if (v.text == "true" || v.text == "false") v.kind = Value::Bool;
            else if (v.text.find_first_not_of("0123456789.-") == std::string::npos) v.kind = Value::Number;
            else parse_fail(v.pos, fmt::format("expected a value, found the word \"{}\" (strings need quotes)", v.text));
        } else {
            parse_fail(pos_, fmt::format("expected a value, found {}", describe()));
        }
        return v;
    }

    // Nesting is bounded so no input can exhaust the stack (a policy needs two levels).
    struct Depth {
        Hcl& h;
        explicit Depth(Hcl& hcl, Pos p) : h(hcl) {
            if (++h.depth_ > 32) parse_fail(p, "nesting is deeper than 32 levels");
        }
        ~Depth() { --h.depth_; }
    };

    std::string_view s_;
    size_t i_ = 0;
    Pos pos_;
    int depth_ = 0;
};

// ---- from the parsed document to rules ----

constexpr std::pair<std::string_view, Capability> kCapabilities[] = {
    {"deny", kDeny}, {"create", kCreate}, {"read", kRead}, {"update", kUpdate},
    {"delete", kDelete}, {"list", kList}, {"sudo", kSudo}, {"patch", kPatch},
};

// Keys a path block of Vault's may hold that this version does not enforce: refused, since a
// policy relying on them would grant more than its author meant.
constexpr std::string_view kUnenforced[] = {"allowed_parameters", "denied_parameters", "required_parameters",
                                            "min_wrapping_ttl",   "max_wrapping_ttl",  "mfa_methods", "control_group"};

// One path's rule from its capabilities list and the older `policy = "write"` form.
PathRule make_rule(std::string path, const std::vector<std::string>& caps, const std::string& old_policy) {
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (path.find("+*") != std::string::npos)
        fail(ErrorKind::Invalid, "path \"{}\": invalid use of wildcards ('+*' is forbidden; write '+/*' or a prefix)", path);
    std::vector<std::string> all = caps;
    if (!old_policy.empty()) {
        if (old_policy == "deny") all = {"deny"};
        else if (old_policy == "read") all.insert(all.end(), {"read", "list"});
        else if (old_policy == "write") all.insert(all.end(), {"create", "read", "update", "delete", "list"});
        else if (old_policy == "sudo") all.insert(all.end(), {"create", "read", "update", "delete", "list", "sudo"});
        else fail(ErrorKind::Invalid, "path \"{}\": invalid policy \"{}\" (deny, read, write or sudo)", path, old_policy);
    }
    uint32_t bits = 0;
    for (const auto& c : all) {
        uint32_t bit = 0;
        for (const auto& [name, b] : kCapabilities)
            if (c == name) bit = b;
        if (!bit)
            fail(ErrorKind::Invalid, "path \"{}\": invalid capability \"{}\" (create, read, update, patch, delete, list, sudo or deny)",
                 path, c);
        if (bit == kDeny) {
            bits = kDeny;
            break;
        }
        bits |= bit;
    }
    return PathRule{std::move(path), bits};
}

void check_key(const std::string& path, const std::string& key, Pos pos, bool have_pos) {
    for (auto k : kUnenforced)
        if (key == k) {
            std::string where = have_pos ? fmt::format("line {}, column {}: ", pos.line, pos.column) : "";
            fail(ErrorKind::Invalid, "{}path \"{}\": {} is not supported by pki (it would not be enforced); drop it or split the path",
                 where, path, key);
        }
    if (key != "capabilities" && key != "policy" && key != "comment") {
        std::string where = have_pos ? fmt::format("line {}, column {}: ", pos.line, pos.column) : "";
        fail(ErrorKind::Invalid, "{}path \"{}\": invalid key \"{}\" (a path block holds capabilities)", where, path, key);
    }
}

Policy from_hcl(std::string_view text) {
    Policy p;
    for (const auto& item : Hcl(text).document()) {
        if (item.key == "name" && item.labels.empty() && item.value[0].kind == Value::String) continue;  // Vault allows it
        if (item.key != "path") parse_fail(item.pos, fmt::format("invalid key \"{}\" (a policy holds path blocks)", item.key));
        if (item.labels.size() != 1 || item.value[0].kind != Value::Object)
            parse_fail(item.pos, "a path block is written path \"PATH\" { capabilities = [...] }");
        const std::string& path = item.labels[0];
        std::vector<std::string> caps;
        std::string old;
        for (const auto& field : item.value[0].body) {
            check_key(path, field.key, field.pos, true);
            const Value& v = field.value[0];
            if (!field.labels.empty()) parse_fail(field.pos, fmt::format("\"{}\" takes '=' and a value", field.key));
            if (field.key == "capabilities") {
                if (v.kind != Value::List) parse_fail(v.pos, "capabilities must be a list of strings, such as [\"read\", \"list\"]");
                for (const auto& c : v.items) {
                    if (c.kind != Value::String) parse_fail(c.pos, "capabilities must be a list of strings, such as [\"read\", \"list\"]");
                    caps.push_back(c.text);
                }
            } else if (field.key == "policy") {
                if (v.kind != Value::String) parse_fail(v.pos, "policy must be a string: deny, read, write or sudo");
                old = v.text;
            }
        }
        p.rules.push_back(make_rule(path, caps, old));
    }
    return p;
}

// The deepest nesting of JSON text (strings skipped), so a hostile one is refused before the
// parser builds a tree whose destruction would recurse that deep.
size_t json_depth(std::string_view text) {
    size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

Policy from_json(std::string_view text) {
    if (json_depth(text) > 32) fail(ErrorKind::Invalid, "policy does not parse: the JSON nests deeper than 32 levels");
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        size_t at = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        Pos pos;
        for (size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') {
                ++pos.line;
                pos.column = 1;
            } else {
                ++pos.column;
            }
        }
        parse_fail(pos, "this is not valid JSON");
    } catch (const nlohmann::json::exception&) {  // a number beyond what a double holds
        fail(ErrorKind::Invalid, "policy does not parse: a number in the JSON is out of range");
    }
    if (!doc.is_object()) fail(ErrorKind::Invalid, "policy does not parse: a JSON policy is an object with \"path\"");
    Policy p;
    for (const auto& [key, value] : doc.items()) {
        if (key == "name") continue;
        if (key != "path") fail(ErrorKind::Invalid, "policy does not parse: invalid key \"{}\" (a policy holds \"path\")", key);
        if (!value.is_object()) fail(ErrorKind::Invalid, "policy does not parse: \"path\" must be an object of paths");
        for (const auto& [path, block] : value.items()) {
            if (!block.is_object()) fail(ErrorKind::Invalid, "path \"{}\": must be an object with \"capabilities\"", path);
            std::vector<std::string> caps;
            std::string old;
            for (const auto& [k, v] : block.items()) {
                check_key(path, k, Pos{}, false);
                if (k == "capabilities") {
                    if (!v.is_array()) fail(ErrorKind::Invalid, "path \"{}\": capabilities must be a list of strings", path);
                    for (const auto& c : v) {
                        if (!c.is_string()) fail(ErrorKind::Invalid, "path \"{}\": capabilities must be a list of strings", path);
                        caps.push_back(c.get<std::string>());
                    }
                } else if (k == "policy") {
                    if (!v.is_string()) fail(ErrorKind::Invalid, "path \"{}\": policy must be a string", path);
                    old = v.get<std::string>();
                }
            }
            p.rules.push_back(make_rule(path, caps, old));
        }
    }
    return p;
}

uint32_t merged(uint32_t existing, uint32_t add) {
    if ((existing & kDeny) || (add & kDeny)) return kDeny;
    return existing | add;
}

bool segment_wildcards(std::string_view p) {
    return p == "+" || p.find("/+") != std::string_view::npos || util::starts_with(p, "+/");
}

// What decides between matching prefix and '+' rules (Vault's order, later is more specific).
struct Candidate {
    size_t first_wildcard;
    bool prefix;
    size_t wildcards;
    std::string_view path;
    uint32_t capabilities;
};

bool less_specific(const Candidate& a, const Candidate& b) {
    if (a.first_wildcard != b.first_wildcard) return a.first_wildcard < b.first_wildcard;
    if (a.prefix != b.prefix) return a.prefix;
    if (a.wildcards != b.wildcards) return a.wildcards > b.wildcards;
    if (a.path.size() != b.path.size()) return a.path.size() < b.path.size();
    return a.path < b.path;
}

}  // namespace

Policy parse_policy(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
    if (i < text.size() && text[i] == '{') return from_json(text);
    return from_hcl(text);
}

std::vector<std::string> capability_names(uint32_t caps) {
    if (caps == 0 || (caps & kDeny)) return {"deny"};
    std::vector<std::string> out;
    for (auto [name, bit] : {std::pair<const char*, Capability>{"create", kCreate}, {"delete", kDelete}, {"list", kList},
                             {"patch", kPatch}, {"read", kRead}, {"sudo", kSudo}, {"update", kUpdate}})
        if (caps & bit) out.emplace_back(name);
    return out;
}

Acl::Acl(const std::vector<Policy>& policies) {
    for (const auto& p : policies)
        for (const auto& r : p.rules) {
            std::string_view path = r.path;
            if (segment_wildcards(path)) {
                auto it = std::find_if(wildcards_.begin(), wildcards_.end(), [&](const Wildcard& w) { return w.path == path; });
                if (it == wildcards_.end()) wildcards_.push_back(Wildcard{std::string(path), r.capabilities});
                else it->capabilities = merged(it->capabilities, r.capabilities);
            } else if (!path.empty() && path.back() == '*') {
                auto& slot = prefix_[std::string(path.substr(0, path.size() - 1))];
                slot = merged(slot, r.capabilities);
            } else {
                auto& slot = exact_[std::string(path)];
                slot = merged(slot, r.capabilities);
            }
        }
}

uint32_t Acl::capabilities(std::string_view path, bool list) const {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (auto it = exact_.find(path); it != exact_.end()) return it->second;
    if (list && !path.empty() && path.back() == '/')
        if (auto it = exact_.find(path.substr(0, path.size() - 1)); it != exact_.end()) return it->second;
    return from_non_exact(path);
}

uint32_t Acl::from_non_exact(std::string_view path) const {
    std::optional<Candidate> best;
    auto consider = [&](const Candidate& c) {
        if (!best || less_specific(*best, c)) best = c;
    };
    // The longest matching prefix.
    const std::string* longest = nullptr;
    uint32_t longest_caps = 0;
    for (const auto& [prefix, caps] : prefix_)
        if (util::starts_with(path, prefix) && (!longest || prefix.size() > longest->size())) {
            longest = &prefix;
            longest_caps = caps;
        }
    if (longest) consider(Candidate{longest->size(), true, 0, *longest, longest_caps});

    if (!wildcards_.empty()) {
        auto parts = util::split(path, '/');
        for (const auto& w : wildcards_) {
            std::string_view rule = w.path;
            Candidate c{rule.find('+'), false, 0, {}, w.capabilities};
            if (!rule.empty() && rule.back() == '*') {
                c.prefix = true;
                rule.remove_suffix(1);
            }
            c.path = rule;
            auto segs = util::split(rule, '/');
            if (parts.size() < segs.size() || (!c.prefix && parts.size() != segs.size())) continue;
            bool match = true;
            for (size_t i = 0; i < segs.size() && match; ++i) {
                if (segs[i] == "+") ++c.wildcards;
                else if (segs[i] == parts[i]) continue;
                else if (c.prefix && i + 1 == segs.size() && util::starts_with(parts[i], segs[i])) continue;
                else match = false;
            }
            if (match) consider(c);
        }
    }
    return best ? best->capabilities : 0;
}

}  // namespace pki::policy
