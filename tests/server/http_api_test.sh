#!/usr/bin/env bash
# pki serve end to end over HTTP with curl, the way Vault's clients talk to it: mount management at
# Vault's sys/ paths and sys/health; every family of PKI paths with Vault's methods, the JSON
# envelope and the media types of the raw paths; a certificate issued over HTTP verified by OpenSSL
# with the CA and the CRL fetched from the URLs written into the certificate, before and after
# revocation; error statuses and bodies; tokens (none, wrong, Bearer, created, default policy,
# renewed, revoked, expired, minted by the local CLI) and that only their hashes are stored; the
# access log (one JSON line per request, accessors, never a token or a key).
source "$(dirname "$0")/serve_lib.sh"

# ---- helpers ------------------------------------------------------------------------------------

# _req AUTH_HEADER METHOD PATH [BODY]: one request (AUTH_HEADER "" sends no token). The body is
# left in $WORK/body and the headers in $WORK/hdr; sets CODE, CTYPE and RID (the X-Request-Id
# header). Every response must carry X-Request-Id: that is checked on each request. Extra curl
# options come from REQ_OPTS (an array).
REQ_OPTS=()
_req() {
  local auth=$1 m=$2 p=$3
  local args=(-s -X "$m" -D "$WORK/hdr" -o "$WORK/body" -w '%{http_code} %{content_type}' "${REQ_OPTS[@]}")
  [ -n "$auth" ] && args+=(-H "$auth")
  [ $# -ge 4 ] && args+=(--data-binary "$4")
  local out rc=0
  : > "$WORK/hdr"; : > "$WORK/body"
  echo . >> "$WORK/.requests"
  out=$(curl "${args[@]}" "$ADDR/v1/$p") || rc=$?
  if [ "$rc" -ne 0 ]; then fail "curl -X $m $ADDR/v1/$p failed (exit $rc)"; CODE=000 CTYPE='' RID=''; return 0; fi
  CODE=${out%% *} CTYPE=${out#* }
  CTYPE=${CTYPE%%;*}
  RID=$(sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *//p' "$WORK/hdr" | tr -d '\r' | tail -n1)
  if [ -n "$RID" ]; then ok; else fail "$m /v1/$p (HTTP $CODE): the response has no X-Request-Id header: $(tr '\r\n' '  ' < "$WORK/hdr")"; fi
}
req() { _req "X-Vault-Token: $TOKEN" "$@"; }          # as root
req_as() { local t=$1; shift; _req "X-Vault-Token: $t" "$@"; }
req_bearer() { local t=$1; shift; _req "Authorization: Bearer $t" "$@"; }
req_anon() { _req "" "$@"; }

# j FILTER [FILE]: jq -r FILTER over FILE (default the last body); a body that is not JSON fails.
j() { _checked "jq '$1' on ${2:-the last body} ($(head -c 200 "${2:-$WORK/body}"))" jq -r "$1" "${2:-$WORK/body}"; }
keep() { _checked "keep $1" cp "$WORK/body" "$1"; }
body() { head -c 500 "$WORK/body"; }

# expect_code CODE WHAT: the last request answered CODE.
expect_code() { if [ "$CODE" = "$1" ]; then ok; else fail "$2: expected HTTP $1, got $CODE: $(body)"; fi; }
# expect_ctype TYPE WHAT: the last response's Content-Type.
expect_ctype() { if [ "$CTYPE" = "$1" ]; then ok; else fail "$2: expected Content-Type $1, got '$CTYPE'"; fi; }
# expect_error CODE WHAT [TEXT]: an error answer: CODE, JSON {"errors": [...]} with the request's
# id in request_id, TEXT (when given) in one of the errors.
expect_error() {
  local code=$1 what=$2 text=${3-}
  expect_code "$code" "$what"
  expect_ctype application/json "$what"
  local shape
  shape=$(jq -r 'if (.errors|type) == "array" and all(.errors[]; type == "string") then "ok" else "bad" end' "$WORK/body" 2>/dev/null) || shape=notjson
  if [ "$shape" = ok ]; then ok; else fail "$what: the body is not {\"errors\": [strings]}: $(body)"; fi
  local id; id=$(jq -r '.request_id // ""' "$WORK/body" 2>/dev/null) || id=
  if [ -n "$id" ] && [ "$id" = "$RID" ]; then ok; else fail "$what: the error body's request_id '$id' is not the X-Request-Id '$RID': $(body)"; fi
  if [ -n "$text" ]; then has "$(jq -r '.errors[]?' "$WORK/body" 2>/dev/null || true)" "$text" "$what: errors"; fi
}
# expect_denied WHAT [MESSAGE]: 403 {"errors":[MESSAGE]}, by default Vault's "permission denied" (a
# token that is not valid learns nothing more; a valid one is told what its policies lack).
expect_denied() {
  expect_error 403 "$1"
  expect_eq "$(jq -r '.errors | @json' "$WORK/body" 2>/dev/null || true)" "$(jq -nc --arg m "${2:-permission denied}" '[$m]')" "$1: errors"
}
ENVELOPE='["auth","data","lease_duration","lease_id","renewable","request_id","warnings","wrap_info"]'
# expect_envelope WHAT: the last body is Vault's response envelope, its request_id the header's.
expect_envelope() {
  expect_ctype application/json "$1"
  expect_eq "$(jq -c 'keys' "$WORK/body" 2>/dev/null || true)" "$ENVELOPE" "$1: envelope keys"
  expect_eq "$(jq -r '.request_id' "$WORK/body" 2>/dev/null || true)" "$RID" "$1: request_id is the X-Request-Id header"
}
# der_of PEM_FILE: the md5sum of the certificate's DER (a file openssl cannot read fails).
der_of() { _checked "der_of $1" openssl x509 -in "$1" -outform DER | md5sum; }
is_der_cert() { if openssl x509 -inform DER -in "$1" -noout 2>/dev/null; then ok; else fail "${2:-$1} is not a DER certificate: $(head -c 100 "$1" | od -c | head -2)"; fi; }
# in_keys VALUE WHAT: VALUE is in the last body's data.keys.
in_keys() {
  local keys; keys=$(jq -r '.data.keys[]?' "$WORK/body" 2>/dev/null || true)
  if grep -qxF -- "$1" <<<"$keys"; then ok; else fail "${2:-LIST} lacks $1: $(body)"; fi
}
# count_in FILE TEXT: how many lines of FILE (binary or not) hold TEXT.
count_in() {
  local n rc=0
  n=$(grep -c -a -F -- "$2" "$1") || rc=$?
  if [ "$rc" -gt 1 ]; then fail "cannot search $1 (grep exit $rc)"; echo error; return 0; fi
  echo "$n"
}
# log_lines PATH: the access-log lines of requests to PATH, one JSON object a line.
log_lines() { jq -c --arg p "$1" 'select(.path == $p)' "$WORK/access.log"; }

# ---- 1. mounts and health at Vault's sys/ paths -------------------------------------------------
section "sys/mounts, sys/mounts/:path/tune, sys/health"
start_server
echo . > "$WORK/.requests"   # the sys/health request start_server saw answered (refused connections log nothing)
expect_eq "$(head -c 4 "$WORK/root-token")" "hvs." "the root token file holds a token"

req_anon GET sys/health
expect_code 200 "GET sys/health without a token"
expect_ctype application/json "sys/health"
expect_eq "$(j '[.initialized, .sealed, .standby] | @json')" '[true,false,false]' "sys/health initialized, sealed, standby"
expect_eq "$(j '.version | type')" string "sys/health version"
has "$(j '.version')" "." "sys/health version"
near "$(j '.server_time_utc')" "$(date +%s)" 5 "sys/health server_time_utc"
expect_eq "$(j 'has("data") or has("request_id")')" false "sys/health has no envelope"

req POST sys/mounts/pki '{"type":"pki","config":{"max_lease_ttl":"87600h"}}'
case $CODE in 200|204) ok ;; *) fail "POST sys/mounts/pki: expected 200 or 204, got $CODE: $(body)" ;; esac
# hvac's enable_secrets_engine sends its unset arguments as null and its flags as false.
req POST sys/mounts/pki_int '{"type":"pki","description":null,"config":{"max_lease_ttl":"43800h"},"options":null,"plugin_name":null,"local":false,"seal_wrap":false}'
case $CODE in 200|204) ok ;; *) fail "POST sys/mounts/pki_int (hvac's body): expected 200 or 204, got $CODE: $(body)" ;; esac
req POST sys/mounts/x '{"type":"pki","description":"to delete","config":{"default_lease_ttl":"1h"},"options":null,"plugin_name":null,"local":false,"seal_wrap":false}'
case $CODE in 200|204) ok ;; *) fail "POST sys/mounts/x: expected 200 or 204, got $CODE: $(body)" ;; esac

