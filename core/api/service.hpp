#pragma once
// The service: one per process, built once from its parts (storage backend, operation table, key
// store, clock) and immutable afterwards. execute() may be called from several threads at once;
// everything that belongs to one request (its parsed fields, warnings, progress, the atomic unit
// of `apply`) lives in objects made for that request.
//
// Dispatch happens here: match the path in the table, parse the fields, run the handler in a
// transaction of the backend, build the response. Front ends (CLI, batch, HTTP) render the
// response and map errors to their own codes.
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/request.hpp"
#include "api/table.hpp"
#include "keys/keystore.hpp"
#include "engine/engine.hpp"
#include "engine/tokens.hpp"
#include "store/store.hpp"

namespace pki::api {

using Clock = std::function<int64_t()>;  // Unix seconds

struct ServiceParts {
    std::unique_ptr<store::Backend> backend;
    const Table* table = nullptr;                     // must outlive the service
    Clock clock;                                      // default: the system clock
    std::unique_ptr<const keys::KeyStore> keys;       // default: keys kept in the state (0600 files)
};

// Per-request state a front end brings along.
struct Scope {
    engine::Progress progress;  // progress of long work (tidy); may be empty
};

// Sees the final response once, after the request succeeded and before it is committed; if it
// throws (the output could not be written), nothing the request did is kept.
using Deliver = std::function<void(const Response&)>;

class Service;

// The atomic unit of `pki apply`: every request executed through it commits together.
class Unit {
public:
    Response execute(const Request& request);

private:
    friend class Service;
    Unit(const Service& s, store::Txn& txn, const Scope& scope) : service_(s), txn_(txn), scope_(scope) {}
    const Service& service_;
    store::Txn& txn_;
    const Scope& scope_;
};

// A request prepared for group commit (pki batch): run optimistically on a snapshot by any
// thread, then validated and committed in order by Service::commit.
class Prepared {
public:
    ~Prepared();
    Prepared(Prepared&&) noexcept;
    // The outcome once committed: the response, or the error that refused the request.
    const Response& response() const { return response_; }
    std::exception_ptr error() const { return error_; }
    // Work that runs transactions of its own (tidy): run it with Service::execute, alone.
    bool standalone() const { return standalone_; }
    const Request& request() const { return request_; }

private:
    friend class Service;
    struct State;
    Prepared();
    Request request_;
    Response response_;
    std::exception_ptr error_;
    bool standalone_ = false;
    std::unique_ptr<State> state_;
};

class Service {
public:
    explicit Service(ServiceParts parts);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    // Run one request in a transaction of its own.
    Response execute(const Request& request, const Scope& scope = {}, const Deliver& deliver = {}) const;
    // Run `body` with every request it makes through the Unit in one write transaction: they
    // commit together or not at all. A store that did not exist before is left without one when
    // `body` throws. Work with transactions of its own (tidy) is refused inside.
    void atomically(const std::function<void(Unit&)>& body, const Scope& scope = {}) const;

    // Group commit. prepare() runs a request against a snapshot with its writes buffered (any
    // thread, concurrently); commit() then, on one thread and in order, validates each prepared
    // request against the current state (running it again there when what it read has changed),
    // keeps the writes of those that succeed, hands the group to `deliver` and commits the group
    // with one flush. A refused request leaves no trace and does not affect its neighbours; with
    // `stop_at_first_error`, the requests after the first refused one are not run at all (their
    // outcome stays empty).
    Prepared prepare(Request request) const;
    void commit(std::span<Prepared*> group, const std::function<void()>& deliver = {}, bool stop_at_first_error = false) const;

    const Table& table() const { return table_; }
    store::Backend& backend() const { return *backend_; }
    int64_t now() const;
    // The root token of a store that never had one (pki serve's first start), created with the
    // store when there is none; nullopt when a root token was created before.
    std::optional<std::string> create_root_token_once() const;
    // The accessor of a valid token (for access logs), or "" (unknown, expired, none).
    std::string accessor_of(const std::string& token) const;
    // Rebuild the CRLs of every mount that are due under auto_rebuild (pki serve's schedule);
    // returns the names of the mounts whose CRLs were rebuilt.
    std::vector<std::string> rebuild_due_crls() const;

    struct Resolved;  // a request matched in the table, its fields parsed (service.cpp)

private:
    friend class Unit;
    Resolved resolve(const Request& request) const;
    Response run(const Resolved& r, store::Txn& txn) const;
    Response run_standalone(const Resolved& r, const Scope& scope) const;
    // The caller over pki serve, once its token is valid and its policies allow the operation on
    // r's path (Error(Forbidden) otherwise); a use of a use-limited token is counted in `txn`.
    // nullopt for the local operator (who may do everything) and for open paths. `call` answers
    // the path's existence check (create or update); null for batch operations.
    std::optional<engine::Caller> authorize(const Resolved& r, store::Txn& txn, int64_t now, Call* call) const;
    void check_caller_of_unknown(const Request& request, const std::string& path) const;
    // Rebuild a mount's due CRLs (`on_read`: for a local reader); true when something was rebuilt.
    bool rebuild_due_crls(const std::string& mount, bool on_read) const;

    std::unique_ptr<store::Backend> backend_;
    const Table& table_;
    Clock clock_;
    std::unique_ptr<const keys::KeyStore> keys_;
    keys::Pkcs11 hsm_;  // modules load when a managed key is first used
    crypto::KeyGenerator keygen_;
    std::unique_ptr<engine::Caches> caches_;
};

}  // namespace pki::api
