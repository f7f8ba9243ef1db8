#pragma once
// The Vault API's response envelope, shared by every front end that speaks it (pki serve, pki
// batch, the CLI as a client of a server), and its inverse. Statuses and error bodies are the HTTP
// front ends' (server/router.cpp, cli/remote.cpp).
#include <string>
#include <string_view>

#include "api/request.hpp"

namespace pki::api {

// {"request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings",
// "auth"} on one line, as Vault writes it. `data` replaces r.data when given (a raw body shown
// as JSON by pki batch).
std::string envelope_text(const Response& r, std::string_view request_id, const Json* data = nullptr);
// The response an envelope describes (the inverse of envelope_text).
Response response_from_envelope(const Json& envelope);

}  // namespace pki::api