req GET sys/mounts
expect_code 200 "GET sys/mounts"
expect_envelope "GET sys/mounts"
expect_eq "$(j '.data["pki/"].type')" pki "sys/mounts pki/ type"
expect_eq "$(j '.data["pki/"].config.max_lease_ttl')" 315360000 "sys/mounts pki/ max_lease_ttl (87600h)"
expect_eq "$(j '.data["pki_int/"].config.max_lease_ttl')" 157680000 "sys/mounts pki_int/ max_lease_ttl (43800h)"
expect_eq "$(j '.data["x/"].description')" "to delete" "sys/mounts x/ description"
expect_eq "$(j '.data["x/"].config.default_lease_ttl')" 3600 "sys/mounts x/ default_lease_ttl"
req LIST sys/mounts
expect_code 200 "LIST sys/mounts"
in_keys pki/ "LIST sys/mounts"

req GET sys/mounts/pki/tune
expect_code 200 "GET sys/mounts/pki/tune"
expect_eq "$(j '.data.max_lease_ttl')" 315360000 "tune of pki: max_lease_ttl"
req POST sys/mounts/pki/tune '{"description":"HTTP test root"}'
case $CODE in 200|204) ok ;; *) fail "POST sys/mounts/pki/tune: expected 200 or 204, got $CODE: $(body)" ;; esac
req GET sys/mounts/pki/tune
expect_eq "$(j '[.data.description, .data.max_lease_ttl] | @json')" '["HTTP test root",315360000]' "tune of pki: description set, max_lease_ttl kept"
req POST sys/mounts/pki_int/tune '{"default_lease_ttl":"2h","max_lease_ttl":"43800h"}'
case $CODE in 200|204) ok ;; *) fail "POST sys/mounts/pki_int/tune: expected 200 or 204, got $CODE: $(body)" ;; esac
req GET sys/mounts/pki_int/tune
expect_eq "$(j '[.data.default_lease_ttl, .data.max_lease_ttl] | @json')" '[7200,157680000]' "tune of pki_int read back"

req DELETE sys/mounts/x
expect_code 204 "DELETE sys/mounts/x"
expect_eq "$(wc -c < "$WORK/body")" 0 "DELETE sys/mounts/x: no body with 204"
req GET sys/mounts
expect_eq "$(j '.data | has("x/")')" false "x/ is gone from sys/mounts"
expect_eq "$(j '.data | has("pki/")')" true "pki/ is still in sys/mounts"

