#!/usr/bin/env bash
# Who may do what over pki serve: Vault's ACL policies (HCL and JSON, exact paths, '*' prefixes,
# '+' segments, the most specific path, deny), tokens bound to policies (child subsets, orphans,
# num_uses, expiry, revocation by accessor, bound CIDRs), sudo on sys/auth, AppRole (roles,
# secret IDs, login, refusals), a Vault-Agent-like loop with curl (login, issue, renew), the local
# commands (pki policy write NAME FILE, pki token create -policy=..., pki approle ...), and that
# every refusal is one line in the body and in the access log, with no secret in either.
source "$(dirname "$0")/serve_lib.sh"

# as TOKEN CODE METHOD PATH [JSON]: expect_status with another token.
as() { local t=$1; shift; TOKEN=$t expect_status "$@"; }
# policy_body FILE: the JSON body of a policy write.
policy_body() { jq -n --rawfile p "$1" '{policy: $p}'; }
# child VAR TOKEN JSON: create a token as TOKEN, into the variable VAR; its response stays in $LAST.
child() {
  TOKEN=$2 expect_status 200 POST auth/token/create "$3"
  printf -v "$1" '%s' "$(jq -r '.auth.client_token' <<<"$LAST")"
}
# one_line_refusal WHAT SECRET...: the last body holds exactly one error, of one line, naming no
# secret given.
one_line_refusal() {
  local what=$1; shift
  expect_eq "$(jq -r '.errors | length' <<<"$LAST")" 1 "$what: one error"
  expect_eq "$(jq -r '.errors[0]' <<<"$LAST" | wc -l)" 1 "$what: the error is one line"
  local s; for s in "$@"; do hasnt "$LAST" "$s" "$what: the body names a secret"; done
}

start_server
ROOT=$TOKEN

section "a CA with two roles"
expect_status 200 POST sys/mounts/pki '{"type":"pki","config":{"max_lease_ttl":"87600h"}}'
expect_status 200 POST pki/root/generate/internal '{"common_name":"ACL Root","ttl":"8760h"}'
jq -r '.data.certificate' <<<"$LAST" > "$WORK/ca.pem"
expect_status 200 POST pki/roles/web '{"allowed_domains":"example.com","allow_subdomains":true,"max_ttl":"24h"}'
expect_status 200 POST pki/roles/db '{"allowed_domains":"db.internal","allow_subdomains":true,"max_ttl":"24h"}'

section "a policy allowing only pki/issue/web"
cat > "$WORK/web.hcl" <<'EOF'
# The web server renews its own certificate, and may do nothing else.
path "pki/issue/web" {
  capabilities = ["update"]
}
EOF
expect_status 204 PUT sys/policies/acl/web "$(policy_body "$WORK/web.hcl")"
expect_status 200 GET sys/policies/acl/web
expect_eq "$(jq -r '.data.policy' <<<"$LAST")" "$(cat "$WORK/web.hcl")" "the policy reads back as written"
expect_status 200 LIST sys/policies/acl
expect_eq "$(jq -c '.data.keys' <<<"$LAST")" '["default","root","web"]' "LIST sys/policies/acl"
child WEB "$ROOT" '{"policies":["web"],"ttl":"1h"}'
expect_status 200 GET auth/token/lookup-self
as "$WEB" 200 GET auth/token/lookup-self
expect_eq "$(jq -c '.data.policies' <<<"$LAST")" '["default","web"]' "the token's policies"
as "$WEB" 200 POST pki/issue/web '{"common_name":"www.example.com"}'
jq -r '.data.certificate' <<<"$LAST" > "$WORK/www.pem"
verify_all "$WORK/ca.pem" "$WORK/www.pem"
before=$(state_dump)
as "$WEB" 403 POST pki/root/generate/internal '{"common_name":"Evil Root"}'
expect_eq "$(jq -c '.errors' <<<"$LAST")" '["permission denied: no policy of this token grants \"update\" on \"pki/root/generate/internal\""]' \
  "the refusal names the capability and the path"
