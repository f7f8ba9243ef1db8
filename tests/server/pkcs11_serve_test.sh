#!/usr/bin/env bash
# Managed keys on a PKCS#11 token (SoftHSM2) through pki serve, end to end over HTTP with curl
# (and hvac for one managed key): sys/managed-keys/pkcs11 written, read (never its PIN), partly
# rewritten, listed, refused when incomplete; a mount refuses a managed key it does not allow,
# then allows it (sys/mounts/M/tune allowed_managed_keys, by name or by id; any_mount); a root CA
# whose EC P-384 key is generated on the token (sensitive, never extractable) and an RSA-3072
# intermediate whose key was made beforehand with pkcs11-tool (allow_generate_key=false, key_id
# 0x0b), the intermediate signed by the token root and set-signed; leaves issued and signed by the
# token intermediate, verified by OpenSSL, GnuTLS and NSS; revocation, CRLs rotated and verified,
# OCSP answers (POST and GET) verified, all signed on the token; the token's key is the
# certificate's key (pkcs11-tool signs, openssl verifies with the certificate's public key);
# test/sign; keys/generate/kms; the token taken away while the server runs (503, one error line
# naming the module, nothing changed) and put back (works again, no restart); a wrong PIN (400
# CKR_PIN_INCORRECT, the PIN nowhere in the answer or the logs), before the token was ever used
# and after, also from a second managed key on the same token; deletion refused while a mount key
# uses the managed key. The PIN appears in no answer, in the access log nor in the server's output.
#
# SoftHSM2 (package softhsm2), OpenSC's pkcs11-tool (package opensc) or hvac (python3-hvac)
# missing is a failure, never a skip.
source "$(dirname "$0")/serve_lib.sh"
unset PKI_ADDR VAULT_ADDR
CURL_OPTS=(--max-time 30)
PY=/usr/bin/python3
LIB=/usr/lib/softhsm/libsofthsm2.so
# PINs no timestamp, port, duration or id in a log line is likely to hold, so that looking for
# them in the logs means something (a PIN like 1234 would be found in any time of day).
PIN=731904
WRONG_PIN=402613
THIEF_PIN=958217

