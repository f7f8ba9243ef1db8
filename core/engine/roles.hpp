#pragma once
// Roles of a mount: roles/:name read, write, delete and list (issuing under them: leaf.hpp). A
// role travels as a policy::Role; roles/:name patch is a read, the given settings changed, and a
// write.
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "policy/role.hpp"
#include "x509/build.hpp"

namespace pki::engine {

// The names of the mount's roles.
std::vector<std::string> list_roles(Context& ctx);
// The role `name`, as load_role.
policy::Role read_role(Context& ctx, const std::string& name);
// Create or replace the role `role.name`: the name and the settings are checked, resolved
// defaults filled (policy::validate_role), and the role is stored; returns it as stored.
policy::Role write_role(Context& ctx, policy::Role role);
// Idempotent: deleting a role that is not there succeeds, with a warning.
void delete_role(Context& ctx, const std::string& name);

// The role `name` of the context's mount; Error(NotFound) with a hint when there is none.
policy::Role load_role(const Context& ctx, const std::string& name);
// The subject of a certificate issued under `role` for a common name and subject serial number.
x509::Subject role_subject(const policy::Role& role, const std::string& cn, const std::string& serial);

}  // namespace pki::engine
