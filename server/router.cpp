#include "server/router.hpp"

#include "api/envelope.hpp"
#include "api/fields.hpp"
#include "util/strings.hpp"

namespace pki::server {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Vault's GET takes its fields from the query string; a name given twice makes a list.
void add_query(api::Json& data, std::string_view query) {
    for (auto part : util::split(query, '&')) {
        if (part.empty()) continue;
        auto eq = part.find('=');
        std::string key = url_decode(part.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? std::string() : url_decode(part.substr(eq + 1), true);
        if (!data.contains(key)) data[key] = value;
        else if (data[key].is_array()) data[key].push_back(value);
        else data[key] = api::Json::array({data[key], value});
    }
}

}  // namespace

int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Invalid:
        case ErrorKind::Denied:
        case ErrorKind::Usage: return 400;
        case ErrorKind::Forbidden: return 403;
        case ErrorKind::NotFound: return 404;
        case ErrorKind::Unsupported: return 405;
        case ErrorKind::Unavailable: return 503;
        case ErrorKind::Storage:
        case ErrorKind::Internal: return 500;
    }
    return 500;
}

api::Json error_body(const Error& e) {
    api::Json pe{{"kind", std::string(kind_name(e.kind()))}};
    if (!e.field().empty()) pe["field"] = e.field();
    if (!e.hint().empty())
        pe["hint"] = api::Json{{"what", e.hint().what}, {"verb", e.hint().verb}, {"path", e.hint().path}, {"args", e.hint().args}};
    return api::Json{{"errors", api::Json::array({std::string(e.what())})}, {"pki_error", std::move(pe)}};
}

std::string url_decode(std::string_view s, bool query) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                fail(ErrorKind::Invalid, "malformed URL: \"%\" must be followed by two hex digits");
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && query) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string token_from(std::string_view x_vault_token, std::string_view authorization) {
    if (!x_vault_token.empty()) return std::string(util::trim(x_vault_token));
    auto a = util::trim(authorization);
    if (a.size() > 7 && util::iequals(a.substr(0, 7), "Bearer ")) return std::string(util::trim(a.substr(7)));
    return "";
}

api::Request to_request(const HttpIn& in) {
    std::string_view target = in.target;
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    if (!util::starts_with(path, "/v1/") || path.size() == 4)
        fail(ErrorKind::NotFound, "no handler for {}: the API is served under /v1/ (such as /v1/pki/ca/pem)", util::printable(path, 200));

    api::Request r;
    r.token = in.token;
    r.path = url_decode(path.substr(4), false);
    if (r.path.find('\0') != std::string::npos) fail(ErrorKind::Invalid, "malformed URL: the path holds a NUL byte");

    api::Json query_data = api::Json::object();
    if (!query.empty()) add_query(query_data, query);
    bool list_query = false;
    if (query_data.contains("list")) {
        // Any spelling of true Go's strconv.ParseBool takes, as Vault (hvac sends "True").
        const auto& v = query_data["list"];
        list_query = v.is_string() && (v == "true" || v == "True" || v == "TRUE" || v == "t" || v == "T" || v == "1");
        query_data.erase("list");
    }

    std::string_view m = in.method;
    if (m == "GET") r.op = list_query ? api::Op::List : api::Op::Read;
    else if (m == "LIST") r.op = api::Op::List;
    else if (m == "POST" || m == "PUT") r.op = api::Op::Write;
    else if (m == "PATCH") r.op = api::Op::Patch;
    else if (m == "DELETE") r.op = api::Op::Delete;
    else fail(ErrorKind::Unsupported, "unsupported method {}; Vault's API takes GET, LIST, POST, PUT, PATCH and DELETE", util::printable(m, 32));

    // RFC 6960 A.1: an OCSP request POSTed as DER is read as the path's request field.
    auto type = util::trim(in.content_type.substr(0, in.content_type.find(';')));
    if (r.op == api::Op::Write && util::iequals(type, "application/ocsp-request")) {
        r.op = api::Op::Read;
        query_data["request"] = util::base64(in.body);
        r.data = std::move(query_data);
        return r;
    }
    if (r.op == api::Op::Read || r.op == api::Op::List) {
        r.data = std::move(query_data);  // as Vault: a GET's fields are its query parameters
        return r;
    }
    auto body = util::trim(in.body);
    if (body.empty()) {
        r.data = api::Json::object();
    } else {
        r.data = api::parse_user_json(body);
        if (r.data.is_discarded()) fail(ErrorKind::Invalid, "failed to parse JSON input: the request body is not JSON");
        if (!r.data.is_object()) fail(ErrorKind::Invalid, "failed to parse JSON input: the request body must be a JSON object of fields");
    }
    return r;
}

HttpOut to_http(const api::Response& r, api::Op op, std::string_view request_id) {
    if (r.raw) return HttpOut{r.raw->status, r.raw->content_type, r.raw->body};
    if (op == api::Op::List && r.warnings.empty() && r.data.is_object() && r.data.contains("keys") && r.data["keys"].is_array() &&
        r.data["keys"].empty())
        return HttpOut{404, "application/json", api::Json{{"errors", api::Json::array()}, {"request_id", request_id}}.dump() + "\n"};
    if (r.data.is_null() && r.warnings.empty() && r.auth.is_null()) return HttpOut{204, "", ""};
    return HttpOut{200, "application/json", api::envelope_text(r, request_id) + "\n"};
}

HttpOut error_http(const Error& e, std::string_view request_id) {
    api::Json body = error_body(e);
    body["request_id"] = request_id;
    return HttpOut{http_status(e.kind()), "application/json", body.dump(-1, ' ', false, api::Json::error_handler_t::replace) + "\n",
                   util::printable(e.what(), 300)};
}

HttpOut error_http(int status, std::string_view message, std::string_view request_id) {
    api::Json body{{"errors", api::Json::array({std::string(message)})}, {"request_id", request_id}};
    return HttpOut{status, "application/json", body.dump() + "\n", util::printable(message, 300)};
}

}  // namespace pki::server