# j FILTER: jq -r FILTER over the last response body ($LAST).
j() { jq -r "$1" <<<"$LAST"; }
# one_error WHAT: the last body holds exactly one error, of one line.
one_error() {
  expect_eq "$(j '.errors | length')" 1 "$1: one error"
  expect_eq "$(j '.errors[0]' | wc -l)" 1 "$1: the error is one line"
}
# refused CODE TEXT METHOD PATH [JSON]: the request answers CODE with one error line holding
# TEXT, and the state is byte for byte as it was.
refused() {
  local code=$1 text=$2; shift 2
  local before after
  before=$(state_dump)
  expect_status "$code" "$@"
  has "$(j '.errors[0]')" "$text" "$1 $2: the error"
  one_error "$1 $2"
  after=$(state_dump)
  expect_eq "$after" "$before" "$1 $2 refused: the state is unchanged"
}
# managed_key KEY_LABEL KEY_ID MECHANISM [MORE]: the JSON of a managed key on the test's token
# (MORE: a jq object of more fields).
managed_key() {
  local more=${4:-'{}'}
  jq -nc --arg lib "$LIB" --arg pin "$PIN" --arg kl "$1" --arg id "$2" --arg mech "$3" \
    '{library: $lib, token_label: "ca-token", pin: $pin, key_label: $kl, key_id: $id, mechanism: $mech} + '"$more"
}
# p11 ARGS...: pkcs11-tool logged in to the test's token.
p11() { pkcs11-tool --module "$LIB" --token-label ca-token --login --pin "$PIN" "$@"; }
# privkey_block LABEL: the --list-objects block of the private key labelled LABEL (empty when
# there is none; pkcs11-tool failing is a failure).
privkey_block() {
  _checked "pkcs11-tool --list-objects --type privkey" p11 --list-objects --type privkey > "$WORK/objects.txt" || return 0
  awk -v l="$1" '
    /^[A-Za-z].*Object;/ { on = 0 }
    /^Private Key Object;/ { blk = $0; next }
    /^ *label: / { on = ($2 == l); if (on) print blk }
    on' "$WORK/objects.txt"
}
# token_signs_for LABEL ID MECHANISM CERT WHAT: pkcs11-tool signs with the token's private key ID
# and openssl verifies the signature (SHA-256) with CERT's public key: the certificate's key is on
# the token. MECHANISM: SHA256-RSA-PKCS, or ECDSA (SoftHSM has no ECDSA-SHA256: pkcs11-tool then
# signs the SHA-256 digest openssl made).
token_signs_for() {
  local label=$1 id=$2 mech=$3 cert=$4 what=$5 rc=0
  head -c 100 /dev/urandom > "$WORK/tbs.bin"
  local input="$WORK/tbs.bin"
  if [ "$mech" = ECDSA ]; then openssl dgst -sha256 -binary "$WORK/tbs.bin" > "$WORK/tbs.hash"; input="$WORK/tbs.hash"; fi
  openssl x509 -in "$cert" -noout -pubkey > "$WORK/tbs.pub" 2>/dev/null || true
  p11 --sign --id "$id" --mechanism "$mech" --signature-format openssl -i "$input" -o "$WORK/tbs.sig" \
    > "$WORK/tbs.out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then fail "$what: pkcs11-tool --sign with $label (exit $rc): $(head -c 400 "$WORK/tbs.out")"; return 0; fi
  if openssl dgst -sha256 -verify "$WORK/tbs.pub" -signature "$WORK/tbs.sig" "$WORK/tbs.bin" > "$WORK/tbs.out" 2>&1; then ok
  else fail "$what: a signature of token key $label does not verify with the public key of $cert: $(head -c 400 "$WORK/tbs.out")"; fi
}
# urlenc TEXT: TEXT percent-encoded for a URL path segment.
urlenc() { jq -rn --arg s "$1" '$s | @uri'; }
# fetch PATH FILE: an unauthenticated GET (CRLs, OCSP GET) into FILE; prints the HTTP status.
fetch() { curl -s --max-time 30 -o "$2" -w '%{http_code}' "$ADDR/v1/$1" || echo 000; }
# no_pin WHAT TEXT...: none of the PINs (right, wrong, the thief's) in TEXT.
no_pin() {
  local what=$1 p; shift
  for p in "$PIN" "$WRONG_PIN" "$THIEF_PIN"; do hasnt "$*" "$p" "$what"; done
}

# ---- 1. the tools ---------------------------------------------------------------------------------
section "SoftHSM2, pkcs11-tool and hvac are there"
missing=0
if command -v softhsm2-util > /dev/null; then ok; else fail "softhsm2-util is missing: install the package softhsm2 (apt-get install softhsm2)"; missing=1; fi
if [ -e "$LIB" ]; then ok; else fail "the PKCS#11 module $LIB is missing: install the package softhsm2 (apt-get install softhsm2)"; missing=1; fi
if command -v pkcs11-tool > /dev/null; then ok; else fail "pkcs11-tool is missing: install the package opensc (apt-get install opensc)"; missing=1; fi
if [ -x "$PY" ] && "$PY" -c 'import hvac' 2> /dev/null; then ok; else fail "hvac is missing for $PY: install the package python3-hvac (apt-get install python3-hvac)"; missing=1; fi
if [ "$missing" != 0 ]; then finish || exit 1; fi

# ---- 2. a SoftHSM2 token in $WORK, an RSA-3072 key made on it beforehand ----------------------------
section "a SoftHSM2 token with an RSA-3072 key made by pkcs11-tool"
mkdir "$WORK/tokens"
cat > "$WORK/softhsm2.conf" <<EOF
directories.tokendir = $WORK/tokens
objectstore.backend = file
log.level = ERROR
EOF
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
expect_ok softhsm2-util --init-token --free --label ca-token --pin "$PIN" --so-pin 5678
expect_ok p11 --keypairgen --key-type rsa:3072 --id 0b --label int-key
B=$(privkey_block int-key)
has "$B" "ID:         0b" "the pkcs11-tool key"

