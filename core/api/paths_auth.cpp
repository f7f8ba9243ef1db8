// auth/token: minting tokens for pki serve and a token's own lookup, renewal and revocation, with
// Vault's paths, fields and response shapes (the "auth" block).
#include "api/params.hpp"
#include "api/paths.hpp"
#include "api/schema.hpp"
#include "api/table.hpp"
#include "engine/tokens.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::api {
namespace {

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
                {"num_uses", 0}};
}

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
                {"num_uses", 0},
                {"orphan", t.orphan},
                {"path", t.path},
                {"policies", t.policies},
                {"renewable", t.renewable && t.expire_time != 0},
                {"ttl", t.ttl_left(now)},
                {"type", "service"}};
}

// The caller of a -self path: only a request over pki serve has one.
engine::Caller caller(Call& c) {
    if (c.ctx.token.empty())
        fail(ErrorKind::Invalid, "{} is about the token of the request, and this request has none; it works over pki serve with a token",
             c.spec.display());
    return engine::authenticate(c.ctx.txn, c.ctx.token, c.ctx.now);
}

Response create(Call& c) {
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
    // What Vault has and this version does not; hvac sends their neutral values with every create.
    if (f.integer("num_uses") != 0) fail(ErrorKind::Invalid, "num_uses is not supported yet; create a token with a short ttl instead");
    if (f.duration("period") != 0) fail(ErrorKind::Invalid, "periodic tokens (period) are not supported yet; give a ttl and renew-self");
    if (f.str("type") != "service") fail(ErrorKind::Invalid, "token type \"{}\" is not supported; only service tokens", f.str("type"));
    if (!f.str("id").empty()) fail(ErrorKind::Invalid, "a token's id is always random here; drop id");
    std::optional<engine::Caller> parent;
    if (!c.ctx.token.empty()) parent = engine::authenticate(c.ctx.txn, c.ctx.token, c.ctx.now);
    auto made = engine::create_token(c.ctx, req, parent ? &*parent : nullptr);
    Response r = reply(nullptr);
    r.auth = auth_block(made.token, made.info, c.ctx.now);
    return r;
}

Response lookup_self(Call& c) {
    auto me = caller(c);
    return reply(lookup_data(me.token, me.info, c.ctx.now));
}

Response renew_self(Call& c) {
    auto me = caller(c);
    std::optional<int64_t> inc;
    if (c.fields.has("increment")) inc = c.fields.duration("increment");
    auto t = engine::renew_token(c.ctx, me, inc);
    Response r = reply(nullptr);
    r.auth = auth_block(me.token, t, c.ctx.now);
    return r;
}

Response revoke_self(Call& c) {
    auto me = caller(c);
    engine::revoke_token(c.ctx, me.token);
    return reply(nullptr);
}

Response lookup(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) return lookup_self(c);
    auto t = engine::authenticate(c.ctx.txn, token, c.ctx.now);
    return reply(lookup_data(token, t.info, c.ctx.now));
}

Response revoke(Call& c) {
    std::string token = c.fields.str("token");
    if (token.empty()) fail(ErrorKind::Invalid, "missing token to revoke; give token=...");
    engine::revoke_token(c.ctx, token);
    return reply(nullptr);
}

PathSpec self_path(PathSpec spec) {
    spec.access = Access::Self;
    return spec;
}

FieldSpec token_field(std::string help) {
    FieldSpec f = string_field("token", std::move(help));
    f.sensitive = true;
    return f;
}

}  // namespace

void add_auth_paths(Table& t) {
    t.describe_group("token", "Create and inspect the tokens of pki serve.");
    t.add(PathSpec{"token/create", "token", "Mint a token for pki serve; printed once, stored only as a hash.",
                   {list_field("policies", "Policies of the token: root (everything) or default (its own lookup, renew, "
                                           "revoke). Default: the parent's."),
                    duration_field("ttl", "Lifetime of the token (default 768h, the system maximum)."),
                    duration_field("explicit_max_ttl", "Longest lifetime renewals may reach (default: the system maximum)."),
                    string_field("display_name", "Name shown by lookup (as token-NAME) and in the access log."),
                    bool_field("renewable", "Whether renew-self may extend the token.", true),
                    bool_field("no_parent", "Make the token an orphan (root tokens only): it survives its creator's revocation.", false),
                    bool_field("no_default_policy", "Do not add the default policy beside the given policies.", false),
                    FieldSpec{"meta", FieldType::Map, nullptr, "Metadata (string values), shown by lookup.", {}},
                    int_field("num_uses", "Vault's use limit; only 0 (unlimited) is supported.", 0),
                    duration_field("period", "Vault's periodic tokens; only 0 (none) is supported."),
                    string_field("type", "Token type; only service.", "service", {"service"}),
                    string_field("id", "Vault's custom token id; not supported (ids are random).")},
                   {{Op::Write, create, "Create a token.", {"token", "create"}}},
                   "auth"});
    t.add(self_path(PathSpec{"token/lookup-self", "token", "The calling token's properties.", {},
                             {{Op::Read, lookup_self, "Show the calling token.", {}}, {Op::Write, lookup_self, "Show the calling token.", {}}},
                             "auth"}));
    t.add(self_path(PathSpec{"token/renew-self", "token", "Extend the calling token's TTL.",
                             {duration_field("increment", "How long from now the token should live (default: its creation TTL).")},
                             {{Op::Write, renew_self, "Renew the calling token.", {}}},
                             "auth"}));
    t.add(self_path(PathSpec{"token/revoke-self", "token", "Revoke the calling token and its children.", {},
                             {{Op::Write, revoke_self, "Revoke the calling token.", {}}},
                             "auth"}));
    t.add(PathSpec{"token/lookup", "token", "A token's properties.", {token_field("The token to look up.")},
                   {{Op::Write, lookup, "Show a token.", {"token", "lookup"}}},
                   "auth"});
    t.add(PathSpec{"token/revoke", "token", "Revoke a token and its children.", {token_field("The token to revoke.")},
                   {{Op::Write, revoke, "Revoke a token.", {"token", "revoke"}}},
                   "auth"});
}

}  // namespace pki::api
