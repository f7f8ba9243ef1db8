#include "api/service.hpp"

#include <chrono>

#include "api/paths.hpp"
#include "engine/cache.hpp"
#include "engine/crl.hpp"
#include "engine/mounts.hpp"
#include "engine/policies.hpp"
#include "engine/tokens.hpp"
#include "policy/acl.hpp"
#include "store/overlay.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::api {

// A request matched against the table, its fields parsed.
struct Service::Resolved {
    Op op = Op::Read;
    std::string path;  // without leading and trailing slashes
    bool sys = false;
    std::string mount, sub;
    Match match;
    const OpSpec* spec = nullptr;
    Fields fields;
    bool writes = false;
    bool creates = false;  // enables a mount: the one request that may create the store
    std::optional<std::string> token;  // the caller's (Request::token)
    std::string remote;                // the caller's address (Request::remote)
};

namespace {

// A use-limited token met a read-only transaction: its use must be counted, so the request runs
// again in a write transaction.
struct NeedsWrite {};

uint32_t capability_for(Op op, bool creates) {
    switch (op) {
        case Op::Read: return policy::kRead;
        case Op::List: return policy::kList;
        case Op::Delete: return policy::kDelete;
        case Op::Patch: return policy::kPatch;
        case Op::Write: return creates ? policy::kCreate : policy::kUpdate;
    }
    return policy::kUpdate;
}

// Vault's ACL: unless the caller is root, its policies must grant `need` on the full path (a
// LIST's with a trailing '/'), and sudo on the root-protected paths; deny beats all. Returns
// whether the caller has sudo there.
bool check_acl(const store::Txn& txn, const engine::Caller& caller, Op op, const std::string& request_path, uint32_t need,
               bool needs_sudo) {
    if (caller.info.root()) return true;
    bool list = op == Op::List;
    std::string path = list ? request_path + "/" : request_path;
    uint32_t caps = engine::acl_for(txn, caller.info.policies).capabilities(path, list);
    if (caps & policy::kDeny)
        fail(ErrorKind::Forbidden, "permission denied: a policy of this token denies \"{}\"", util::printable(path, 200));
    if (!(caps & need))
        fail(ErrorKind::Forbidden, "permission denied: no policy of this token grants \"{}\" on \"{}\"",
             policy::capability_names(need).front(), util::printable(path, 200));
    if (needs_sudo && !(caps & policy::kSudo))
        fail(ErrorKind::Forbidden, "permission denied: \"{}\" also needs the \"sudo\" capability", util::printable(path, 200));
    return caps & policy::kSudo;
}

}  // namespace

struct Prepared::State {
    Service::Resolved resolved;
    std::unique_ptr<store::OverlayTxn> overlay;  // the optimistic run's reads and writes
    bool serial = false;                         // run it in the write transaction at commit
};

Prepared::Prepared() = default;
Prepared::~Prepared() = default;
Prepared::Prepared(Prepared&&) noexcept = default;

Response Unit::execute(const Request& request) {
    auto r = service_.resolve(request);
    if (r.spec->batch)
        fail(ErrorKind::Invalid, "{} runs in transactions of its own and cannot be part of an atomic change", r.path);
    return service_.run(r, txn_);
}

Service::Service(ServiceParts parts)
    : backend_(std::move(parts.backend)), table_(*parts.table), clock_(std::move(parts.clock)), keys_(std::move(parts.keys)) {
    if (!keys_) keys_ = keys::software_key_store();
    caches_ = std::make_unique<engine::Caches>();
}

Service::~Service() = default;