one_line_refusal "root/generate refused" "$WEB"
as "$WEB" 403 POST pki/roles/web '{"allowed_domains":"evil.com"}'
as "$WEB" 403 GET pki/roles/web
as "$WEB" 403 GET sys/mounts
as "$WEB" 403 POST sys/mounts/evil '{"type":"pki"}'
as "$WEB" 403 POST pki/issue/db '{"common_name":"a.db.internal"}'
as "$WEB" 403 LIST pki/certs
as "$WEB" 403 PUT sys/policies/acl/web '{"policy":"path \"*\" { capabilities = [\"sudo\",\"update\"] }"}'
as "$WEB" 403 POST auth/token/create '{"policies":["root"]}'
expect_eq "$(state_dump)" "$before" "the refused requests changed nothing in the state"
expect_status 200 GET pki/roles/web
expect_eq "$(jq -c '.data.allowed_domains' <<<"$LAST")" '["example.com"]' "the role is as it was"

section "the access log: one line per refusal, with its message, never a token"
sleep 0.2
refusals=$(grep '"status":403' "$WORK/access.log" | grep -c '"error":"permission denied: no policy of this token grants' || true)
expect_eq "$refusals" 9 "refusals logged with their message"
hasnt "$(cat "$WORK/access.log")" "$WEB" "the access log holds the web token"
hasnt "$(cat "$WORK/access.log")" "$ROOT" "the access log holds the root token"
web_accessor=$(TOKEN=$WEB api GET auth/token/lookup-self | sed '$d' | jq -r '.data.accessor')
has "$(grep 'pki/root/generate/internal' "$WORK/access.log")" "\"accessor\":\"$web_accessor\"" "the refusal's log line names the accessor"

section "deny wins over a glob; the most specific path decides"
cat > "$WORK/wide.hcl" <<'EOF'
path "pki/*" { capabilities = ["read", "update", "list"] }
path "pki/roles/*" { capabilities = ["read"] }
EOF
cat > "$WORK/nodb.json" <<'EOF'
{"path": {"pki/issue/db": {"capabilities": ["deny"]}, "pki/roles/*": {"capabilities": ["deny"]}}}
EOF
expect_status 204 PUT sys/policies/acl/wide "$(policy_body "$WORK/wide.hcl")"
expect_status 204 PUT sys/policy/nodb "$(jq -n --rawfile p "$WORK/nodb.json" '{policy: $p}')"
expect_status 200 GET sys/policy/nodb
expect_eq "$(jq -r '.data.rules' <<<"$LAST")" "$(cat "$WORK/nodb.json")" "sys/policy reads the JSON policy back as rules"
child WIDE "$ROOT" '{"policies":["wide","nodb"]}'
as "$WIDE" 200 POST pki/issue/web '{"common_name":"glob.example.com"}'
as "$WIDE" 403 POST pki/issue/db '{"common_name":"a.db.internal"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'permission denied: a policy of this token denies "pki/issue/db"' "deny beats the glob"
as "$WIDE" 403 GET pki/roles/web
as "$WIDE" 200 LIST pki/certs
as "$WIDE" 200 POST sys/capabilities-self '{"paths":["pki/issue/web","pki/issue/db","pki/roles/web","sys/mounts"]}'
expect_eq "$(jq -c '.data | [.["pki/issue/web"], .["pki/issue/db"], .["pki/roles/web"], .["sys/mounts"]]' <<<"$LAST")" \
  '[["list","read","update"],["deny"],["deny"],["deny"]]' "sys/capabilities-self"

