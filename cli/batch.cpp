// pki batch [-f FILE] [--stop-on-error]: JSON lines of requests in, JSON lines of responses out,
// in input order, in one process. Requests are prepared on worker threads (key generation and
// signing run on every core) and committed in order, in groups that share one flush.
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "api/envelope.hpp"
#include "api/service.hpp"
#include "cli/session.hpp"
#include "crypto/random.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

using api::Json;

constexpr size_t kMaxLineBytes = 64u << 20;  // as for any value read from a file
constexpr size_t kWindow = 4096;              // requests read ahead of the one being committed
constexpr size_t kMaxGroup = 1024;            // requests committed with one flush

struct Item {
    size_t line = 0;
    std::optional<api::Prepared> prepared;
    std::optional<api::Request> request;  // until a worker takes it
    std::exception_ptr refused;           // the line itself is bad (not JSON, unknown op ...)
    bool ready = false;
};

// One line of input as a request; Error(Invalid) naming what is wrong with it.
api::Request parse_line(const std::string& text) {
    Json j = api::parse_user_json(text);
    if (j.is_discarded()) fail(ErrorKind::Invalid, "not a JSON object; each line must be {{\"op\": ..., \"path\": ..., \"data\": {{...}}}}");
    if (!j.is_object()) fail(ErrorKind::Invalid, "a request must be a JSON object with op, path and data");
    for (const auto& [k, v] : j.items())
        if (k != "op" && k != "path" && k != "data")
            fail(ErrorKind::Invalid, "unknown key \"{}\" in the request; a request has op, path and data", k);
    if (!j.contains("op") || !j["op"].is_string()) fail(ErrorKind::Invalid, "the request has no \"op\"; give one of read, write, list, delete, patch");
    auto op = api::parse_op(j["op"].get<std::string>());
    if (!op)
        fail(ErrorKind::Invalid, "unknown op \"{}\"; give one of read, write, list, delete, patch", util::printable(j["op"].get<std::string>()));
    if (!j.contains("path") || !j["path"].is_string() || j["path"].get<std::string>().empty())
        fail(ErrorKind::Invalid, "the request has no \"path\"; give one such as \"pki/issue/web\"");
    api::Request r;
    r.op = *op;
    r.path = j["path"].get<std::string>();
    if (j.contains("data")) {
        if (!j["data"].is_object() && !j["data"].is_null()) fail(ErrorKind::Invalid, "\"data\" must be a JSON object of fields");
        if (j["data"].is_object()) r.data = std::move(j["data"]);
    }
    return r;
}

// The Vault envelope on one line. Raw endpoints (DER, PEM) give their media type and body (base64
// for binary bodies).
std::string envelope_line(const api::Response& r) {
    if (!r.raw) return api::envelope_text(r, crypto::random_uuid()) + "\n";
    bool text = !r.raw->binary();
    Json data{{"content_type", r.raw->content_type}};
    if (text) data["body"] = r.raw->body;
    else data["body_base64"] = util::base64(r.raw->body);
    return api::envelope_text(r, crypto::random_uuid(), &data) + "\n";
}

std::string error_line(const std::exception_ptr& e, size_t line) {
    Json err;
    try {
        std::rethrow_exception(e);
    } catch (const Error& x) {
        err = Json{{"kind", std::string(kind_name(x.kind()))}, {"message", std::string(x.what())}};
        if (!x.field().empty()) err["field"] = x.field();
        if (!x.hint().empty()) err["hint"] = hint_text(x.hint());
    } catch (const std::exception& x) {
        err = Json{{"kind", "internal"}, {"message", std::string("internal failure: ") + x.what()}};
    }
    return Json{{"error", err}, {"line", line}}.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

bool is_fatal(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const Error& x) {
        return x.kind() == ErrorKind::Storage || x.kind() == ErrorKind::Internal;
    } catch (...) {
        return true;
    }
}

class Batch {
public:
    Batch(Session& s, std::istream& in, bool stop_on_error, unsigned workers)
        : s_(s), svc_(s.service()), in_(in), stop_on_error_(stop_on_error), workers_(workers) {}

