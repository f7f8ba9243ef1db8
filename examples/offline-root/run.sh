#!/usr/bin/env bash
# Offline root CA ceremony: the root lives in one state directory (the offline machine), the
# intermediate in another (the online machine). Only two files cross between them: the
# intermediate's CSR, and the certificate the root signs for it.
#
# Usage: PKI=/path/to/pki examples/offline-root/run.sh
#   PKI            the pki binary (default: pki on PATH)
#   PKI_STATE_DIR  parent directory for the two state directories and the files (default: mktemp -d)
#   ROOT_KEY       "state" (default): the root key in the offline state directory; "softhsm": on a
#                  PKCS#11 token (a SoftHSM2 token made in $BASE/hsm, or the one SOFTHSM2_CONF names,
#                  labelled $TOKEN_LABEL with its user PIN in $PIN_FILE), where it never leaves
#   TOKEN_LABEL, PIN_FILE, PKCS11_MODULE  the token (default offline-root), the file holding its
#                  user PIN (default $BASE/hsm/pin) and the module (default SoftHSM2's)
set -euo pipefail
PKI=${PKI:-pki}
BASE=${PKI_STATE_DIR:-$(mktemp -d)}
OFFLINE=$BASE/offline-root        # state of the offline root machine
ONLINE=$BASE/online-intermediate  # state of the online intermediate machine
CARRY=$BASE/transfer              # what is carried between them (a USB stick, say)
OUT=$BASE/out                     # what is published or deployed
mkdir -p "$CARRY" "$OUT"
unset PKI_STATE_DIR PKI_FORMAT PKI_MOUNT

offline() { "$PKI" --state-dir "$OFFLINE" "$@"; }
online() { "$PKI" --state-dir "$ONLINE" "$@"; }
step() { printf '\n== %s\n' "$*" >&2; }

ROOT_KEY=${ROOT_KEY:-state}
TOKEN_LABEL=${TOKEN_LABEL:-offline-root}
MODULE=${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
PIN_FILE=${PIN_FILE:-$BASE/hsm/pin}
ROOT_FIELDS=(common_name="Example Offline Root CA" organization="Example Ltd" country=GB ttl=87600h
             max_path_length=1 issuer_name=offline-root)
case $ROOT_KEY in
  state)
    step "1. Offline: create the root CA (its key never leaves $OFFLINE)"
    offline secrets enable pki
    offline secrets tune -max-lease-ttl=87600h pki
    root_type=internal root_key_fields=(key_type=ec key_bits=384) ;;
  softhsm)
    step "1. Offline: create the root CA on a PKCS#11 token (its key never leaves the token)"
    if [ -z "${SOFTHSM2_CONF:-}" ]; then  # a token of our own; a real ceremony uses the HSM's
      mkdir -p "$BASE/hsm/tokens" && chmod 700 "$BASE/hsm"
      printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$BASE/hsm/tokens" > "$BASE/hsm/softhsm2.conf"
      export SOFTHSM2_CONF=$BASE/hsm/softhsm2.conf
      (umask 077 && openssl rand -hex 8 > "$PIN_FILE")
      softhsm2-util --init-token --free --label "$TOKEN_LABEL" --so-pin "$(openssl rand -hex 8)" --pin "$(cat "$PIN_FILE")" >&2
    fi
    offline secrets enable pki
    offline secrets tune -max-lease-ttl=87600h pki
    # The PIN stays in its file: the state directory holds where the key is, not how to open it.
    offline write sys/managed-keys/pkcs11/offline-root library="$MODULE" token_label="$TOKEN_LABEL" \
      pin_file="$PIN_FILE" key_label=offline-root mechanism=0x1041 curve=P-384 allow_generate_key=true
    offline write sys/mounts/pki/tune allowed_managed_keys=offline-root >/dev/null
    root_type=kms root_key_fields=(managed_key_name=offline-root) ;;
  *) echo "ROOT_KEY must be state or softhsm, not $ROOT_KEY" >&2; exit 2 ;;
