#include "server/server.hpp"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "api/envelope.hpp"
#include "crypto/random.hpp"
#include "server/beast.hpp"
#include "server/router.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::server {
namespace {

using namespace net;  // asio, beast, http, ssl, tcp
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---- options ----------------------------------------------------------------------------------

struct Endpoint {
    std::string host;
    std::string port;
    std::string text;
};

Endpoint parse_listen(const std::string& text) {
    Endpoint e{"", "", text};
    std::string_view t = text;
    size_t colon;
    if (!t.empty() && t.front() == '[') {
        auto close = t.find(']');
        if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':')
            fail(ErrorKind::Usage, "--listen {}: write an IPv6 address as [ADDR]:PORT", text);
        e.host = std::string(t.substr(1, close - 1));
        colon = close + 1;
    } else {
        colon = t.rfind(':');
        if (colon == std::string_view::npos || colon == 0) fail(ErrorKind::Usage, "--listen {}: give ADDR:PORT, such as 127.0.0.1:8200", text);
        e.host = std::string(t.substr(0, colon));
    }
    e.port = std::string(t.substr(colon + 1));
    bool digits = !e.port.empty() && e.port.size() <= 5;
    for (char c : e.port) digits = digits && c >= '0' && c <= '9';
    if (!digits || std::stoul(e.port) > 65535) fail(ErrorKind::Usage, "--listen {}: the port must be a number from 0 to 65535", text);
    return e;
}

std::vector<Endpoint> endpoints(const Options& o) {
    std::vector<Endpoint> out;
    for (const auto& l : o.listen) out.push_back(parse_listen(l));
    if (out.empty()) out.push_back(parse_listen("127.0.0.1:8200"));
    return out;
}

bool tls_configured(const Options& o) { return !o.tls_cert.empty() || !o.tls_role.empty(); }

// Whether plain HTTP on `e` stays on this machine.
bool loopback(const Endpoint& e) {
    beast::error_code ec;
    auto addr = asio::ip::make_address(e.host, ec);
    return e.host == "localhost" || (!ec && addr.is_loopback());
}

// ---- TLS --------------------------------------------------------------------------------------

std::string read_file(const std::string& name, const char* what) {
    std::ifstream f(name, std::ios::binary);
    if (!f) fail(ErrorKind::Storage, "cannot read the {} {}: {}", what, name, std::strerror(errno));
    return std::string(std::istreambuf_iterator<char>(f), {});
}

std::shared_ptr<ssl::context> tls_context(const std::string& chain_pem, const std::string& key_pem, const std::string& source) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx->use_certificate_chain(asio::buffer(chain_pem), ec);
    if (ec) fail(ErrorKind::Invalid, "the TLS certificate from {} is not a PEM certificate chain: {}", source, ec.message());
    ctx->use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
    if (ec) fail(ErrorKind::Invalid, "the TLS key from {} is not a PEM private key: {}", source, ec.message());
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
        fail(ErrorKind::Invalid, "the TLS key from {} does not belong to its certificate", source);
    return ctx;
}

// ---- the access log ---------------------------------------------------------------------------

class AccessLog {
public:
    explicit AccessLog(std::ostream& err, const std::string& file) : out_(&err) {
        if (!file.empty()) {
            int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
            if (fd < 0) fail(ErrorKind::Storage, "cannot open the log file {}: {}", file, std::strerror(errno));
            ::close(fd);
            file_.open(file, std::ios::app);
            if (!file_) fail(ErrorKind::Storage, "cannot open the log file {}", file);
            out_ = &file_;
        }
    }
    void line(const Json& j) {
        std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
        std::lock_guard lock(mu_);
        *out_ << text << '\n' << std::flush;
    }
    void note(const std::string& message) { line(Json{{"time", now_text()}, {"level", "info"}, {"message", message}}); }
    void warn(const std::string& message) { line(Json{{"time", now_text()}, {"level", "warning"}, {"message", message}}); }
    static std::string now_text() {
        auto now = std::chrono::system_clock::now();
        auto s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
        std::string t = util::format_utc_time(s);  // 2026-12-01T10:00:00Z
        if (!t.empty() && t.back() == 'Z') t.pop_back();
        return fmt::format("{}.{:03}Z", t, ms);
    }

private:
    std::mutex mu_;
    std::ostream* out_;
    std::ofstream file_;
};

