#include "api/envelope.hpp"

#include "api/fields.hpp"

namespace pki::api {

std::string envelope_text(const Response& r, std::string_view request_id, const Json* data) {
    const Json& d = data ? *data : r.data;
    std::string out;
    out.reserve(256 + (d.is_string() ? d.get_ref<const std::string&>().size() : 1024));
    out += "{\"request_id\":";
    out += Json(request_id).dump();
    out += ",\"lease_id\":";
    out += Json(r.lease_id).dump();
    out += ",\"renewable\":false,\"lease_duration\":";
    out += std::to_string(r.lease_duration);
    out += ",\"data\":";
    out += d.is_null() ? std::string("null") : d.dump(-1, ' ', false, Json::error_handler_t::replace);
    out += ",\"wrap_info\":null,\"warnings\":";
    out += r.warnings.empty() ? std::string("null") : Json(r.warnings).dump(-1, ' ', false, Json::error_handler_t::replace);
    out += ",\"auth\":";
    out += r.auth.is_null() ? std::string("null") : r.auth.dump();
    out += "}";
    return out;
}

Response response_from_envelope(const Json& e) {
    Response r;
    if (!e.is_object()) return r;
    if (e.contains("data")) r.data = e["data"];
    if (e.contains("warnings") && e["warnings"].is_array())
        for (const auto& w : e["warnings"])
            if (w.is_string()) r.warnings.push_back(w.get<std::string>());
    if (e.contains("auth")) r.auth = e["auth"];
    if (e.contains("lease_id") && e["lease_id"].is_string()) r.lease_id = e["lease_id"].get<std::string>();
    if (e.contains("lease_duration") && e["lease_duration"].is_number_integer()) r.lease_duration = e["lease_duration"].get<int64_t>();
    return r;
}

int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Invalid:
        case ErrorKind::Denied:
        case ErrorKind::Usage: return 400;
        case ErrorKind::Forbidden: return 403;
        case ErrorKind::NotFound: return 404;
        case ErrorKind::Unsupported: return 405;
        case ErrorKind::Storage:
        case ErrorKind::Internal: return 500;
    }
    return 500;
}

Json error_body(const Error& e) {
    Json pe{{"kind", std::string(kind_name(e.kind()))}};
    if (!e.field().empty()) pe["field"] = e.field();
    if (!e.hint().empty())
        pe["hint"] = Json{{"what", e.hint().what}, {"verb", e.hint().verb}, {"path", e.hint().path}, {"args", e.hint().args}};
    return Json{{"errors", Json::array({std::string(e.what())})}, {"pki_error", std::move(pe)}};
}

Error error_from_body(int status, std::string_view body) {
    Json j = parse_user_json(body);
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

}  // namespace pki::api
