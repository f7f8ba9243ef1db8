#!/usr/bin/env bash
# Bad input of every kind: the right exit code (1 refused, 2 usage, 3 state), exactly one line on
# standard error, and a state directory byte-for-byte unchanged (mdb_dump before and after).
source "$(dirname "$0")/lib.sh"

# expect_refused_msg CODE TEXT CMD...: refused with CODE, state unchanged, and the line says TEXT.
expect_refused_msg() {
  local code=$1 text=$2; shift 2
  expect_refused "$code" "$@"
  expect_err_contains "$text"
  if grep -v '^Warning: ' "$WORK/err" | head -1 | grep -q '^Error: '; then ok; else fail "error line does not start with 'Error: ': $(cat "$WORK/err")"; fi
}

# ---- a refused write on a fresh state directory creates nothing -----------------------------------
expect_refused_msg 1 "reserved" "$PKI" secrets enable -path=sys pki
expect_ok test ! -e "$PKI_STATE_DIR"
expect_refused_msg 1 "kv" "$PKI" secrets enable kv
expect_ok test ! -e "$PKI_STATE_DIR"
expect_refused_msg 1 "secrets enable" "$PKI" write pki/keys/generate/internal key_type=ec
expect_ok test ! -e "$PKI_STATE_DIR"

# ---- setup: a mount with keys --------------------------------------------------------------------
expect_ok "$PKI" secrets enable pki
expect_ok "$PKI" secrets enable -path=pki_int pki
expect_ok "$PKI" key generate internal --key-type ec --key-name a
expect_ok "$PKI" key generate internal --key-type ed25519 --key-name b
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$WORK/rsa1024.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -traditional -out "$WORK/rsa1024-pkcs1.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$WORK/k1.pem" 2>/dev/null
openssl genpkey -algorithm ED448 -out "$WORK/ed448.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/ok.pem" 2>/dev/null
openssl pkey -in "$WORK/ok.pem" -aes256 -passout pass:secret -out "$WORK/encrypted.pem"
echo "this is not a key" >"$WORK/garbage.pem"

# ---- unknown fields are ignored with Vault's warning, naming the field meant; flags stay strict ----
expect_ok "$PKI" write pki/config/keys default=a bogus=1
expect_err_contains 'Warning: Endpoint ignored these unrecognized parameters: [bogus]'
expect_ok "$PKI" write pki/config/keys default=a defualt=b
expect_err_contains 'Warning: parameter "defualt" was ignored: did you mean "default"?'
expect_ok "$PKI" read pki/config/keys -format=json
expect_eq "$(jf "$WORK/out" default)" "$("$PKI" read pki/key/a -field=key_id)" "the ignored field changed nothing"
expect_refused_msg 1 'key_bits' "$PKI" write pki/keys/generate/internal key_type=ec key_bits=1 bogus=1
expect_refused_msg 2 '--colour' "$PKI" key generate internal --key-type ec --colour blue
# ---- unknown paths and mounts ----------------------------------------------------------------------
expect_refused_msg 1 'pki/nope' "$PKI" read pki/nope
expect_refused_msg 1 'unknown path' "$PKI" write pki/keys/frob x=1
expect_refused_msg 1 'unknown path' "$PKI" delete pki/key/a/extra
expect_refused_msg 1 'unknown path' "$PKI" read sys/nothing
expect_refused_msg 1 'nomount' "$PKI" list nomount/keys
expect_refused_msg 1 'nomount' "$PKI" write nomount/keys/generate/internal key_type=ec
expect_refused_msg 1 'nomount' "$PKI" key list -m nomount
expect_refused_msg 1 'nomount' "$PKI" read sys/mounts/nomount
expect_refused_msg 1 'nomount' "$PKI" secrets tune -max-lease-ttl=1h nomount
# As in Vault, disabling a mount that is not there succeeds (with a warning) and changes nothing.
before=$(state_dump)
expect_ok "$PKI" secrets disable nomount
expect_err_contains "no mount at nomount/"
expect_eq "$(state_dump)" "$before" "secrets disable of a missing mount leaves the state as it was"
expect_refused_msg 1 'empty path' "$PKI" read /

