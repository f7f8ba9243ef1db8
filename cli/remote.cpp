#include "cli/remote.hpp"

#include <cstring>
#include <fstream>

#include "api/envelope.hpp"
#include "api/fields.hpp"
#include "api/table.hpp"
#include "server/beast.hpp"
#include "util/error.hpp"
#include "util/strings.hpp"

namespace pki::cli {
namespace {

using namespace net;  // asio, beast, http, ssl, tcp
using Json = api::Json;

constexpr auto kTimeout = std::chrono::minutes(10);  // tidy of a large store answers when done

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') out.push_back(static_cast<char>(c));
        else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string query_value(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
}

}  // namespace

Error error_from_body(int status, std::string_view body) {
    Json j = api::parse_user_json(body);
    std::string message;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
        for (const auto& m : j["errors"])
            if (m.is_string()) message += (message.empty() ? "" : "; ") + m.get<std::string>();
    }
    ErrorKind kind = status == 403 ? ErrorKind::Forbidden
                     : status == 404 ? ErrorKind::NotFound
                     : status == 405 ? ErrorKind::Unsupported
                     : status >= 500 ? ErrorKind::Storage
                                     : ErrorKind::Invalid;
    std::string field;
    Hint hint;
    if (j.is_object() && j.contains("pki_error") && j["pki_error"].is_object()) {
        const Json& pe = j["pki_error"];
        if (pe.contains("kind") && pe["kind"].is_string())
            if (auto k = parse_kind(pe["kind"].get<std::string>())) kind = *k;
        if (pe.contains("field") && pe["field"].is_string()) field = pe["field"].get<std::string>();
        if (pe.contains("hint") && pe["hint"].is_object()) {
            const Json& h = pe["hint"];
            hint = Hint{h.value("what", ""), h.value("verb", ""), h.value("path", ""), h.value("args", "")};
        }
    }
    if (message.empty()) message = fmt::format("the server answered HTTP {}", status);
    return Error(kind, message, field, hint);
}

namespace {

// The body of a response as the service's Response.
api::Response from_http(api::Op op, int status, const std::string& content_type, std::string body) {
    if (status == 204) return api::reply(nullptr);
    if (op == api::Op::List && status == 404) {
        // Vault's answer to a LIST with nothing under it: 404 with no errors.
        Json j = api::parse_user_json(body);
        if (j.is_object() && j.contains("errors") && j["errors"].is_array() && j["errors"].empty())
            return api::reply(Json{{"keys", Json::array()}});
    }
    if (status >= 400) throw error_from_body(status, body);
    if (util::starts_with(content_type, "application/json")) {
        Json j = api::parse_user_json(body);
        if (j.is_object() && j.contains("request_id") && j.contains("data")) return api::response_from_envelope(j);
    }
    return api::raw_reply(content_type, std::move(body));  // certificates, CRLs, sys/health
}

}  // namespace

struct Client::Impl {
    ClientOptions o;
    bool tls = false;
    std::string host, port;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
    impl_->o = std::move(options);
    std::string a = impl_->o.address;
    while (!a.empty() && a.back() == '/') a.pop_back();
    std::string rest;
    if (util::starts_with(a, "https://")) {
        impl_->tls = true;
        rest = a.substr(8);
    } else if (util::starts_with(a, "http://")) {
        rest = a.substr(7);
    } else {
        fail(ErrorKind::Usage, "server address \"{}\" is not an http:// or https:// URL (such as https://127.0.0.1:8200)", util::printable(a, 200));
    }
    if (rest.find('/') != std::string::npos)
        fail(ErrorKind::Usage, "server address \"{}\" has a path; give only scheme, host and port", util::printable(a, 200));
    std::string hostport = rest;
    if (!hostport.empty() && hostport.front() == '[') {
        auto close = hostport.find(']');
        if (close == std::string::npos) fail(ErrorKind::Usage, "server address \"{}\": unclosed [", a);
        impl_->host = hostport.substr(1, close - 1);
        impl_->port = close + 1 < hostport.size() && hostport[close + 1] == ':' ? hostport.substr(close + 2) : "";
    } else {
        auto colon = hostport.rfind(':');
        impl_->host = hostport.substr(0, colon);
        impl_->port = colon == std::string::npos ? "" : hostport.substr(colon + 1);
    }
    if (impl_->host.empty()) fail(ErrorKind::Usage, "server address \"{}\" names no host", a);
    if (impl_->port.empty()) impl_->port = impl_->tls ? "443" : "80";
}