section "'+' matches one segment, '*' a prefix inside a segment"
cat > "$WORK/plus.hcl" <<'EOF'
path "+/issue/web" { capabilities = ["update"] }
path "pki/cert*" { capabilities = ["read", "list"] }
EOF
expect_status 204 PUT sys/policies/acl/plus "$(policy_body "$WORK/plus.hcl")"
child PLUS "$ROOT" '{"policies":["plus"]}'
as "$PLUS" 200 POST pki/issue/web '{"common_name":"plus.example.com"}'
as "$PLUS" 403 POST pki/issue/db '{"common_name":"a.db.internal"}'
as "$PLUS" 403 POST pki/issue/web/x '{"common_name":"plus.example.com"}'
as "$PLUS" 200 GET pki/cert/ca
as "$PLUS" 200 LIST pki/certs
as "$PLUS" 403 GET pki/ca_chain_not_here
expect_status 200 POST sys/capabilities "{\"token\":\"$PLUS\",\"paths\":[\"pki_int/issue/web\",\"a/b/issue/web\",\"pki/certs/\"]}"
expect_eq "$(jq -c '.data | [.["pki_int/issue/web"], .["a/b/issue/web"], .["pki/certs/"]]' <<<"$LAST")" \
  '[["update"],["deny"],["list","read"]]' "sys/capabilities of another token"

section "children get no more than their parent; orphans need sudo or create-orphan"
cat > "$WORK/minter.hcl" <<'EOF'
path "auth/token/create" { capabilities = ["update"] }
path "auth/token/create-orphan" { capabilities = ["update"] }
path "pki/issue/web" { capabilities = ["update"] }
EOF
expect_status 204 PUT sys/policies/acl/minter "$(policy_body "$WORK/minter.hcl")"
child MINTER "$ROOT" '{"policies":["minter","web"]}'
child KID "$MINTER" '{"policies":["web"],"ttl":"10m"}'
as "$KID" 200 POST pki/issue/web '{"common_name":"kid.example.com"}'
as "$MINTER" 403 POST auth/token/create '{"policies":["wide"]}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'child policies must be a subset of the parent'"'"'s: the caller lacks "wide"' "a policy the parent lacks"
as "$MINTER" 403 POST auth/token/create '{"policies":["web"],"no_parent":true}'
TOKEN=$MINTER expect_status 200 POST auth/token/create-orphan '{"policies":["web"]}'
ORPHAN=$(jq -r '.auth.client_token' <<<"$LAST")
expect_eq "$(jq -r '.auth.orphan' <<<"$LAST")" true "create-orphan makes an orphan"
as "$MINTER" 403 POST auth/token/create-orphan '{"policies":["wide"]}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'child policies must be a subset of the parent'"'"'s: the caller lacks "wide"' "create-orphan gives no more policies"
# Revoking the parent takes the child, not the orphan.
as "$MINTER" 204 POST auth/token/revoke-self ''
as "$KID" 403 GET auth/token/lookup-self
as "$ORPHAN" 200 GET auth/token/lookup-self

