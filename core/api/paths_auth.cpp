// auth/token: minting tokens for pki serve, looking them up, renewing and revoking them (by token,
// by accessor, or the caller's own), with Vault's paths, fields and response shapes (the "auth"
// block).
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/policies.hpp"
#include "engine/tokens.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::api {

Json auth_block(const std::string& token, const engine::TokenInfo& t, int64_t now) {
    return Json{{"client_token", token},
                {"accessor", t.accessor},
                {"policies", t.policies},
                {"token_policies", t.policies},
                {"metadata", t.meta.empty() ? Json(nullptr) : Json(t.meta)},
                {"lease_duration", t.ttl_left(now)},
                {"renewable", t.renewable && t.expire_time != 0},
                {"entity_id", ""},
                {"token_type", "service"},
                {"orphan", t.orphan},
                {"mfa_requirement", nullptr},
                {"num_uses", t.num_uses}};
}

namespace {

Json lookup_data(const std::string& token, const engine::TokenInfo& t, int64_t now) {
    return Json{{"accessor", t.accessor},
                {"creation_time", t.creation_time},
                {"creation_ttl", t.creation_ttl},
                {"display_name", t.display_name},
                {"entity_id", ""},
                {"expire_time", t.expire_time ? Json(util::format_utc_time(t.expire_time)) : Json(nullptr)},
                {"explicit_max_ttl", t.explicit_max_ttl},
                {"id", token},
                {"issue_time", util::format_utc_time(t.creation_time)},
                {"meta", t.meta.empty() ? Json(nullptr) : Json(t.meta)},
                {"num_uses", t.num_uses},
                {"bound_cidrs", t.bound_cidrs},
                {"orphan", t.orphan},
                {"path", t.path},
                {"policies", t.policies},
                {"renewable", t.renewable && t.expire_time != 0},
                {"ttl", t.ttl_left(now)},
                {"type", "service"}};
}

// The caller of a -self path: only a request over pki serve has one.
engine::Caller caller(Call& c) {
    if (!c.ctx.caller)
        fail(ErrorKind::Invalid, "{} is about the token of the request, and this request has none; it works over pki serve with a token",
             c.spec.display());
    return *c.ctx.caller;
}

// The warning Vault has no equivalent of: a token or role naming a policy nobody wrote yet.
void warn_missing(Call& c, const std::vector<std::string>& policies) {
    for (const auto& p : engine::missing_policies(c.ctx.txn, policies))
        c.ctx.warnings.push_back(fmt::format("policy \"{}\" does not exist (yet); it grants nothing until it is written", p));
}

Response create_common(Call& c, bool orphan) {
    const Fields& f = c.fields;
    engine::NewToken req;
    req.display_name = f.str("display_name");
    if (f.has("policies")) req.policies = f.list("policies");
    if (f.has("ttl")) req.ttl = f.duration("ttl");
    req.explicit_max_ttl = f.duration("explicit_max_ttl");
    req.renewable = f.boolean("renewable");
    req.no_parent = f.boolean("no_parent");
    req.no_default_policy = f.boolean("no_default_policy");
    if (f.has("meta"))
        for (const auto& [k, v] : f.value("meta").items()) req.meta[k] = v.is_string() ? v.get<std::string>() : v.dump();
    req.num_uses = f.integer("num_uses");
    if (f.has("bound_cidrs")) req.bound_cidrs = f.list("bound_cidrs");
    // What Vault has and this version does not; hvac sends their neutral values with every create.
    if (f.duration("period") != 0) fail(ErrorKind::Invalid, "periodic tokens (period) are not supported yet; give a ttl and renew-self");
    if (f.str("type") != "service") fail(ErrorKind::Invalid, "token type \"{}\" is not supported; only service tokens", f.str("type"));
    if (!f.str("id").empty()) fail(ErrorKind::Invalid, "a token's id is always random here; drop id");
    std::optional<engine::Caller> parent;
    if (c.ctx.caller) parent = *c.ctx.caller;
    if (orphan) {
        req.no_parent = true;
        req.orphan_path = true;  // create-orphan: the path's own capability is enough for no parent (not for more policies)
    }
    if (req.policies) warn_missing(c, *req.policies);
    auto made = engine::create_token(c.ctx, req, parent ? &*parent : nullptr);
    Response r = reply(nullptr);
    r.auth = auth_block(made.token, made.info, c.ctx.now);
    return r;
}

Response create(Call& c) { return create_common(c, false); }
Response create_orphan(Call& c) { return create_common(c, true); }

Response lookup_self(Call& c) {
    auto me = caller(c);
    return reply(lookup_data(me.token, me.info, c.ctx.now));
}

std::optional<int64_t> increment(Call& c) {
    if (!c.fields.has("increment")) return std::nullopt;
    return c.fields.duration("increment");
}

Response renew_self(Call& c) {
    auto me = caller(c);
    auto t = engine::renew_token(c.ctx, me, increment(c));
    Response r = reply(nullptr);
    r.auth = auth_block(me.token, t, c.ctx.now);
    return r;
}

Response revoke_self(Call& c) {
    auto me = caller(c);
    engine::revoke_token(c.ctx, me.token);
    return reply(nullptr);
}

// A token named by the request (lookup, renew): Vault's 403 "bad token" when it is not valid.
engine::Caller named(Call& c, const std::string& token) { return engine::named_token(c.ctx.txn, token, c.ctx.now); }

Response lookup(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) return lookup_self(c);
    auto t = named(c, token);
    return reply(lookup_data(token, t.info, c.ctx.now));
}