Client::~Client() = default;

api::Response Client::send(const api::Request& request) {
    const auto& o = impl_->o;
    std::string path = api::normalized_path(request.path);  // refused here as the local service refuses it
    std::string target = "/v1/" + url_encode(path);
    http::verb verb = http::verb::get;
    std::string method;
    std::string body;
    switch (request.op) {
        case api::Op::Read: verb = http::verb::get; break;
        case api::Op::List: method = "LIST"; break;
        case api::Op::Write: verb = http::verb::post; break;
        case api::Op::Patch: verb = http::verb::patch; break;
        case api::Op::Delete: verb = http::verb::delete_; break;
    }
    const Json& data = request.data;
    if (request.op == api::Op::Read || request.op == api::Op::List) {
        std::string q;
        if (data.is_object())
            for (const auto& [k, v] : data.items()) {
                if (v.is_array())
                    for (const auto& item : v) q += (q.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(query_value(item));
                else q += (q.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(query_value(v));
            }
        if (!q.empty()) target += "?" + q;
    } else if (data.is_object() && !data.empty()) {
        body = data.dump(-1, ' ', false, Json::error_handler_t::strict);
    }

    http::request<http::string_body> req;
    if (method.empty()) req.method(verb);
    else req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, impl_->host);
    req.set(http::field::user_agent, "pki/" PKI_VERSION);
    req.set("X-Vault-Request", "true");
    if (!o.token.empty()) req.set("X-Vault-Token", o.token);
    if (!body.empty()) req.set(http::field::content_type, request.op == api::Op::Patch ? "application/merge-patch+json" : "application/json");
    req.keep_alive(false);
    req.body() = std::move(body);
    req.prepare_payload();

    asio::io_context io;
    beast::error_code ec;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    beast::flat_buffer buffer;
    auto unreachable = [&](const std::string& what) -> Error {
        return Error(ErrorKind::Storage, fmt::format("cannot reach pki serve at {}: {}", o.address, what));
    };
    tcp::resolver resolver(io);
    auto results = resolver.resolve(impl_->host, impl_->port, ec);
    if (ec) throw unreachable(ec.message());
    if (impl_->tls) {
        ssl::context ctx(ssl::context::tls_client);
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        ctx.set_verify_mode(ssl::verify_peer);
        if (!o.ca_file.empty()) {
            if (!std::ifstream(o.ca_file)) fail(ErrorKind::Usage, "cannot read the CA certificate {} (PKI_CACERT): {}", o.ca_file, std::strerror(errno));
            ctx.load_verify_file(o.ca_file, ec);
            if (ec) fail(ErrorKind::Usage, "the CA certificate file {} (PKI_CACERT) holds no PEM certificate; give the server's CA in PEM", o.ca_file);
        } else {
            ctx.set_default_verify_paths(ec);
        }
        ctx.set_verify_callback(ssl::host_name_verification(impl_->host));
        beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
        if (!SSL_set_tlsext_host_name(stream.native_handle(), impl_->host.c_str())) throw unreachable("cannot set the TLS server name");
        beast::get_lowest_layer(stream).expires_after(kTimeout);
        beast::get_lowest_layer(stream).connect(results, ec);
        if (ec) throw unreachable(ec.message());
        stream.handshake(ssl::stream_base::client, ec);
        if (ec)
            throw unreachable(fmt::format("TLS handshake failed ({}); give the server's CA with PKI_CACERT", ec.message()));
        http::write(stream, req, ec);
        if (!ec) http::read(stream, buffer, parser, ec);
        if (ec && ec != ssl::error::stream_truncated) throw unreachable(ec.message());
        stream.shutdown(ec);
    } else {
        beast::tcp_stream stream(io);
        stream.expires_after(kTimeout);
        stream.connect(results, ec);
        if (ec) throw unreachable(ec.message());
        http::write(stream, req, ec);
        if (!ec) http::read(stream, buffer, parser, ec);
        if (ec) throw unreachable(ec.message());
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    auto& res = parser.get();
    auto ct = res[http::field::content_type];
    return from_http(request.op, static_cast<int>(res.result_int()), std::string(ct.data(), ct.size()), std::move(res.body()));
}

}  // namespace pki::cli