// ---- group commit -----------------------------------------------------------------------------

// Writes prepared on the I/O threads, committed in order in groups that share one flush.
class Committer {
public:
    // Called on the committer thread with the outcome; `group_failure` set when the whole group
    // failed (storage) and nothing was committed.
    using Done = std::function<void(api::Prepared&, std::exception_ptr group_failure)>;
    explicit Committer(const api::Service& s) : svc_(s), thread_([this] { loop(); }) {}
    ~Committer() { stop(); }
    // Commit what is queued, then end the thread (idempotent). Called before the I/O context the
    // completions are posted to goes away.
    void stop() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    void submit(api::Prepared p, Done done) {
        {
            std::lock_guard lock(mu_);
            queue_.push_back(Job{std::move(p), std::move(done)});
        }
        cv_.notify_one();
    }

private:
    struct Job {
        api::Prepared prepared;
        Done done;
    };
    void loop() {
        for (;;) {
            std::deque<Job> group;
            {
                std::unique_lock lock(mu_);
                cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping, and nothing left
                while (!queue_.empty() && group.size() < 1024) {
                    group.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
            std::vector<api::Prepared*> members;
            for (auto& j : group) members.push_back(&j.prepared);
            std::exception_ptr failed;
            try {
                svc_.commit(members);
            } catch (...) {
                failed = std::current_exception();  // the group itself (storage): nothing committed
            }
            for (auto& j : group) j.done(j.prepared, failed);
        }
    }
    const api::Service& svc_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> queue_;
    bool stop_ = false;
    std::thread thread_;
};

// ---- what every connection shares -------------------------------------------------------------

struct Shared {
    const api::Service& svc;
    const Options& opt;
    AccessLog& log;
    Committer& committer;
    asio::thread_pool& standalone;  // tidy: transactions of its own, off the I/O threads
    std::atomic<size_t> connections{0};
    std::atomic<size_t> in_flight{0};
    std::atomic<bool> stopping{false};
    std::mutex tls_mu{};
    std::shared_ptr<ssl::context> tls{};  // swapped on SIGHUP and on renewal; sessions keep theirs

    std::shared_ptr<ssl::context> current_tls() {
        std::lock_guard lock(tls_mu);
        return tls;
    }
    void set_tls(std::shared_ptr<ssl::context> c) {
        std::lock_guard lock(tls_mu);
        tls = std::move(c);
    }
};

// The outcome of a request as HTTP, whatever it threw.
HttpOut outcome(const std::exception_ptr& e, std::string_view request_id) {
    try {
        std::rethrow_exception(e);
    } catch (const Error& x) {
        return error_http(x, request_id);
    } catch (const std::exception& x) {
        return error_http(500, std::string("internal failure: ") + x.what(), request_id);
    } catch (...) {
        return error_http(500, "internal failure", request_id);
    }
}

// ---- one connection ---------------------------------------------------------------------------

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(Stream&& stream, Shared& sh, std::string remote, std::string address, std::shared_ptr<ssl::context> tls)
        : stream_(std::move(stream)), sh_(sh), remote_(std::move(remote)), address_(std::move(address)), tls_(std::move(tls)) {}
    ~Session() { sh_.connections.fetch_sub(1); }

    void start() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(sh_.opt.header_timeout);
            stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
                if (ec) return self->close();
                self->wait_request();
            });
        } else {
            wait_request();
        }
    }

