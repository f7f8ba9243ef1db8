// sys/policy, sys/policies/acl: Vault's ACL policies; sys/capabilities*: what a token may do on a
// path; sys/auth: the auth methods (the built-in token method, and AppRole once enabled).
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/approle.hpp"
#include "engine/policies.hpp"
#include "engine/tokens.hpp"
#include "util/error.hpp"

namespace pki::api {
namespace {

std::string read_text(Call& c) {
    std::string name = engine::policy_name(c.fields.str("name"));
    auto text = engine::read_policy(c.ctx.txn, name);
    if (!text) fail(ErrorKind::NotFound, "no policy named \"{}\"", name);
    return *text;
}

Response read_policy_legacy(Call& c) {
    std::string name = engine::policy_name(c.fields.str("name"));
    return reply(Json{{"name", name}, {"rules", read_text(c)}});
}

Response read_policy_acl(Call& c) {
    std::string name = engine::policy_name(c.fields.str("name"));
    return reply(Json{{"name", name}, {"policy", read_text(c)}});
}

Response write_policy(Call& c) {
    // sys/policy takes "policy" (and Vault's older "rules"); sys/policies/acl takes "policy".
    std::string text = c.fields.str("policy");
    if (text.empty() && c.fields.has("rules")) text = c.fields.str("rules");
    engine::write_policy(c.ctx, c.fields.str("name"), text);
    return reply(nullptr);
}

Response delete_policy(Call& c) {
    engine::delete_policy(c.ctx, c.fields.str("name"));
    return reply(nullptr);
}

Response list_policies_legacy(Call& c) {
    auto names = engine::list_policies(c.ctx.txn);
    return reply(Json{{"keys", names}, {"policies", names}});
}

Response list_policies_acl(Call& c) { return reply(Json{{"keys", engine::list_policies(c.ctx.txn)}}); }

std::vector<std::string> paths_of(const Fields& f) {
    std::vector<std::string> paths = f.list("paths");
    if (f.has("path")) {
        auto more = f.list("path");
        paths.insert(paths.end(), more.begin(), more.end());
    }
    if (paths.empty()) fail(ErrorKind::Invalid, "missing paths; give paths=pki/issue/web (a list)");
    return paths;
}

Response capabilities_of(Call& c, const engine::TokenInfo& t) {
    Json data = Json::object();
    auto paths = paths_of(c.fields);
    for (const auto& p : paths) data[p] = engine::token_capabilities(c.ctx.txn, t, p);
    if (paths.size() == 1) data["capabilities"] = data[paths.front()];
    return reply(std::move(data));
}

Response capabilities_self(Call& c) {
    if (!c.ctx.caller)
        fail(ErrorKind::Invalid, "sys/capabilities-self is about the token of the request, and this request has none; use sys/capabilities "
                                 "with token=...");
    return capabilities_of(c, c.ctx.caller->info);
}

Response capabilities(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) fail(ErrorKind::Invalid, "missing token; give token=...");
    return capabilities_of(c, engine::named_token(c.ctx.txn, token, c.ctx.now).info);
}

Response capabilities_accessor(Call& c) {
    return capabilities_of(c, engine::by_accessor(c.ctx.txn, c.fields.str("accessor"), c.ctx.now).info);
}

Json describe(const engine::AuthMethod& m) {
    return Json{{"type", m.type},
                {"description", m.description},
                {"accessor", m.accessor},
                {"config", {{"default_lease_ttl", 0}, {"max_lease_ttl", 0}, {"token_type", "default-service"}}},
                {"local", false},
                {"seal_wrap", false},
                {"options", nullptr}};
}

Response list_auth(Call& c) {
    Json data = Json::object();
    for (const auto& m : engine::list_auth_methods(c.ctx.txn)) data[m.path] = describe(m);
    return reply(std::move(data));
}

std::string auth_path(const Fields& f) {
    std::string p = f.str("path");
    while (!p.empty() && p.back() == '/') p.pop_back();
    return p;
}

Response read_auth(Call& c) {
    std::string p = auth_path(c.fields) + "/";
    for (const auto& m : engine::list_auth_methods(c.ctx.txn))
        if (m.path == p) return reply(describe(m));
    fail(ErrorKind::NotFound, "no auth method at auth/{}", p);
}

Response enable_auth(Call& c) {
    std::string type = c.fields.str("type");
    if (type.empty()) type = auth_path(c.fields);  // `pki auth enable approle`, as `vault auth enable approle`
    engine::enable_auth_method(c.ctx, auth_path(c.fields), type, c.fields.str("description"));
    return reply(nullptr);
}

Response disable_auth(Call& c) {
    engine::disable_auth_method(c.ctx, auth_path(c.fields));
    return reply(nullptr);
}

FieldSpec name_field() { return path_field("name", "Name of the policy (case-insensitive; stored lower-case)."); }

}  // namespace

