#pragma once
// Issuing under a role: issue/:role (a key generated here, returned once, never stored),
// sign/:role (a CSR), sign-verbatim (a CSR as it is), and their per-issuer forms.
#include "api/request.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

api::Response issue_cert(Context& ctx);
api::Response sign_cert(Context& ctx);
api::Response sign_verbatim(Context& ctx);

}  // namespace pki::engine
