#include "engine/tidy.hpp"

#include <signal.h>
#include <unistd.h>

#include "engine/crl.hpp"
#include "engine/records.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

namespace pki::engine {
namespace {

constexpr size_t kBatch = 20000;  // entries examined per write transaction

std::string status_key(const std::string& mount) { return rec_key(mount, "tidy", "status"); }

bool process_alive(int64_t pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

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

int64_t cert_not_after(std::string_view value) {
    // Records are JSON; find "not_after" without parsing the whole certificate record.
    auto pos = value.find("\"not_after\":");
    if (pos == std::string_view::npos) return 0;
    pos += 12;
    int64_t v = 0;
    bool any = false;
    while (pos < value.size() && value[pos] >= '0' && value[pos] <= '9') {
        v = v * 10 + (value[pos++] - '0');
        any = true;
    }
    return any ? v : 0;
}

}  // namespace

api::Response tidy(BatchContext& b) {
    const std::string& mount = b.mount.name;
    bool do_certs = b.fields.boolean("tidy_cert_store");
    bool do_revoked = b.fields.boolean("tidy_revoked_certs");
    int64_t buffer = b.fields.has("safety_buffer") ? b.fields.duration("safety_buffer") : 72 * 3600;
    if (buffer <= 0) fail(ErrorKind::Invalid, "safety_buffer must be a positive duration such as 72h");
    int64_t cutoff = b.now - buffer;

    Json status = idle_status();
    b.env.write([&](store::Txn& txn) {
        if (auto cur = load(txn, status_key(mount)); cur && cur->value("state", "") == "Running" && process_alive(cur->value("pid", int64_t{0})))
            fail(ErrorKind::Denied, "a tidy of mount {} is already running (process {}, started {}); wait for it, or see pki read {}/tidy-status",
                 mount, cur->value("pid", int64_t{0}), cur->value("time_started", ""), mount);
        status["state"] = "Running";
        status["pid"] = static_cast<int64_t>(::getpid());
        status["safety_buffer"] = buffer;
        status["tidy_cert_store"] = do_certs;
        status["tidy_revoked_certs"] = do_revoked;
        status["time_started"] = rfc3339(b.now);
        save(txn, status_key(mount), status);
    });

    int64_t certs_deleted = 0, revoked_deleted = 0;
    try {
        if (do_certs) {
            std::string prefix = rec_prefix(mount, "cert");
            uint64_t total = 0;
            b.env.read([&](store::Txn& txn) {
                txn.scan(prefix, [&](std::string_view, std::string_view) {
                    ++total;
                    return true;
                });
            });
            uint64_t seen = 0;
            std::string resume = prefix;
            bool more = true;
            while (more) {
                b.env.write([&](store::Txn& txn) {
                    std::vector<std::string> doomed;
                    size_t n = 0;
                    more = false;
                    txn.scan_from(prefix, resume, [&](std::string_view key, std::string_view value) {
                        if (n == kBatch) {
                            resume = std::string(key);
                            more = true;
                            return false;
                        }
                        ++n;
                        int64_t na = cert_not_after(value);
                        if (na > 0 && na < cutoff) doomed.emplace_back(key);
                        return true;
                    });
                    for (const auto& key : doomed) {
                        txn.del(key);
                        std::string serial = key.substr(prefix.size());
                        txn.del(rec_key(mount, "certmeta", serial));
                        if (do_revoked) {
                            if (txn.del(rec_key(mount, "revoked", serial))) ++revoked_deleted;
                        }
                    }
                    certs_deleted += static_cast<int64_t>(doomed.size());
                    seen += n;
                    status["message"] = fmt::format("Tidying certificate store: checking entry {} of {}", seen, total);
                    status["cert_store_deleted_count"] = certs_deleted;
                    status["revoked_cert_deleted_count"] = revoked_deleted;
                    save(txn, status_key(mount), status);
                });
                b.progress("tidying certificates", seen, total);
            }
        }
        if (do_revoked) {
            std::string prefix = rec_prefix(mount, "revoked");
            std::string resume = prefix;
            bool more = true;
            uint64_t seen = 0;
            while (more) {
                b.env.write([&](store::Txn& txn) {
                    std::vector<std::string> doomed;
                    size_t n = 0;
                    more = false;
                    txn.scan_from(prefix, resume, [&](std::string_view key, std::string_view value) {
                        if (n == kBatch) {
                            resume = std::string(key);
                            more = true;
                            return false;
                        }
                        ++n;
                        RevokedEntry e;
                        if (!parse_revoked(key.substr(prefix.size()), value, e) || (e.not_after > 0 && e.not_after < cutoff))
                            doomed.emplace_back(key);
                        return true;
                    });
                    for (const auto& key : doomed) {
                        txn.del(key);
                        txn.del(rec_key(mount, "cert", key.substr(prefix.size())));
                        txn.del(rec_key(mount, "certmeta", key.substr(prefix.size())));
                    }
                    revoked_deleted += static_cast<int64_t>(doomed.size());
                    seen += n;
                    status["message"] = fmt::format("Tidying revoked certificates: checking certificate {}", seen);
                    status["revoked_cert_deleted_count"] = revoked_deleted;
                    save(txn, status_key(mount), status);
                });
                b.progress("tidying revoked certificates", seen, 0);
            }
        }
        std::vector<std::string> warnings;
        b.env.write([&](store::Txn& txn) {
            Context ctx{txn, b.fields, b.path, b.mount, b.clock(), b.sealer, api::Op::Write, b.spec};
            if (revoked_deleted > 0) rebuild_all_crls(ctx, &warnings);
            status["state"] = "Finished";
            status["time_finished"] = rfc3339(b.clock());
            status["message"] = nullptr;
            status.erase("pid");
            save(txn, status_key(mount), status);
        });
        Json out = status;
        out.erase("v");
        return api::reply(std::move(out), std::move(warnings));
    } catch (const Error& e) {
        b.env.write([&](store::Txn& txn) {
            status["state"] = "Error";
            status["error"] = e.what();
            status["time_finished"] = rfc3339(b.clock());
            status.erase("pid");
            save(txn, status_key(mount), status);
        });
        throw;
    }
}

api::Response tidy_status(Context& ctx) {
    auto s = load(ctx.txn, status_key(ctx.mount_name()));
    Json out = s ? *s : idle_status();
    out.erase("v");
    if (out.value("state", "") == "Running" && !process_alive(out.value("pid", int64_t{0}))) {
        out["state"] = "Error";
        out["error"] = "the process running the tidy ended before it finished";
    }
    out.erase("pid");
    return api::reply(std::move(out));
}

}  // namespace pki::engine
