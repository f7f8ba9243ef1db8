#pragma once
// Roles of a mount: roles/:name read, write, patch, delete and list (issuing under them: leaf.hpp).
#include "api/request.hpp"
#include "engine/engine.hpp"
#include "policy/role.hpp"
#include "x509/build.hpp"

namespace pki::engine {

api::Response list_roles(Context& ctx);
api::Response read_role(Context& ctx);
api::Response write_role(Context& ctx);
api::Response patch_role(Context& ctx);
api::Response delete_role(Context& ctx);

// The role `name` of the context's mount; Error(NotFound) with a hint when there is none.
policy::Role load_role(const Context& ctx, const std::string& name);
// The subject of a certificate issued under `role` for a common name and subject serial number.
x509::Subject role_subject(const policy::Role& role, const std::string& cn, const std::string& serial);

}  // namespace pki::engine