# ---- 2. every family of PKI paths -----------------------------------------------------------------
section "root, config/urls, roles"
req POST pki/root/generate/internal '{"common_name":"HTTP Root","key_type":"ec","ttl":"43800h","issuer_name":"root-1","key_name":"root-key"}'
expect_code 200 "POST pki/root/generate/internal"
expect_envelope "root/generate/internal"
j '.data.certificate' > root.pem
has "$(text root.pem)" "Subject: CN=HTTP Root" "root certificate"
ROOT_ISSUER=$(j '.data.issuer_id')
ROOT_KEY=$(j '.data.key_id')

req POST pki/config/urls "{\"issuing_certificates\":\"$ADDR/v1/pki/ca\",\"crl_distribution_points\":[\"$ADDR/v1/pki/crl\"]}"
case $CODE in 200|204) ok ;; *) fail "POST pki/config/urls: expected 200 or 204, got $CODE: $(body)" ;; esac
req GET pki/config/urls
expect_code 200 "GET pki/config/urls"
expect_eq "$(j '[.data.issuing_certificates, .data.crl_distribution_points] | @json')" "[[\"$ADDR/v1/pki/ca\"],[\"$ADDR/v1/pki/crl\"]]" "config/urls read back"

req POST pki/roles/web '{"allowed_domains":["example.com"],"allow_subdomains":true,"key_type":"ec","ttl":"24h","max_ttl":"72h"}'
case $CODE in 200|204) ok ;; *) fail "POST pki/roles/web: expected 200 or 204, got $CODE: $(body)" ;; esac
req GET pki/roles/web
expect_code 200 "GET pki/roles/web"
expect_envelope "GET pki/roles/web"
expect_eq "$(j '[.data.ttl, .data.max_ttl, .data.key_type, .data.allow_subdomains] | @json')" '[86400,259200,"ec",true]' "role web read back"
req LIST pki/roles
expect_code 200 "LIST pki/roles"
expect_eq "$(j '.data.keys | @json')" '["web"]' "LIST pki/roles"
req GET 'pki/roles?list=true'
expect_code 200 "GET pki/roles?list=true"
expect_eq "$(j '.data.keys | @json')" '["web"]' "GET pki/roles?list=true"
REQ_OPTS=(-H "Content-Type: application/merge-patch+json")
req PATCH pki/roles/web '{"ttl":"48h"}'
REQ_OPTS=()
expect_code 200 "PATCH pki/roles/web (merge-patch)"
req GET pki/roles/web
expect_eq "$(j '[.data.ttl, .data.max_ttl, .data.allowed_domains, .data.key_type] | @json')" '[172800,259200,["example.com"],"ec"]' "PATCH changed ttl only"
req POST pki/roles/tmp '{"allow_any_name":true}'
case $CODE in 200|204) ok ;; *) fail "POST pki/roles/tmp: expected 200 or 204, got $CODE: $(body)" ;; esac
req DELETE pki/roles/tmp
expect_code 204 "DELETE pki/roles/tmp"
req GET pki/roles/tmp
expect_error 404 "GET pki/roles/tmp after DELETE"

section "issue, sign, sign-verbatim"
req POST pki/issue/web '{"common_name":"www.example.com","alt_names":"api.example.com","ttl":"1h"}'
expect_code 200 "POST pki/issue/web"
expect_envelope "POST pki/issue/web"
keep issued.json
expect_eq "$(j '[.lease_id, .renewable, .lease_duration, .wrap_info, .auth] | @json')" '["",false,0,null,null]' "issue: envelope values"
expect_eq "$(j '.data | keys | @json')" '["ca_chain","certificate","expiration","issuing_ca","private_key","private_key_type","serial_number"]' "issue: data fields"
j '.data.certificate' issued.json > leaf.pem
j '.data.private_key' issued.json > leaf.key
SERIAL=$(j '.data.serial_number' issued.json)
expect_eq "$SERIAL" "$(serial_of leaf.pem)" "issue: serial_number"
expect_eq "$(j '.data.issuing_ca' issued.json)" "$(cat root.pem)" "issue: issuing_ca is the root"
expect_eq "$(pubkey_of_key leaf.key)" "$(pubkey_of_cert leaf.pem)" "issue: the key matches the certificate"
san=$(ext leaf.pem subjectAltName)
has "$san" "DNS:www.example.com" "issued SANs"
has "$san" "DNS:api.example.com" "issued SANs"
near "$(lifetime leaf.pem)" 3630 5 "issue: ttl=1h (with the 30 s backdate)"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout csr.key -subj /CN=csr.example.com -out csr.pem 2>/dev/null
req POST pki/sign/web "$(jq -n --rawfile csr csr.pem '{csr: $csr, common_name: "csr.example.com", ttl: "2h"}')"
expect_code 200 "POST pki/sign/web"
j '.data.certificate' > signed.pem
has "$(text signed.pem)" "Subject: CN=csr.example.com" "signed certificate"
expect_eq "$(pubkey_of_cert signed.pem)" "$(pubkey_of_csr csr.pem)" "sign: the certificate holds the CSR's key"
expect_eq "$(j '.data | has("private_key")')" false "sign: no private key in the answer"
if openssl verify -CAfile root.pem signed.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify signed.pem: $(cat "$WORK/v.out")"; fi
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout verb.key -subj "/CN=verbatim.example.net/O=Verbatim Org" -out verb.csr 2>/dev/null
req POST pki/sign-verbatim "$(jq -n --rawfile csr verb.csr '{csr: $csr, ttl: "2h"}')"
expect_code 200 "POST pki/sign-verbatim"
j '.data.certificate' > verbatim.pem
has "$(text verbatim.pem)" "Subject: O=Verbatim Org,CN=verbatim.example.net" "sign-verbatim keeps the CSR's subject"
expect_eq "$(pubkey_of_cert verbatim.pem)" "$(pubkey_of_csr verb.csr)" "sign-verbatim: the CSR's key"

