#!/usr/bin/env bash
# Mutual-TLS handshake on 127.0.0.1 with the certificates the Makefile made.
#   - s_server (-www) requires a client certificate (-Verify 1) and verifies it against the CA
#     (-verify_return_error); it answers one HTTP request (-naccept 1) with a page that shows the
#     client certificate it accepted;
#   - s_client verifies the server against the CA and its name (-verify_return_error,
#     -verify_hostname), presents the client certificate and asks for that page.
# The check passes only if the client verified the server AND the server's page shows the client
# certificate. Bounded by CHECK_TIMEOUT seconds (default 20); the server is always killed after.
# Usage: ./mtls-check.sh [CA SERVER_CERT SERVER_KEY CLIENT_CERT CLIENT_KEY]
set -euo pipefail
CA=${1:-ca.pem} SCERT=${2:-server.pem} SKEY=${3:-server.key} CCERT=${4:-client.pem} CKEY=${5:-client.key}
TIMEOUT=${CHECK_TIMEOUT:-20}
NAME=${SERVER_NAME:-localhost}
LOG=${LOG_DIR:-.}

# A free high port: ask the kernel when python3 is there, else pick one at random.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 40000))
}

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=
}
trap stop_server EXIT

# Start the server; if it cannot listen (the port was taken meanwhile), try another port.
for _ in 1 2 3 4 5; do
  port=$(free_port)
  timeout "$TIMEOUT" openssl s_server -accept "127.0.0.1:$port" -naccept 1 -www \
    -cert "$SCERT" -key "$SKEY" -CAfile "$CA" -Verify 1 -verify_return_error </dev/null >"$LOG/s_server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    grep -q '^ACCEPT' "$LOG/s_server.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^ACCEPT' "$LOG/s_server.log" && break
  stop_server
done
[ -n "$server_pid" ] || { echo "mtls-check: s_server did not start: $(tail -3 "$LOG/s_server.log")" >&2; exit 1; }

status=0
printf 'GET / HTTP/1.0\r\n\r\n' | timeout "$TIMEOUT" openssl s_client -connect "127.0.0.1:$port" -ign_eof \
  -servername "$NAME" -verify_hostname "$NAME" -CAfile "$CA" -verify_return_error \
  -cert "$CCERT" -key "$CKEY" >"$LOG/s_client.log" 2>&1 || status=$?
stop_server

client_subject=$(openssl x509 -in "$CCERT" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
if [ "$status" -ne 0 ] || ! grep -q 'Verify return code: 0 (ok)' "$LOG/s_client.log"; then
  echo "mtls-check: FAILED: the client did not complete a verified handshake (exit $status):" >&2
  grep -iE 'verify error|Verify return code|alert|error' "$LOG/s_client.log" | head -5 >&2 || tail -5 "$LOG/s_client.log" >&2
  exit 1
fi
if ! grep -q 'HTTP/1.0 200 ok' "$LOG/s_client.log" \
   || ! grep -q '^Client certificate' "$LOG/s_client.log" \
   || ! grep -qF "Subject: $client_subject" "$LOG/s_client.log"; then
  echo "mtls-check: FAILED: the server did not accept the client certificate:" >&2
  grep -iE 'verify error|alert|error|no client certificate' "$LOG/s_server.log" "$LOG/s_client.log" | head -5 >&2 || true
  exit 1
fi
echo "mtls-check: OK: mutual TLS on 127.0.0.1:$port, $(grep -m1 'Protocol *:' "$LOG/s_client.log" | tr -s ' ' | sed 's/^ //')"
echo "  server: $(openssl x509 -in "$SCERT" -noout -subject -enddate | paste -sd' ')"
echo "  client: $(openssl x509 -in "$CCERT" -noout -subject -enddate | paste -sd' ')"