private:
    auto& socket() { return beast::get_lowest_layer(stream_); }

    // A kept-alive connection waits up to the idle timeout for the first byte of its next request.
    void wait_request() {
        if (sh_.stopping) return close();
        if (buffer_.size() > 0) return read_header();
        socket().expires_after(sh_.opt.idle_timeout);
        // One byte: the header limit then covers every other byte of the header block (Beast
        // counts only what it parses after the limit is set).
        stream_.async_read_some(buffer_.prepare(1), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
            if (ec) return self->close();
            self->buffer_.commit(n);
            self->read_header();
        });
    }

    void read_header() {
        parser_.emplace();
        parser_->body_limit(sh_.opt.max_body_bytes);
        parser_->header_limit(static_cast<uint32_t>(sh_.opt.max_header_bytes > buffer_.size() ? sh_.opt.max_header_bytes - buffer_.size() : 1));
        socket().expires_after(sh_.opt.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->read_failed(ec);
            self->read_body();
        });
    }

    void read_body() {
        auto& req = parser_->get();
        if (parser_->content_length() && *parser_->content_length() > sh_.opt.max_body_bytes)
            return read_failed(http::error::body_limit);
        auto expect = req[http::field::expect];
        if (util::iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
            static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            asio::async_write(stream_, asio::buffer(kContinue), [self = this->shared_from_this()](beast::error_code ec, size_t) {
                if (ec) return self->close();
                self->read_rest();
            });
            return;
        }
        read_rest();
    }

    void read_rest() {
        socket().expires_after(sh_.opt.body_timeout);
        http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
            if (ec) return self->read_failed(ec);
            self->handle();
        });
    }

    // What went wrong while reading a request: an answer when the peer can use one, then close.
    void read_failed(beast::error_code ec) {
        if (ec == http::error::body_limit)
            return reply_and_close(error_http(413, fmt::format("request body too large: the limit is {} bytes", sh_.opt.max_body_bytes), id()));
        if (ec == http::error::header_limit)
            return reply_and_close(error_http(431, fmt::format("request headers too large: the limit is {} bytes", sh_.opt.max_header_bytes), id()));
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout || ec == asio::error::connection_reset ||
            ec == asio::error::operation_aborted || ec.category() == asio::error::get_ssl_category() || ec == ssl::error::stream_truncated)
            return close();
        if (ec.category() == beast::error_code(http::error::end_of_stream).category())
            return reply_and_close(error_http(400, fmt::format("malformed HTTP request: {}", ec.message()), id()));
        close();
    }

    std::string id() {
        if (request_id_.empty()) request_id_ = crypto::random_uuid();
        return request_id_;
    }

    void handle() {
        started_ = Clock::now();
        request_id_ = crypto::random_uuid();
        sh_.in_flight.fetch_add(1);
        counted_ = true;
        auto& req = parser_->get();
        method_ = std::string(req.method_string());
        std::string target(req.target());
        path_ = target.substr(0, target.find('?'));
        HttpIn in{method_, target, req.body(), ""};
        auto xv = req["X-Vault-Token"];
        auto authz = req[http::field::authorization];
        in.token = token_from(std::string_view(xv.data(), xv.size()), std::string_view(authz.data(), authz.size()));
        auto ctype = req[http::field::content_type];
        in.content_type = std::string_view(ctype.data(), ctype.size());
        token_ = in.token;
        accessor_ = sh_.svc.accessor_of(token_);  // now: revoke-self leaves none to look up afterwards
        head_ = req.method() == http::verb::head;
        keep_alive_ = req.keep_alive();
        api::Request request;
        try {
            request = to_request(in);
        } catch (...) {
            return respond(outcome(std::current_exception(), request_id_));
        }
        op_ = request.op;
        request.remote = address_;
        if (!api::op_writes(request.op)) {
            // Reads on this thread, in a snapshot (a mutating read such as crl/rotate writes in its
            // own transaction).
            try {
                respond(to_http(sh_.svc.execute(request), op_, request_id_));
            } catch (...) {
                respond(outcome(std::current_exception(), request_id_));
            }
            return;
        }
        api::Prepared prepared = sh_.svc.prepare(std::move(request));
        auto self = this->shared_from_this();
        if (prepared.standalone()) {
            auto req_copy = std::make_shared<api::Request>(prepared.request());
            asio::post(sh_.standalone, [self, req_copy] {
                HttpOut out;
                try {
                    out = to_http(self->sh_.svc.execute(*req_copy), self->op_, self->request_id_);
                } catch (...) {
                    out = outcome(std::current_exception(), self->request_id_);
                }
                asio::post(self->stream_.get_executor(), [self, out = std::move(out)]() mutable { self->respond(std::move(out)); });
            });
            return;
        }
        sh_.committer.submit(std::move(prepared), [self](api::Prepared& p, std::exception_ptr group_failure) {
            HttpOut out;
            std::exception_ptr e = group_failure ? group_failure : p.error();
            if (e) out = outcome(e, self->request_id_);
            else {
                try {
                    out = to_http(p.response(), self->op_, self->request_id_);
                } catch (...) {
                    out = outcome(std::current_exception(), self->request_id_);
                }
            }
            asio::post(self->stream_.get_executor(), [self, out = std::move(out)]() mutable { self->respond(std::move(out)); });
        });
    }

    void reply_and_close(HttpOut out) {
        keep_alive_ = false;
        if (method_.empty()) method_ = "-";
        started_ = Clock::now();
        respond(std::move(out));
    }

    void respond(HttpOut out) {
        res_ = {};
        res_.version(11);
        res_.result(static_cast<unsigned>(out.status));
        res_.set(http::field::server, "pki");
        if (!out.content_type.empty()) res_.set(http::field::content_type, out.content_type);
        res_.set(http::field::cache_control, "no-store");
        res_.set("X-Request-Id", id());
        bool keep = keep_alive_ && !sh_.stopping;
        res_.keep_alive(keep);
        status_ = out.status;
        error_ = std::move(out.error);
        res_.body() = std::move(out.body);
        res_.prepare_payload();
        if (head_) {  // the headers a GET would have had, and no body (RFC 9110 9.3.2)
            auto length = res_.body().size();
            res_.body().clear();
            res_.content_length(length);
        }
        socket().expires_after(sh_.opt.body_timeout);
        http::async_write(stream_, res_, [self = this->shared_from_this(), keep](beast::error_code ec, size_t) {
            self->log_request();
            self->finish_request();
            if (ec || !keep) return self->close();
            self->wait_request();
        });
    }

    void finish_request() {
        if (counted_) sh_.in_flight.fetch_sub(1);
        counted_ = false;
        request_id_.clear();
        token_.clear();
        accessor_.clear();
        error_.clear();
        head_ = false;
        method_.clear();
        path_.clear();
    }

    void log_request() {
        auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
        Json line{{"time", AccessLog::now_text()}, {"remote", remote_}, {"method", method_.empty() ? "-" : method_},
                  {"path", path_},                  {"status", status_}, {"duration_ms", std::round(ms * 1000) / 1000},
                  {"request_id", request_id_}};
        if (!accessor_.empty()) line["accessor"] = accessor_;
        if (!error_.empty()) line["error"] = error_;  // the refusal's one line, as in the body (never a secret)
        sh_.log.line(line);
    }

    void close() {
        beast::error_code ec;
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            // No TLS close_notify round trip: the peer may be gone, and nothing more is owed.
            socket().socket().shutdown(tcp::socket::shutdown_both, ec);
        } else {
            stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        }
        socket().close();
    }

    Stream stream_;
    Shared& sh_;
    std::string remote_;
    std::string address_;  // the peer's IP address alone (bound CIDRs)
    std::string error_;    // the refusal of the current request, for the access log
    std::shared_ptr<ssl::context> tls_;  // keeps the context of this connection alive
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    std::string request_id_, method_, path_, token_, accessor_;
    bool head_ = false;
    api::Op op_ = api::Op::Read;
    bool keep_alive_ = true;
    bool counted_ = false;
    int status_ = 0;
    Clock::time_point started_ = Clock::now();
};