section "keys, issuers, cert, certs"
req LIST pki/keys
expect_code 200 "LIST pki/keys"
expect_eq "$(j '.data.keys | @json')" "[\"$ROOT_KEY\"]" "LIST pki/keys"
expect_eq "$(j ".data.key_info[\"$ROOT_KEY\"].key_name")" root-key "LIST pki/keys key_info"
req GET "pki/key/$ROOT_KEY"
expect_code 200 "GET pki/key/:id"
expect_eq "$(j '[.data.key_id, .data.key_name, .data.key_type] | @json')" "[\"$ROOT_KEY\",\"root-key\",\"ec\"]" "GET pki/key/:id"
req GET pki/key/root-key
expect_eq "$(j '.data.key_id')" "$ROOT_KEY" "GET pki/key/:name"

req LIST pki/issuers
expect_code 200 "LIST pki/issuers"
expect_eq "$(j '.data.keys | @json')" "[\"$ROOT_ISSUER\"]" "LIST pki/issuers"
expect_eq "$(j ".data.key_info[\"$ROOT_ISSUER\"].issuer_name")" root-1 "LIST pki/issuers key_info"
req GET pki/issuer/default
expect_code 200 "GET pki/issuer/default"
expect_eq "$(j '[.data.issuer_id, .data.issuer_name, .data.key_id] | @json')" "[\"$ROOT_ISSUER\",\"root-1\",\"$ROOT_KEY\"]" "GET pki/issuer/default"
expect_eq "$(j '.data.certificate')" "$(cat root.pem)" "issuer/default certificate"
req GET pki/issuer/default/json
expect_code 200 "GET pki/issuer/default/json"
expect_ctype application/json "issuer/default/json"
expect_eq "$(j '.data.certificate')" "$(cat root.pem)" "issuer/default/json certificate"
req GET pki/issuer/root-1/pem
expect_code 200 "GET pki/issuer/root-1/pem"
expect_ctype application/pem-file "issuer/:ref/pem"
keep issuer.pem
expect_eq "$(der_of issuer.pem)" "$(der_of root.pem)" "issuer/:ref/pem is the root"
req GET pki/issuer/default/der
expect_code 200 "GET pki/issuer/default/der"
expect_ctype application/pkix-cert "issuer/default/der"
keep issuer.der
is_der_cert issuer.der "issuer/default/der"
expect_eq "$(md5sum < issuer.der)" "$(der_of root.pem)" "issuer/default/der is the root"

req GET "pki/cert/$SERIAL"
expect_code 200 "GET pki/cert/:serial"
expect_envelope "GET pki/cert/:serial"
expect_eq "$(j '.data.certificate')" "$(cat leaf.pem)" "cert/:serial certificate"
expect_eq "$(j '.data.revocation_time')" 0 "cert/:serial not revoked yet"
req GET "pki/cert/$SERIAL/raw"
expect_code 200 "GET pki/cert/:serial/raw"
expect_ctype application/pkix-cert "cert/:serial/raw"
keep leaf.der
is_der_cert leaf.der "cert/:serial/raw"
expect_eq "$(md5sum < leaf.der)" "$(der_of leaf.pem)" "cert/:serial/raw is the certificate"
req GET "pki/cert/$SERIAL/raw/pem"
expect_code 200 "GET pki/cert/:serial/raw/pem"
expect_ctype application/pem-file "cert/:serial/raw/pem"
keep leaf-raw.pem
expect_eq "$(der_of leaf-raw.pem)" "$(der_of leaf.pem)" "cert/:serial/raw/pem is the certificate"
req LIST pki/certs
expect_code 200 "LIST pki/certs"
in_keys "$SERIAL" "LIST pki/certs"
in_keys "$(serial_of signed.pem)" "LIST pki/certs"
in_keys "$(serial_of root.pem)" "LIST pki/certs"

section "ca, ca/pem, ca_chain, crl, crl/pem, crl/rotate, tidy"
req GET pki/ca
expect_code 200 "GET pki/ca"
expect_ctype application/pkix-cert "pki/ca"
keep ca.der
is_der_cert ca.der "pki/ca"
expect_eq "$(md5sum < ca.der)" "$(der_of root.pem)" "pki/ca is the root"
req GET pki/ca/pem
expect_code 200 "GET pki/ca/pem"
expect_ctype application/pem-file "pki/ca/pem"
keep ca.pem
expect_eq "$(der_of ca.pem)" "$(der_of root.pem)" "pki/ca/pem is the root"
req GET pki/ca_chain
expect_code 200 "GET pki/ca_chain"
keep ca_chain.pem
has "$(cat ca_chain.pem)" "$(sed -n 2p root.pem)" "ca_chain holds the root"
req GET pki/crl
expect_code 200 "GET pki/crl"
expect_ctype application/pkix-crl "pki/crl"
keep crl0.der
if openssl crl -inform DER -in crl0.der -noout -issuer >"$WORK/v.out" 2>&1; then ok; else fail "pki/crl is not a DER CRL: $(cat "$WORK/v.out")"; fi
has "$(cat "$WORK/v.out")" "CN = HTTP Root" "pki/crl issuer"
req GET pki/crl/pem
expect_code 200 "GET pki/crl/pem"
expect_ctype application/x-pem-file "pki/crl/pem"
keep crl0.pem
has "$(head -1 crl0.pem)" "-----BEGIN X509 CRL-----" "pki/crl/pem"
req GET pki/crl/rotate
expect_code 200 "GET pki/crl/rotate"
expect_eq "$(j '.data.success')" true "crl/rotate success"
req POST pki/tidy '{"tidy_cert_store":true,"tidy_revoked_certs":true,"safety_buffer":"1h"}'
case $CODE in 200|202) ok ;; *) fail "POST pki/tidy: expected 200 or 202, got $CODE: $(body)" ;; esac
tidy_state=
for _ in $(seq 1 50); do
  req GET pki/tidy-status
  tidy_state=$(jq -r '.data.state // ""' "$WORK/body" 2>/dev/null || true)
  [ "$tidy_state" = Running ] || break
  sleep 0.1
