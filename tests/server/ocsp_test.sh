#!/usr/bin/env bash
# The OCSP responder (RFC 6960) end to end, checked the way a relying party checks it: openssl
# ocsp against pki serve (POST, no token) for an EC root and an RSA root on two mounts, every
# response's signature verified by OpenSSL against the mount's CA: good, revoked (its reason and
# revocation time), unknown (never issued, no_store, a foreign CA's certificate with a serial this
# mount did issue, another mount's certificate), SHA-1 and SHA-256 CertIDs, several certificates
# in one request (up to fifty; over pki's 16 KB limit: malformedRequest), the nonce echoed (and
# none when none is sent), thisUpdate/nextUpdate from config/crl ocsp_expiry; the GET form (base64
# in the path, URL-encoded or not) with curl; malformed requests (400 malformedRequest),
# ocsp_disable and an issuer without the ocsp-signing usage (401 unauthorized), the server still
# up afterwards; the revocation reasons pki revoke takes and those it refuses; the pki ocsp command
# offline (request files DER, PEM or on standard input, --serial, -o, its errors and exit codes)
# and through the server (PKI_ADDR, no token).
#
# Where pki differs from Vault on purpose (Vault's responder parses requests with Go's
# x/crypto/ocsp): Vault answers only the first certificate of a request, never echoes the nonce,
# and answers good for any serial number it has no revocation entry for, issued or not; pki
# answers every certificate asked about, echoes the nonce, and answers unknown for a serial number
# it never stored (no_store certificates, random serials). Those checks are marked "not Vault".
source "$(dirname "$0")/serve_lib.sh"
unset PKI_ADDR VAULT_ADDR
CURL_OPTS=(--max-time 20)

# ---- helpers ------------------------------------------------------------------------------------

