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

finish