Response revoke(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) fail(ErrorKind::Invalid, "missing token to revoke; give token=...");
    engine::revoke_token(c.ctx, token);
    return reply(nullptr);
}

Response renew(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) fail(ErrorKind::Invalid, "missing token to renew; give token=...");
    auto t = engine::renew_token(c.ctx, named(c, token), increment(c));
    Response r = reply(nullptr);
    r.auth = auth_block(token, t, c.ctx.now);
    return r;
}

Response lookup_accessor(Call& c) {
    auto t = engine::by_accessor(c.ctx.txn, c.fields.str("accessor"), c.ctx.now);
    return reply(lookup_data("", t.info, c.ctx.now));  // as Vault: the token itself is not shown
}

Response renew_accessor(Call& c) {
    auto t = engine::renew_token(c.ctx, engine::by_accessor(c.ctx.txn, c.fields.str("accessor"), c.ctx.now), increment(c));
    Response r = reply(nullptr);
    r.auth = auth_block("", t, c.ctx.now);
    return r;
}

Response revoke_accessor(Call& c) {
    std::optional<engine::Caller> t;
    try {
        t = engine::by_accessor(c.ctx.txn, c.fields.str("accessor"), c.ctx.now);
    } catch (const Error& e) {
        if (e.kind() != ErrorKind::Invalid) throw;
        return reply(nullptr, {"No token found with this accessor"});  // as Vault: nothing to revoke is not an error
    }
    engine::revoke_token_hash(c.ctx.txn, t->hash);
    return reply(nullptr);
}

Response revoke_orphan(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) fail(ErrorKind::Invalid, "missing token to revoke; give token=...");
    engine::revoke_orphan(c.ctx.txn, token);
    return reply(nullptr);
}

Response list_accessors(Call& c) { return reply(Json{{"keys", engine::list_accessors(c.ctx.txn, c.ctx.now)}}); }

FieldSpec token_field(std::string help) {
    FieldSpec f = string_field("token", std::move(help));
    f.sensitive = true;
    return f;
}

// The fields of token/create and token/create-orphan.
std::vector<FieldSpec> create_fields() {
    return {list_field("policies", "Policies of the token (default: the parent's). \"default\" is added unless no_default_policy; "
                                   "a child gets only policies its parent has, unless the parent has sudo here."),
            duration_field("ttl", "Lifetime of the token (default 768h, the system maximum)."),
            duration_field("explicit_max_ttl", "Longest lifetime renewals may reach (default: the system maximum)."),
            string_field("display_name", "Name shown by lookup (as token-NAME) and in the access log."),
            bool_field("renewable", "Whether renew-self may extend the token.", true),
            bool_field("no_parent", "Make the token an orphan (root or sudo only): it survives its creator's revocation.", false),
            bool_field("no_default_policy", "Do not add the default policy beside the given policies.", false),
            FieldSpec{"meta", FieldType::Map, nullptr, "Metadata (string values), shown by lookup.", {}},
            int_field("num_uses", "How many requests the token may make (0: unlimited); the last use revokes it.", 0),
            list_field("bound_cidrs", "CIDR blocks the token may be used from (default: anywhere)."),
            duration_field("period", "Vault's periodic tokens; only 0 (none) is supported."),
            string_field("type", "Token type; only service.", "service", {"service"}),
            string_field("id", "Vault's custom token id; not supported (ids are random).")};
}