section "use limits, expiry, revocation by accessor"
child LIMITED "$ROOT" '{"policies":["web"],"num_uses":2}'
expect_eq "$(jq -r '.auth.num_uses' <<<"$LAST")" 2 "num_uses in the auth block"
as "$LIMITED" 200 POST pki/issue/web '{"common_name":"one.example.com"}'
expect_status 200 POST auth/token/lookup "{\"token\":\"$LIMITED\"}"
expect_eq "$(jq -r '.data.num_uses' <<<"$LAST")" 1 "one use left"
as "$LIMITED" 200 GET auth/token/lookup-self
as "$LIMITED" 403 POST pki/issue/web '{"common_name":"three.example.com"}'
expect_eq "$(jq -c '.errors' <<<"$LAST")" '["permission denied"]' "a used-up token learns nothing more"
as "$LIMITED" 403 GET auth/token/lookup-self
child SHORT "$ROOT" '{"policies":["web"],"ttl":"1s"}'
as "$SHORT" 200 POST pki/issue/web '{"common_name":"short.example.com"}'
child REVOKED "$ROOT" '{"policies":["web"]}'
acc=$(jq -r '.auth.accessor' <<<"$LAST")
expect_status 200 POST auth/token/lookup-accessor "{\"accessor\":\"$acc\"}"
expect_eq "$(jq -r '.data.id' <<<"$LAST")" "" "lookup-accessor does not show the token"
expect_eq "$(jq -c '.data.policies' <<<"$LAST")" '["default","web"]' "lookup-accessor shows the policies"
expect_status 204 POST auth/token/revoke-accessor "{\"accessor\":\"$acc\"}"
as "$REVOKED" 403 POST pki/issue/web '{"common_name":"revoked.example.com"}'
expect_status 200 POST auth/token/revoke-accessor "{\"accessor\":\"$acc\"}"
expect_eq "$(jq -c '.warnings' <<<"$LAST")" '["No token found with this accessor"]' "revoking it twice: Vault's warning"
expect_status 400 POST auth/token/lookup-accessor "{\"accessor\":\"$acc\"}"
expect_status 403 POST auth/token/lookup '{"token":"hvs.notatoken"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "bad token" "lookup of an unknown token, as Vault"
# The last use of a limited token ends it, whatever the request: a renewal does not bring it back,
# and it cannot create a token then.
child ONCE "$ROOT" '{"policies":["default"],"num_uses":1}'
as "$ONCE" 200 POST auth/token/renew-self '{}'
as "$ONCE" 403 GET auth/token/lookup-self
child ONCE2 "$ROOT" '{"policies":["minter"],"num_uses":1}'
as "$ONCE2" 403 POST auth/token/create '{"policies":["minter"]}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "a use-limited token cannot create tokens; use a token without num_uses" "a limited token's last use"
sleep 1.2
as "$SHORT" 403 POST pki/issue/web '{"common_name":"short.example.com"}'
child BOUND "$ROOT" '{"policies":["web"],"bound_cidrs":["10.0.0.0/8"]}'
as "$BOUND" 403 POST pki/issue/web '{"common_name":"bound.example.com"}'
child HERE "$ROOT" '{"policies":["web","minter"],"bound_cidrs":["127.0.0.0/8"]}'
as "$HERE" 200 POST pki/issue/web '{"common_name":"here.example.com"}'
# A child is bound where its parent is, and no wider.
child HERE_KID "$HERE" '{"policies":["web"]}'
expect_eq "$(jq -c '.auth | [.policies]' <<<"$LAST")" '[["default","web"]]' "the child's policies"
expect_status 200 POST auth/token/lookup "{\"token\":\"$HERE_KID\"}"
expect_eq "$(jq -c '.data.bound_cidrs' <<<"$LAST")" '["127.0.0.0/8"]' "the child inherits the parent's bound CIDRs"
as "$HERE" 403 POST auth/token/create '{"policies":["web"],"bound_cidrs":["0.0.0.0/0"]}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "bound_cidrs must lie within the parent token's bound CIDRs" "a wider child"
expect_status 400 POST auth/token/create '{"bound_cidrs":["10.0.0.0/33"]}'

section "sudo: enabling an auth method needs it"
cat > "$WORK/auth.hcl" <<'EOF'
path "sys/auth/*" { capabilities = ["update", "read"] }
EOF
cat > "$WORK/authsudo.hcl" <<'EOF'
path "sys/auth/*" { capabilities = ["update", "read", "sudo"] }
EOF
expect_status 204 PUT sys/policies/acl/auth "$(policy_body "$WORK/auth.hcl")"
expect_status 204 PUT sys/policies/acl/authsudo "$(policy_body "$WORK/authsudo.hcl")"
child NOSUDO "$ROOT" '{"policies":["auth"]}'
child SUDO "$ROOT" '{"policies":["authsudo"]}'
as "$NOSUDO" 403 POST sys/auth/approle '{"type":"approle"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'permission denied: "sys/auth/approle" also needs the "sudo" capability' "sudo is named"
as "$SUDO" 204 POST sys/auth/approle '{"type":"approle"}'
expect_status 400 POST sys/auth/approle '{"type":"approle"}'
expect_status 400 POST sys/auth/other '{"type":"approle"}'
expect_status 400 POST sys/auth/ldap '{"type":"ldap"}'
expect_status 200 GET sys/auth
expect_eq "$(jq -c '.data | keys' <<<"$LAST")" '["approle/","token/"]' "sys/auth lists approle and token"