done
expect_code 200 "GET pki/tidy-status"
expect_eq "$tidy_state" Finished "tidy-status state"
expect_eq "$(j '[.data.tidy_cert_store, .data.tidy_revoked_certs, .data.safety_buffer] | @json')" '[true,true,3600]' "tidy-status echoes the request"
req LIST pki/certs
in_keys "$SERIAL" "LIST pki/certs after tidy (safety buffer 1h keeps unexpired certificates)"

section "intermediate on a second mount"
req POST pki_int/intermediate/generate/internal '{"common_name":"HTTP Intermediate","key_type":"ec"}'
expect_code 200 "POST pki_int/intermediate/generate/internal"
j '.data.csr' > int.csr
if openssl req -in int.csr -noout -verify >"$WORK/v.out" 2>&1; then ok; else fail "intermediate CSR: $(cat "$WORK/v.out")"; fi
req POST pki/root/sign-intermediate "$(jq -n --rawfile csr int.csr '{csr: $csr, common_name: "HTTP Intermediate", ttl: "8760h"}')"
expect_code 200 "POST pki/root/sign-intermediate"
j '.data.certificate' > int.pem
has "$(text int.pem)" "CA:TRUE" "the intermediate is a CA"
if openssl verify -CAfile root.pem int.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify int.pem: $(cat "$WORK/v.out")"; fi
req POST pki_int/intermediate/set-signed "$(jq -n --rawfile c int.pem '{certificate: $c}')"
expect_code 200 "POST pki_int/intermediate/set-signed"
expect_eq "$(j '.data.imported_issuers | length')" 1 "set-signed imported one issuer"
req GET pki_int/ca/pem
keep int-ca.pem
expect_eq "$(der_of int-ca.pem)" "$(der_of int.pem)" "pki_int/ca/pem is the signed intermediate"
req POST pki_int/roles/leaf '{"allowed_domains":"example.com","allow_subdomains":true,"key_type":"ec"}'
req POST pki_int/issue/leaf '{"common_name":"svc.example.com"}'
expect_code 200 "POST pki_int/issue/leaf"
j '.data.certificate' > int-leaf.pem
# The root is not in pki_int (set-signed was given the intermediate alone): the chain is the intermediate.
j '.data.ca_chain[0]' > int-chain0.pem
expect_eq "$(der_of int-chain0.pem)" "$(der_of int.pem)" "pki_int issue: ca_chain starts with the intermediate"
expect_eq "$(j '.data.issuing_ca')" "$(cat int.pem)" "pki_int issue: issuing_ca is the intermediate"
near "$(lifetime int-leaf.pem)" 7230 5 "pki_int issue: the mount's default_lease_ttl (2h)"
if openssl verify -CAfile root.pem -untrusted int.pem int-leaf.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify int-leaf.pem: $(cat "$WORK/v.out")"; fi

# ---- 3. verify with the URLs written into the certificate ---------------------------------------
section "openssl verify with the CA and the CRL from the certificate's URLs"
req_anon GET pki/ca/pem
keep trust.pem
if openssl verify -CAfile trust.pem leaf.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify -CAfile (pki/ca/pem) leaf.pem: $(cat "$WORK/v.out")"; fi
leaf_text=$(text leaf.pem)
cdp=$(sed -n '/X509v3 CRL Distribution Points/,/X509v3 [^C]/p' <<<"$leaf_text" | grep -o 'URI:[^ ]*' | head -n1 | cut -c5-) || cdp=
aia=$(grep -o 'CA Issuers - URI:[^ ]*' <<<"$leaf_text" | head -n1 | sed 's/^CA Issuers - URI://') || aia=
expect_eq "$cdp" "$ADDR/v1/pki/crl" "the certificate's CRL distribution point"
expect_eq "$aia" "$ADDR/v1/pki/ca" "the certificate's CA issuers URL"
fetch() {  # fetch URL FILE: GET without a token; prints "STATUS CONTENT_TYPE"
  echo . >> "$WORK/.requests"
  curl -s -o "$2" -w '%{http_code} %{content_type}' "$1" || echo "curl-failed"
}
expect_eq "$(fetch "$aia" aia.der)" "200 application/pkix-cert" "GET the CA issuers URL"
expect_eq "$(md5sum < aia.der)" "$(der_of root.pem)" "the CA issuers URL serves the root"
expect_eq "$(fetch "$cdp" crl1.der)" "200 application/pkix-crl" "GET the CRL distribution point"
_checked "openssl crl -inform DER crl1.der" openssl crl -inform DER -in crl1.der -out crl1.pem || true
if openssl verify -crl_check -CAfile trust.pem -CRLfile crl1.pem leaf.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify -crl_check before revocation: $(cat "$WORK/v.out")"; fi

