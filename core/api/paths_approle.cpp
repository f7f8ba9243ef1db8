// auth/approle: Vault's AppRole login for machines (roles, role IDs, secret IDs, login), with its
// paths, fields and response shapes.
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/approle.hpp"
#include "engine/policies.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::api {
namespace {

std::string role_name(const Fields& f) { return f.str("role_name"); }

bool role_exists(Call& c) { return engine::find_approle(c.ctx.txn, role_name(c.fields)).has_value(); }

Json role_data(const engine::AppRole& r) {
    return Json{{"bind_secret_id", r.bind_secret_id},
                {"local_secret_ids", r.local_secret_ids},
                {"policies", r.token_policies},
                {"period", 0},
                {"secret_id_bound_cidrs", r.secret_id_bound_cidrs},
                {"secret_id_num_uses", r.secret_id_num_uses},
                {"secret_id_ttl", r.secret_id_ttl},
                {"token_bound_cidrs", r.token_bound_cidrs},
                {"token_explicit_max_ttl", r.token_explicit_max_ttl},
                {"token_max_ttl", r.token_max_ttl},
                {"token_no_default_policy", r.token_no_default_policy},
                {"token_num_uses", r.token_num_uses},
                {"token_period", 0},
                {"token_policies", r.token_policies},
                {"token_ttl", r.token_ttl},
                {"token_type", r.token_type}};
}

Response list_roles(Call& c) {
    engine::require_approle(c.ctx.txn);
    return reply(Json{{"keys", engine::list_approles(c.ctx.txn)}});
}

Response read_role(Call& c) {
    engine::require_approle(c.ctx.txn);
    return reply(role_data(engine::require_approle_role(c.ctx.txn, role_name(c.fields))));
}

// Create a role, or change the fields given of an existing one (as Vault: the others keep their
// values).
Response write_role(Call& c) {
    engine::require_approle(c.ctx.txn);
    const Fields& f = c.fields;
    std::string name = role_name(f);
    engine::check_approle_name(name);
    engine::AppRole r = engine::find_approle(c.ctx.txn, name).value_or(engine::AppRole{});
    r.name = name;
    if (f.has("bind_secret_id")) r.bind_secret_id = f.boolean("bind_secret_id");
    if (f.has("secret_id_bound_cidrs")) r.secret_id_bound_cidrs = f.list("secret_id_bound_cidrs");
    else if (f.has("bound_cidr_list")) r.secret_id_bound_cidrs = f.list("bound_cidr_list");
    if (f.has("secret_id_num_uses")) r.secret_id_num_uses = f.integer("secret_id_num_uses");
    if (f.has("secret_id_ttl")) r.secret_id_ttl = f.duration("secret_id_ttl");
    if (f.has("local_secret_ids")) r.local_secret_ids = f.boolean("local_secret_ids");
    if (f.has("token_policies")) r.token_policies = f.list("token_policies");
    else if (f.has("policies")) r.token_policies = f.list("policies");
    if (f.has("token_ttl")) r.token_ttl = f.duration("token_ttl");
    if (f.has("token_max_ttl")) r.token_max_ttl = f.duration("token_max_ttl");
    if (f.has("token_explicit_max_ttl")) r.token_explicit_max_ttl = f.duration("token_explicit_max_ttl");
    if (f.has("token_num_uses")) r.token_num_uses = f.integer("token_num_uses");
    if (f.has("token_bound_cidrs")) r.token_bound_cidrs = f.list("token_bound_cidrs");
    if (f.has("token_no_default_policy")) r.token_no_default_policy = f.boolean("token_no_default_policy");
    if (f.has("token_type")) r.token_type = f.str("token_type");
    if (f.duration("token_period") != 0 || f.duration("period") != 0)
        fail(ErrorKind::Invalid, "periodic tokens (token_period) are not supported; give token_ttl and token_max_ttl");
    if (f.has("role_id")) r.role_id = f.str("role_id");
    for (const auto& p : engine::missing_policies(c.ctx.txn, r.token_policies))
        c.ctx.warnings.push_back(fmt::format("policy \"{}\" does not exist (yet); it grants nothing until it is written", p));
    engine::write_approle(c.ctx, r);
    return reply(nullptr);
}

Response delete_role(Call& c) {
    engine::require_approle(c.ctx.txn);
    engine::delete_approle(c.ctx, role_name(c.fields));
    return reply(nullptr);
}

Response read_role_id(Call& c) {
    engine::require_approle(c.ctx.txn);
    return reply(Json{{"role_id", engine::require_approle_role(c.ctx.txn, role_name(c.fields)).role_id}});
}

Response write_role_id(Call& c) {
    engine::require_approle(c.ctx.txn);
    engine::set_role_id(c.ctx, role_name(c.fields), c.fields.str("role_id"));
    return reply(nullptr);
}

// metadata: Vault's is a string holding a JSON object (hvac sends it so); an object is taken too.
std::map<std::string, std::string> metadata(const Fields& f) {
    std::map<std::string, std::string> out;
    if (!f.has("metadata")) return out;
    Json m = f.value("metadata");
    if (m.is_string()) {
        if (m.get<std::string>().empty()) return out;
        m = parse_user_json(m.get<std::string>());
    }
    if (!m.is_object()) fail(ErrorKind::Invalid, "metadata must be a JSON object of strings, such as {{\"host\": \"web1\"}}");
    for (const auto& [k, v] : m.items()) {
        if (!v.is_string()) fail(ErrorKind::Invalid, "metadata value of \"{}\" must be a string", k);
        out[k] = v.get<std::string>();
    }
    return out;
}

Response generate(Call& c, std::optional<std::string> custom) {
    engine::require_approle(c.ctx.txn);
    engine::NewSecretId req;
    req.secret_id = std::move(custom);
    req.cidr_list = c.fields.list("cidr_list");
    req.token_bound_cidrs = c.fields.list("token_bound_cidrs");
    req.metadata = metadata(c.fields);
    auto made = engine::generate_secret_id(c.ctx, role_name(c.fields), req);
    return reply(Json{{"secret_id", made.secret_id},
                      {"secret_id_accessor", made.info.accessor},
                      {"secret_id_ttl", made.info.ttl},
                      {"secret_id_num_uses", made.info.num_uses}});
}

Response generate_secret_id(Call& c) { return generate(c, std::nullopt); }
Response custom_secret_id(Call& c) { return generate(c, c.fields.str("secret_id")); }

Response list_secret_ids(Call& c) {
    engine::require_approle(c.ctx.txn);
    return reply(Json{{"keys", engine::list_secret_id_accessors(c.ctx.txn, role_name(c.fields), c.ctx.now)}});
}

std::string time_text(int64_t t) { return t ? util::format_utc_time(t) : "0001-01-01T00:00:00Z"; }

Json secret_data(const engine::SecretIdInfo& s) {
    return Json{{"cidr_list", s.cidr_list},
                {"creation_time", time_text(s.creation_time)},
                {"expiration_time", time_text(s.expiration_time)},
                {"last_updated_time", time_text(s.creation_time)},
                {"metadata", s.metadata},
                {"secret_id_accessor", s.accessor},
                {"secret_id_num_uses", s.num_uses},
                {"secret_id_ttl", s.ttl},
                {"token_bound_cidrs", s.token_bound_cidrs}};
}

Response lookup_secret_id(Call& c) {
    engine::require_approle(c.ctx.txn);
    auto s = engine::lookup_secret_id(c.ctx.txn, role_name(c.fields), c.fields.str("secret_id"), c.ctx.now);
    return reply(s ? secret_data(*s) : Json(nullptr));  // as Vault: nothing for an unknown secret ID
}

Response lookup_accessor(Call& c) {
    engine::require_approle(c.ctx.txn);
    std::string accessor = c.fields.str("secret_id_accessor");
    auto s = engine::lookup_secret_id_accessor(c.ctx.txn, role_name(c.fields), accessor, c.ctx.now);
    if (!s) fail(ErrorKind::NotFound, "failed to find accessor entry for secret_id_accessor: \"{}\"", util::printable(accessor, 64));
    return reply(secret_data(*s));
}

Response destroy_secret_id(Call& c) {
    engine::require_approle(c.ctx.txn);
    engine::destroy_secret_id(c.ctx, role_name(c.fields), c.fields.str("secret_id"));
    return reply(nullptr);
}

Response destroy_accessor(Call& c) {
    engine::require_approle(c.ctx.txn);
    engine::destroy_secret_id_accessor(c.ctx, role_name(c.fields), c.fields.str("secret_id_accessor"));
    return reply(nullptr);
}

Response login(Call& c) {
    auto made = engine::approle_login(c.ctx, c.fields.str("role_id"), c.fields.str("secret_id"));
    Response r = reply(nullptr);
    r.auth = auth_block(made.token, made.info, c.ctx.now);
    return r;
}

FieldSpec role_field() { return path_field("role_name", "Name of the AppRole role."); }
FieldSpec secret_field(std::string help) {
    FieldSpec f = string_field("secret_id", std::move(help));
    f.sensitive = true;
    return f;
}

std::vector<FieldSpec> role_fields() {
    return {role_field(),
            bool_field("bind_secret_id", "Require a secret_id at login.", true),
            list_field("secret_id_bound_cidrs", "CIDR blocks a login with this role may come from."),
            list_field("bound_cidr_list", "Vault's older name for secret_id_bound_cidrs."),
            int_field("secret_id_num_uses", "Logins each secret ID allows (0: unlimited).", 0),
            duration_field("secret_id_ttl", "Lifetime of each secret ID (0: no expiry)."),
            bool_field("local_secret_ids", "Vault's replication flag for secret IDs; no effect here.", false),
            list_field("token_policies", "Policies of the tokens a login gets (\"default\" is added unless token_no_default_policy)."),
            list_field("policies", "Vault's older name for token_policies."),
            duration_field("token_ttl", "Lifetime of the tokens a login gets (default 768h)."),
            duration_field("token_max_ttl", "Longest lifetime renewals may give such a token."),
            duration_field("token_explicit_max_ttl", "A hard cap on such a token's lifetime."),
            int_field("token_num_uses", "Requests each such token may make (0: unlimited).", 0),
            list_field("token_bound_cidrs", "CIDR blocks such a token may be used from."),
            bool_field("token_no_default_policy", "Do not add the default policy to such tokens.", false),
            string_field("token_type", "Type of such tokens: default or service (both service tokens here).", "default",
                         {"default", "service"}),
            duration_field("token_period", "Vault's periodic tokens; only 0 (none) is supported."),
            duration_field("period", "Vault's older name for token_period; only 0."),
            string_field("role_id", "A custom role_id (default: a random UUID, kept across updates).")};
}

std::vector<FieldSpec> secret_id_fields() {
    return {role_field(),
            FieldSpec{"metadata", FieldType::String, nullptr,
                      "Metadata of the secret ID: a JSON object of strings (as a string, as Vault takes it), added to the token's.", {}},
            list_field("cidr_list", "CIDR blocks a login with this secret ID may come from (within the role's)."),
            list_field("token_bound_cidrs", "CIDR blocks the token of a login with this secret ID may be used from.")};
}

}  // namespace