section "AppRole: roles, secret IDs, login and its refusals"
cat > "$WORK/agent.hcl" <<'EOF'
path "pki/issue/web" { capabilities = ["update"] }
EOF
expect_status 204 PUT sys/policies/acl/agent "$(policy_body "$WORK/agent.hcl")"
expect_status 204 POST auth/approle/role/agent '{"token_policies":"agent","token_ttl":"20m","token_max_ttl":"30m","secret_id_num_uses":1,"secret_id_ttl":"10m"}'
expect_status 200 GET auth/approle/role/agent/role-id
ROLE_ID=$(jq -r '.data.role_id' <<<"$LAST")
expect_status 200 POST auth/approle/role/agent/secret-id '{"metadata":"{\"host\":\"web1\"}"}'
SECRET=$(jq -r '.data.secret_id' <<<"$LAST")
SECRET_ACC=$(jq -r '.data.secret_id_accessor' <<<"$LAST")
expect_status 200 LIST auth/approle/role/agent/secret-id
expect_eq "$(jq -c '.data.keys' <<<"$LAST")" "[\"$SECRET_ACC\"]" "the secret ID's accessor is listed"
expect_status 200 POST auth/approle/role/agent/secret-id-accessor/lookup "{\"secret_id_accessor\":\"$SECRET_ACC\"}"
expect_eq "$(jq -c '[.data.secret_id_num_uses, .data.secret_id_ttl, .data.metadata.host]' <<<"$LAST")" '[1,600,"web1"]' "secret ID lookup"
hasnt "$(mdb_dump -a "$PKI_STATE_DIR")" "$SECRET" "the store holds the secret ID"
before=$(state_dump)
TOKEN= expect_status 400 POST auth/approle/login "{\"role_id\":\"$ROLE_ID\",\"secret_id\":\"not-the-secret\"}"
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "invalid secret id" "a wrong secret ID"
one_line_refusal "a wrong secret ID" "not-the-secret"
TOKEN= expect_status 400 POST auth/approle/login "{\"role_id\":\"nope\",\"secret_id\":\"$SECRET\"}"
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "invalid role ID" "a wrong role ID"
one_line_refusal "a wrong role ID" "$SECRET"
TOKEN= expect_status 400 POST auth/approle/login "{\"role_id\":\"$ROLE_ID\"}"
expect_eq "$(state_dump)" "$before" "refused logins changed nothing"
TOKEN= expect_status 200 POST auth/approle/login "{\"role_id\":\"$ROLE_ID\",\"secret_id\":\"$SECRET\"}"
AGENT=$(jq -r '.auth.client_token' <<<"$LAST")
expect_eq "$(jq -c '[.auth.policies, .auth.metadata.role_name, .auth.metadata.host, .auth.lease_duration]' <<<"$LAST")" \
  '[["agent","default"],"agent","web1",1200]' "the login's auth block"
