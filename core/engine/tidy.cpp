#include "engine/tidy.hpp"

#include <signal.h>
#include <unistd.h>

#include <functional>

#include "engine/crl.hpp"
#include "engine/records.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::engine {
namespace {

constexpr size_t kBatch = 20000;  // entries examined per write transaction

std::string status_key(const std::string& mount) { return rec_key(mount, "tidy", "status"); }

// A running tidy holds a lease in its status record, renewed with every batch it commits: a tidy
// whose lease has run out died (in this PID namespace or another: a PID check alone would take
// the reused PID 1 of a container for a live run and refuse every later tidy).
constexpr int64_t kTidyLease = 120;  // seconds; batches commit far more often

bool still_running(const Json& status, int64_t now) {
    if (status.value("state", "") != "Running") return false;
    return status.value("lease_until", int64_t{0}) > now;
}

Json idle_status() {
    return Json{{"state", "Inactive"},
                {"safety_buffer", nullptr},
                {"tidy_cert_store", nullptr},
                {"tidy_revoked_certs", nullptr},
                {"error", nullptr},
                {"time_started", nullptr},
                {"time_finished", nullptr},
                {"message", nullptr},
                {"cert_store_deleted_count", 0},
                {"revoked_cert_deleted_count", 0}};
}

std::string rfc3339(int64_t t) { return util::format_utc_time(t); }

int64_t cert_not_after(std::string_view key, std::string_view value) {
    Json r = decode_record(key, value);
    const Json& na = r.contains("not_after") ? r["not_after"] : Json();
    return na.is_number_integer() ? na.get<int64_t>() : 0;
}

struct SweepCounts {
    uint64_t seen = 0;     // entries examined
    int64_t deleted = 0;   // entries deleted
    int64_t related = 0;   // entries deleted with them (as `remove` reports)
};

// Walk every entry under `prefix` in write transactions of kBatch entries, deleting those
// `doomed` picks (and, through `remove`, what belongs to them; it gets the key without the
// prefix). The position and counts advance only once a batch has committed, so a batch that
// Env::write runs again (the map grew) is examined again, not skipped.
SweepCounts sweep(store::Backend& env, const std::string& prefix, const std::function<bool(std::string_view, std::string_view)>& doomed,
                  const std::function<int64_t(store::Txn&, const std::string&)>& remove,
                  const std::function<void(store::Txn&, const SweepCounts&)>& record, const std::function<void(uint64_t)>& progress) {
    SweepCounts total;
    std::string resume = prefix;
    for (bool more = true; more;) {
        SweepCounts after;
        std::string next;
        env.write([&](store::Txn& txn) {
            after = total;
            next.clear();
            std::vector<std::string> keys;
            size_t n = 0;
            txn.scan_from(prefix, resume, [&](std::string_view key, std::string_view value) {
                if (n == kBatch) {
                    next = std::string(key);
                    return false;
                }
                ++n;
                if (doomed(key, value)) keys.emplace_back(key);
                return true;
            });
            for (const auto& key : keys) {
                txn.del(key);
                after.related += remove(txn, key.substr(prefix.size()));
            }
            after.deleted += static_cast<int64_t>(keys.size());
            after.seen += n;
            record(txn, after);
        });
        total = after;
        more = !next.empty();
        resume = next;
        progress(total.seen);
    }
    return total;
}

// The typed form of a status record (every record written here has all its fields).
TidyStatus status_of(const Json& j) {
    auto str = [&](const char* name) -> std::optional<std::string> {
        auto it = j.find(name);
        if (it == j.end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
    };
    auto flag = [&](const char* name) -> std::optional<bool> {
        auto it = j.find(name);
        if (it == j.end() || !it->is_boolean()) return std::nullopt;
        return it->get<bool>();
    };
    auto number = [&](const char* name) -> std::optional<int64_t> {
        auto it = j.find(name);
        if (it == j.end() || !it->is_number_integer()) return std::nullopt;
        return it->get<int64_t>();
    };
    TidyStatus s;
    std::string state = j.value("state", "");
    s.state = state == "Running" ? TidyState::Running : state == "Finished" ? TidyState::Finished
              : state == "Error"  ? TidyState::Error : TidyState::Inactive;
    s.safety_buffer = number("safety_buffer");
    s.tidy_cert_store = flag("tidy_cert_store");
    s.tidy_revoked_certs = flag("tidy_revoked_certs");
    s.error = str("error");
    s.time_started = str("time_started");
    s.time_finished = str("time_finished");
    s.message = str("message");
    s.cert_store_deleted_count = number("cert_store_deleted_count").value_or(0);
    s.revoked_cert_deleted_count = number("revoked_cert_deleted_count").value_or(0);
    return s;
}

}  // namespace

std::string_view tidy_state_name(TidyState s) {
    switch (s) {
        case TidyState::Inactive: return "Inactive";
        case TidyState::Running: return "Running";
        case TidyState::Finished: return "Finished";
        case TidyState::Error: return "Error";
    }
    return "?";
}

TidyResult tidy(BatchContext& b, const TidyOptions& options) {
    const std::string& mount = b.mount.name;
    bool do_certs = options.tidy_cert_store;
    bool do_revoked = options.tidy_revoked_certs;
    int64_t buffer = options.safety_buffer;
    if (buffer <= 0) fail(ErrorKind::Invalid, "safety_buffer must be a positive duration such as 72h");
    int64_t cutoff = b.now - buffer;

    Json status = idle_status();
    auto refuse_if_running = [&](const store::Txn& txn) {
        if (auto cur = load(txn, status_key(mount)); cur && still_running(*cur, b.clock()))
            fail(ErrorKind::Denied, "a tidy of mount {} is already running (process {}, started {}); wait for it, or see pki read {}/tidy-status",
                 mount, cur->value("pid", int64_t{0}), cur->value("time_started", ""), mount);
    };
    // A reader never waits for the writer, so a tidy that is running is noticed at once.
    b.store.read([&](store::Txn& txn) { refuse_if_running(txn); });
    b.store.write([&](store::Txn& txn) {
        refuse_if_running(txn);
        status["state"] = "Running";
        status["pid"] = static_cast<int64_t>(::getpid());
        status["lease_until"] = b.clock() + kTidyLease;
        status["safety_buffer"] = buffer;
        status["tidy_cert_store"] = do_certs;
        status["tidy_revoked_certs"] = do_revoked;
        status["time_started"] = rfc3339(b.now);
        save(txn, status_key(mount), status);
    });

    int64_t revoked_deleted = 0;
    try {
        auto count = [&](const std::string& prefix) {
            uint64_t n = 0;
            b.store.read([&](store::Txn& txn) {
                txn.scan(prefix, [&](std::string_view, std::string_view) {
                    ++n;
                    return true;
                });
            });
            return n;
        };
        if (do_certs) {
            std::string prefix = rec_prefix(mount, "cert");
            uint64_t total = count(prefix);
            auto done = sweep(
                b.store, prefix,
                [&](std::string_view serial, std::string_view value) {
                    int64_t na = cert_not_after(serial, value);
                    return na > 0 && na < cutoff;
                },
                [&](store::Txn& txn, const std::string& serial) {
                    txn.del(rec_key(mount, "certmeta", serial));
                    return do_revoked && txn.del(rec_key(mount, "revoked", serial)) ? 1 : 0;
                },
                [&](store::Txn& txn, const SweepCounts& c) {
                    status["message"] = fmt::format("Tidying certificate store: checking entry {} of {}", c.seen, total);
                    status["cert_store_deleted_count"] = c.deleted;
                    status["revoked_cert_deleted_count"] = c.related;
                    status["lease_until"] = b.clock() + kTidyLease;
                    save(txn, status_key(mount), status);
                },
                [&](uint64_t seen) { b.progress("tidying certificates", seen, total); });
            revoked_deleted = done.related;
        }
        if (do_revoked) {
            std::string prefix = rec_prefix(mount, "revoked");
            uint64_t total = count(prefix);
            int64_t before = revoked_deleted;
            auto done = sweep(
                b.store, prefix,
                [&](std::string_view key, std::string_view value) {
                    RevokedEntry e;
                    return !parse_revoked(key.substr(prefix.size()), value, e) || (e.not_after > 0 && e.not_after < cutoff);
                },
                [&](store::Txn& txn, const std::string& serial) {
                    txn.del(rec_key(mount, "cert", serial));
                    txn.del(rec_key(mount, "certmeta", serial));
                    return 0;
                },
                [&](store::Txn& txn, const SweepCounts& c) {
                    status["message"] = fmt::format("Tidying revoked certificates: checking certificate {} of {}", c.seen, total);
                    status["revoked_cert_deleted_count"] = before + c.deleted;
                    status["lease_until"] = b.clock() + kTidyLease;
                    save(txn, status_key(mount), status);
                },
                [&](uint64_t seen) { b.progress("tidying revoked certificates", seen, total); });
            revoked_deleted = before + done.deleted;
        }
        std::vector<std::string> warnings;
        b.store.write([&](store::Txn& txn) {
            Context ctx{txn, b.mount, b.clock(), b.keys, b.hsm, b.keygen, b.caches};
            if (revoked_deleted > 0) rebuild_all_crls(ctx, &warnings);
            status["state"] = "Finished";
            status["time_finished"] = rfc3339(b.clock());
            status["message"] = nullptr;
            status.erase("pid");
            status.erase("lease_until");
            save(txn, status_key(mount), status);
        });
        return TidyResult{status_of(status), std::move(warnings)};
    } catch (const Error& e) {
        b.store.write([&](store::Txn& txn) {
            status["state"] = "Error";
            status["error"] = e.what();
            status["time_finished"] = rfc3339(b.clock());
            status.erase("pid");
            status.erase("lease_until");
            save(txn, status_key(mount), status);
        });
        throw;
    }
}

TidyStatus tidy_status(Context& ctx) {
    auto s = load(ctx.txn, status_key(ctx.mount_name()));
    Json out = s ? *s : idle_status();
    if (out.value("state", "") == "Running" && !still_running(out, ctx.now)) {
        out["state"] = "Error";
        out["error"] = "the process running the tidy ended before it finished";
    }
    return status_of(out);
}

}  // namespace pki::engine
