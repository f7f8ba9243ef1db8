#pragma once
// Vault's HTTP API as requests of the service: the method and URL of an HTTP request into an
// api::Request, and a response or an error back into status, media type and body. No sockets
// here (server.cpp has them), so every mapping is tested on its own.
#include <string>
#include <string_view>

#include "api/request.hpp"
#include "util/error.hpp"

namespace pki::server {

struct HttpIn {
    std::string_view method;  // "GET", "LIST" ...
    std::string_view target;  // "/v1/pki/roles/web?list=true"
    std::string_view body;
    std::string token;        // from X-Vault-Token or Authorization: Bearer
    std::string_view content_type{};
};

struct HttpOut {
    int status = 200;
    std::string content_type;  // empty for 204
    std::string body;
    std::string error{};       // the refusal's message (for the access log); "" on success
};

// The request `in` asks for; Error(NotFound) outside /v1/, Error(Unsupported) for a method Vault's
// API does not have, Error(Invalid) for a body that is not a JSON object or a malformed URL.
api::Request to_request(const HttpIn& in);
// The token of a request: X-Vault-Token, else an "Authorization: Bearer" header.
std::string token_from(std::string_view x_vault_token, std::string_view authorization);

// A response as Vault sends it: raw bytes with their media type; 204 when there is nothing to
// say; the JSON envelope otherwise. A LIST with no keys is Vault's 404 with no errors.
HttpOut to_http(const api::Response& r, api::Op op, std::string_view request_id);
// Vault's status for each kind: 400 refused input, 403 permission denied, 404 missing, 405 wrong
// operation, 500 failures of the state or of pki itself. The one place kinds become statuses.
int http_status(ErrorKind kind);
// {"errors": ["message"], "pki_error": {"kind", "field", "hint"}}: Vault's error body, with the
// structured error beside it so a pki client (cli/remote.cpp) reports exactly what was refused.
api::Json error_body(const Error& e);
// {"errors": [...]} with the status of the error's kind.
HttpOut error_http(const Error& e, std::string_view request_id);
// An error the HTTP layer itself finds (413, 431, 400 for malformed HTTP, 503 when full).
HttpOut error_http(int status, std::string_view message, std::string_view request_id);

// "%41b+c" in a query decoded to "Ab c" (plus as space only when `query`); Error(Invalid) on a
// bad escape.
std::string url_decode(std::string_view s, bool query);

}  // namespace pki::server