void add_approle_paths(Table& t) {
    t.describe_group("approle", "AppRole: roles, role IDs and secret IDs for machines that log in to pki serve.");
    t.describe_group("approle/role", "Create, read, list and delete AppRole roles (the policies and limits of their logins).");
    t.describe_group("approle/role-id", "Read or set the role_id of an AppRole role.");
    t.describe_group("approle/secret-id", "Generate, list, look up and destroy the secret IDs of an AppRole role.");
    t.add(PathSpec{"approle/role", "approle", "The AppRole roles.", {},
                   {{Op::List, list_roles, "List the roles.", {"approle", "role", "list"}}},
                   "auth"});
    PathSpec role{"approle/role/:role_name", "approle", "An AppRole role: the policies and limits of the tokens its logins get.",
                  role_fields(),
                  {{Op::Write, write_role, "Create a role, or change the given fields of one.", {"approle", "role", "write"}},
                   {Op::Read, read_role, "Show a role.", {"approle", "role", "read"}},
                   {Op::Delete, delete_role, "Delete a role and its secret IDs.", {"approle", "role", "delete"}}},
                  "auth"};
    role.exists = role_exists;  // a new role needs "create", a change "update", as in Vault
    t.add(std::move(role));
    t.add(PathSpec{"approle/role/:role_name/role-id", "approle", "A role's role_id: what a machine logs in with, beside a secret_id.",
                   {role_field(), string_field("role_id", "The new role_id.")},
                   {{Op::Read, read_role_id, "Show a role's role_id.", {"approle", "role-id", "read"}},
                    {Op::Write, write_role_id, "Set a custom role_id.", {"approle", "role-id", "write"}}},
                   "auth"});
    t.add(PathSpec{"approle/role/:role_name/secret-id", "approle",
                   "Secret IDs of a role: generate one (returned once, stored as a hash), or list their accessors.", secret_id_fields(),
                   {{Op::Write, generate_secret_id, "Generate a secret ID.", {"approle", "secret-id", "generate"}},
                    {Op::List, list_secret_ids, "List the accessors of a role's secret IDs.", {"approle", "secret-id", "list"}}},
                   "auth"});
    auto custom_fields = secret_id_fields();
    custom_fields.push_back(secret_field("The secret ID to register."));
    t.add(PathSpec{"approle/role/:role_name/custom-secret-id", "approle", "Register a secret ID of the caller's choice.", custom_fields,
                   {{Op::Write, custom_secret_id, "Register a custom secret ID.", {"approle", "secret-id", "custom"}}},
                   "auth"});
    t.add(PathSpec{"approle/role/:role_name/secret-id/lookup", "approle", "The properties of a secret ID.",
                   {role_field(), secret_field("The secret ID.")},
                   {{Op::Write, lookup_secret_id, "Show a secret ID.", {"approle", "secret-id", "lookup"}}},
                   "auth"});
    t.add(PathSpec{"approle/role/:role_name/secret-id/destroy", "approle", "Destroy a secret ID.",
                   {role_field(), secret_field("The secret ID.")},
                   {{Op::Write, destroy_secret_id, "Destroy a secret ID.", {"approle", "secret-id", "destroy"}},
                    {Op::Delete, destroy_secret_id, "Destroy a secret ID.", {}}},
                   "auth"});
    std::vector<FieldSpec> accessor_fields{role_field(), string_field("secret_id_accessor", "The accessor of the secret ID.")};
    t.add(PathSpec{"approle/role/:role_name/secret-id-accessor/lookup", "approle", "The properties of a secret ID, by its accessor.",
                   accessor_fields,
                   {{Op::Write, lookup_accessor, "Show a secret ID by accessor.", {"approle", "secret-id", "lookup-accessor"}}},
                   "auth"});
    t.add(PathSpec{"approle/role/:role_name/secret-id-accessor/destroy", "approle", "Destroy a secret ID, by its accessor.",
                   accessor_fields,
                   {{Op::Write, destroy_accessor, "Destroy a secret ID by accessor.", {"approle", "secret-id", "destroy-accessor"}},
                    {Op::Delete, destroy_accessor, "Destroy a secret ID by accessor.", {}}},
                   "auth"});
    t.add(open_path(PathSpec{"approle/login", "approle", "Log in with a role_id and a secret_id: a token with the role's policies.",
                             {string_field("role_id", "The role's role_id."), secret_field("A secret ID of the role.")},
                             {{Op::Write, login, "Log in.", {"approle", "login"}}},
                             "auth"}));
}

}  // namespace pki::api