// ---- listeners --------------------------------------------------------------------------------

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(asio::io_context& io, Shared& sh, tcp::endpoint ep, bool tls) : io_(io), sh_(sh), acceptor_(io), tls_(tls) {
        beast::error_code ec;
        acceptor_.open(ep.protocol(), ec);
        if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec && ep.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
        if (!ec) acceptor_.bind(ep, ec);
        if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) fail(ErrorKind::Storage, "cannot listen on {}: {}", endpoint_text(ep), ec.message());
    }
    tcp::endpoint local() const { return acceptor_.local_endpoint(); }
    static std::string endpoint_text(const tcp::endpoint& ep) {
        return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                    : fmt::format("{}:{}", ep.address().to_string(), ep.port());
    }
    void start() { accept(); }
    void stop() {
        beast::error_code ec;
        acceptor_.close(ec);
    }

private:
    void accept() {
        acceptor_.async_accept(asio::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
            if (!ec) self->admit(std::move(socket));
            self->accept();
        });
    }

    void admit(tcp::socket socket) {
        beast::error_code ec;
        auto peer = socket.remote_endpoint(ec);
        std::string remote = ec ? std::string("-") : endpoint_text(peer);
        // "unknown" lies in no CIDR block ("" would be the local operator's loopback).
        std::string address = ec ? std::string("unknown") : peer.address().to_string();
        if (sh_.connections.fetch_add(1) >= sh_.opt.max_connections) {
            sh_.connections.fetch_sub(1);
            refuse(std::move(socket), remote);
            return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        if (tls_) {
            auto ctx = sh_.current_tls();
            auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *ctx), sh_, remote, address, ctx);
            s->start();
        } else {
            auto s = std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), sh_, remote, address, nullptr);
            s->start();
        }
    }

    // Over the connection limit: a plain answer (a TLS peer sees the connection close) and close.
    void refuse(tcp::socket socket, const std::string& remote) {
        if (!tls_) {
            std::string body = error_http(503, fmt::format("too many connections: the limit is {}", sh_.opt.max_connections), "").body;
            std::string text = fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                                           "Connection: close\r\n\r\n{}",
                                           body.size(), body);
            beast::error_code ec;
            socket.non_blocking(true, ec);
            asio::write(socket, asio::buffer(text), ec);
        }
        beast::error_code ec;
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
        sh_.log.line(Json{{"time", AccessLog::now_text()}, {"remote", remote}, {"status", 503}, {"message", "connection limit reached"}});
    }

    asio::io_context& io_;
    Shared& sh_;
    tcp::acceptor acceptor_;
    bool tls_;
};

