#include "engine/policies.hpp"

#include <algorithm>

#include "engine/records.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::engine {
namespace {

constexpr std::string_view kPolicyPrefix = "sys/policy/";

// Vault's default policy, kept to the paths pki serves: a token may look itself up, renew and
// revoke itself, and ask what it may do.
constexpr std::string_view kDefaultPolicy = R"(# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}
)";

std::string key_of(std::string_view name) { return std::string(kPolicyPrefix) + std::string(name); }

}  // namespace

std::string policy_name(std::string_view given) {
    std::string name = util::to_lower(util::trim(given));
    if (name.empty()) fail(ErrorKind::Invalid, "missing policy name");
    // Vault lower-cases and trims the name after its ACL check has seen the path as given, so a
    // policy denied at sys/policies/acl/admin could be rewritten as .../ADMIN; here only the
    // stored spelling names a policy.
    if (name != given)
        fail(ErrorKind::Invalid, "policy name \"{}\" must be written as it is stored: \"{}\" (lower-case, no surrounding spaces)",
             util::printable(given, 64), util::printable(name, 64));
    if (name.size() > 128) fail(ErrorKind::Invalid, "policy name is longer than 128 characters");
    for (unsigned char c : name)
        if (c == '/' || c < 0x21 || c == 0x7f)
            fail(ErrorKind::Invalid, "policy name \"{}\" may not contain '/', spaces or control characters", util::printable(name, 64));
    return name;
}

void write_policy(Context& ctx, std::string_view given, std::string_view text) {
    std::string name = policy_name(given);
    if (name == "root") fail(ErrorKind::Invalid, "cannot update \"root\" policy: it is built in and grants everything");
    if (util::trim(text).empty()) fail(ErrorKind::Invalid, "missing policy text; give policy=@FILE (HCL or JSON)");
    auto parsed = policy::parse_policy(text);
    if (parsed.rules.empty()) ctx.warnings.push_back(fmt::format("policy \"{}\" has no path blocks: it grants nothing", name));
    save(ctx.txn, key_of(name), Json{{"name", name}, {"raw", std::string(text)}});
}

std::optional<std::string> read_policy(const store::Txn& txn, std::string_view given) {
    std::string name = policy_name(given);
    if (name == "root") return std::nullopt;
    if (auto r = load(txn, key_of(name))) return r->value("raw", "");
    if (name == "default") return std::string(kDefaultPolicy);
    return std::nullopt;
}

std::vector<std::string> list_policies(const store::Txn& txn) {
    std::vector<std::string> out{"default", "root"};
    txn.scan(kPolicyPrefix, [&](std::string_view key, std::string_view) {
        out.emplace_back(key.substr(kPolicyPrefix.size()));
        return true;
    });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void delete_policy(Context& ctx, std::string_view given) {
    std::string name = policy_name(given);
    if (name == "root" || name == "default") fail(ErrorKind::Invalid, "cannot delete \"{}\" policy", name);
    ctx.txn.del(key_of(name));
}

policy::Acl acl_for(const store::Txn& txn, const std::vector<std::string>& policies) {
    std::vector<policy::Policy> parsed;
    for (const auto& p : policies) {
        if (p == "root") continue;
        if (auto text = read_policy(txn, p)) {
            try {
                parsed.push_back(policy::parse_policy(*text));
            } catch (const Error& e) {
                // Stored only after it parsed; a record that no longer does grants nothing.
                fail(ErrorKind::Storage, "stored policy \"{}\" no longer parses ({}); write it again", p, e.what());
            }
        }
    }
    return policy::Acl(parsed);
}

std::vector<std::string> missing_policies(const store::Txn& txn, const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names)
        if (n != "root" && !read_policy(txn, n)) out.push_back(n);
    return out;
}

}  // namespace pki::engine

#include "engine/tokens.hpp"

namespace pki::engine {

std::vector<std::string> token_capabilities(const store::Txn& txn, const TokenInfo& token, std::string_view path) {
    if (token.root()) return {"root"};
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    // A path ending in '/' is asked as a LIST is (Vault's exact-rule fallback without the '/').
    bool list = !path.empty() && path.back() == '/';
    return policy::capability_names(acl_for(txn, token.policies).capabilities(path, list));
}

}  // namespace pki::engine
