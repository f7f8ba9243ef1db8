#pragma once
// The Vault API's wire shapes, shared by every front end that speaks them (pki serve, pki batch,
// the CLI as a client of a server): the response envelope, the error body and the HTTP status of
// each error kind, and their inverses.
#include <string>
#include <string_view>

#include "api/request.hpp"
#include "util/error.hpp"

namespace pki::api {

// {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings",
// "auth"} on one line, as Vault writes it. `data` replaces r.data when given (a raw body shown
// as JSON by pki batch).
std::string envelope_text(const Response& r, std::string_view request_id, const Json* data = nullptr);
// The response an envelope describes (the inverse of envelope_text).
Response response_from_envelope(const Json& envelope);

// Vault's status for each kind: 400 refused input, 403 permission denied, 404 missing, 405 wrong
// operation, 500 failures of the state or of pki itself.
int http_status(ErrorKind kind);
// {"errors": ["message"], "pki_error": {"kind", "field", "hint"}}: Vault's error body, with the
// structured error beside it so a pki client reports exactly what the server refused.
Json error_body(const Error& e);
// The error a response body describes; a body without pki_error (another server) maps by status.
Error error_from_body(int status, std::string_view body);

}  // namespace pki::api