# ask NAME MOUNT CA ARGS...: openssl ocsp POSTs a request (ARGS: -issuer/-cert/-serial, -no_nonce...)
# to MOUNT's responder without a token and verifies the response's signature with CA as the trust
# anchor; the request is kept in NAME.req, the response in NAME.der, openssl's report (its summary
# lines, the -resp_text dump and "Response verify OK") in $OUT.
ask() {
  local name=$1 mount=$2 ca=$3; shift 3
  local rc=0
  openssl ocsp -url "$ADDR/v1/$mount/ocsp" -timeout 10 -CAfile "$ca" "$@" -reqout "$name.req" -respout "$name.der" \
    -resp_text > "$WORK/$name.txt" 2>&1 || rc=$?
  OUT=$(cat "$WORK/$name.txt")
  if [ "$rc" -eq 0 ]; then ok; else fail "openssl ocsp $name on $mount (exit $rc): $(grep -v '^ *[0-9a-f][0-9a-f]:' <<<"$OUT" | head -c 900)"; fi
  has "$OUT" "Response verify OK" "openssl ocsp $name: signature"
  hasnt "$OUT" "Nonce Verify error" "openssl ocsp $name"
}
# check_resp NAME FILE CA ARGS...: a saved DER response (FILE) as openssl ocsp reads one: its
# signature verified with CA, the certificates of ARGS (-issuer/-cert) summarised; report in $OUT.
# (pki ocsp --serial names the certificate by SHA-256 hashes of its issuer: ARGS -sha256 before
# -cert match it; openssl ocsp's own requests use SHA-1.)
check_resp() {
  local name=$1 file=$2 ca=$3; shift 3
  local rc=0
  openssl ocsp -respin "$file" -CAfile "$ca" -verify_other "$ca" -no_nonce "$@" -resp_text > "$WORK/$name.txt" 2>&1 || rc=$?
  OUT=$(cat "$WORK/$name.txt")
  if [ "$rc" -eq 0 ]; then ok; else fail "openssl ocsp -respin $file ($name, exit $rc): $(head -c 900 <<<"$OUT")"; fi
  has "$OUT" "Response verify OK" "$name: signature"
}
# nonce_matches NAME REQ RESP CA: openssl's own nonce check of RESP against REQ (-reqin): the
# response carries the request's nonce (openssl says "Nonce Verify error" for a different one and
# "WARNING: no nonce in response" for none).
nonce_matches() {
  local rc=0 out
  out=$(openssl ocsp -respin "$3" -reqin "$2" -CAfile "$4" -verify_other "$4" 2>&1) || rc=$?
  if [ "$rc" -eq 0 ]; then ok; else fail "$1: openssl rejects the response to $2 (exit $rc): $(head -c 400 <<<"$out")"; fi
  hasnt "$out" "no nonce in response" "$1: nonce check"
  hasnt "$out" "Nonce Verify error" "$1: nonce check"
}
# nonce_of TEXT: the hex of the first "OCSP Nonce" extension in an openssl -req_text/-resp_text dump.
nonce_of() { awk '/OCSP Nonce:/ { getline; gsub(/ /, ""); print; exit }' <<<"$1"; }
# block_of TEXT SERIAL: the single response for SERIAL (pki's colon form) in a -resp_text dump, from
# its "Serial Number:" line to the next certificate or the response's extensions. openssl prints
# the serial in upper case without colons or leading zeros.
block_of() {
  local want; want=$(bare "$2" | sed 's/^0*//')
  awk -v s="$want" '
    /Serial Number:/ { v = $3; sub(/^0+/, "", v); on = (v == s) }
    /Certificate ID:|Response Extensions:|Signature Algorithm:/ { on = 0 }
    on' <<<"$1"
}
# time_in TEXT LABEL: the date after "LABEL: " (first occurrence), in Unix seconds.
time_in() {
  local v; v=$(sed -n "s/^ *$2: //p" <<<"$1" | head -n1)
  epoch "$v"
}
# http_ocsp NAME METHOD URL_TAIL [BODY_FILE]: curl to the responder without a token; sets CODE and
# CTYPE, the body in NAME.der. A POST sends BODY_FILE as application/ocsp-request.
http_ocsp() {
  local name=$1 m=$2 tail=$3 out rc=0
  local args=(-s --max-time 20 -X "$m" -o "$name.der" -w '%{http_code} %{content_type}')
  [ "$m" = POST ] && args+=(-H "Content-Type: application/ocsp-request" --data-binary "@$4")
  out=$(curl "${args[@]}" "$ADDR/v1/$tail") || rc=$?
  if [ "$rc" -ne 0 ]; then fail "curl -X $m $ADDR/v1/$tail failed (exit $rc)"; CODE=000 CTYPE=; return 0; fi
  CODE=${out%% *} CTYPE=${out#* }
}
# expect_ocsp_error NAME HTTP_CODE OCSP_STATUS: the last http_ocsp answered HTTP_CODE with a bare
# OCSP response of OCSP_STATUS (openssl's lower-case name, e.g. malformedrequest, unauthorized).
expect_ocsp_error() {
  expect_eq "$CODE" "$2" "$1: HTTP status"
  expect_eq "$CTYPE" application/ocsp-response "$1: Content-Type"
  local out; out=$(openssl ocsp -respin "$1.der" -resp_text -noverify 2>&1) || true
  has "$out" "Responder Error: $3" "$1: the OCSP response status"
}
# urlenc TEXT: TEXT percent-encoded for a URL path segment (base64's +, / and = included).
urlenc() { _checked "urlenc" jq -rn --arg s "$1" '$s | @uri'; }
# jqf FILE FILTER: jq -er FILTER over a -format=json output (jq starts far faster than python3).
jqf() { _checked "jq '$2' on $1" jq -er "$2" "$1"; }
health_ok() {
  local code; code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$ADDR/v1/sys/health") || code=000
  expect_eq "$code" 200 "sys/health after $1"
}
# issue ROLE CN FILE_BASE [MOUNT]: issue with the CLI; FILE_BASE.json, FILE_BASE.pem; prints the serial.
issue() {
  local mount=${4:-pki}
  _checked "issue $2 on $mount" "$PKI" write -format=json "$mount/issue/$1" common_name="$2" > "$3.json" || return 1
  jqf "$3.json" .data.certificate > "$3.pem" || return 1
  jqf "$3.json" .data.serial_number
}
revoke() {  # revoke MOUNT SERIAL [REASON]: prints the revocation_time
  local args=("$1/revoke" serial_number="$2"); [ $# -ge 3 ] && args+=(reason="$3")
  _checked "revoke $2 on $1 ${3:-}" "$PKI" write -format=json "${args[@]}" > "$WORK/rev.json" || return 1
  jqf "$WORK/rev.json" .data.revocation_time
}

# ---- 1. two CAs set up with the CLI: an EC root on pki, an RSA root on rsa ------------------------
section "set-up: EC root on pki, RSA root on rsa, a foreign CA made by openssl"
"$PKI" secrets enable --max-lease-ttl 87600h pki > /dev/null
"$PKI" write -format=json pki/root/generate/internal common_name="EC Root" key_type=ec ttl=8760h > root.json
jqf root.json .data.certificate > ca.pem
"$PKI" write pki/roles/web allow_any_name=true ttl=24h key_type=ec > /dev/null
"$PKI" write pki/roles/eph allow_any_name=true ttl=24h key_type=ec no_store=true > /dev/null
S_GOOD=$(issue web good.example.com good)
S_REV=$(issue web revoked.example.com revoked)
S_NOREASON=$(issue web noreason.example.com noreason)
S_EPH=$(issue eph eph.example.com eph)                 # no_store: never stored, never revoked
S_EPHREV=$(issue eph eph-revoked.example.com ephrev)  # no_store, revoked by its PEM
RT_REV=$(revoke pki "$S_REV" keyCompromise)
RT_NOREASON=$(revoke pki "$S_NOREASON")
"$PKI" revoke --certificate @ephrev.pem --reason superseded -format=json > ephrev-revoke.json

"$PKI" secrets enable --path rsa --max-lease-ttl 87600h pki > /dev/null
"$PKI" write -format=json rsa/root/generate/internal common_name="RSA Root" key_type=rsa key_bits=2048 ttl=8760h > rsa-root.json
jqf rsa-root.json .data.certificate > rsa-ca.pem
"$PKI" write rsa/roles/web allow_any_name=true ttl=24h key_type=rsa key_bits=2048 > /dev/null
R_GOOD=$(issue web good.rsa.example.com rgood rsa)
R_REV=$(issue web revoked.rsa.example.com rrev rsa)
RT_RREV=$(revoke rsa "$R_REV" cessationOfOperation)

# A CA pki never saw, whose leaf reuses the serial number of pki's good certificate: a responder
# that looked at the serial alone would call it good.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign.key -out foreign.pem \
  -subj "/CN=Foreign Root" -days 30 2> /dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout fleaf.key -out fleaf.csr \
  -subj "/CN=foreign.example.com" 2> /dev/null
openssl x509 -req -in fleaf.csr -CA foreign.pem -CAkey foreign.key -set_serial "0x$(bare "$S_GOOD")" -days 30 \
  -out fleaf.pem 2> /dev/null
expect_eq "$(serial_of fleaf.pem)" "$S_GOOD" "the foreign leaf has the serial of pki's good certificate"

# ---- 2. revocation reasons ----------------------------------------------------------------------
section "revocation reasons: the RFC 5280 names taken, others refused"
REASONS=(unspecified keyCompromise cACompromise affiliationChanged superseded cessationOfOperation privilegeWithdrawn aACompromise)
# Their reasonCode values; OpenSSL 3.0 prints no name for 9 and 10 ("(UNKNOWN) (0x9)").
declare -A CODE_OF=([unspecified]=0 [keyCompromise]=1 [cACompromise]=2 [affiliationChanged]=3 [superseded]=4
  [cessationOfOperation]=5 [privilegeWithdrawn]=9 [aACompromise]=a)
declare -A S_OF RT_OF
for r in "${REASONS[@]}"; do
  S_OF[$r]=$(issue web "$r.example.com" "reason-$r")
  RT_OF[$r]=$(revoke pki "${S_OF[$r]}" "$r")
done
# certificateHold and removeFromCRL are RFC 5280 codes but not revocations (a hold is undone by
# removeFromCRL); the rest are not reasons at all. Each is refused and revokes nothing.
S_KEPT=$(issue web kept.example.com kept)
for r in certificateHold removeFromCRL bogus keycompromise_ 1; do
  expect_refused 1 "$PKI" write pki/revoke serial_number="$S_KEPT" reason="$r"
  expect_err_contains "reason"
done
expect_refused 1 "$PKI" revoke --serial-number "$S_KEPT" --reason certificateHold
"$PKI" list -format=json pki/certs/revoked > revoked-list.json
expect_eq "$(jq -r --arg s "$S_KEPT" '.data.keys | index($s)' revoked-list.json)" null "a refused reason revoked nothing"

# ---- 3. the offline pki ocsp command ---------------------------------------------------------------
section "pki ocsp: request files (DER, PEM, standard input), --serial, -o"
openssl ocsp -issuer ca.pem -cert good.pem -cert revoked.pem -cert eph.pem -reqout cli.req > /dev/null 2>&1
expect_ok "$PKI" ocsp --request cli.req -o cli.der
expect_err_contains "$S_GOOD: good"
expect_err_contains "$S_REV: revoked"
expect_err_contains "$S_EPH: unknown"
expect_eq "$(wc -c < "$WORK/out")" 0 "pki ocsp -o: nothing on standard output"
expect_eq "$(stat -c %a cli.der)" 644 "pki ocsp -o: the file's mode"
check_resp cli cli.der ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem -cert eph.pem
has "$OUT" "good.pem: good" "pki ocsp response"
has "$OUT" "revoked.pem: revoked" "pki ocsp response"
has "$OUT" "eph.pem: unknown" "pki ocsp response"
has "$(block_of "$OUT" "$S_REV")" "Revocation Reason: keyCompromise" "pki ocsp response: the revoked certificate"
nonce_matches "pki ocsp --request" cli.req cli.der ca.pem

# The DER response on standard output; the same answers.
expect_ok "$PKI" ocsp --request cli.req
save cli-stdout.der
check_resp cli-stdout cli-stdout.der ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem
has "$OUT" "good.pem: good" "pki ocsp to standard output"
has "$OUT" "revoked.pem: revoked" "pki ocsp to standard output"

# A PEM request (as some tools write them), and a request on standard input.
{ echo "-----BEGIN OCSP REQUEST-----"; base64 -w 64 cli.req; echo "-----END OCSP REQUEST-----"; } > cli-req.pem
expect_ok "$PKI" ocsp --request cli-req.pem -o cli-pem.der
expect_err_contains "$S_GOOD: good"
expect_err_contains "$S_REV: revoked"
nonce_matches "pki ocsp --request PEM" cli.req cli-pem.der ca.pem
expect_ok "$PKI" ocsp --request - -o cli-stdin.der < cli.req
expect_err_contains "$S_REV: revoked"
nonce_matches "pki ocsp --request -" cli.req cli-stdin.der ca.pem

# --serial: a response for one serial number, any spelling; another mount with -m.
expect_ok "$PKI" ocsp --serial "$S_REV" -o serial.der
expect_err_contains "$S_REV: revoked"
check_resp serial serial.der ca.pem -issuer ca.pem -sha256 -cert revoked.pem
has "$OUT" "revoked.pem: revoked" "pki ocsp --serial"
expect_ok "$PKI" ocsp --serial "$(tr 'a-f:' 'A-F-' <<<"$S_GOOD")" -o serial2.der
expect_err_contains "$S_GOOD: good"
expect_ok "$PKI" ocsp --serial 01:23:45:67:89:ab:cd:ef -o serial3.der
expect_err_contains "01:23:45:67:89:ab:cd:ef: unknown"
check_resp serial3 serial3.der ca.pem
has "$OUT" "Cert Status: unknown" "pki ocsp --serial of a serial never issued (not Vault: good)"
expect_ok "$PKI" ocsp -m rsa --serial "$R_REV" -o rserial.der
expect_err_contains "$R_REV: revoked"
check_resp rserial rserial.der rsa-ca.pem -issuer rsa-ca.pem -sha256 -cert rrev.pem
has "$OUT" "rrev.pem: revoked" "pki ocsp -m rsa --serial"
has "$OUT" "Reason: cessationOfOperation" "pki ocsp -m rsa --serial"

section "pki ocsp: refusals"
printf 'not an OCSP request\n' > garbage.req
expect_refused 1 "$PKI" ocsp --request garbage.req
openssl x509 -in good.pem -outform DER -out good.der
expect_refused 1 "$PKI" ocsp --request good.der          # DER, but a certificate
: > empty.req
expect_refused 1 "$PKI" ocsp --request empty.req
expect_refused 1 "$PKI" ocsp --request no-such-file.req
printf -- '-----BEGIN OCSP REQUEST-----\nMIIB\n' > truncated.pem
expect_refused 1 "$PKI" ocsp --request truncated.pem
expect_refused 1 "$PKI" ocsp -m nomount --serial "$S_GOOD"
expect_refused 1 "$PKI" ocsp --serial "not a serial"
expect_refused 2 "$PKI" ocsp
expect_refused 2 "$PKI" ocsp --request cli.req --serial "$S_GOOD"
expect_refused 2 "$PKI" ocsp --no-such-option
"$PKI" write pki/config/crl ocsp_disable=true > /dev/null
expect_refused 1 "$PKI" ocsp --serial "$S_GOOD"
expect_err_contains "ocsp_disable"
"$PKI" write pki/config/crl ocsp_disable=false > /dev/null
expect_ok "$PKI" ocsp --serial "$S_GOOD" -o /dev/null
expect_err_contains "$S_GOOD: good"

# ---- 4. pki serve: openssl ocsp over POST, without a token ------------------------------------------
start_server
section "POST: good, revoked, unknown on the EC root, signature verified"
NOW=$(date +%s)
ask good pki ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "good.pem: good" "good certificate"
has "$OUT" "Responder Id: CN = EC Root" "good certificate: the responder is the issuer"
has "$OUT" "Signature Algorithm: ecdsa-with-SHA256" "EC root's response"
B=$(block_of "$OUT" "$S_GOOD")
has "$B" "Cert Status: good" "good certificate"
near "$(time_in "$B" "This Update")" "$NOW" 5 "thisUpdate is now"
expect_eq "$(( $(time_in "$B" "Next Update") - $(time_in "$B" "This Update") ))" 43200 "nextUpdate - thisUpdate (ocsp_expiry 12h)"
has "$OUT" "OCSP Nonce" "the nonce openssl sent is echoed (not Vault)"
nonce_matches "POST good" good.req good.der ca.pem
expect_eq "$(nonce_of "$OUT")" "$(nonce_of "$(openssl ocsp -reqin good.req -req_text 2>&1)")" "the response's nonce is the request's"

ask revoked pki ca.pem -issuer ca.pem -cert revoked.pem
has "$OUT" "revoked.pem: revoked" "revoked certificate"
B=$(block_of "$OUT" "$S_REV")
has "$B" "Cert Status: revoked" "revoked certificate"
has "$B" "Revocation Reason: keyCompromise (0x1)" "revoked certificate: its reason"
expect_eq "$(time_in "$B" "Revocation Time")" "$RT_REV" "revoked certificate: revocation time is revoke's revocation_time"

ask noreason pki ca.pem -issuer ca.pem -cert noreason.pem
B=$(block_of "$OUT" "$S_NOREASON")
has "$B" "Cert Status: revoked" "revoked without a reason"
hasnt "$B" "Revocation Reason" "revoked without a reason: no reason in the answer"
expect_eq "$(time_in "$B" "Revocation Time")" "$RT_NOREASON" "revoked without a reason: revocation time"

ask eph pki ca.pem -issuer ca.pem -cert eph.pem
has "$OUT" "eph.pem: unknown" "a no_store certificate is unknown (not Vault: good)"
ask ephrev pki ca.pem -issuer ca.pem -cert ephrev.pem
has "$OUT" "ephrev.pem: revoked" "a no_store certificate revoked by its PEM"
has "$(block_of "$OUT" "$S_EPHREV")" "Revocation Reason: superseded" "a no_store certificate revoked by its PEM: reason"
ask random pki ca.pem -issuer ca.pem -serial 0x7E57ABCDEF0123456789
has "$OUT" "0x7E57ABCDEF0123456789: unknown" "a serial never issued is unknown (not Vault: good)"

# A request naming the issuer by SHA-256 hashes (openssl's default is SHA-1): answered in kind.
ask sha256 pki ca.pem -issuer ca.pem -sha256 -cert revoked.pem
has "$OUT" "revoked.pem: revoked" "a SHA-256 CertID"
has "$OUT" "Hash Algorithm: sha256" "the answer's CertID uses the request's hash"

section "POST: without a nonce; several certificates in one request"
ask nononce pki ca.pem -issuer ca.pem -cert good.pem -no_nonce
has "$OUT" "good.pem: good" "request without a nonce"
hasnt "$OUT" "OCSP Nonce" "no nonce sent: none in the response"
hasnt "$OUT" "WARNING" "request without a nonce"

ask multi pki ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem -cert eph.pem -serial 0x7E57 -cert noreason.pem
expect_eq "$(grep -c 'Cert Status:' <<<"$OUT")" 5 "every certificate of the request is answered (not Vault: the first only)"
has "$OUT" "good.pem: good" "multi-certificate request"
has "$OUT" "revoked.pem: revoked" "multi-certificate request"
has "$OUT" "eph.pem: unknown" "multi-certificate request"
has "$OUT" "0x7E57: unknown" "multi-certificate request"
has "$OUT" "noreason.pem: revoked" "multi-certificate request"
has "$(block_of "$OUT" "$S_REV")" "Revocation Reason: keyCompromise" "multi-certificate request: the revoked one's reason"
has "$OUT" "OCSP Nonce" "multi-certificate request: nonce echoed"

# Fifty certificates in one request (3 KB) are all answered; a request over pki's 16 KB limit
# (300 certificates) is malformedRequest, as Vault answers one over its 2 KB limit.
args=(-issuer ca.pem -no_nonce); for i in $(seq 1 49); do args+=(-serial "$((0x5E000 + i))"); done
ask fifty pki ca.pem "${args[@]}" -cert good.pem
expect_eq "$(grep -c 'Cert Status: unknown' <<<"$OUT")" 49 "fifty certificates: the 49 random serials"
has "$OUT" "good.pem: good" "fifty certificates: the issued one"
args=(-issuer ca.pem); for i in $(seq 1 300); do args+=(-serial "$i"); done
openssl ocsp "${args[@]}" -reqout big.req > /dev/null 2>&1
http_ocsp big POST pki/ocsp big.req
expect_ocsp_error big 400 malformedrequest

# Every reason pki revoke took, in one request, as OpenSSL reads it back.
args=(-issuer ca.pem)
for r in "${REASONS[@]}"; do args+=(-cert "reason-$r.pem"); done
ask reasons pki ca.pem "${args[@]}"
for r in "${REASONS[@]}"; do
  B=$(block_of "$OUT" "${S_OF[$r]}")
  has "$B" "Cert Status: revoked" "revoked with reason=$r"
  # RFC 5280 5.3.1 discourages the reasonCode unspecified; an answer may leave it out.
  if [ "$r" != unspecified ]; then
    has "$B" "(0x${CODE_OF[$r]})" "revoked with reason=$r: the reasonCode"
    case ${CODE_OF[$r]} in [1-5]) has "$B" "Revocation Reason: $r (0x" "revoked with reason=$r: the reason" ;; esac
  fi
  expect_eq "$(time_in "$B" "Revocation Time")" "${RT_OF[$r]}" "revoked with reason=$r: revocation time"
done
ask kept pki ca.pem -issuer ca.pem -cert kept.pem
has "$OUT" "kept.pem: good" "after refused reasons the certificate is still good"

section "POST: certificates of other CAs are unknown, signed by the mount's default issuer"
# The response is signed by EC Root, not by the CA the request names, so OpenSSL is told to trust
# EC Root as the responder (-VAfile).
ask foreign pki ca.pem -issuer foreign.pem -cert fleaf.pem -VAfile ca.pem
has "$OUT" "fleaf.pem: unknown" "a foreign CA's certificate with a serial pki issued"
has "$OUT" "Responder Id: CN = EC Root" "foreign certificate: signed by the default issuer"
ask crossmount pki ca.pem -issuer rsa-ca.pem -cert rgood.pem -VAfile ca.pem
has "$OUT" "rgood.pem: unknown" "mount pki about a certificate of mount rsa"
ask mixed pki ca.pem -issuer ca.pem -cert good.pem -issuer foreign.pem -cert fleaf.pem -VAfile ca.pem
has "$OUT" "good.pem: good" "a request naming two CAs: pki's certificate"
has "$OUT" "fleaf.pem: unknown" "a request naming two CAs: the foreign one"

section "POST: the RSA root on mount rsa"
ask rgood rsa rsa-ca.pem -issuer rsa-ca.pem -cert rgood.pem
has "$OUT" "rgood.pem: good" "RSA: good certificate"
has "$OUT" "Responder Id: CN = RSA Root" "RSA: the responder"
has "$OUT" "Signature Algorithm: sha256WithRSAEncryption" "RSA root's response"
has "$OUT" "OCSP Nonce" "RSA: nonce echoed"
ask rrev rsa rsa-ca.pem -issuer rsa-ca.pem -cert rrev.pem -no_nonce
B=$(block_of "$OUT" "$R_REV")
has "$B" "Cert Status: revoked" "RSA: revoked certificate"
has "$B" "Revocation Reason: cessationOfOperation" "RSA: revoked certificate's reason"
expect_eq "$(time_in "$B" "Revocation Time")" "$RT_RREV" "RSA: revocation time"
hasnt "$OUT" "OCSP Nonce" "RSA: no nonce sent, none echoed"
ask runknown rsa rsa-ca.pem -issuer rsa-ca.pem -serial 0x0BADC0DE -cert rgood.pem -cert rrev.pem
has "$OUT" "0x0BADC0DE: unknown" "RSA: a serial never issued"
has "$OUT" "rgood.pem: good" "RSA: several certificates"
has "$OUT" "rrev.pem: revoked" "RSA: several certificates"
ask rforeign rsa rsa-ca.pem -issuer ca.pem -cert good.pem -VAfile rsa-ca.pem
has "$OUT" "good.pem: unknown" "mount rsa about a certificate of mount pki"
has "$OUT" "Responder Id: CN = RSA Root" "mount rsa's unknown answer is signed by its default issuer"

section "no token needed; the HTTP answer itself"
http_ocsp post-anon POST pki/ocsp good.req
expect_eq "$CODE" 200 "POST pki/ocsp without a token"
expect_eq "$CTYPE" application/ocsp-response "POST pki/ocsp: Content-Type"
check_resp post-anon post-anon.der ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "good.pem: good" "POST pki/ocsp with curl"
nonce_matches "POST with curl" good.req post-anon.der ca.pem

section "GET: the request base64 and URL-encoded in the path"
openssl ocsp -issuer ca.pem -cert good.pem -cert revoked.pem -reqout get.req > /dev/null 2>&1
B64=$(base64 -w 0 get.req)
http_ocsp get GET "pki/ocsp/$(urlenc "$B64")"
expect_eq "$CODE" 200 "GET pki/ocsp/<request> without a token"
expect_eq "$CTYPE" application/ocsp-response "GET pki/ocsp: Content-Type"
check_resp get get.der ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem
has "$OUT" "good.pem: good" "GET"
has "$OUT" "revoked.pem: revoked" "GET"
has "$(block_of "$OUT" "$S_REV")" "Revocation Reason: keyCompromise" "GET: the revoked certificate's reason"
nonce_matches "GET" get.req get.der ca.pem
# Base64 straight in the path, not URL-encoded ('/' and '+' as they are), as some clients send it.
for i in $(seq 1 40); do
  openssl ocsp -issuer ca.pem -cert revoked.pem -reqout raw.req > /dev/null 2>&1
  RAW=$(base64 -w 0 raw.req); case $RAW in */*) break ;; esac
done
case $RAW in */*) ok ;; *) fail "no request of 40 had a '/' in its base64: $RAW" ;; esac
http_ocsp raw GET "pki/ocsp/$RAW"
expect_eq "$CODE" 200 "GET with base64 not URL-encoded"
check_resp raw raw.der ca.pem -issuer ca.pem -cert revoked.pem
has "$OUT" "revoked.pem: revoked" "GET with base64 not URL-encoded"
nonce_matches "GET with base64 not URL-encoded" raw.req raw.der ca.pem
# Base64 that ends in '/' (no padding): the slash is the request's, not a trailing slash of the path.
# Serials of 2, 3 and 4 bytes: one of the three request lengths is a multiple of 3 (no padding).
for i in $(seq 1 3000); do
  SER=$(( i % 3 == 0 ? 4096 + i : i % 3 == 1 ? 1048576 + i : 268435456 + i ))
  openssl ocsp -issuer ca.pem -no_nonce -serial "$SER" -reqout slash.req > /dev/null 2>&1
  SLASH=$(base64 -w 0 slash.req); case $SLASH in */) break ;; esac