    int run() {
        progress_ = !s_.quiet && ::isatty(2);
        std::vector<std::thread> threads;
        for (unsigned i = 0; i < workers_; ++i) threads.emplace_back([this] { work(); });
        std::thread committer([this] { commit_loop(); });
        read_loop();
        {
            std::lock_guard lock(mu_);
            eof_ = true;
        }
        work_cv_.notify_all();
        ready_cv_.notify_all();
        committer.join();
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        work_cv_.notify_all();
        for (auto& t : threads) t.join();
        if (progress_) s_.err << "\r\033[K" << std::flush;
        s_.print_open_warnings();
        if (fatal_) std::rethrow_exception(fatal_);
        return refused_ ? 1 : 0;
    }

private:
    void read_loop() {
        std::string text;
        size_t line = 0;
        while (true) {
            {
                std::unique_lock lock(mu_);
                room_cv_.wait(lock, [&] { return inflight_.size() < kWindow || stop_; });
                if (stop_) return;
            }
            bool too_long = false;
            if (!read_line(text, too_long)) break;
            ++line;
            if (!too_long && util::trim(text).empty()) continue;  // blank lines are no requests
            auto item = std::make_unique<Item>();
            item->line = line;
            try {
                if (too_long) fail(ErrorKind::Invalid, "line holds more than 64 MiB; no request needs that much");
                item->request = parse_line(text);
            } catch (...) {
                item->refused = std::current_exception();
                item->ready = true;
            }
            Item* raw = item.get();
            {
                std::lock_guard lock(mu_);
                inflight_.push_back(std::move(item));
                if (!raw->ready) work_.push_back(raw);
            }
            if (raw->ready) ready_cv_.notify_one();
            else work_cv_.notify_one();
        }
    }

    // One line of input into `text` (without its newline); false at the end of the input. A line
    // longer than kMaxLineBytes is read to its end but not kept (memory stays bounded): `too_long`.
    bool read_line(std::string& text, bool& too_long) {
        text.clear();
        std::streambuf* sb = in_.rdbuf();
        bool any = false;
        for (;;) {
            int c = sb->sbumpc();
            if (c == std::char_traits<char>::eof()) return any;
            any = true;
            if (c == '\n') return true;
            if (text.size() < kMaxLineBytes) text.push_back(static_cast<char>(c));
            else too_long = true;
        }
    }

    void work() {
        while (true) {
            Item* item = nullptr;
            {
                std::unique_lock lock(mu_);
                work_cv_.wait(lock, [&] { return !work_.empty() || stop_; });
                if (stop_) return;
                item = work_.front();
                work_.pop_front();
            }
            api::Prepared p = svc_.prepare(std::move(*item->request));
            {
                std::lock_guard lock(mu_);
                item->request.reset();
                item->prepared.emplace(std::move(p));
                item->ready = true;
            }
            ready_cv_.notify_one();
        }
    }

    void commit_loop() {
        try {
            while (true) {
                std::vector<Item*> group;
                {
                    std::unique_lock lock(mu_);
                    ready_cv_.wait(lock, [&] { return (!inflight_.empty() && inflight_.front()->ready) || (eof_ && inflight_.empty()) || stop_; });
                    if (stop_ || inflight_.empty()) return;
                    // Everything ready at the front, in order, up to a group's size; a standalone
                    // request (tidy) goes alone.
                    for (auto& it : inflight_) {
                        if (!it->ready || group.size() == kMaxGroup) break;
                        bool alone = it->prepared && it->prepared->standalone();
                        if (alone && !group.empty()) break;
                        group.push_back(it.get());
                        if (alone) break;
                        // With --stop-on-error, a request known to be refused ends its group.
                        if (stop_on_error_ && (it->refused || (it->prepared && it->prepared->error()))) break;
                    }
                }
                bool stop = commit_group(group);
                {
                    std::lock_guard lock(mu_);
                    for (size_t i = 0; i < group.size(); ++i) inflight_.pop_front();
                    if (stop) stop_ = true;
                }
                room_cv_.notify_all();
                if (stop) {
                    work_cv_.notify_all();
                    return;
                }
            }
        } catch (...) {
            std::lock_guard lock(mu_);
            fatal_ = std::current_exception();
            stop_ = true;
            room_cv_.notify_all();
            work_cv_.notify_all();
        }
    }