start_server
section "two mounts"
expect_status 200 POST sys/mounts/pki '{"type":"pki","config":{"max_lease_ttl":"87600h"}}'
expect_status 200 POST sys/mounts/pki_int '{"type":"pki","config":{"max_lease_ttl":"43800h"}}'

# ---- 3. managed keys: write, read, rewrite, list, refusals ---------------------------------------------
section "sys/managed-keys/pkcs11: write, read (no PIN), partial rewrite, list"
ROOT_MK=$(managed_key root-key 0x0a 0x1041 '{curve: "P-384", allow_generate_key: true}')
expect_status 204 POST sys/managed-keys/pkcs11/root-key "$ROOT_MK"
expect_eq "$LAST" "" "a managed key write answers no body (as Vault)"
expect_status 200 GET sys/managed-keys/pkcs11/root-key
no_pin "the managed key read back" "$LAST"
expect_eq "$(j '.data | has("pin")')" false "the managed key read back has no pin field"
expect_eq "$(j '.data.pin_set')" true "pin_set"
expect_eq "$(j '[.data.name, .data.type, .data.library, .data.token_label, .data.key_label, .data.key_id, .data.mechanism, .data.curve] | join(" ")')" \
  "root-key pkcs11 $LIB ca-token root-key 0x0a 0x1041 P-384" "the managed key's fields read back"