done
case $SLASH in */) ok ;; *) fail "no request of 3000 had base64 ending in '/': $SLASH" ;; esac
http_ocsp slash GET "pki/ocsp/$SLASH"
expect_eq "$CODE" 200 "GET with base64 ending in '/', not URL-encoded"
check_resp slash slash.der ca.pem -issuer ca.pem -serial "$SER"
has "$OUT" ": unknown" "GET with base64 ending in '/' answered for its serial"
openssl ocsp -issuer rsa-ca.pem -cert rrev.pem -reqout rget.req > /dev/null 2>&1
http_ocsp rget GET "rsa/ocsp/$(urlenc "$(base64 -w 0 rget.req)")"
expect_eq "$CODE" 200 "GET rsa/ocsp/<request>"
check_resp rget rget.der rsa-ca.pem -issuer rsa-ca.pem -cert rrev.pem
has "$OUT" "rrev.pem: revoked" "GET on mount rsa"

section "pki ocsp through the server (PKI_ADDR), without a token"
PKI_ADDR=$ADDR expect_ok "$PKI" ocsp --request get.req -o remote.der
expect_err_contains "$S_GOOD: good"
expect_err_contains "$S_REV: revoked"
nonce_matches "pki ocsp with PKI_ADDR" get.req remote.der ca.pem
PKI_ADDR=$ADDR expect_ok "$PKI" ocsp -m rsa --serial "$R_GOOD" -o /dev/null
expect_err_contains "$R_GOOD: good"