# ---- malformed values ----------------------------------------------------------------------------
expect_refused_msg 1 '"key_bits"' "$PKI" write pki/keys/generate/internal key_type=ec key_bits=abc
expect_refused_msg 1 '"key_bits"' "$PKI" key generate internal --key-type ec --key-bits 25x
expect_refused_msg 1 '"key_bits"' "$PKI" write pki/keys/generate/internal key_type=ec key_bits=1.5
expect_refused_msg 1 '"default_lease_ttl"' "$PKI" secrets tune -default-lease-ttl=soon pki
expect_refused_msg 1 '"default_lease_ttl"' "$PKI" write sys/mounts/x type=pki default_lease_ttl=1x
expect_refused_msg 1 '"max_lease_ttl"' "$PKI" secrets enable -path=x -max-lease-ttl=-1h pki
expect_refused_msg 1 '"max_lease_ttl"' "$PKI" mount create x --max-lease-ttl 1y
expect_refused_msg 1 'cannot exceed' "$PKI" secrets enable -path=x -max-lease-ttl=1h -default-lease-ttl=2h pki
expect_refused_msg 1 'cannot exceed' "$PKI" secrets tune -default-lease-ttl=9000h pki
# Booleans (role fields; roles are another family, their booleans parse the same way).
expect_refused_msg 1 '"allow_any_name"' "$PKI" write pki/roles/web allow_any_name=maybe
expect_refused_msg 1 'boolean' "$PKI" write pki/roles/web allow_subdomains=2
expect_refused_msg 1 '"allow_any_name"' "$PKI" role write web --allow-any-name=perhaps
expect_refused_msg 1 'not a JSON object' "$PKI" write pki/keys/generate/internal - <<<"[1,2]"
expect_refused_msg 1 'not a JSON object' "$PKI" write pki/keys/generate/internal - <<<"{broken"

# ---- operations a path does not support ----------------------------------------------------------
expect_refused_msg 1 'does not support list' "$PKI" list pki/config/keys
expect_refused_msg 1 'does not support read' "$PKI" read pki/keys/generate/internal
expect_refused_msg 1 'does not support delete' "$PKI" delete pki/keys
expect_refused_msg 1 'does not support write' "$PKI" write pki/keys key_type=ec
expect_refused_msg 1 'does not support' "$PKI" patch pki/config/keys default=a

# ---- key generation ------------------------------------------------------------------------------
expect_refused_msg 1 '1024' "$PKI" write pki/keys/generate/internal key_type=rsa key_bits=1024
expect_refused_msg 1 '1000' "$PKI" write pki/keys/generate/internal key_type=rsa key_bits=1000
expect_refused_msg 1 '1024' "$PKI" key generate exported --key-type rsa --key-bits 1024
expect_refused_msg 1 '255' "$PKI" write pki/keys/generate/internal key_type=ec key_bits=255
expect_refused_msg 1 '2048' "$PKI" write pki/keys/generate/internal key_type=ec key_bits=2048
expect_refused_msg 1 '"dsa"' "$PKI" write pki/keys/generate/internal key_type=dsa
expect_refused_msg 1 'kms' "$PKI" write pki/keys/generate/kms key_type=ec
expect_refused_msg 1 'kms' "$PKI" key generate kms --key-type ec
expect_refused_msg 1 'internal, exported or kms' "$PKI" write pki/keys/generate/existing key_type=ec
expect_refused_msg 1 '"a"' "$PKI" write pki/keys/generate/internal key_type=ec key_name=a
expect_refused_msg 1 'already' "$PKI" key generate internal --key-type ec --key-name b
expect_refused_msg 1 'reserved' "$PKI" write pki/keys/generate/internal key_type=ec key_name=default
expect_refused_msg 1 'not allowed' "$PKI" write pki/keys/generate/internal key_type=ec "key_name=two words"
expect_refused_msg 1 'not allowed' "$PKI" write pki/keys/generate/internal key_type=ec key_name=a/b