as "$AGENT" 200 POST pki/issue/web '{"common_name":"agent.example.com"}'
as "$AGENT" 403 GET auth/approle/role/agent/role-id
TOKEN= expect_status 400 POST auth/approle/login "{\"role_id\":\"$ROLE_ID\",\"secret_id\":\"$SECRET\"}"
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "invalid secret id" "a used-up secret ID"
# A new role needs "create", a change "update" (AppRole's existence check, as Vault's).
cat > "$WORK/roleupdate.hcl" <<'EOF'
path "auth/approle/role/*" { capabilities = ["update"] }
EOF
expect_status 204 PUT sys/policies/acl/roleupdate "$(policy_body "$WORK/roleupdate.hcl")"
child UPD "$ROOT" '{"policies":["roleupdate"]}'
as "$UPD" 204 POST auth/approle/role/agent '{"token_ttl":"25m"}'
as "$UPD" 403 POST auth/approle/role/newrole '{"token_policies":"agent"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'permission denied: no policy of this token grants "create" on "auth/approle/role/newrole"' "create is needed for a new role"
# CIDR-bound roles and secret IDs.
expect_status 204 POST auth/approle/role/far '{"token_policies":"agent","secret_id_bound_cidrs":"10.0.0.0/8"}'
expect_status 200 GET auth/approle/role/far/role-id
FAR_ID=$(jq -r '.data.role_id' <<<"$LAST")
expect_status 200 POST auth/approle/role/far/secret-id '{}'
FAR_SECRET=$(jq -r '.data.secret_id' <<<"$LAST")
TOKEN= expect_status 400 POST auth/approle/login "{\"role_id\":\"$FAR_ID\",\"secret_id\":\"$FAR_SECRET\"}"
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'source address "127.0.0.1" unauthorized through CIDR restrictions on the role' "a login from outside the role's CIDRs"
expect_status 204 POST auth/approle/role/bound '{"token_policies":"agent","token_bound_cidrs":"10.0.0.0/8"}'
expect_status 200 GET auth/approle/role/bound/role-id
B_ID=$(jq -r '.data.role_id' <<<"$LAST")
expect_status 200 POST auth/approle/role/bound/secret-id '{}'
TOKEN= expect_status 200 POST auth/approle/login "{\"role_id\":\"$B_ID\",\"secret_id\":\"$(jq -r '.data.secret_id' <<<"$LAST")\"}"
as "$(jq -r '.auth.client_token' <<<"$LAST")" 403 POST pki/issue/web '{"common_name":"bound.example.com"}'
expect_status 400 POST auth/approle/role/bad '{"token_policies":"agent","bind_secret_id":false}'
expect_status 400 POST auth/approle/role/bad '{"token_policies":"root"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'auth methods cannot create root tokens; remove "root" from token_policies' "no root tokens from AppRole"
expect_status 400 POST auth/approle/role/bound/secret-id '{"token_bound_cidrs":["10.0.0.1/0"]}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'token_bound_cidrs: every block must lie within the role'"'"'s bound CIDRs (10.0.0.0/8)' "a secret ID widening the role's CIDRs"
expect_status 200 POST auth/approle/role/bound/secret-id '{"token_bound_cidrs":["10.1.0.0/16"]}'
expect_status 400 POST auth/approle/role/bad '{"secret_id_bound_cidrs":"not-a-cidr"}'
expect_status 400 POST auth/approle/role/bad%20name '{}'
expect_status 404 GET auth/approle/role/nope

section "a Vault-Agent-like loop with curl: log in, issue, renew the token"
expect_status 204 POST auth/approle/role/loop '{"token_policies":"agent","token_ttl":"10m","token_max_ttl":"1h"}'
expect_status 200 GET auth/approle/role/loop/role-id
jq -r '.data.role_id' <<<"$LAST" > "$WORK/role_id"
expect_status 200 POST auth/approle/role/loop/secret-id '{}'
jq -r '.data.secret_id' <<<"$LAST" > "$WORK/secret_id"
# What the agent does: one login, then for each round a certificate and a token renewal.
agent_token=$(curl -sf -X POST "$ADDR/v1/auth/approle/login" \
  --data-binary "$(jq -n --rawfile r "$WORK/role_id" --rawfile s "$WORK/secret_id" '{role_id: ($r|rtrimstr("\n")), secret_id: ($s|rtrimstr("\n"))}')" |
  jq -r '.auth.client_token') || agent_token=
if [ -n "$agent_token" ] && [ "$agent_token" != null ]; then ok; else fail "the agent's login failed"; fi
for round in 1 2 3; do
  out=$(curl -sf -H "X-Vault-Token: $agent_token" -X POST "$ADDR/v1/pki/issue/web" \
    --data-binary "{\"common_name\":\"agent$round.example.com\",\"ttl\":\"1h\"}") || out=
  jq -r '.data.certificate' <<<"$out" > "$WORK/agent$round.pem" 2>/dev/null
  verify_all "$WORK/ca.pem" "$WORK/agent$round.pem"
  expect_eq "$(openssl x509 -in "$WORK/agent$round.pem" -noout -subject -nameopt RFC2253 2>/dev/null)" "subject=CN=agent$round.example.com" "round $round: the certificate"
  lease=$(curl -sf -H "X-Vault-Token: $agent_token" -X POST "$ADDR/v1/auth/token/renew-self" --data-binary '{"increment":"10m"}' |
    jq -r '.auth.lease_duration') || lease=
  expect_eq "$lease" 600 "round $round: the renewed token's lease"
