#pragma once
// Roles, and issuing under them: issue (key generated here), sign (a CSR), sign-verbatim.
#include "api/request.hpp"
#include "engine/engine.hpp"

namespace pki::engine {

api::Response list_roles(Context& ctx);
api::Response read_role(Context& ctx);
api::Response write_role(Context& ctx);
api::Response patch_role(Context& ctx);
api::Response delete_role(Context& ctx);

api::Response issue_cert(Context& ctx);
api::Response sign_cert(Context& ctx);
api::Response sign_verbatim(Context& ctx);

}  // namespace pki::engine
