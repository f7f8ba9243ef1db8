#pragma once
// A request is {path, operation, fields}; a response is {data, warnings} in the shape of the
// Vault API's JSON, or raw bytes for the endpoints that serve DER/PEM directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace pki::api {

using Json = nlohmann::json;

enum class Op { Read, Write, List, Delete, Patch };
std::string_view op_name(Op op);
std::optional<Op> parse_op(std::string_view name);
inline bool op_writes(Op op) { return op == Op::Write || op == Op::Delete || op == Op::Patch; }

struct Request {
    Op op = Op::Read;
    std::string path;             // "pki/roles/web", "sys/mounts/pki_int"
    Json data = Json::object();   // field values as given: strings from a command line, any JSON from files
};

struct RawBody {
    std::string content_type;  // application/pkix-cert, application/pem-certificate-chain, ...
    std::string body;
};

struct Response {
    Json data;                          // an object, or null when the operation returns nothing
    std::vector<std::string> warnings;
    std::optional<RawBody> raw;         // set for endpoints that return bytes, not JSON
    int64_t lease_duration = 0;
    std::string lease_id;
};

inline Response reply(Json data, std::vector<std::string> warnings = {}) {
    Response r;
    r.data = std::move(data);
    r.warnings = std::move(warnings);
    return r;
}

// A response of raw bytes (DER, PEM) with their media type.
inline Response raw_reply(std::string content_type, std::string body) {
    Response r;
    r.raw = RawBody{std::move(content_type), std::move(body)};
    return r;
}

}  // namespace pki::api