done

section "policies that do not parse, and the built-in ones"
printf 'path "pki/issue/web" {\n  capabilities = ["update"\n}\n' > "$WORK/broken.hcl"
expect_status 400 PUT sys/policies/acl/broken "$(policy_body "$WORK/broken.hcl")"
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" "policy does not parse: line 3, column 1: expected ',' or ']' in a list, found '}'" "line and column"
expect_status 404 GET sys/policies/acl/broken
expect_status 400 PUT sys/policies/acl/root '{"policy":"path \"*\" { capabilities = [\"read\"] }"}'
expect_status 400 DELETE sys/policies/acl/default
expect_status 404 GET sys/policies/acl/root
expect_status 400 PUT sys/policies/acl/WEB '{"policy":"path \"*\" { capabilities = [\"sudo\",\"update\"] }"}'
expect_eq "$(jq -r '.errors[0]' <<<"$LAST")" 'policy name "WEB" must be written as it is stored: "web" (lower-case, no surrounding spaces)' "a policy name in another case"
expect_status 200 GET sys/policies/acl/default
has "$(jq -r '.data.policy' <<<"$LAST")" 'path "auth/token/renew-self"' "the default policy"
expect_status 204 DELETE sys/policies/acl/plus
as "$PLUS" 403 POST pki/issue/web '{"common_name":"plus.example.com"}'

section "the local commands: pki policy write NAME FILE, pki token create -policy, pki approle"
expect_ok "$PKI" policy write local-web "$WORK/web.hcl"
expect_ok "$PKI" policy read local-web -format=json
expect_eq "$(jq -r '.data.policy' "$WORK/out")" "$(cat "$WORK/web.hcl")" "pki policy read"
expect_ok "$PKI" policy list
has "$(cat "$WORK/out")" "local-web" "pki policy list"
expect_refused 1 "$PKI" policy write broken "$WORK/broken.hcl"
expect_err_contains "line 3, column 1"
expect_ok "$PKI" token create -policy=local-web -use-limit=3 -ttl=10m -format=json
LOCAL=$(jq -r '.auth.client_token' "$WORK/out")
expect_eq "$(jq -c '[.auth.policies, .auth.num_uses]' "$WORK/out")" '[["default","local-web"],3]' "pki token create -policy -use-limit"
as "$LOCAL" 200 POST pki/issue/web '{"common_name":"local.example.com"}'
as "$LOCAL" 403 GET sys/mounts
expect_ok "$PKI" approle role write cli --token-policies local-web --secret-id-num-uses 1
expect_ok "$PKI" approle role-id read cli -format=json
CLI_ROLE=$(jq -r '.data.role_id' "$WORK/out")
expect_ok "$PKI" approle secret-id generate cli -format=json
CLI_SECRET=$(jq -r '.data.secret_id' "$WORK/out")
TOKEN= expect_status 200 POST auth/approle/login "{\"role_id\":\"$CLI_ROLE\",\"secret_id\":\"$CLI_SECRET\"}"
as "$(jq -r '.auth.client_token' <<<"$LAST")" 200 POST pki/issue/web '{"common_name":"cli.example.com"}'
expect_refused 1 "$PKI" approle login --role-id "$CLI_ROLE" --secret-id "$CLI_SECRET"
expect_err_contains "invalid secret id"
expect_ok "$PKI" policy delete local-web
as "$LOCAL" 403 POST pki/issue/web '{"common_name":"local.example.com"}'

finish
