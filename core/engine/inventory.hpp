#pragma once
// The certificate inventory: serial, names, expiry, issuer and revocation state of every stored
// certificate, filtered. Reads only the compact summaries, never the certificates.
#include "api/request.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

api::Response inventory(Context& ctx);

}  // namespace pki::engine
