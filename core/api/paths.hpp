#pragma once
// One function per path family; each adds its endpoints to the table.
namespace pki::api {
class Table;
void add_sys_paths(Table& t);
void add_key_paths(Table& t);
void add_ca_paths(Table& t);
void add_issuer_paths(Table& t);
void add_role_paths(Table& t);
void add_crl_paths(Table& t);
}  // namespace pki::api