# ---- key references, rename, default ---------------------------------------------------------------
expect_refused_msg 1 '"missing"' "$PKI" read pki/key/missing
expect_refused_msg 1 '"missing"' "$PKI" key read missing
# Deleting a missing key succeeds with a warning (idempotent, as in Vault): see keys_test.sh.
expect_refused_msg 1 '"missing"' "$PKI" write pki/key/missing key_name=x
expect_refused_msg 1 'already' "$PKI" write pki/key/a key_name=b
expect_refused_msg 1 'reserved' "$PKI" key update a --key-name default
expect_refused_msg 1 '"missing"' "$PKI" write pki/config/keys default=missing
expect_refused_msg 1 'default' "$PKI" write pki/config/keys
expect_refused_msg 1 'default key' "$PKI" read pki_int/key/default
expect_refused_msg 1 'a' "$PKI" read pki_int/key/a  # keys belong to their mount

# ---- key import ----------------------------------------------------------------------------------
expect_refused_msg 1 'private key' "$PKI" write pki/keys/import pem_bundle=@"$WORK/garbage.pem"
expect_refused_msg 1 'private key' "$PKI" write pki/keys/import pem_bundle=garbage
expect_refused_msg 1 'private key' "$PKI" key import --pem-bundle - <"$WORK/garbage.pem"
expect_refused_msg 1 'private key' "$PKI" write pki/keys/import pem_bundle=@"$WORK/encrypted.pem"
expect_refused_msg 1 'empty' "$PKI" write pki/keys/import
expect_refused_msg 1 'empty' "$PKI" write pki/keys/import pem_bundle=- </dev/null
expect_refused_msg 1 '1024' "$PKI" write pki/keys/import pem_bundle=@"$WORK/rsa1024.pem"
expect_refused_msg 1 '1024' "$PKI" key import --pem-bundle @"$WORK/rsa1024-pkcs1.pem"
expect_refused_msg 1 'secp256k1' "$PKI" write pki/keys/import pem_bundle=@"$WORK/k1.pem"
expect_refused_msg 1 'ED448' "$PKI" write pki/keys/import pem_bundle=@"$WORK/ed448.pem"
expect_refused_msg 1 'already' "$PKI" write pki/keys/import pem_bundle=@"$WORK/ok.pem" key_name=a
expect_refused_msg 1 "$WORK/missing.pem" "$PKI" write pki/keys/import pem_bundle=@"$WORK/missing.pem"
expect_refused_msg 1 "$WORK/missing.pem" "$PKI" key import --pem-bundle @"$WORK/missing.pem"
expect_refused_msg 1 "$WORK" "$PKI" write pki/keys/import pem_bundle=@"$WORK"  # a directory is not a file

# ---- mounts --------------------------------------------------------------------------------------
expect_refused_msg 1 'already in use' "$PKI" secrets enable pki
expect_refused_msg 1 'already in use' "$PKI" secrets enable -path=pki_int/ pki
expect_refused_msg 1 'already in use' "$PKI" mount create pki_int
expect_refused_msg 1 'reserved' "$PKI" secrets enable -path=sys pki
expect_refused_msg 1 'path-safe' "$PKI" secrets enable -path=a/b pki
expect_refused_msg 1 'path-safe' "$PKI" mount create a/b
expect_refused_msg 1 'path-safe' "$PKI" secrets tune -max-lease-ttl=1h a/b
expect_refused_msg 1 'path-safe' "$PKI" key read a/b
expect_refused_msg 1 'path-safe' "$PKI" key list -m a/b
expect_refused_msg 1 'path-safe' "$PKI" secrets enable "-path=has space" pki
expect_refused_msg 1 'path-safe' "$PKI" secrets enable -path=.hidden pki
expect_refused_msg 1 'path-safe' "$PKI" secrets enable -path=x:y pki
expect_refused_msg 1 'path-safe' "$PKI" secrets enable -path="$(printf 'm%.0s' {1..65})" pki
expect_refused_msg 1 '"kv"' "$PKI" secrets enable kv
expect_refused_msg 1 '"kv"' "$PKI" secrets enable -path=x kv