int64_t Service::now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Service::Resolved Service::resolve(const Request& request) const {
    Resolved r;
    r.op = request.op;
    r.path = normalized_path(request.path);

    auto parts = split_path(r.path);
    r.sys = !parts.root.empty();
    r.mount = std::move(parts.mount);
    r.sub = std::move(parts.sub);

    r.token = request.token;
    r.remote = request.remote;
    auto match = table_.match(r.sub, parts.root);
    if (!match) {
        check_caller_of_unknown(request, r.path);
        throw Error(ErrorKind::NotFound, fmt::format("unknown path \"{}\"", r.path), "",
                    Hint{"list the paths a mount serves", "path-help", "", ""});
    }
    r.match = std::move(*match);
    // A "*rest" parameter takes the path as given, slashes and all: the trailing ones that
    // normalizing dropped belong to it (base64 in ocsp/*request may end in '/').
    const auto& pat = r.match.spec->pattern;
    if (auto slash = pat.rfind('/'); slash != std::string::npos && pat.compare(slash + 1, 1, "*") == 0) {
        size_t trailing = 0;
        while (trailing < request.path.size() && request.path[request.path.size() - 1 - trailing] == '/') ++trailing;
        r.match.params[pat.substr(slash + 2)].append(trailing, '/');
    }
    r.spec = r.match.spec->find(request.op);
    if (!r.spec) {
        if (r.match.spec->access != Access::Open) check_caller_of_unknown(request, r.path);
        std::vector<std::string> ops;
        for (const auto& o : r.match.spec->ops) ops.emplace_back(op_name(o.op));
        fail(ErrorKind::Unsupported, "{} does not support {}; it supports: {}", r.path, op_name(request.op), util::join(ops, ", "));
    }

    Json data = request.data.is_null() ? Json::object() : request.data;
    if (!data.is_object()) fail(ErrorKind::Invalid, "request data for {} must be a JSON object", r.path);
    for (const auto& [name, value] : r.match.params) data[name] = value;
    try {
        r.fields = Fields(r.match.spec->fields, data, r.path);
    } catch (const Error&) {
        if (r.match.spec->access != Access::Open) check_caller_of_unknown(request, r.path);  // 403 before 400
        throw;
    }
    r.writes = op_writes(request.op) || r.spec->mutates;
    r.creates = r.sys && r.match.spec->pattern == "mounts/:path" && request.op == Op::Write;
    return r;
}

namespace {

// Vault's warning about the parameters the path ignored, ahead of the operation's own.
Response with_ignored_fields(Response out, const Service::Resolved& r) {
    auto ignored = unknown_field_warnings(r.fields, r.match.spec->fields);
    out.warnings.insert(out.warnings.begin(), ignored.begin(), ignored.end());
    return out;
}

}  // namespace

Response Service::run(const Resolved& r, store::Txn& txn) const {
    engine::Context ctx{txn, std::nullopt, now(), *keys_, hsm_, keygen_, *caches_};
    ctx.token = r.token.value_or("");
    ctx.remote = r.remote;
    Call call{ctx, r.fields, *r.match.spec, r.op};
    // In the request's own transaction: a token revoked by a request committed before this one is
    // refused, even in a group commit (the read is validated like any other).
    auto caller = authorize(r, txn, ctx.now, &call);
    if (caller) ctx.caller = &*caller;
    if (!r.sys) ctx.mount = engine::require_mount(txn, r.mount);
    Response out = r.spec->handler(call);
    out.warnings.insert(out.warnings.begin(), std::make_move_iterator(ctx.warnings.begin()), std::make_move_iterator(ctx.warnings.end()));
    return with_ignored_fields(std::move(out), r);
}

std::optional<engine::Caller> Service::authorize(const Resolved& r, store::Txn& txn, int64_t now, Call* call) const {
    if (!r.token || r.match.spec->access == Access::Open) return std::nullopt;
    auto caller = engine::authenticate(txn, *r.token, now, r.remote);
    bool creates = r.op == Op::Write && r.match.spec->exists && call && !r.match.spec->exists(*call);
    caller.sudo = check_acl(txn, caller, r.op, r.path, capability_for(r.op, creates), r.match.spec->sudo);
    if (caller.info.num_uses > 0) {
        if (!txn.writable()) throw NeedsWrite{};
        engine::use_token(txn, caller);
    }
    return caller;
}

void Service::check_caller_of_unknown(const Request& request, const std::string& path) const {
    // Without a valid token, or with one whose policies grant nothing there, an unknown path or
    // operation is "permission denied", as in Vault: the caller learns nothing of what exists.
    if (!request.token) return;
    auto snap = backend_->snapshot();
    if (!snap) fail(ErrorKind::Forbidden, "permission denied");
    auto caller = engine::authenticate(*snap, *request.token, now(), request.remote);
    uint32_t need = request.op == Op::Write ? (policy::kCreate | policy::kUpdate) : capability_for(request.op, false);
    check_acl(*snap, caller, request.op, path, need, false);
}

std::optional<std::string> Service::create_root_token_once() const {
    backend_->create();
    std::optional<std::string> out;
    backend_->write([&](store::Txn& txn) {
        out.reset();
        if (auto made = engine::create_root_token_once(txn, now())) out = made->token;
    });
    return out;
}

std::string Service::accessor_of(const std::string& token) const {
    if (token.empty()) return "";
    auto snap = backend_->snapshot();
    if (!snap) return "";
    try {
        return engine::authenticate(*snap, token, now()).info.accessor;
    } catch (const Error&) {
        return "";
    }
}

