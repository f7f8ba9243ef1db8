#!/usr/bin/env bash
# examples/rotate-intermediate: run.sh runs to the end against a fresh state directory, and the
# files it leaves say what it claims (checked here again, independently of the script).
source "$(dirname "$0")/lib.sh"
: "${PKI_SOURCE_DIR:?set PKI_SOURCE_DIR to the source tree}"
cp -r "$PKI_SOURCE_DIR/examples/rotate-intermediate" "$WORK/ex"
cd "$WORK/ex"

if PKI="$PKI" WORK_DIR="$WORK/ex/work" bash ./run.sh >"$WORK/run.out" 2>&1; then ok; else fail "run.sh failed: $(tail -20 "$WORK/run.out")"; fi
if grep -q '^rotate-intermediate: OK$' "$WORK/run.out"; then ok; else fail "run.sh did not finish: $(tail -5 "$WORK/run.out")"; fi
# It used the state directory it was given, and wrote nothing into the source tree.
if [ -e "$PKI_STATE_DIR/data.mdb" ]; then ok; else fail "run.sh ignored PKI_STATE_DIR"; fi
if [ ! -e "$WORK/ex/work/state" ]; then ok; else fail "run.sh made its own state dir although PKI_STATE_DIR was set"; fi
if [ ! -e "$PKI_SOURCE_DIR/examples/rotate-intermediate/work" ]; then ok; else fail "files written into the source tree"; fi

W=$WORK/ex/work
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
crl_has() { openssl crl -in "$1" -noout -text | grep -q "Serial Number: $2$"; }
# The new default issuer signs new certificates; the old one signed a and b.
expect_ok openssl verify -CAfile "$W/root.pem" -untrusted "$W/int-new.pem" "$W/c.pem"
expect_ok openssl verify -CAfile "$W/root.pem" -untrusted "$W/int-old.pem" "$W/b.pem"
expect_exit 1 "$PKI" write pki_int/issuer/int-old/issue/web common_name=z.example.com
expect_eq "$("$PKI" read pki_int/issuer/int-old -field=usage)" "read-only" "int-old retired"
expect_eq "$("$PKI" read pki_int/config/issuers -field=default)" "$("$PKI" read pki_int/issuer/int-new -field=issuer_id)" "int-new is the default"
# The old issuer's last CRL lists both of its revoked certificates and is signed by it.
if crl_has "$W/old-2.crl.pem" "$(serial "$W/a.pem")" && crl_has "$W/old-2.crl.pem" "$(serial "$W/b.pem")"; then ok; else fail "int-old's CRL lacks a or b"; fi
if openssl crl -in "$W/old-2.crl.pem" -noout -verify -CAfile "$W/int-old.pem" 2>&1 | grep -q 'verify OK'; then ok; else fail "int-old's CRL is not signed by int-old"; fi
# ... and is what the state still serves for it.
"$PKI" read pki_int/issuer/int-old/crl -field=crl > "$WORK/now.crl.pem"
if cmp -s "$WORK/now.crl.pem" "$W/old-2.crl.pem"; then ok; else fail "int-old's CRL changed after it retired"; fi
finish
