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
    // The caller: absent for the local operator (the CLI on its own state directory), who may call
    // every path; set (even to "") for a caller over pki serve, who needs a valid token for every
    // path that is not open (PathSpec::access).
    std::optional<std::string> token{};
    std::string remote{};  // the caller's IP address over pki serve (bound CIDRs); "" for the local operator
};

struct RawBody {
    std::string content_type;  // Vault's: application/pkix-cert, application/pem-file, application/pkix-crl ...
    std::string body;
    int status = 200;  // the HTTP status (OCSP answers its errors with 400, 401 and 500 and a body)
    // DER bytes, not text. By the bytes as well as the type: Vault serves ca_chain's PEM as
    // application/pkix-cert.
    bool binary() const {
        return (content_type.rfind("application/pkix-", 0) == 0 || content_type == "application/ocsp-response") &&
               body.find("-----BEGIN ") == std::string::npos;
    }
};

struct Response {
    Json data;                          // an object, or null when the operation returns nothing
    std::vector<std::string> warnings;
    std::optional<RawBody> raw;         // set for endpoints that return bytes, not JSON
    int64_t lease_duration = 0;
    std::string lease_id;
    Json auth;                          // Vault's "auth" block (token create, renew): null for other paths
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