req POST pki/revoke "{\"serial_number\":\"$SERIAL\"}"
expect_code 200 "POST pki/revoke"
expect_eq "$(j '.data.state')" revoked "revoke: state"
near "$(j '.data.revocation_time')" "$(date +%s)" 5 "revoke: revocation_time"
req_anon GET "pki/cert/$SERIAL"
expect_code 200 "GET pki/cert/:serial of a revoked certificate (no token)"
expect_eq "$(j '.data.revocation_time > 0')" true "cert/:serial shows the revocation"
expect_eq "$(fetch "$cdp" crl2.der)" "200 application/pkix-crl" "GET the CRL distribution point after revoking"
_checked "openssl crl -inform DER crl2.der" openssl crl -inform DER -in crl2.der -out crl2.pem || true
rc=0; openssl verify -crl_check -CAfile trust.pem -CRLfile crl2.pem leaf.pem >"$WORK/v.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -q "certificate revoked" "$WORK/v.out"; then ok; else fail "openssl verify -crl_check after revocation (exit $rc): $(cat "$WORK/v.out")"; fi
# The other certificate of the same issuer still passes with the same CRL.
if openssl verify -crl_check -CAfile trust.pem -CRLfile crl2.pem signed.pem >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify -crl_check of an unrevoked certificate: $(cat "$WORK/v.out")"; fi

# ---- 4. errors -----------------------------------------------------------------------------------
section "errors"
req GET pki/nosuch/path
expect_error 404 "GET an unknown path" "pki/nosuch/path"
req GET nosuchmount/roles/web
expect_error 404 "GET a path under a mount that does not exist"
_req "X-Vault-Token: $TOKEN" GET ../v2/pki/ca
expect_error 404 "GET a path outside /v1/"
req DELETE pki/issue/web
expect_error 405 "DELETE pki/issue/web"
req GET pki/issue/web
expect_error 405 "GET pki/issue/web"
req LIST pki/ca
expect_error 405 "LIST pki/ca"
req POST pki/roles/bad 'not json'
expect_error 400 "a body that is not JSON"
req POST pki/roles/bad '["a","b"]'
expect_error 400 "a JSON body that is not an object"
req GET pki/roles/bad
expect_error 404 "the refused role was not written"
req POST pki/issue/web '{"common_name":"www.other.org"}'
expect_error 400 "a name the role refuses" "www.other.org"
has "$(jq -r '.errors[0]' "$WORK/body" 2>/dev/null || true)" "not allowed by role \"web\"" "the role's refusal"
req GET pki/roles/nosuch
expect_error 404 "GET pki/roles/nosuch"
req GET pki/cert/00:11:22
expect_error 404 "GET pki/cert/:serial of an unknown serial"
req POST sys/mounts/empty '{"type":"pki"}'
req LIST empty/roles
expect_error 404 "LIST of no roles"
expect_eq "$(j '.errors | @json')" '[]' "an empty LIST answers {\"errors\":[]}"
req GET 'empty/roles?list=true'
expect_error 404 "GET ?list=true of no roles"
expect_eq "$(j '.errors | @json')" '[]' "an empty GET ?list=true answers {\"errors\":[]}"
req LIST empty/keys
expect_error 404 "LIST of no keys"
req FOO pki/roles/web
expect_error 405 "method FOO"
# HEAD, on a raw socket (curl waits for a body a HEAD answer must not have): 405, X-Request-Id,
# and no body after the header block (RFC 9110 9.3.2), or a kept-alive connection is corrupted.
echo . >> "$WORK/.requests"
head_out=$(python3 - "$PORT" <<'EOF'
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"HEAD /v1/pki/ca/pem HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
s.settimeout(0.5)
try:
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
except socket.timeout:
    pass
head, _, rest = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
status = lines[0].split(" ")[1] if lines and " " in lines[0] else "?"
rid = any(l.lower().startswith("x-request-id:") for l in lines[1:])
print(status, "rid" if rid else "no-rid", len(rest))
EOF
) || head_out="python failed"
expect_eq "$head_out" "405 rid 0" "HEAD /v1/pki/ca/pem: status, X-Request-Id, body bytes"

# ---- 5. authentication ---------------------------------------------------------------------------
section "tokens: none, wrong, Bearer"
req GET auth/token/lookup-self
expect_code 200 "lookup-self of the root token"
ROOT_ACCESSOR=$(j '.data.accessor')
expect_eq "$(j '.data.policies | @json')" '["root"]' "root token policies"

before=$(state_dump)
req LIST pki/certs
certs_before=$(j '.data.keys | length')
for who in anon wrong; do
  if [ $who = anon ]; then r=req_anon; else r="req_as hvs.wrongwrongwrongwrongwrong"; fi
  $r POST pki/roles/evil '{"allowed_domains":"example.com","allow_subdomains":true}'
  expect_denied "roles write ($who token)"
  $r POST pki/issue/web '{"common_name":"evil.example.com"}'
  expect_denied "issue ($who token)"
  $r POST sys/mounts/evil '{"type":"pki"}'
  expect_denied "sys/mounts write ($who token)"
  $r GET sys/mounts
  expect_denied "sys/mounts read ($who token)"
  $r LIST pki/roles
  expect_denied "LIST pki/roles ($who token)"
  $r POST pki/revoke "{\"serial_number\":\"$(serial_of signed.pem)\"}"
  expect_denied "revoke ($who token)"
  $r DELETE pki/roles/web
  expect_denied "roles delete ($who token)"
  $r GET pki/nosuch/path
  expect_denied "an unknown path ($who token): permission denied, as Vault"