FieldSpec accessor_field() { return string_field("accessor", "The token's accessor (shown by create and lookup, and in the access log)."); }
FieldSpec increment_field() {
    return duration_field("increment", "How long from now the token should live (default: its creation TTL).");
}

}  // namespace

void add_auth_paths(Table& t) {
    t.describe_group("token", "Create, inspect, renew and revoke the tokens of pki serve.");
    t.add(PathSpec{"token/create", "token", "Mint a token for pki serve; printed once, stored only as a hash.", create_fields(),
                   {{Op::Write, create, "Create a token.", {"token", "create"}}},
                   "auth"});
    t.add(PathSpec{"token/create-orphan", "token", "Mint a token without a parent: it survives its creator's revocation.",
                   create_fields(),
                   {{Op::Write, create_orphan, "Create an orphan token.", {"token", "create-orphan"}}},
                   "auth"});
    t.add(PathSpec{"token/lookup-self", "token", "The calling token's properties.", {},
                   {{Op::Read, lookup_self, "Show the calling token.", {}}, {Op::Write, lookup_self, "Show the calling token.", {}}},
                   "auth"});
    t.add(PathSpec{"token/renew-self", "token", "Extend the calling token's TTL.", {increment_field()},
                   {{Op::Write, renew_self, "Renew the calling token.", {}}},
                   "auth"});
    t.add(PathSpec{"token/revoke-self", "token", "Revoke the calling token and its children.", {},
                   {{Op::Write, revoke_self, "Revoke the calling token.", {}}},
                   "auth"});
    t.add(PathSpec{"token/lookup", "token", "A token's properties (GET: the calling token's).", {token_field("The token to look up.")},
                   {{Op::Write, lookup, "Show a token.", {"token", "lookup"}}, {Op::Read, lookup_self, "Show the calling token.", {}}},
                   "auth"});
    t.add(PathSpec{"token/renew", "token", "Extend a token's TTL.", {token_field("The token to renew."), increment_field()},
                   {{Op::Write, renew, "Renew a token.", {"token", "renew"}}},
                   "auth"});
    t.add(PathSpec{"token/revoke", "token", "Revoke a token and its children.", {token_field("The token to revoke.")},
                   {{Op::Write, revoke, "Revoke a token.", {"token", "revoke"}}},
                   "auth"});
    t.add(PathSpec{"token/lookup-accessor", "token", "A token's properties, by its accessor.", {accessor_field()},
                   {{Op::Write, lookup_accessor, "Show a token by accessor.", {"token", "lookup-accessor"}}},
                   "auth"});
    t.add(PathSpec{"token/renew-accessor", "token", "Extend a token's TTL, by its accessor.", {accessor_field(), increment_field()},
                   {{Op::Write, renew_accessor, "Renew a token by accessor.", {"token", "renew-accessor"}}},
                   "auth"});
    t.add(PathSpec{"token/revoke-accessor", "token", "Revoke a token and its children, by its accessor.", {accessor_field()},
                   {{Op::Write, revoke_accessor, "Revoke a token by accessor.", {"token", "revoke-accessor"}}},
                   "auth"});
    PathSpec orphan{"token/revoke-orphan", "token", "Revoke a token, leaving its children as orphans (sudo).",
                    {token_field("The token to revoke.")},
                    {{Op::Write, revoke_orphan, "Revoke a token, not its children.", {"token", "revoke-orphan"}}},
                    "auth"};
    orphan.sudo = true;
    t.add(std::move(orphan));
    PathSpec accessors{"token/accessors", "token", "The accessors of every valid token (sudo).", {},
                       {{Op::List, list_accessors, "List token accessors.", {"token", "list-accessors"}}},
                       "auth"};
    accessors.sudo = true;
    t.add(std::move(accessors));
}

}  // namespace pki::api