section "malformed requests: HTTP 400, OCSP malformedRequest, the server stays up"
http_ocsp m-garbage POST pki/ocsp garbage.req
expect_ocsp_error m-garbage 400 malformedrequest
http_ocsp m-empty POST pki/ocsp empty.req
expect_ocsp_error m-empty 400 malformedrequest
http_ocsp m-cert POST pki/ocsp good.der                    # DER, but a certificate
expect_ocsp_error m-cert 400 malformedrequest
head -c 40 good.req > cut.req
http_ocsp m-cut POST pki/ocsp cut.req                      # a request cut short
expect_ocsp_error m-cut 400 malformedrequest
http_ocsp m-b64 GET "pki/ocsp/$(urlenc 'not*base64!')"
expect_ocsp_error m-b64 400 malformedrequest
http_ocsp m-b64cert GET "pki/ocsp/$(urlenc "$(base64 -w 0 good.der)")"
expect_ocsp_error m-b64cert 400 malformedrequest
http_ocsp m-b64garbage GET "pki/ocsp/$(urlenc "$(base64 -w 0 garbage.req)")"
expect_ocsp_error m-b64garbage 400 malformedrequest
http_ocsp m-rsa POST rsa/ocsp garbage.req
expect_ocsp_error m-rsa 400 malformedrequest
health_ok "malformed OCSP requests"
ask after-malformed pki ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "good.pem: good" "the responder answers after malformed requests"

