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

}  // namespace pki::api
