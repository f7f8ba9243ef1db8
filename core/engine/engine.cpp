#include "engine/engine.hpp"

#include <chrono>
#include <cstdlib>

#include "engine/mounts.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::engine {

std::filesystem::path default_state_dir() {
    if (const char* d = std::getenv("PKI_STATE_DIR"); d && *d) return d;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::filesystem::path(x) / "pki";
    if (const char* h = std::getenv("HOME"); h && *h) return std::filesystem::path(h) / ".local/share/pki";
    fail(ErrorKind::Usage, "no state directory: set --state-dir, PKI_STATE_DIR or HOME");
}

Engine::Engine(EngineOptions options, const api::Table& table) : options_(std::move(options)), table_(table) {}
Engine::~Engine() = default;

int64_t Engine::now() const {
    if (options_.clock) return options_.clock();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> Engine::take_open_warnings() { return std::exchange(open_warnings_, {}); }

store::Env& Engine::env(bool create) {
    if (!env_ || (create && !env_->exists())) {
        env_.reset();
        env_ = std::make_unique<store::Env>(store::Env::open(options_.state_dir, create, open_warnings_));
    }
    return *env_;
}

api::Response Engine::execute(const api::Request& request, const std::function<void(const api::Response&)>& before_commit) {
    std::string path(request.path);
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty()) fail(ErrorKind::Invalid, "empty path; give a path such as pki/roles/web");

    bool sys = path == "sys" || util::starts_with(path, "sys/");
    std::string mount, sub;
    if (sys) {
        sub = path.size() > 4 ? path.substr(4) : "";
    } else {
        auto slash = path.find('/');
        mount = path.substr(0, slash);
        sub = slash == std::string::npos ? "" : path.substr(slash + 1);
    }

    auto match = table_.match(sub, sys);
    if (!match)
        fail(ErrorKind::NotFound, "unknown path \"{}\"; list the paths a mount serves with: pki path-help", path);
    const api::OpSpec* op = match->spec->find(request.op);
    if (!op) {
        std::vector<std::string> ops;
        for (const auto& o : match->spec->ops) ops.emplace_back(api::op_name(o.op));
        fail(ErrorKind::Invalid, "{} does not support {}; it supports: {}", path, api::op_name(request.op),
             util::join(ops, ", "));
    }

    api::Json data = request.data.is_null() ? api::Json::object() : request.data;
    if (!data.is_object()) fail(ErrorKind::Invalid, "request data for {} must be a JSON object", path);
    for (const auto& [name, value] : match->params) data[name] = value;
    api::Fields fields(match->spec->fields, data, path);

    api::Response response;
    auto run = [&](store::Txn& txn) {
        Context ctx{txn, fields, path, std::nullopt, now(), sealer_, request.op, match->spec};
        if (!sys) ctx.mount = require_mount(txn, mount);
        response = op->handler(ctx);
        if (before_commit) before_commit(response);
    };
    if (active_) {  // inside atomically(): its transaction serves reads and writes alike
        if (op->batch) fail(ErrorKind::Invalid, "{} runs in transactions of its own and cannot be part of an atomic change", path);
        run(*active_);
        return response;
    }

    bool writes = api::op_writes(request.op) || op->mutates;
    store::Env* e = &env(false);
    if (!e->exists()) {
        // Nothing has been written yet. Only enabling a mount creates the state directory, and only
        // once the request is known to be good; everything else sees an empty store.
        bool creates = sys && match->spec->pattern == "mounts/:path" && request.op == api::Op::Write;
        if (!creates) {
            if (sys && sub == "mounts") {
                auto r = api::reply(request.op == api::Op::List ? api::Json{{"keys", api::Json::array()}} : api::Json::object());
                if (before_commit) before_commit(r);
                return r;
            }
            std::string name = sys ? match->params["path"] : mount;
            fail(ErrorKind::NotFound, "no mount \"{}\" (the state directory {} is empty); enable one with: pki secrets enable -path={} pki",
                 name, options_.state_dir.string(), name);
        }
        check_enable_request(fields);
        e = &env(true);
    }

    if (op->batch) {
        MountInfo mi;
        e->read([&](store::Txn& txn) { mi = require_mount(txn, mount); });
        Progress none = [](std::string_view, uint64_t, uint64_t) {};
        BatchContext bctx{*e, fields, path, mi, now(), sealer_, match->spec, options_.progress ? options_.progress : none,
                          [this] { return now(); }};
        auto r = op->batch(bctx);
        if (before_commit) before_commit(r);
        return r;
    }
    if (writes) e->write(run);
    else e->read(run);
    return response;
}

void Engine::atomically(const std::function<void()>& body) {
    if (active_) fail(ErrorKind::Internal, "atomic changes do not nest");
    std::error_code ec;
    bool dir_existed = std::filesystem::exists(options_.state_dir, ec);
    bool fresh = !env(false).exists();
    store::Env& e = env(true);
    try {
        e.write([&](store::Txn& txn) {
            active_ = &txn;
            try {
                body();
            } catch (...) {
                active_ = nullptr;
                throw;
            }
            active_ = nullptr;
        });
    } catch (...) {
        if (fresh) {  // nothing was committed: leave no environment behind where there was none
            env_.reset();
            std::filesystem::remove(options_.state_dir / "data.mdb", ec);
            std::filesystem::remove(options_.state_dir / "lock.mdb", ec);
            if (!dir_existed) std::filesystem::remove(options_.state_dir, ec);
        }
        throw;
    }
}

}  // namespace pki::engine