    // Commit a group and write its lines; true when the batch must stop.
    bool commit_group(const std::vector<Item*>& group) {
        if (group.size() == 1 && group[0]->prepared && group[0]->prepared->standalone()) {
            Item* it = group[0];
            try {
                api::Scope scope;
                svc_.execute(it->prepared->request(), scope, [&](const api::Response& r) { deliver_output(s_.out, envelope_line(r)); });
                ++done_;
                return false;
            } catch (...) {
                return refuse(std::current_exception(), it->line);
            }
        }
        std::vector<api::Prepared*> prepared;
        for (Item* it : group)
            if (it->prepared) prepared.push_back(&*it->prepared);
        bool stop = false;
        svc_.commit(prepared, [&] {
            // Rendered once, from the final outcome, and written before the group commits: if
            // standard output cannot take it, nothing of the group is kept.
            std::string out;
            for (Item* it : group) {
                std::exception_ptr e = it->refused ? it->refused : it->prepared->error();
                if (e) {
                    if (is_fatal(e)) std::rethrow_exception(e);
                    out += error_line(e, it->line);
                    refused_ = true;
                    if (stop_on_error_) {
                        stop = true;
                        break;
                    }
                } else {
                    out += envelope_line(it->prepared->response());
                }
            }
            deliver_output(s_.out, out);
        }, stop_on_error_);
        done_ += group.size();
        if (progress_) s_.err << "\rbatch: " << done_ << " requests" << std::flush;
        return stop;
    }

    // A refused request outside a group: its line, and whether the batch stops.
    bool refuse(const std::exception_ptr& e, size_t line) {
        if (is_fatal(e)) std::rethrow_exception(e);
        deliver_output(s_.out, error_line(e, line));
        refused_ = true;
        return stop_on_error_;
    }

    Session& s_;
    const api::Service& svc_;
    std::istream& in_;
    bool stop_on_error_;
    unsigned workers_;
    bool progress_ = false;

    std::mutex mu_;
    std::condition_variable work_cv_, ready_cv_, room_cv_;
    std::deque<std::unique_ptr<Item>> inflight_;  // in input order
    std::deque<Item*> work_;                      // waiting for a worker
    bool eof_ = false, stop_ = false;
    std::exception_ptr fatal_;
    bool refused_ = false;
    size_t done_ = 0;
};

}  // namespace

void add_batch_command(CLI::App& app, Session& s) {
    auto* cmd = app.add_subcommand(
        "batch",
        "Run many requests in one process: JSON lines of requests in ({\"op\":\"write\",\"path\":\"pki/issue/web\",\"data\":{...}}), "
        "one JSON line per request out, in input order. See pki-batch(1).");
    cmd->group("Other commands");
    auto file = std::make_shared<std::string>();
    auto stop = std::make_shared<bool>(false);
    auto workers = std::make_shared<unsigned>(0);
    cmd->add_option("-f,--file", *file, "Read requests from FILE instead of standard input.")->type_name("FILE");
    cmd->add_flag("--stop-on-error", *stop, "Stop at the first refused request (the requests before it are kept).");
    cmd->add_option("--workers", *workers, "Threads preparing requests (default: one per core).")
        ->type_name("N")
        ->check(CLI::Range(1u, 64u));
    cmd->callback([&s, file, stop, workers] {
        s.action = [&s, file, stop, workers] {
            unsigned n = *workers ? *workers : std::max(1u, std::thread::hardware_concurrency());
            if (file->empty() || *file == "-") return Batch(s, s.in, *stop, n).run();
            std::error_code ec;
            if (std::filesystem::is_directory(*file, ec)) fail(ErrorKind::Invalid, "cannot read file {}: it is a directory", *file);
            std::ifstream f(*file, std::ios::binary);
            if (!f) fail(ErrorKind::Invalid, "cannot read file {}: {}", *file, std::strerror(errno));
            return Batch(s, f, *stop, n).run();
        };
    });
}

}  // namespace pki::cli