done
after=$(state_dump)
expect_eq "$after" "$before" "the refused requests changed nothing in the state"
req GET pki/roles/evil
expect_error 404 "the refused role write left no role"
req GET pki/roles/web
expect_code 200 "the refused delete left the role"
req LIST pki/certs
expect_eq "$(j '.data.keys | length')" "$certs_before" "the refused issue stored no certificate"
req GET sys/mounts
expect_eq "$(j '.data | has("evil/")')" false "the refused sys/mounts write made no mount"
req GET "pki/cert/$(serial_of signed.pem)"
expect_eq "$(j '.data.revocation_time')" 0 "the refused revoke revoked nothing"

req_bearer "$TOKEN" GET pki/roles/web
expect_code 200 "GET pki/roles/web with Authorization: Bearer <root>"
req_bearer "$TOKEN" POST pki/roles/bearer '{"allowed_domains":"example.com"}'
case $CODE in 200|204) ok ;; *) fail "POST pki/roles/bearer with Bearer: expected 200 or 204, got $CODE: $(body)" ;; esac
req_bearer "$TOKEN" DELETE pki/roles/bearer
expect_code 204 "DELETE with Bearer"
req_bearer hvs.wrongwrongwrongwrongwrong GET pki/roles/web
expect_denied "a wrong Bearer token"

section "unauthenticated paths"
for p in pki/ca pki/ca/pem pki/ca_chain pki/crl pki/crl/pem "pki/cert/$SERIAL" pki/issuer/default/pem pki/issuer/default/der \
  pki/issuer/default/json pki/issuer/default/crl sys/health; do
  req_anon GET "$p"
  expect_code 200 "GET $p without a token"
  if [ "$(wc -c < "$WORK/body")" -gt 0 ]; then ok; else fail "GET $p without a token: empty body"; fi
done
req_anon GET pki/issuer/default/crl
has "$(j '.data.crl')" "-----BEGIN X509 CRL-----" "issuer/default/crl without a token"

section "auth/token/*"
req POST auth/token/create '{"ttl":"1h","display_name":"ci"}'
expect_code 200 "POST auth/token/create"
expect_envelope "auth/token/create"
keep ci.json
CI=$(j '.auth.client_token' ci.json)
CI_ACCESSOR=$(j '.auth.accessor' ci.json)
expect_eq "${CI:0:4}" "hvs." "created token"
if [ -n "$CI_ACCESSOR" ] && [ "$CI_ACCESSOR" != null ]; then ok; else fail "auth/token/create: no accessor: $(cat ci.json)"; fi
expect_eq "$(j '[.auth.policies, .auth.lease_duration, .auth.renewable, .data] | @json' ci.json)" '[["root"],3600,true,null]' "auth block"
req_as "$CI" LIST pki/roles
expect_code 200 "the new token works"
req_as "$CI" GET auth/token/lookup-self
expect_code 200 "lookup-self"
expect_eq "$(j '[.data.display_name, .data.accessor, .data.creation_ttl] | @json')" "[\"token-ci\",\"$CI_ACCESSOR\",3600]" "lookup-self display_name, accessor, creation_ttl"
ttl=$(j '.data.ttl')
if [[ $ttl =~ ^[0-9]+$ ]] && [ "$ttl" -le 3600 ] && [ "$ttl" -ge 3590 ]; then ok; else fail "lookup-self ttl: '$ttl'"; fi
req_as "$CI" POST auth/token/renew-self '{}'
expect_code 200 "renew-self"
expect_eq "$(j '[.auth.client_token == "'"$CI"'", .auth.accessor, .auth.lease_duration] | @json')" "[true,\"$CI_ACCESSOR\",3600]" "renew-self auth block"

req POST auth/token/create '{"policies":["default"],"ttl":"1h"}'
expect_code 200 "create a token with policies [default]"
DEF=$(j '.auth.client_token')
DEF_ACCESSOR=$(j '.auth.accessor')
expect_eq "$(j '.auth.policies | @json')" '["default"]' "default token policies"
req_as "$DEF" GET auth/token/lookup-self
expect_code 200 "a default token can lookup-self"
expect_eq "$(j '.data.policies | @json')" '["default"]' "lookup-self of the default token"
req_as "$DEF" POST auth/token/renew-self '{}'
expect_code 200 "a default token can renew-self"
req_as "$DEF" GET pki/roles/web
expect_denied "a default token reads a role" 'permission denied: no policy of this token grants "read" on "pki/roles/web"'
req_as "$DEF" POST pki/issue/web '{"common_name":"def.example.com"}'
expect_denied "a default token issues" 'permission denied: no policy of this token grants "update" on "pki/issue/web"'
req_as "$DEF" POST auth/token/create '{}'
expect_denied "a default token creates a token" 'permission denied: no policy of this token grants "update" on "auth/token/create"'
req_as "$DEF" GET sys/mounts
expect_denied "a default token reads sys/mounts" 'permission denied: no policy of this token grants "read" on "sys/mounts"'

req_as "$CI" POST auth/token/revoke-self
expect_code 204 "revoke-self"
req_as "$CI" LIST pki/roles
expect_denied "the revoked token"
req_as "$CI" GET auth/token/lookup-self
expect_denied "lookup-self of the revoked token"

req POST auth/token/create '{"ttl":"2s"}'
SHORT=$(j '.auth.client_token')
expect_eq "$(j '.auth.lease_duration')" 2 "a 2 s token"
req_as "$SHORT" LIST pki/roles
expect_code 200 "the 2 s token works at once"
sleep 3
req_as "$SHORT" LIST pki/roles
expect_denied "the 2 s token after 3 s"

