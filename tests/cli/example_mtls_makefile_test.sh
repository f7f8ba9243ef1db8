#!/usr/bin/env bash
# examples/mtls-makefile: make check builds a CA, a server and a client certificate and proves them
# with an openssl mutual-TLS handshake; a second run re-issues nothing; short-lived or stale
# certificates are re-issued; the handshake check itself refuses a foreign client certificate.
source "$(dirname "$0")/lib.sh"
: "${PKI_SOURCE_DIR:?set PKI_SOURCE_DIR to the source tree}"
cp -r "$PKI_SOURCE_DIR/examples/mtls-makefile" "$WORK/ex"
cd "$WORK/ex"
MAKE=(make --no-print-directory PKI="$PKI")
FILES=(ca.pem server.pem server.key client.pem client.key)
mtimes() { stat -c '%n %Y.%y' "${FILES[@]}"; }
enddate() { openssl x509 -in "$1" -noout -enddate; }

# 1. First run: everything is made and the handshake works.
expect_ok "${MAKE[@]}" check
expect_out_contains "mtls-check: OK"
for f in "${FILES[@]}"; do if [ -s "$f" ]; then ok; else fail "$f not made"; fi; done
if [ -e "$PKI_STATE_DIR/data.mdb" ] && [ ! -e state ]; then ok; else fail "the Makefile did not use PKI_STATE_DIR"; fi
expect_eq "$(stat -c %a server.key client.key | sort -u)" "600" "key file modes"
expect_ok openssl verify -CAfile ca.pem server.pem client.pem
# The roles gave each certificate its own purpose.
expect_ok openssl verify -purpose sslserver -CAfile ca.pem server.pem
expect_ok openssl verify -purpose sslclient -CAfile ca.pem client.pem
if openssl verify -purpose sslclient -CAfile ca.pem server.pem >/dev/null 2>&1; then fail "server.pem is good for clientAuth"; else ok; fi
if openssl x509 -in server.pem -noout -ext subjectAltName | grep -q 'IP Address:127.0.0.1'; then ok; else fail "server.pem lacks IP SAN 127.0.0.1"; fi
expect_eq "$(mtimes | wc -l)" "5" "five files"

# 2. Second run: nothing re-issued (same files, same mtimes), and the handshake still works.
before=$(mtimes); sums=$(md5sum "${FILES[@]}")
ncerts=$("$PKI" list mtls/certs -format=json | jq '.data.keys | length')
sleep 1
expect_ok "${MAKE[@]}" check
expect_out_contains "mtls-check: OK"
expect_eq "$(grep -c 'fresh, kept' "$WORK/out")" "3" "second run keeps all three"
expect_eq "$(mtimes)" "$before" "mtimes after the second run"
expect_eq "$(md5sum "${FILES[@]}")" "$sums" "contents after the second run"
expect_eq "$("$PKI" list mtls/certs -format=json | jq '.data.keys | length')" "$ncerts" "no certificate issued by the second run"

# 3. A client certificate about to expire is re-issued (and only it).
rm client.pem
expect_ok "${MAKE[@]}" client.pem CLIENT_TTL=120s THRESHOLD=60
short=$(enddate client.pem)
if openssl x509 -checkend 300 -noout -in client.pem >/dev/null; then fail "client.pem is not short-lived"; else ok; fi
before_server=$(stat -c %Y.%y ca.pem server.pem server.key); before_client=$(stat -c %Y.%y client.pem client.key)
sleep 1
expect_ok "${MAKE[@]}" check
expect_out_contains "mtls-check: OK"
expect_out_contains "client.pem: issuing"
if [ "$(enddate client.pem)" != "$short" ] && openssl x509 -checkend 86400 -noout -in client.pem >/dev/null; then ok; else fail "client.pem not renewed: $(enddate client.pem)"; fi
if [ "$(stat -c %Y.%y client.pem client.key)" != "$before_client" ]; then ok; else fail "client.pem/key mtime unchanged"; fi
expect_eq "$(stat -c %Y.%y ca.pem server.pem server.key)" "$before_server" "CA and server untouched while renewing the client"
if [ "$(openssl x509 -in client.pem -noout -pubkey)" = "$(openssl pkey -in client.key -pubout)" ]; then ok; else fail "client.key does not match client.pem"; fi

# 4. THRESHOLD beyond the CA's lifetime: a new CA, and both leaves follow it.
old_ca=$(md5sum < ca.pem)
expect_ok "${MAKE[@]}" check THRESHOLD=$((20 * 365 * 86400))
expect_out_contains "mtls-check: OK"
if [ "$(md5sum < ca.pem)" != "$old_ca" ]; then ok; else fail "ca.pem not renewed"; fi
expect_ok openssl verify -CAfile ca.pem server.pem client.pem
expect_eq "$("$PKI" read mtls/cert/ca -field=certificate)" "$(cat ca.pem)" "ca.pem is the mount's default issuer"
# ... and afterwards, with the normal threshold, everything is kept again.
before=$(mtimes)
expect_ok "${MAKE[@]}" check
expect_eq "$(mtimes)" "$before" "mtimes after renewing the CA"

# 5. The check is not vacuous: a client certificate from another CA is refused, and so is none.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem \
  -subj /CN=intruder -days 1 >/dev/null 2>&1
if CHECK_TIMEOUT=10 ./mtls-check.sh ca.pem server.pem server.key other.pem other.key >"$WORK/out" 2>&1; then
  fail "mtls-check accepted a client certificate from another CA"; else ok; fi
# A server certificate the client cannot verify is refused too.
if CHECK_TIMEOUT=10 ./mtls-check.sh ca.pem other.pem other.key client.pem client.key >"$WORK/out" 2>&1; then
  fail "mtls-check accepted a server certificate from another CA"; else ok; fi
# No openssl server left behind.
left=0
for p in $(pgrep -x openssl || true); do [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$WORK/ex" ] && left=1; done
expect_eq "$left" "0" "an openssl process left running"
if [ ! -e "$PKI_SOURCE_DIR/examples/mtls-makefile/ca.pem" ] && [ ! -e "$PKI_SOURCE_DIR/examples/mtls-makefile/state" ]; then ok; else fail "files written into the source tree"; fi
finish