bool Service::rebuild_due_crls(const std::string& mount, bool on_read) const {
    bool due = false;
    backend_->read([&](store::Txn& txn) {
        auto mi = engine::find_mount(txn, mount);
        if (!mi) return;
        engine::Context ctx{txn, mi, now(), *keys_, hsm_, keygen_, *caches_};
        due = engine::crls_due(ctx, on_read);
    });
    if (!due) return false;
    backend_->write([&](store::Txn& txn) {
        auto mi = engine::find_mount(txn, mount);
        if (!mi) return;
        engine::Context ctx{txn, mi, now(), *keys_, hsm_, keygen_, *caches_};
        engine::rebuild_due_crls(ctx, on_read);
    });
    return true;
}

std::vector<std::string> Service::rebuild_due_crls() const {
    std::vector<std::string> names, rebuilt;
    if (!backend_->exists()) return rebuilt;
    backend_->read([&](store::Txn& txn) {
        engine::Context ctx{txn, std::nullopt, now(), *keys_, hsm_, keygen_, *caches_};
        names.clear();
        for (const auto& m : engine::list_mounts(ctx)) names.push_back(m.name);
    });
    for (const auto& n : names)
        if (rebuild_due_crls(n, false)) rebuilt.push_back(n);
    return rebuilt;
}

Response Service::run_standalone(const Resolved& r, const Scope& scope) const {
    engine::MountInfo mi;
    try {
        backend_->read([&](store::Txn& txn) {
            authorize(r, txn, now(), nullptr);
            mi = engine::require_mount(txn, r.mount);
        });
    } catch (const NeedsWrite&) {
        backend_->write([&](store::Txn& txn) {
            authorize(r, txn, now(), nullptr);
            mi = engine::require_mount(txn, r.mount);
        });
    }
    engine::Progress none = [](std::string_view, uint64_t, uint64_t) {};
    engine::BatchContext bctx{*backend_, mi, now(), *keys_, hsm_, keygen_, *caches_, scope.progress ? scope.progress : none, [this] { return now(); }};
    BatchCall call{bctx, r.fields};
    return with_ignored_fields(r.spec->batch(call), r);
}

namespace {

// What a request sees of a store that holds nothing yet: no mounts. Returns true with `out` set
// when the request is answered without a store; throws when it is refused.
bool answer_without_store(const Service& s, Op op, const std::string& sub, bool sys, const std::string& name, Response& out) {
    if (sys && sub == "health") {
        out = raw_reply("application/json", health_json(false, s.now()));
        return true;
    }
    if (sys && sub == "mounts") {
        out = reply(op == Op::List ? Json{{"keys", Json::array()}} : Json::object());
        return true;
    }
    throw Error(ErrorKind::NotFound, fmt::format("no mount \"{}\" (the {} is empty)", name, s.backend().location()), "",
                Hint{"enable one", "secrets-enable", name, ""});
}

// The mount a request is about: its first path segment, or the mount a sys/mounts path names.
std::string mount_named(const Service::Resolved& r) {
    if (!r.sys) return r.mount;
    auto it = r.match.params.find("path");
    return it == r.match.params.end() ? std::string() : it->second;
}

}  // namespace

Response Service::execute(const Request& request, const Scope& scope, const Deliver& deliver) const {
    Resolved r = resolve(request);
    bool fresh = false;
    if (!backend_->exists()) {
        // Nothing has been written yet. Only enabling a mount creates the store, and only once
        // the request is known to be good; everything else sees an empty store.
        if (!r.creates) {
            Response out;
            answer_without_store(*this, r.op, r.sub, r.sys, mount_named(r), out);
            if (deliver) deliver(out);
            return out;
        }
        engine::check_enable_request(enable_request(r.fields));
        backend_->create();
        fresh = true;
    }

    if (r.spec->batch) {
        auto out = run_standalone(r, scope);
        if (deliver) deliver(out);
        return out;
    }
    // The local operator reading a CRL sees it with every revocation (auto_rebuild leaves that to
    // pki serve's schedule, and there is none without a server). A state that cannot be written
    // serves the CRL as it is, and says so.
    std::optional<std::string> stale;
    if (!request.token && r.spec->fresh_crls && !r.sys) {
        try {
            rebuild_due_crls(r.mount, true);
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::Storage) throw;
            stale = fmt::format("the CRL may lack recent revocations: rebuilding it failed: {}", e.what());
        }
    }
    Response response;
    try {
        if (r.writes) {
            backend_->write([&](store::Txn& txn) { response = run(r, txn); },
                            [&] {
                                if (deliver) deliver(response);
                            });
        } else {
            try {
                backend_->read([&](store::Txn& txn) {
                    response = run(r, txn);
                    if (stale) response.warnings.push_back(*stale);
                    if (deliver) deliver(response);
                });
            } catch (const NeedsWrite&) {  // a use-limited token: its use is written with the request
                backend_->write([&](store::Txn& txn) { response = run(r, txn); },
                                [&] {
                                    if (deliver) deliver(response);
                                });
            }
        }
    } catch (...) {
        if (fresh) backend_->abandon();
        throw;
    }
    return response;
}