// ---- the server's own certificate from a role ------------------------------------------------

struct Issued {
    std::shared_ptr<ssl::context> ctx;
    int64_t not_after = 0;
    int64_t issued_at = 0;
};

Issued issue_own_certificate(const api::Service& svc, const Options& o) {
    auto slash = o.tls_role.find('/');
    std::string mount = o.tls_role.substr(0, slash), role = o.tls_role.substr(slash + 1);
    std::vector<std::string> dns, ips;
    for (const auto& n : o.tls_names) {
        beast::error_code ec;
        asio::ip::make_address(n, ec);
        (ec ? dns : ips).push_back(n);
    }
    Json data = Json::object();
    data["common_name"] = dns.empty() ? ips.front() : dns.front();
    if (dns.size() > 1) data["alt_names"] = util::join(std::vector<std::string>(dns.begin() + 1, dns.end()), ",");
    if (!ips.empty()) data["ip_sans"] = util::join(ips, ",");
    api::Request req{api::Op::Write, mount + "/issue/" + role, data};  // as the local operator: the process holds the state
    api::Response r = svc.execute(req);
    std::string chain = r.data.value("certificate", "");
    if (r.data.contains("ca_chain") && r.data["ca_chain"].is_array())
        for (const auto& c : r.data["ca_chain"]) chain += "\n" + c.get<std::string>();
    Issued out;
    out.ctx = tls_context(chain, r.data.value("private_key", ""), "role " + o.tls_role);
    out.not_after = r.data.value("expiration", int64_t{0});
    out.issued_at = svc.now();
    return out;
}

}  // namespace