LOCAL=$(_checked "pki token create -ttl=1h -field=token" "$PKI" token create -ttl=1h -field=token) || LOCAL=
expect_eq "${LOCAL:0:4}" "hvs." "pki token create -field=token"
req_as "$LOCAL" LIST pki/roles
expect_code 200 "the running server accepts a token minted by the local CLI"
req_as "$LOCAL" GET auth/token/lookup-self
expect_code 200 "lookup-self of the CLI token"
near "$(j '.data.ttl')" 3600 10 "the CLI token's ttl"

section "only hashes are stored"
for t in "$TOKEN" "$CI" "$DEF" "$SHORT" "$LOCAL"; do
  expect_eq "$(count_in "$WORK/state/data.mdb" "$t")" 0 "a token's text in data.mdb (${t:0:8}...)"
done
expect_eq "$(count_in "$WORK/state/data.mdb" "hvs.")" 0 "no token text at all in data.mdb"
# The search itself finds what is stored in clear: an accessor is.
n=$(count_in "$WORK/state/data.mdb" "$DEF_ACCESSOR")
if [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ]; then ok; else fail "grep finds no accessor in data.mdb either ('$n'): the check above proves nothing"; fi
expect_eq "$(count_in "$WORK/serve.err" "hvs.")" 0 "the root token is not printed when --root-token-file is given"

# ---- 6. the access log ---------------------------------------------------------------------------
section "access log"
req GET pki/roles/log-marker-root
req_anon GET pki/roles/log-marker-anon
req_as "$DEF" POST auth/token/revoke-self
expect_code 204 "revoke-self of the default token"
sleep 0.2   # a line is written once its answer is sent
if jq -e . "$WORK/access.log" >/dev/null 2>&1; then ok; else fail "the access log is not JSON lines: $(head -c 400 "$WORK/access.log")"; fi
total=$(grep -c . "$WORK/access.log" || true)
parsed=$(jq -c . "$WORK/access.log" 2>/dev/null | grep -c . || true)
expect_eq "$parsed" "$total" "every access-log line is one JSON object"
bad=$(jq -c 'select(has("method")) | select((has("time") and has("remote") and has("method") and has("path") and has("status") and has("duration_ms")) | not)' "$WORK/access.log" 2>/dev/null || echo "jq failed")
expect_eq "$bad" "" "every request line has time, remote, method, path, status, duration_ms"
reqs=$(jq -c 'select(has("method"))' "$WORK/access.log" 2>/dev/null | grep -c . || true)
expect_eq "$reqs" "$(_count "$WORK/.requests")" "one access-log line per request made"

l=$(log_lines /v1/pki/roles/log-marker-root 2>/dev/null || true)
expect_eq "$(grep -c . <<<"$l" || true)" 1 "one access-log line for one request"
expect_eq "$(jq -c '[.method, .status, .accessor, (.duration_ms|type), (.remote|startswith("127.0.0.1:")), (.time|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))]' <<<"$l" 2>/dev/null || true)" \
  "[\"GET\",404,\"$ROOT_ACCESSOR\",\"number\",true,true]" "the access-log line of a root request"
l=$(log_lines /v1/pki/roles/log-marker-anon 2>/dev/null || true)
expect_eq "$(jq -c '[.method, .status, has("accessor")]' <<<"$l" 2>/dev/null || true)" '["GET",403,false]' "the access-log line of a request without a token"
l=$(log_lines /v1/auth/token/create 2>/dev/null | head -n1 || true)
expect_eq "$(jq -r '.accessor' <<<"$l" 2>/dev/null || true)" "$ROOT_ACCESSOR" "token/create is logged with its caller's accessor"
l=$(jq -c 'select(.path == "/v1/pki/roles" and .method == "LIST" and .accessor == "'"$CI_ACCESSOR"'")' "$WORK/access.log" 2>/dev/null | head -n1 || true)
expect_eq "$(jq -r '.status' <<<"$l" 2>/dev/null || true)" 200 "a created token's requests are logged with its accessor"
# revoke-self is an authenticated request: its line names the token that made it, even though
# the token no longer exists once the answer is sent.
l=$(jq -c 'select(.path == "/v1/auth/token/revoke-self" and .status == 204)' "$WORK/access.log" 2>/dev/null || true)
expect_eq "$(jq -r '.accessor // "none"' <<<"$l" 2>/dev/null | sort | tr '\n' ' ' || true)" "$(printf '%s\n' "$CI_ACCESSOR" "$DEF_ACCESSOR" | sort | tr '\n' ' ')" \
  "revoke-self lines carry the revoked token's accessor"
l=$(jq -c 'select(.path == "/v1/pki/ca/pem" and .method == "GET")' "$WORK/access.log" 2>/dev/null | head -n1 || true)
expect_eq "$(jq -r '.status' <<<"$l" 2>/dev/null || true)" 200 "raw paths are logged"
l=$(jq -c 'select(.method == "FOO")' "$WORK/access.log" 2>/dev/null || true)
expect_eq "$(jq -r '.status' <<<"$l" 2>/dev/null || true)" 405 "a FOO request is logged"
expect_eq "$(count_in "$WORK/access.log" "hvs.")" 0 "no token in the access log"
expect_eq "$(count_in "$WORK/access.log" "PRIVATE KEY")" 0 "no private key in the access log"
for t in "$TOKEN" "$CI" "$DEF" "$LOCAL"; do
  expect_eq "$(count_in "$WORK/access.log" "${t#hvs.}")" 0 "a token's text in the access log (${t:0:8}...)"
done

finish