section "config/crl ocsp_expiry"
expect_status 200 POST pki/config/crl '{"ocsp_expiry":"1h"}'
ask exp1h pki ca.pem -issuer ca.pem -cert good.pem
B=$(block_of "$OUT" "$S_GOOD")
expect_eq "$(( $(time_in "$B" "Next Update") - $(time_in "$B" "This Update") ))" 3600 "nextUpdate - thisUpdate (ocsp_expiry 1h)"
expect_status 200 POST pki/config/crl '{"ocsp_expiry":"0"}'
ask exp0 pki ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem
has "$OUT" "good.pem: good" "ocsp_expiry 0"
hasnt "$OUT" "Next Update" "ocsp_expiry 0: no nextUpdate"
expect_status 200 POST pki/config/crl '{"ocsp_expiry":"12h"}'
ask rexp rsa rsa-ca.pem -issuer rsa-ca.pem -cert rgood.pem
B=$(block_of "$OUT" "$R_GOOD")
expect_eq "$(( $(time_in "$B" "Next Update") - $(time_in "$B" "This Update") ))" 43200 "mount rsa keeps its own ocsp_expiry (12h)"

section "ocsp_disable: HTTP 401, OCSP unauthorized"
expect_status 200 POST pki/config/crl '{"ocsp_disable":true}'
http_ocsp d-post POST pki/ocsp good.req
expect_ocsp_error d-post 401 unauthorized
http_ocsp d-get GET "pki/ocsp/$(urlenc "$B64")"
expect_ocsp_error d-get 401 unauthorized
http_ocsp d-rsa POST rsa/ocsp rget.req                      # the other mount is not affected
expect_eq "$CODE" 200 "mount rsa answers while pki's OCSP is off"
health_ok "ocsp_disable"
expect_status 200 POST pki/config/crl '{"ocsp_disable":false}'
ask reenabled pki ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "good.pem: good" "OCSP answers again once ocsp_disable is false"