void check_options(const Options& o) {
    auto eps = endpoints(o);
    if (o.tls_cert.empty() != o.tls_key.empty()) fail(ErrorKind::Usage, "--tls-cert and --tls-key go together; give both");
    if (!o.tls_cert.empty() && !o.tls_role.empty()) fail(ErrorKind::Usage, "give --tls-cert/--tls-key or --tls-role, not both");
    if (!o.tls_role.empty()) {
        auto slash = o.tls_role.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == o.tls_role.size() || o.tls_role.find('/', slash + 1) != std::string::npos)
            fail(ErrorKind::Usage, "--tls-role {}: give MOUNT/ROLE, such as pki/server", o.tls_role);
        if (o.tls_names.empty()) fail(ErrorKind::Usage, "--tls-role needs the certificate's names: give --tls-name (one or more)");
    } else if (!o.tls_names.empty()) {
        fail(ErrorKind::Usage, "--tls-name names the certificate --tls-role issues; give --tls-role too");
    }
    if (o.max_body_bytes == 0) fail(ErrorKind::Usage, "--max-request-size must be at least 1 byte");
    if (o.max_connections == 0) fail(ErrorKind::Usage, "--max-connections must be at least 1");
    if (o.crl_check_interval.count() < 100) fail(ErrorKind::Usage, "--crl-check-interval must be at least 100ms");
    if (!tls_configured(o) && !o.insecure_plain_http) {
        for (const auto& e : eps) {
            if (!loopback(e))
                fail(ErrorKind::Usage,
                     "--listen {} is not a loopback address, and plain HTTP there would send tokens and keys in the clear; "
                     "give --tls-cert/--tls-key or --tls-role (or --insecure-plain-http to accept that)",
                     e.text);
        }
    }
}

