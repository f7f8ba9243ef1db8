#!/usr/bin/env bash
# examples/offline-root/run.sh end to end: the ceremony across two state directories, then an
# independent check of what it left behind (three verifiers, which files moved, which keys where).
source "$(dirname "$0")/lib.sh"
: "${PKI_SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
SCRIPT="$PKI_SOURCE_DIR/examples/offline-root/run.sh"
BASE="$WORK/ceremony"
mkdir -p "$BASE"

# PKI_STATE_DIR is the parent of the two state directories.
if PKI="$PKI" PKI_STATE_DIR="$BASE" bash "$SCRIPT" >"$WORK/run.out" 2>"$WORK/run.err"; then ok; else
  fail "run.sh failed: $(tail -20 "$WORK/run.err")"; fi
if grep -q ": OK$" "$WORK/run.out"; then ok; else fail "run.sh did not report openssl verify OK: $(cat "$WORK/run.out")"; fi
for d in offline-root online-intermediate; do
  if [ -s "$BASE/$d/data.mdb" ]; then ok; else fail "no state directory $BASE/$d"; fi
done
# Only the CSR and the signed certificate were carried between the machines.
expect_eq "$(cd "$BASE/transfer" && ls | tr '\n' ' ')" "pki_int.csr signed_certificate.pem " "files carried"
if grep -q "PRIVATE KEY" "$BASE/transfer/"*; then fail "a private key was carried between the machines"; else ok; fi
# The state directories are separate: the root mount exists only offline, pki_int only online.
expect_exit 1 "$PKI" --state-dir "$BASE/online-intermediate" read pki/ca
expect_exit 1 "$PKI" --state-dir "$BASE/offline-root" read pki_int/ca
expect_ok "$PKI" --state-dir "$BASE/offline-root" read pki/ca/pem
if cmp -s "$WORK/out" <(openssl x509 -in "$BASE/out/root_ca.pem"); then ok; else fail "out/root_ca.pem is not the offline root"; fi
# The result verifies with all three verifiers, and the intermediate is the one the root signed.
openssl x509 -in "$BASE/transfer/signed_certificate.pem" -out "$WORK/int.pem" 2>/dev/null || fail "no signed certificate carried back"
USAGE=3 verify_all "$BASE/out/root_ca.pem" "$WORK/int.pem"
verify_all "$BASE/out/root_ca.pem" "$BASE/out/www.example.com.pem" "$WORK/int.pem"
verify_all "$BASE/out/root_ca.pem" "$BASE/out/www.example.com.pem" "$BASE/out/chain.pem"
expect_ok "$PKI" --state-dir "$BASE/online-intermediate" read -field=certificate pki_int/issuer/default
if cmp -s <(openssl x509 -in "$WORK/out") "$WORK/int.pem"; then ok; else fail "pki_int's default issuer is not the signed intermediate"; fi
expect_eq "$(openssl x509 -in "$WORK/int.pem" -noout -ext basicConstraints | tail -1 | tr -d ' ')" "CA:TRUE,pathlen:0" "intermediate path length"
expect_eq "$(openssl pkey -in "$BASE/out/www.example.com.key" -pubout | md5sum)" \
  "$(openssl x509 -in "$BASE/out/www.example.com.pem" -noout -pubkey | md5sum)" "server key matches its certificate"

# Without PKI_STATE_DIR it makes its own directory (and leaves the caller's state alone).
unset PKI_STATE_DIR
if HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg" PKI="$PKI" bash "$SCRIPT" >"$WORK/run2.out" 2>"$WORK/run2.err"; then ok; else
  fail "run.sh without PKI_STATE_DIR failed: $(tail -5 "$WORK/run2.err")"; fi
if [ -e "$WORK/xdg/pki" ] || [ -e "$WORK/home/.local/share/pki" ]; then fail "run.sh used the default state directory"; else ok; fi
made=$(sed -n 's/^ok: offline state \(.*\)\/offline-root, .*/\1/p' "$WORK/run2.err")
if [ -n "$made" ] && [ -d "$made/offline-root" ]; then ok; rm -rf "$made"; else fail "run.sh did not say where it worked: $(tail -2 "$WORK/run2.err")"; fi

# The variant with the root key on a PKCS#11 token (SoftHSM2): the same ceremony, and the root's
# key is on the token, never extractable, and not in the offline state.
for tool in softhsm2-util:softhsm2 pkcs11-tool:opensc; do
  command -v "${tool%%:*}" >/dev/null || fail "${tool%%:*} is missing: install the Debian package ${tool#*:}"
done
HSM="$WORK/hsm-ceremony"; mkdir -p "$HSM"
if ROOT_KEY=softhsm PKI="$PKI" PKI_STATE_DIR="$HSM" bash "$SCRIPT" >"$WORK/run3.out" 2>"$WORK/run3.err"; then ok; else
  fail "run.sh with ROOT_KEY=softhsm failed: $(tail -20 "$WORK/run3.err")"; fi
if grep -q "never extractable" "$WORK/run3.err"; then ok; else fail "the token root key is not shown as never extractable: $(tail -8 "$WORK/run3.err")"; fi
openssl x509 -in "$HSM/transfer/signed_certificate.pem" -out "$WORK/int3.pem" 2>/dev/null || fail "no signed certificate carried back (softhsm)"
verify_all "$HSM/out/root_ca.pem" "$HSM/out/www.example.com.pem" "$WORK/int3.pem"
expect_ok "$PKI" --state-dir "$HSM/offline-root" read -format=json pki/key/default; save "$WORK/k3.json"
expect_eq "$(jf "$WORK/k3.json" managed_key_name)" "offline-root" "the offline root's key is the managed key's"
if mdb_dump -p "$HSM/offline-root" | grep -q "$(cat "$HSM/hsm/pin")"; then fail "the offline state holds the token PIN"; else ok; fi
expect_eq "$(openssl x509 -in "$HSM/out/root_ca.pem" -noout -text | sed -n 's/.*ASN1 OID: //p')" "secp384r1" "token root on P-384"

finish