esac
offline write pki/config/urls issuing_certificates=http://pki.example.com/root/ca.crt \
  crl_distribution_points=http://pki.example.com/root/crl >/dev/null
offline write -field=certificate "pki/root/generate/$root_type" "${ROOT_FIELDS[@]}" "${root_key_fields[@]}" > "$OUT/root_ca.pem"
openssl x509 -in "$OUT/root_ca.pem" -noout -subject -enddate >&2

step "2. Online: create the intermediate's key and CSR (its key never leaves $ONLINE)"
online secrets enable -path=pki_int pki
online secrets tune -max-lease-ttl=43800h pki_int
online write -field=csr pki_int/intermediate/generate/internal \
  common_name="Example Intermediate CA" organization="Example Ltd" country=GB key_type=ec \
  key_name=intermediate-key > "$CARRY/pki_int.csr"
openssl req -in "$CARRY/pki_int.csr" -noout -verify -subject >&2

step "3. Offline: check and sign the CSR (carried in as $CARRY/pki_int.csr)"
openssl req -in "$CARRY/pki_int.csr" -noout -subject -pubkey >&2
offline write -field=certificate pki/root/sign-intermediate csr=@"$CARRY/pki_int.csr" \
  common_name="Example Intermediate CA" organization="Example Ltd" country=GB \
  format=pem_bundle ttl=43800h > "$CARRY/signed_certificate.pem"
openssl x509 -in "$CARRY/signed_certificate.pem" -noout -subject -issuer -ext basicConstraints >&2

step "4. Online: install the signed certificate (carried back as $CARRY/signed_certificate.pem)"
online write pki_int/intermediate/set-signed certificate=@"$CARRY/signed_certificate.pem"
online write pki_int/config/urls issuing_certificates=http://pki.example.com/int/ca.crt \
  crl_distribution_points=http://pki.example.com/int/crl >/dev/null

step "5. Online: issue a server certificate"
online write pki_int/roles/example-dot-com allowed_domains=example.com allow_subdomains=true max_ttl=72h key_type=ec >/dev/null
online write -format=json pki_int/issue/example-dot-com common_name=www.example.com ttl=24h > "$OUT/issued.json"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
d = json.load(open(out + "/issued.json"))["data"]
open(out + "/www.example.com.pem", "w").write(d["certificate"] + "\n")
open(out + "/www.example.com.key", "w").write(d["private_key"] + "\n")
open(out + "/chain.pem", "w").write("\n".join(d["ca_chain"]) + "\n")
PY
chmod 600 "$OUT/www.example.com.key"

step "6. Verify the server certificate against the root alone"
openssl verify -x509_strict -CAfile "$OUT/root_ca.pem" -untrusted "$OUT/chain.pem" "$OUT/www.example.com.pem"

step "7. Check the separation: the online state holds no root key, the offline one no intermediate key"
root_key=$(offline read -field=key_id pki/issuer/offline-root)
int_key=$(online read -field=key_id pki_int/issuer/default)
online list -format=json pki_int/keys | python3 -c '
import json, sys
keys = json.load(sys.stdin)["data"]["keys"]
assert keys == [sys.argv[1]], f"online keys {keys}, expected only the intermediate key {sys.argv[1]}"
assert sys.argv[2] not in keys, "the root key is in the online state"
' "$int_key" "$root_key"
offline list -format=json pki/keys | python3 -c '
import json, sys
keys = json.load(sys.stdin)["data"]["keys"]
assert keys == [sys.argv[1]], f"offline keys {keys}, expected only the root key {sys.argv[1]}"
' "$root_key"
if [ "$ROOT_KEY" = softhsm ]; then
  offline read -field=managed_key_name "pki/key/$root_key" >&2
  pkcs11-tool --module "$MODULE" --token-label "$TOKEN_LABEL" --login --pin "$(cat "$PIN_FILE")" \
    --list-objects --type privkey 2>/dev/null | grep -A3 "label: *offline-root" >&2
fi
echo "ok: offline state $OFFLINE, online state $ONLINE, files in $CARRY and $OUT" >&2
