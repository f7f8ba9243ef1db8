#pragma once
// Tidy: remove certificates and revoked entries expired for longer than a safety buffer, in
// bounded transactions, then rebuild the CRLs that lost entries. tidy-status reports on it.
#include "api/request.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

api::Response tidy(BatchContext& ctx);
api::Response tidy_status(Context& ctx);

}  // namespace pki::engine