void Service::atomically(const std::function<void(Unit&)>& body, const Scope& scope) const {
    backend_->create();
    try {
        backend_->write([&](store::Txn& txn) {
            Unit unit(*this, txn, scope);
            body(unit);
        });
    } catch (...) {
        backend_->abandon();  // only removes a store this process created and never committed to
        throw;
    }
}

Prepared Service::prepare(Request request) const {
    Prepared p;
    p.state_ = std::make_unique<Prepared::State>();
    p.request_ = std::move(request);
    try {
        p.state_->resolved = resolve(p.request_);
    } catch (...) {
        p.error_ = std::current_exception();  // final: nothing in the store can change it
        return p;
    }
    auto& st = *p.state_;
    const Resolved& r = st.resolved;
    if (r.spec->batch) {
        p.standalone_ = true;
        return p;
    }
    auto snap = backend_->snapshot();
    if (!snap) {  // the store does not exist yet: whatever creates it runs at commit
        st.serial = true;
        return p;
    }
    st.overlay = std::make_unique<store::OverlayTxn>(*snap);
    try {
        p.response_ = run(r, *st.overlay);
    } catch (...) {
        p.error_ = std::current_exception();
    }
    return p;  // the snapshot ends here; the overlay keeps copies of what it read
}

void Service::commit(std::span<Prepared*> group, const std::function<void()>& deliver, bool stop_at_first_error) const {
    // Only a request enabling a mount creates the store, and only once its own checks pass; one
    // refused by them is answered like any refused request.
    bool needs_store = false;
    for (auto* p : group) {
        if (!p->state_ || !p->state_->serial || p->error_ || !p->state_->resolved.creates || backend_->exists()) continue;
        try {
            engine::check_enable_request(enable_request(p->state_->resolved.fields));
            needs_store = true;
        } catch (...) {
            p->error_ = std::current_exception();
            p->state_->serial = false;  // final: it never reaches the store
        }
    }
    if (needs_store && !backend_->exists()) backend_->create();

    // Requests whose outcome is already final (bad path, bad fields) are not part of the group.
    std::vector<Prepared*> members;
    std::vector<store::Body> bodies;
    for (auto* p : group) {
        if (p->standalone_) fail(ErrorKind::Internal, "a standalone request reached a group commit");
        if (!p->state_ || (!p->state_->overlay && !p->state_->serial)) continue;
        members.push_back(p);
    }
    if (!backend_->exists()) {  // no store and nothing creates one: answer as execute() would
        for (auto* p : members) {
            const Resolved& r = p->state_->resolved;
            try {
                answer_without_store(*this, r.op, r.sub, r.sys, mount_named(r), p->response_);
                p->error_ = nullptr;
            } catch (...) {
                p->error_ = std::current_exception();
            }
        }
        if (deliver) deliver();
        return;
    }

    std::vector<std::exception_ptr> prior(members.size());
    for (size_t i = 0; i < members.size(); ++i) prior[i] = members[i]->error_;
    bool stopped = false;  // with stop_at_first_error: a member was refused (reset when the group runs again)
    for (size_t i = 0; i < members.size(); ++i) {
        bodies.emplace_back([this, i, p = members[i], before = prior[i], &stopped, stop_at_first_error](store::Txn& txn) {
            if (i == 0) stopped = false;
            if (stopped) {  // not run: its outcome stays empty
                p->response_ = Response{};
                return;
            }
            auto& st = *p->state_;
            try {
                if (st.overlay && st.overlay->validate(txn)) {
                    if (before) std::rethrow_exception(before);
                    st.overlay->apply(txn);
                    return;
                }
                // What it read has changed since its snapshot (or it had none): run it again here.
                p->response_ = run(st.resolved, txn);
            } catch (...) {
                if (stop_at_first_error) stopped = true;
                throw;
            }
        });
    }
    std::vector<std::exception_ptr> errors;
    backend_->write_group(bodies, errors, [&] {
        for (size_t i = 0; i < members.size(); ++i) members[i]->error_ = errors[i];
        if (deliver) deliver();
    });
}

}  // namespace pki::api
