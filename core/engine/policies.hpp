#pragma once
// The ACL policies of pki serve, kept as Vault keeps them: by name, as the text their author
// wrote. "root" is built in (everything, never stored, not readable); "default" exists from the
// start with the paths every token needs for itself and may be rewritten but not deleted.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "policy/acl.hpp"

namespace pki::engine {

// The name as stored (lower-case, trimmed, as Vault stores it); Error(Invalid) for a name that is
// empty, too long, not path-safe, or not written as stored ("Web", " web": Vault would rewrite
// them after its ACL check, here they are refused so the path checked is the policy's).
std::string policy_name(std::string_view given);
// Parse `text` (Error(Invalid) with line and column when it does not parse) and store it.
// "root" cannot be written.
void write_policy(Context& ctx, std::string_view name, std::string_view text);
// The text of a policy; nullopt for one that does not exist and for "root".
std::optional<std::string> read_policy(const store::Txn& txn, std::string_view name);
// Every policy name, "default" and "root" included, sorted.
std::vector<std::string> list_policies(const store::Txn& txn);
// Error(Invalid) for "root" and "default"; nothing happens for a name that does not exist.
void delete_policy(Context& ctx, std::string_view name);
// What the named policies allow together (names without a policy add nothing).
policy::Acl acl_for(const store::Txn& txn, const std::vector<std::string>& policies);
// The policies of `names` that do not exist (for a warning when a token or role names them).
std::vector<std::string> missing_policies(const store::Txn& txn, const std::vector<std::string>& names);

}  // namespace pki::engine

namespace pki::engine {
struct TokenInfo;
// What a token may do on `path`, as Vault's sys/capabilities answers: {"root"} for a root token,
// {"deny"} when nothing is granted.
std::vector<std::string> token_capabilities(const store::Txn& txn, const TokenInfo& token, std::string_view path);
}  // namespace pki::engine