# ---- usage errors: exit 2 --------------------------------------------------------------------------
expect_refused 2 "$PKI"
expect_refused_msg 2 '"frob"' "$PKI" key frob
expect_refused_msg 2 '"frobnicate"' "$PKI" frobnicate
expect_refused_msg 2 '"frob"' "$PKI" config keys frob
expect_refused 2 "$PKI" secrets frob
expect_refused_msg 2 '--bogus' "$PKI" key list --bogus
expect_refused_msg 2 '--bogus' "$PKI" --bogus secrets list
expect_refused_msg 2 '--bogus' "$PKI" read --bogus pki/config/keys
expect_refused 2 "$PKI" read
expect_refused 2 "$PKI" key read
expect_refused 2 "$PKI" key generate
expect_refused 2 "$PKI" secrets enable
expect_refused 2 "$PKI" key generate internal --key-type
expect_refused_msg 2 '"xml"' "$PKI" read -format=xml pki/config/keys
expect_refused_msg 2 '"xml"' "$PKI" --format xml key list
expect_refused_msg 2 '"xml"' env PKI_FORMAT=xml "$PKI" read pki/config/keys
# A bad format refuses a write before it runs: nothing is created.
expect_refused_msg 2 '"xml"' "$PKI" key generate internal --key-type ec --key-name c -format=xml
expect_refused_msg 2 '"xml"' "$PKI" write -format=xml pki/keys/generate/internal key_type=ec
expect_refused_msg 2 'key=value' "$PKI" write pki/keys/generate/internal key_type
expect_refused_msg 2 'key=value' "$PKI" write pki/keys/generate/internal =ec

# ---- state directory failures: exit 3 ------------------------------------------------------------
echo file >"$WORK/file"
expect_exit 3 "$PKI" --state-dir "$WORK/file" read pki/config/keys
expect_exit 3 "$PKI" --state-dir "$WORK/file" secrets enable pki
expect_exit 3 "$PKI" --state-dir "$WORK/file/sub" secrets enable pki
mkdir -m 700 "$WORK/newer"
PKI_STATE_DIR="$WORK/newer" "$PKI" secrets enable pki >/dev/null 2>&1 || fail "setup newer"
# A newer pki wrote this directory: its schema record says 99. Every command refuses it, unchanged.
mdb_dump -p "$WORK/newer" | awk 'prev == " sys/schema" {print " 99"; prev=""; next} {print; prev=$0}' | mdb_load "$WORK/newer" 2>/dev/null ||
  fail "could not rewrite the schema record"
if mdb_dump -p "$WORK/newer" | grep -qx ' 99'; then ok; else fail "schema record not rewritten"; fi
export PKI_STATE_DIR="$WORK/newer"
expect_refused_msg 3 'newer' "$PKI" read sys/mounts/pki
expect_refused_msg 3 'newer' "$PKI" key generate internal --key-type ec
expect_refused_msg 3 'newer' "$PKI" secrets list
export PKI_STATE_DIR="$WORK/state"

# ---- and after all that, the state is what the setup made ---------------------------------------
expect_ok "$PKI" key list -field=keys
expect_eq "$(wc -l <"$WORK/out")" "2" "two keys"
expect_ok "$PKI" mount list -field=keys
expect_eq "$(sort "$WORK/out" | tr '\n' ' ')" "pki/ pki_int/ " "two mounts"

finish