section "an issuer without the ocsp-signing usage cannot sign: HTTP 401"
expect_status 200 GET pki/issuer/default
has "$LAST" "ocsp-signing" "the root's usage holds ocsp-signing by default"
CURL_OPTS=(--max-time 20 -H "Content-Type: application/merge-patch+json")
expect_status 200 PATCH pki/issuer/default '{"usage":"read-only,issuing-certificates,crl-signing"}'
CURL_OPTS=(--max-time 20)
hasnt "$LAST" "ocsp-signing" "the usage patched"
http_ocsp u-post POST pki/ocsp good.req
expect_ocsp_error u-post 401 unauthorized
openssl ocsp -issuer foreign.pem -cert fleaf.pem -reqout foreign-only.req > /dev/null 2>&1
http_ocsp u-foreign POST pki/ocsp foreign-only.req          # unknown needs the default issuer to sign
expect_ocsp_error u-foreign 401 unauthorized
expect_refused 1 "$PKI" ocsp --request good.req
expect_err_contains "unauthorized"
health_ok "an issuer without ocsp-signing"
CURL_OPTS=(--max-time 20 -H "Content-Type: application/merge-patch+json")
expect_status 200 PATCH pki/issuer/default '{"usage":"read-only,issuing-certificates,crl-signing,ocsp-signing"}'
CURL_OPTS=(--max-time 20)
ask usage-back pki ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem
has "$OUT" "good.pem: good" "the usage restored"
has "$OUT" "revoked.pem: revoked" "the usage restored"