void add_policy_paths(Table& t) {
    t.describe_group("policy", "Write, read, list and delete the ACL policies of pki serve (Vault's policy language).");
    std::vector<FieldSpec> write_fields{name_field(),
                                        string_field("policy", "The policy in Vault's HCL or JSON form (policy=@FILE)."),
                                        string_field("rules", "Vault's older name for policy (sys/policy only).")};
    t.add(PathSpec{"policy", "policy", "The ACL policies (Vault's older API).", {},
                   {{Op::Read, list_policies_legacy, "List the policies.", {}}, {Op::List, list_policies_legacy, "List the policies.", {}}},
                   "sys"});
    t.add(PathSpec{"policy/:name", "policy", "One ACL policy (Vault's older API; the text is in \"rules\").", write_fields,
                   {{Op::Read, read_policy_legacy, "Show a policy.", {}},
                    {Op::Write, write_policy, "Create or replace a policy.", {}},
                    {Op::Delete, delete_policy, "Delete a policy.", {}}},
                   "sys"});
    t.add(PathSpec{"policies/acl", "policy", "The ACL policies.", {},
                   {{Op::List, list_policies_acl, "List the policies, root and default included.", {"policy", "list"}}},
                   "sys"});
    OpSpec write{Op::Write, write_policy, "Create or replace a policy from a file of HCL or JSON (or - for standard input).",
                 {"policy", "write"}};
    write.file_arg = "policy";
    t.add(PathSpec{"policies/acl/:name", "policy",
                   "One ACL policy: path blocks with capabilities (create, read, update, patch, delete, list, sudo, deny); "
                   "'*' ends a prefix, '+' matches one segment, the most specific path wins and deny wins over the rest.",
                   {name_field(), string_field("policy", "The policy in Vault's HCL or JSON form (policy=@FILE).")},
                   {{Op::Read, read_policy_acl, "Show a policy.", {"policy", "read"}},
                    write,
                    {Op::Delete, delete_policy, "Delete a policy.", {"policy", "delete"}}},
                   "sys"});

    std::vector<FieldSpec> cap_fields{list_field("paths", "The paths to check."), list_field("path", "Vault's older name for paths.")};
    t.add(PathSpec{"capabilities-self", "policy", "What the calling token may do on each path.", cap_fields,
                   {{Op::Write, capabilities_self, "Show the caller's capabilities.", {}}},
                   "sys"});
    auto with_token = cap_fields;
    FieldSpec tok = string_field("token", "The token to check.");
    tok.sensitive = true;
    with_token.push_back(tok);
    t.add(PathSpec{"capabilities", "policy", "What a token may do on each path.", with_token,
                   {{Op::Write, capabilities, "Show a token's capabilities.", {"token", "capabilities"}}},
                   "sys"});
    auto with_accessor = cap_fields;
    with_accessor.push_back(string_field("accessor", "The accessor of the token to check."));
    t.add(PathSpec{"capabilities-accessor", "policy", "What a token, known by its accessor, may do on each path.", with_accessor,
                   {{Op::Write, capabilities_accessor, "Show the capabilities of a token by accessor.", {}}},
                   "sys"});

    t.describe_group("auth", "Enable, list and disable auth methods (AppRole; tokens are built in).");
    t.add(PathSpec{"auth", "auth", "The auth methods: token/ (built in) and approle/ once enabled.", {},
                   {{Op::Read, list_auth, "Show the auth methods.", {"auth", "list"}}},
                   "sys"});
    PathSpec one{"auth/:path", "auth", "One auth method: enable (type approle, at approle/), read, disable.",
                 {path_field("path", "Where the method is mounted: approle."),
                  string_field("type", "The method's type: approle (default: the path's name)."),
                  string_field("description", "Free-form description."),
                  FieldSpec{"config", FieldType::Map, nullptr, "Vault's mount configuration; no effect here.", {}},
                  FieldSpec{"options", FieldType::Map, nullptr, "Vault's mount options; no effect here.", {}},
                  string_field("plugin_name", "Vault's plugin name; no effect here."),
                  bool_field("local", "Vault Enterprise's replication flag; no effect.", false),
                  bool_field("seal_wrap", "Vault Enterprise's seal wrapping flag; no effect.", false)},
                 {{Op::Write, enable_auth, "Enable an auth method.", {"auth", "enable"}},
                  {Op::Read, read_auth, "Show an auth method.", {}},
                  {Op::Delete, disable_auth, "Disable an auth method, deleting its roles and secret IDs.", {"auth", "disable"}}},
                 "sys"};
    one.sudo = true;  // Vault's sys/auth/* is root-protected
    t.add(std::move(one));
}

}  // namespace pki::api