int serve(const api::Service& svc, const Options& o, std::ostream& err) {
    check_options(o);
    AccessLog log(err, o.log_file);
    bool tls = tls_configured(o);
    if (!tls && o.insecure_plain_http) {
        for (const auto& e : endpoints(o))
            if (!loopback(e))
                err << "Warning: --insecure-plain-http: " << e.text << " serves plain HTTP; tokens and private keys cross the network in the clear\n";
    }

    // TLS files first: a start-up refused for them leaves the state as it was.
    auto load_file_tls = [&] { return tls_context(read_file(o.tls_cert, "TLS certificate"), read_file(o.tls_key, "TLS key"), o.tls_cert); };
    std::shared_ptr<ssl::context> file_tls;
    if (!o.tls_cert.empty()) file_tls = load_file_tls();

    // The root token, once per state: printed here or written to a 0600 file.
    if (auto root = svc.create_root_token_once()) {
        if (!o.root_token_file.empty()) {
            int fd = ::open(o.root_token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            std::string text = *root + "\n";
            bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
            if (fd >= 0) ::close(fd);
            if (!ok)
                fail(ErrorKind::Storage, "cannot write the root token to {}: {}; it was created and is lost: revoke it with pki token revoke, or "
                     "start over", o.root_token_file, std::strerror(errno));
            err << "Root token written to " << o.root_token_file << " (created once for this state; keep it safe)\n";
        } else {
            err << "Root token: " << *root << "\n(created once for this state and not shown again; keep it safe)\n";
        }
    }

    Committer committer(svc);
    asio::thread_pool standalone(1);
    Shared sh{svc, o, log, committer, standalone};
    std::optional<Issued> own;
    if (file_tls) {
        sh.set_tls(file_tls);
    } else if (!o.tls_role.empty()) {
        own = issue_own_certificate(svc, o);
        sh.set_tls(own->ctx);
    }

    unsigned threads = o.threads ? o.threads : std::max(2u, std::thread::hardware_concurrency());
    asio::io_context io(static_cast<int>(threads));
    std::vector<std::shared_ptr<Listener>> listeners;
    for (const auto& e : endpoints(o)) {
        tcp::resolver resolver(io);
        beast::error_code ec;
        auto results = resolver.resolve(e.host, e.port, tcp::resolver::numeric_service, ec);
        if (ec) fail(ErrorKind::Usage, "--listen {}: cannot resolve {}: {}", e.text, e.host, ec.message());
        for (const auto& r : results) {
            auto l = std::make_shared<Listener>(io, sh, r.endpoint(), tls);
            listeners.push_back(l);
            err << "pki serve: listening on " << (tls ? "https://" : "http://") << Listener::endpoint_text(l->local()) << "\n";
            break;  // the first address a name resolves to
        }
    }
    err << std::flush;
    for (auto& l : listeners) l->start();

    // Renew the server's own certificate at two thirds of its life, without a restart.
    asio::steady_timer renew(io);
    std::function<void()> schedule_renewal = [&] {
        if (!own) return;
        int64_t life = std::max<int64_t>(own->not_after - own->issued_at, 0);
        int64_t due = own->issued_at + life * 2 / 3 - svc.now();  // never after not_after
        renew.expires_after(std::chrono::seconds(std::max<int64_t>(due, 1)));
        renew.async_wait([&](beast::error_code ec) {
            if (ec) return;
            try {
                own = issue_own_certificate(svc, o);
                sh.set_tls(own->ctx);
                log.note(fmt::format("renewed the server certificate from {}; it expires at {}", o.tls_role, util::format_utc_time(own->not_after)));
            } catch (const std::exception& e) {
                log.warn(fmt::format("cannot renew the server certificate from {}: {}; trying again in 30 s", o.tls_role, e.what()));
                own->issued_at = svc.now();
                own->not_after = own->issued_at + 45;  // two thirds: 30 s
            }
            schedule_renewal();
        });
    };
    schedule_renewal();

    // CRLs under auto_rebuild, rebuilt when due: a complete CRL near its nextUpdate, a delta CRL
    // that lacks revocations once its interval has passed. Off the I/O threads, one run at a time.
    asio::steady_timer crl_timer(io);
    std::atomic<bool> crl_running{false};
    std::function<void()> schedule_crls = [&] {
        crl_timer.expires_after(o.crl_check_interval);
        crl_timer.async_wait([&](beast::error_code ec) {
            if (ec) return;
            if (!crl_running.exchange(true)) {
                asio::post(standalone, [&] {
                    try {
                        for (const auto& m : svc.rebuild_due_crls()) log.note("rebuilt the CRLs of mount " + m + " that were due");
                    } catch (const std::exception& e) {
                        log.warn(std::string("rebuilding the CRLs that are due failed: ") + e.what() + "; trying again at the next check");
                    }
                    crl_running = false;
                });
            }
            schedule_crls();
        });
    };
    schedule_crls();

    // SIGTERM/SIGINT: stop accepting, finish what is in flight, stop. SIGHUP: reload TLS files.
    asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    asio::steady_timer drain(io);
    auto deadline = Clock::now();
    std::function<void()> wait_drained = [&] {
        if (sh.in_flight.load() == 0 || Clock::now() >= deadline) {
            if (sh.in_flight.load() != 0)
                log.warn(fmt::format("stopping with {} requests still in flight after {} ms", sh.in_flight.load(), o.shutdown_timeout.count()));
            io.stop();
            return;
        }
        drain.expires_after(std::chrono::milliseconds(10));
        drain.async_wait([&](beast::error_code) { wait_drained(); });
    };
    std::function<void()> on_signal = [&] {
        signals.async_wait([&](beast::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                if (!o.tls_cert.empty()) {
                    try {
                        sh.set_tls(load_file_tls());
                        log.note("SIGHUP: reloaded the TLS certificate from " + o.tls_cert);
                    } catch (const std::exception& e) {
                        log.warn(std::string("SIGHUP: kept the previous TLS certificate: ") + e.what());
                    }
                }
                on_signal();
                return;
            }
            log.note(fmt::format("signal {}: stopping; finishing the requests in flight", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
            sh.stopping = true;
            for (auto& l : listeners) l->stop();
            renew.cancel();
            crl_timer.cancel();
            deadline = Clock::now() + o.shutdown_timeout;
            wait_drained();
        });
    };
    on_signal();

    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    standalone.join();
    committer.stop();  // its last completions land in `io`, which outlives it here
    log.note("stopped");
    return 0;
}

}  // namespace pki::server