expect_eq "$(j '[.data.allow_generate_key, .data.any_mount] | map(tostring) | join(" ")')" "true false" "allow_generate_key, any_mount"
ROOT_UUID=$(j .data.uuid)
if [[ $ROOT_UUID =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then ok; else fail "the managed key's uuid: '$ROOT_UUID'"; fi
# A write changes only the fields it gives.
expect_status 204 POST sys/managed-keys/pkcs11/root-key '{"usages":["sign","verify"]}'
expect_status 200 GET sys/managed-keys/pkcs11/root-key
expect_eq "$(j '.data.usages | join(",")')" "sign,verify" "usages rewritten"
expect_eq "$(j '[.data.key_label, .data.curve, .data.uuid, (.data.pin_set | tostring)] | join(" ")')" "root-key P-384 $ROOT_UUID true" \
  "a partial write keeps the other fields"

section "managed keys refused: incomplete, unknown type, bad name, bad mechanism or size"
refused 400 "needs exactly one of slot and token_label" POST sys/managed-keys/pkcs11/broken \
  "$(jq -nc --arg lib "$LIB" --arg pin "$PIN" '{library: $lib, pin: $pin, key_label: "x", mechanism: "0x0001"}')"
refused 400 "needs library" POST sys/managed-keys/pkcs11/broken '{"token_label":"ca-token","pin":"1","key_label":"x","mechanism":"0x0001"}'
refused 400 "needs exactly one of pin" POST sys/managed-keys/pkcs11/broken \
  "$(jq -nc --arg lib "$LIB" '{library: $lib, token_label: "ca-token", key_label: "x", mechanism: "0x0001"}')"
refused 400 "key_bits 1024" POST sys/managed-keys/pkcs11/broken "$(managed_key x 0x01 0x0001 '{key_bits: 1024}')"
refused 400 "0x0001" POST sys/managed-keys/pkcs11/broken "$(managed_key x 0x01 0x000d)"   # RSA-PSS
refused 400 "curve" POST sys/managed-keys/pkcs11/broken "$(managed_key x 0x01 0x1041 '{curve: "P-224"}')"
refused 400 "not available in pki" POST sys/managed-keys/awskms/broken '{"key_id":"x"}'
refused 400 "is not allowed" POST sys/managed-keys/pkcs11/Broken "$(managed_key x 0x01 0x0001)"
no_pin "the refusals" "$LAST"
expect_status 404 GET sys/managed-keys/pkcs11/broken

section "hvac writes and reads a managed key (the pkcs11-tool key, allow_generate_key=false)"
cat > "$WORK/hvac_mk.py" <<'EOF'
import json, os, sys
import hvac
c = hvac.Client(url=os.environ["ADDR"], token=os.environ["TOKEN"])
r = c.write("sys/managed-keys/pkcs11/int-key", library=os.environ["LIB"], token_label="ca-token", pin=os.environ["PIN"],
            key_label="int-key", key_id="0x0b", mechanism="0x0001", key_bits=3072, allow_generate_key=False)
print(getattr(r, "status_code", r))
print(json.dumps(c.read("sys/managed-keys/pkcs11/int-key")))
# hvac's generic list is GET ...?list=True (Python's spelling of the boolean; Vault takes any of
# Go's strconv.ParseBool spellings).
try:
    print(json.dumps(c.list("sys/managed-keys/pkcs11")))
except Exception as e:
    print(json.dumps({"hvac_error": f"{type(e).__name__}: {e}"}))
EOF
rc=0
ADDR=$ADDR TOKEN=$TOKEN LIB=$LIB PIN=$PIN "$PY" "$WORK/hvac_mk.py" > "$WORK/hvac.out" 2> "$WORK/hvac.err" || rc=$?
if [ "$rc" -eq 0 ]; then ok; else fail "hvac (exit $rc): $(tail -3 "$WORK/hvac.err")"; fi
expect_eq "$(sed -n 1p "$WORK/hvac.out")" 204 "hvac write: HTTP 204"
LAST=$(sed -n 2p "$WORK/hvac.out")
expect_eq "$(j '[.data.key_label, .data.key_id, .data.mechanism, (.data.key_bits | tostring), (.data.allow_generate_key | tostring), (.data.pin_set | tostring)] | join(" ")')" \
  "int-key 0x0b 0x0001 3072 false true" "hvac read"
expect_eq "$(j '.data | has("pin")')" false "hvac read: no pin field"
no_pin "hvac read" "$LAST"
INT_UUID=$(j .data.uuid)
LAST=$(sed -n 3p "$WORK/hvac.out")
expect_eq "$(j '.data.keys // [] | sort | join(",")')" "int-key,root-key" "hvac list (GET ?list=True): $(j '.hvac_error // ""')"
expect_status 200 LIST sys/managed-keys/pkcs11
expect_eq "$(j '.data.keys | sort | join(",")')" "int-key,root-key" "LIST sys/managed-keys/pkcs11"

# ---- 4. the mount must allow the managed key ---------------------------------------------------------
section "type kms: refused until the mount allows the managed key"
ROOT_GEN='{"managed_key_name":"root-key","common_name":"Token Root","ttl":"87600h"}'
refused 400 "not allowed in mount pki" POST pki/root/generate/kms "$ROOT_GEN"
has "$(j '.errors[0]')" "allowed_managed_keys" "the refusal says how to allow it"
hasnt "$(privkey_block root-key)" "root-key" "a refused root/generate made no key on the token"
expect_status 200 POST sys/mounts/pki/tune '{"allowed_managed_keys":["root-key"]}'
expect_status 200 GET sys/mounts/pki/tune
expect_eq "$(j '.data.allowed_managed_keys | join(",")')" "root-key" "allowed_managed_keys tuned"
refused 400 "key_type cannot be given with type kms" POST pki/root/generate/kms \
  '{"managed_key_name":"root-key","common_name":"Token Root","key_type":"ec"}'
refused 400 "key_bits cannot be given with type kms" POST pki/root/generate/kms \
  '{"managed_key_name":"root-key","common_name":"Token Root","key_bits":384}'
refused 400 "needs managed_key_name or managed_key_id" POST pki/root/generate/kms '{"common_name":"Token Root"}'
refused 404 "no managed key named" POST pki/root/generate/kms '{"managed_key_name":"nope","common_name":"Token Root"}'

section "a wrong PIN before the token was ever used: 400 CKR_PIN_INCORRECT, then the right one"
expect_status 204 POST sys/managed-keys/pkcs11/root-key "{\"pin\":\"$WRONG_PIN\"}"
refused 400 "CKR_PIN_INCORRECT" POST pki/root/generate/kms "$ROOT_GEN"
no_pin "the wrong-PIN refusal" "$LAST"
hasnt "$(privkey_block root-key)" "root-key" "no key made on the token with a wrong PIN"
expect_status 204 POST sys/managed-keys/pkcs11/root-key "{\"pin\":\"$PIN\"}"

# ---- 5. the root on the token ---------------------------------------------------------------------
section "root/generate/kms: an EC P-384 key generated on the token"
expect_status 200 POST pki/root/generate/kms "$ROOT_GEN"
has "$(j '.warnings | join(" ")')" "a new key was generated on the token" "root/generate/kms warning"
no_pin "root/generate/kms" "$LAST"
j .data.certificate > root.pem
ROOT_KEY=$(j .data.key_id)
T=$(x509 root.pem -text)
has "$T" "Public-Key: (384 bit)" "the root's key"
has "$T" "NIST CURVE: P-384" "the root's curve"
has "$T" "Signature Algorithm: ecdsa-with-SHA" "the root signs with ECDSA"
if openssl verify -x509_strict -CAfile root.pem root.pem > "$WORK/v.out" 2>&1; then ok; else fail "the root does not verify itself: $(cat "$WORK/v.out")"; fi
expect_status 200 GET "pki/key/$ROOT_KEY"
expect_eq "$(j '[.data.managed_key_name, .data.managed_key_id, .data.key_type, (.data.key_bits | tostring)] | join(" ")')" \
  "root-key $ROOT_UUID ec 384" "pki/key shows the managed key"
hasnt "$LAST" "PRIVATE KEY" "pki/key of a token key"
B=$(privkey_block root-key)
has "$B" "ID:         0a" "the token's root key has key_id 0x0a"
has "$B" "never extractable" "the token's root key"
has "$B" "sensitive" "the token's root key"
token_signs_for root-key 0a ECDSA root.pem "the root certificate's key"

# ---- 6. the RSA-3072 intermediate on the token -------------------------------------------------------
section "intermediate/generate/kms by managed_key_id on the pkcs11-tool key, signed by the token root"
INT_GEN=$(jq -nc --arg id "$INT_UUID" '{managed_key_id: $id, common_name: "Token Intermediate"}')
refused 400 "not allowed in mount pki_int" POST pki_int/intermediate/generate/kms "$INT_GEN"
expect_status 200 POST sys/mounts/pki_int/tune "$(jq -nc --arg id "$INT_UUID" '{allowed_managed_keys: [$id]}')"
expect_status 200 POST pki_int/intermediate/generate/kms "$INT_GEN"
hasnt "$(j '.warnings // [] | join(" ")')" "generated" "an existing token key: nothing generated"
j .data.csr > int.csr
INT_KEY=$(j .data.key_id)
if openssl req -in int.csr -noout -verify > "$WORK/v.out" 2>&1; then ok; else fail "the intermediate's CSR (signed on the token): $(cat "$WORK/v.out")"; fi
has "$(openssl req -in int.csr -noout -text 2>&1)" "Public-Key: (3072 bit)" "the intermediate's CSR key"
expect_status 200 GET "pki_int/key/$INT_KEY"
expect_eq "$(j '[.data.managed_key_name, .data.managed_key_id, .data.key_type, (.data.key_bits | tostring)] | join(" ")')" \
  "int-key $INT_UUID rsa 3072" "pki_int/key shows the managed key"
expect_status 200 POST pki/root/sign-intermediate "$(jq -nc --rawfile csr int.csr '{csr: $csr, common_name: "Token Intermediate", ttl: "43800h"}')"
j .data.certificate > int.pem
USAGE=3 verify_all root.pem int.pem
expect_eq "$(pubkey_of_cert int.pem)" "$(pubkey_of_csr int.csr)" "the intermediate certificate has the CSR's key"
expect_eq "$(akid int.pem)" "$(ext root.pem subjectKeyIdentifier | sed -n 2p | tr -d ' :')" "the intermediate's AKID is the root's SKID"
token_signs_for int-key 0b SHA256-RSA-PKCS int.pem "the intermediate certificate's key"
cat int.pem root.pem > int-bundle.pem
expect_status 200 POST pki_int/intermediate/set-signed "$(jq -nc --rawfile c int-bundle.pem '{certificate: $c}')"
expect_status 200 GET pki_int/issuer/default
expect_eq "$(j .data.key_id)" "$INT_KEY" "the set-signed issuer uses the token key"

# ---- 7. issuing from the token intermediate ---------------------------------------------------------------
section "issue and sign from the token intermediate, verified up to the token root"
expect_status 200 POST pki_int/roles/web '{"allowed_domains":"example.com","allow_subdomains":true,"max_ttl":"72h","key_type":"ec"}'
expect_status 200 POST pki_int/issue/web '{"common_name":"www.example.com","ttl":"24h"}'
j .data.certificate > leaf.pem
S_GOOD=$(j .data.serial_number)
expect_eq "$(j '.data.ca_chain | length')" 2 "the leaf's ca_chain: intermediate and root"
verify_all root.pem leaf.pem int.pem
has "$(text leaf.pem)" "Signature Algorithm: sha256WithRSAEncryption" "the leaf is signed by the RSA token key"
expect_status 200 POST pki_int/issue/web '{"common_name":"revoked.example.com","ttl":"24h"}'
j .data.certificate > rev.pem
S_REV=$(j .data.serial_number)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout csr.key -out leaf.csr -subj "/CN=csr.example.com" 2> /dev/null
expect_status 200 POST pki_int/sign/web "$(jq -nc --rawfile csr leaf.csr '{csr: $csr, common_name: "csr.example.com"}')"
j .data.certificate > signed.pem
verify_all root.pem signed.pem int.pem
expect_eq "$(pubkey_of_cert signed.pem)" "$(pubkey_of_key csr.key)" "the signed certificate has the CSR's key"

# ---- 8. revocation, CRLs, OCSP ---------------------------------------------------------------------
section "revoke, crl/rotate: CRLs signed on the token verify"
expect_status 200 POST pki_int/revoke "{\"serial_number\":\"$S_REV\"}"
expect_status 200 GET pki_int/crl/rotate
expect_eq "$(fetch pki_int/crl/pem int-crl.pem)" 200 "GET pki_int/crl/pem"
cat root.pem int.pem > chain.pem
if openssl crl -in int-crl.pem -noout -CAfile chain.pem > "$WORK/v.out" 2>&1 && grep -q "verify OK" "$WORK/v.out"; then ok
else fail "the intermediate's CRL does not verify: $(cat "$WORK/v.out")"; fi
crl_has int-crl.pem "$S_REV" "the intermediate's CRL"
crl_lacks int-crl.pem "$S_GOOD" "the intermediate's CRL"
has "$(crl_text int-crl.pem)" "sha256WithRSAEncryption" "the intermediate's CRL is signed by the RSA token key"
expect_status 200 GET pki/crl/rotate
expect_eq "$(fetch pki/crl/pem root-crl.pem)" 200 "GET pki/crl/pem"
if openssl crl -in root-crl.pem -noout -CAfile root.pem > "$WORK/v.out" 2>&1 && grep -q "verify OK" "$WORK/v.out"; then ok
else fail "the root's CRL does not verify: $(cat "$WORK/v.out")"; fi
has "$(crl_text root-crl.pem)" "ecdsa-with-SHA" "the root's CRL is signed by the EC token key"

section "OCSP: POST to the intermediate, GET to the root, answers verified"
openssl ocsp -issuer int.pem -cert leaf.pem -cert rev.pem -reqout ocsp.req > /dev/null 2>&1
code=$(curl -s --max-time 30 -H "Content-Type: application/ocsp-request" --data-binary @ocsp.req -o ocsp.der -w '%{http_code}' "$ADDR/v1/pki_int/ocsp") || code=000
expect_eq "$code" 200 "POST pki_int/ocsp"
# -issuer/-cert make openssl build a request of its own (another nonce): -no_nonce for the
# summary, the nonce checked against the request sent (-reqin) alone.
OUT=$(openssl ocsp -respin ocsp.der -no_nonce -CAfile root.pem -verify_other int.pem -issuer int.pem -cert leaf.pem -cert rev.pem -resp_text 2>&1) || true
has "$OUT" "Response verify OK" "the intermediate's OCSP response"
has "$OUT" "leaf.pem: good" "OCSP: the good leaf"
has "$OUT" "rev.pem: revoked" "OCSP: the revoked leaf"
has "$OUT" "Responder Id: CN = Token Intermediate" "OCSP: the intermediate answers"
has "$OUT" "sha256WithRSAEncryption" "OCSP: signed by the RSA token key"
OUT=$(openssl ocsp -respin ocsp.der -reqin ocsp.req -CAfile root.pem -verify_other int.pem 2>&1) || true
has "$OUT" "Response verify OK" "the intermediate's OCSP response against its request"
hasnt "$OUT" "Nonce Verify error" "OCSP: the nonce"
hasnt "$OUT" "no nonce in response" "OCSP: the nonce"
openssl ocsp -issuer root.pem -cert int.pem -reqout rocsp.req > /dev/null 2>&1
expect_eq "$(fetch "pki/ocsp/$(urlenc "$(base64 -w 0 rocsp.req)")" rocsp.der)" 200 "GET pki/ocsp/<request>"
OUT=$(openssl ocsp -respin rocsp.der -no_nonce -CAfile root.pem -issuer root.pem -cert int.pem -resp_text 2>&1) || true
has "$OUT" "Response verify OK" "the root's OCSP response"
has "$OUT" "int.pem: good" "OCSP: the intermediate is good"
has "$OUT" "ecdsa-with-SHA" "OCSP: signed by the EC token key"

# ---- 9. the token's objects, test/sign, keys/generate/kms ---------------------------------------------
section "the private keys on the token: sensitive, never extractable"
for label in root-key int-key; do
  B=$(privkey_block "$label")
  has "$B" "Private Key Object" "pkcs11-tool --list-objects: $label"
  has "$B" "never extractable" "$label on the token"
  has "$B" "sensitive" "$label on the token"
done

section "sys/managed-keys/pkcs11/NAME/test/sign"
expect_status 200 POST sys/managed-keys/pkcs11/root-key/test/sign
expect_eq "$(j '[.data.key_type, (.data.key_bits | tostring)] | join(" ")')" "ec 384" "test/sign root-key"
expect_status 200 POST sys/managed-keys/pkcs11/int-key/test/sign
expect_eq "$(j '[.data.key_type, (.data.key_bits | tostring), (.data.signature_bytes | tostring)] | join(" ")')" "rsa 3072 384" "test/sign int-key"
refused 404 "no managed key" POST sys/managed-keys/pkcs11/nope/test/sign

section "keys/generate/kms with an any_mount managed key"
expect_status 204 POST sys/managed-keys/pkcs11/spare "$(managed_key spare-key 0x0c 0x1041 '{curve: "P-256", allow_generate_key: true, any_mount: true}')"
expect_status 200 POST pki/keys/generate/kms '{"managed_key_name":"spare","key_name":"spare"}'
has "$(j '.warnings | join(" ")')" "a new key was generated on the token" "keys/generate/kms warning"
expect_status 200 GET pki/key/spare
expect_eq "$(j '[.data.managed_key_name, .data.key_type, (.data.key_bits | tostring)] | join(" ")')" "spare ec 256" "pki/key/spare"
has "$(privkey_block spare-key)" "never extractable" "the spare key on the token"

# ---- 10. the token goes away and comes back ------------------------------------------------------
section "the token removed while the server runs: 503, nothing changed; put back: works"
ISSUE='{"common_name":"again.example.com","ttl":"1h"}'
before=$(state_dump)
mv "$WORK/tokens" "$WORK/tokens.gone"
expect_status 503 POST pki_int/issue/web "$ISSUE"
has "$(j '.errors[0]')" "$LIB" "the 503 names the module"
one_error "issue without the token"
expect_status 503 POST sys/managed-keys/pkcs11/root-key/test/sign
has "$(j '.errors[0]')" "$LIB" "test/sign without the token"
expect_eq "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$ADDR/v1/sys/health" || echo 000)" 200 "sys/health without the token"
# OCSP answers tryLater (RFC 6960 4.2.1): the responder's key is away, the request is fine.
code=$(curl -s --max-time 30 -H "Content-Type: application/ocsp-request" --data-binary @ocsp.req -o gone.der -w '%{http_code}' "$ADDR/v1/pki_int/ocsp") || code=000
expect_eq "$code" 503 "OCSP without the token"
has "$(openssl ocsp -respin gone.der -resp_text -noverify 2>&1 || true)" "trylater (3)" "OCSP without the token says tryLater"
expect_eq "$(state_dump)" "$before" "the refused requests changed nothing"
mv "$WORK/tokens.gone" "$WORK/tokens"
expect_status 200 POST pki_int/issue/web "$ISSUE"
j .data.certificate > again.pem
verify_all root.pem again.pem int.pem
expect_status 200 POST sys/managed-keys/pkcs11/root-key/test/sign

# ---- 11. a wrong PIN once the token is in use -------------------------------------------------------
section "a wrong PIN after the token was used: 400 CKR_PIN_INCORRECT, then the right one"
expect_status 204 POST sys/managed-keys/pkcs11/int-key "{\"pin\":\"$WRONG_PIN\"}"
refused 400 "CKR_PIN_INCORRECT" POST pki_int/issue/web "$ISSUE"
no_pin "issue with a wrong PIN" "$LAST"
refused 400 "CKR_PIN_INCORRECT" POST sys/managed-keys/pkcs11/int-key/test/sign
expect_status 204 POST sys/managed-keys/pkcs11/int-key "{\"pin\":\"$PIN\"}"
expect_status 200 POST pki_int/issue/web "$ISSUE"
j .data.certificate > pin-again.pem
verify_all root.pem pin-again.pem int.pem
# Another managed key naming the same token key with a PIN of its own: it must not sign because
# the server is already logged in to the token.
expect_status 204 POST sys/managed-keys/pkcs11/thief \
  "$(jq -nc --arg lib "$LIB" --arg pin "$THIEF_PIN" '{library: $lib, token_label: "ca-token", pin: $pin, key_label: "root-key", key_id: "0x0a", mechanism: "0x1041", any_mount: true}')"
refused 400 "CKR_PIN_INCORRECT" POST sys/managed-keys/pkcs11/thief/test/sign
expect_status 204 DELETE sys/managed-keys/pkcs11/thief

# ---- 12. deletion -----------------------------------------------------------------------------------
section "a managed key a mount key uses cannot be deleted"
refused 400 "used by pki/key/$ROOT_KEY" DELETE sys/managed-keys/pkcs11/root-key
refused 400 "used by pki_int/key/$INT_KEY" DELETE sys/managed-keys/pkcs11/int-key
refused 400 "used by pki/key/" DELETE sys/managed-keys/pkcs11/spare
expect_status 200 GET sys/managed-keys/pkcs11/root-key
expect_status 204 DELETE pki/key/spare
expect_status 204 DELETE sys/managed-keys/pkcs11/spare
expect_status 404 GET sys/managed-keys/pkcs11/spare
expect_status 200 LIST sys/managed-keys/pkcs11
expect_eq "$(j '.data.keys | sort | join(",")')" "int-key,root-key" "LIST after the delete"
has "$(privkey_block spare-key)" "Private Key Object" "deleting the managed key leaves the key on the token"

# ---- 13. the PIN in no log ----------------------------------------------------------------------
section "no PIN in the access log or the server's output"
sleep 0.2
has "$(cat "$WORK/access.log")" "sys/managed-keys/pkcs11/root-key" "the access log holds the managed-key requests"
no_pin "the access log" "$(cat "$WORK/access.log")"
no_pin "serve.err" "$(cat "$WORK/serve.err")"
no_pin "serve.out" "$(cat "$WORK/serve.out")"
expect_eq "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$ADDR/v1/sys/health" || echo 000)" 200 "sys/health at the end"
finish