section "a delegated responder (config/ocsp, RFC 6960 4.2.2.2) signs the issuer's answers"
"$PKI" write pki/roles/responder allow_any_name=true ttl=24h key_type=ec ext_key_usage=OCSPSigning \
  server_flag=false client_flag=false key_usage=DigitalSignature > /dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out responder.key 2> /dev/null
openssl req -new -key responder.key -subj "/CN=ocsp.example.com" -out responder.csr 2> /dev/null
"$PKI" write -field=certificate pki/sign/responder csr=@responder.csr common_name=ocsp.example.com > responder.pem
# Refused until the mount holds the key, and for certificates that cannot be responders.
state_before=$(state_dump)
expect_refused 1 "$PKI" write pki/config/ocsp certificate=@responder.pem
expect_err_contains "keys/import"
expect_refused 1 "$PKI" write pki/config/ocsp certificate=@good.pem      # no OCSPSigning
expect_err_contains "OCSPSigning"
expect_refused 1 "$PKI" write pki/config/ocsp certificate=@ca.pem        # a CA
expect_refused 1 "$PKI" write pki/config/ocsp certificate=@rgood.pem     # another mount's issuer
expect_refused 1 "$PKI" write pki/config/ocsp certificate=@fleaf.pem     # a foreign CA's
expect_refused 1 "$PKI" write pki/config/ocsp certificate=
expect_eq "$(state_dump)" "$state_before" "refused responders leave the state as it was"
"$PKI" write pki/keys/import pem_bundle=@responder.key key_name=ocsp-responder > /dev/null
expect_ok "$PKI" write -format=json pki/config/ocsp certificate=@responder.pem
expect_eq "$(jq -r '.data.responders | length' "$WORK/out")" 1 "one responder configured"
ask delegated pki ca.pem -issuer ca.pem -cert good.pem -cert revoked.pem
has "$OUT" "Responder Id: CN = ocsp.example.com" "the delegated responder signs (openssl verifies its certificate against the CA)"
has "$OUT" "good.pem: good" "delegated: good"
has "$OUT" "revoked.pem: revoked" "delegated: revoked"
ask delegated-rsa rsa rsa-ca.pem -issuer rsa-ca.pem -cert rgood.pem
has "$OUT" "Responder Id: CN = RSA Root" "another mount's issuer still signs its own"
expect_ok "$PKI" delete pki/config/ocsp
ask undelegated pki ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "Responder Id: CN = EC Root" "without a responder the issuer signs again"
expect_status 200 GET pki/config/ocsp
expect_eq "$(jq -r '.data.responders | length' <<<"$LAST")" 0 "no responder left"
# The ergonomic commands of the same path.
expect_ok "$PKI" ocsp-responder write --certificate @responder.pem -format=json
expect_eq "$(jq -r '.data.responders[0].key_id' "$WORK/out")" "$("$PKI" read -field=key_id pki/key/ocsp-responder)" "pki ocsp-responder write: the responder's key"
expect_ok "$PKI" ocsp-responder read -format=json
expect_eq "$(jq -r '.data.responders | length' "$WORK/out")" 1 "pki ocsp-responder read"
expect_refused 1 "$PKI" ocsp-responder write --certificate @good.pem
expect_err_contains "OCSPSigning"
expect_ok "$PKI" ocsp-responder delete
ask ergonomic-undelegated pki ca.pem -issuer ca.pem -cert good.pem
has "$OUT" "Responder Id: CN = EC Root" "pki ocsp-responder delete: the issuer signs again"

health_ok "the whole test"
finish
