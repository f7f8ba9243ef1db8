# Shared helpers for the tests of pki serve: on top of tests/cli/lib.sh, start a real server on
# a free loopback port and talk to it with curl.
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

# free_port: a TCP port nobody listens on now (the kernel picks it).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_server [ARGS...]: pki serve on the test's state directory at a free port, with the root
# token in $WORK/root-token and the access log in $WORK/access.log. Sets ADDR (http://127.0.0.1:P,
# or https:// when ARGS hold TLS options), PORT, TOKEN and SERVER_PID; the server is stopped when
# the test ends. Fails the test when the server does not answer sys/health within 10 s.
start_server() {
  PORT=$(free_port)
  local scheme=http a
  for a in "$@"; do case $a in --tls-cert|--tls-role) scheme=https ;; esac; done
  "$PKI" serve --listen "127.0.0.1:$PORT" --root-token-file "$WORK/root-token" --log-file "$WORK/access.log" "$@" \
    > "$WORK/serve.out" 2> "$WORK/serve.err" &
  SERVER_PID=$!
  at_exit "kill $SERVER_PID; wait $SERVER_PID"
  ADDR="$scheme://127.0.0.1:$PORT"
  local i
  for i in $(seq 1 100); do
    if curl -sk -o /dev/null "$ADDR/v1/sys/health"; then
      TOKEN=$(cat "$WORK/root-token" 2>/dev/null || true)
      export ADDR PORT TOKEN SERVER_PID
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "pki serve did not start: $(tr '\n' ' ' < "$WORK/serve.err")"
  return 1
}

# api METHOD PATH [JSON]: curl the API with the root token; prints the body, then a last line
# "HTTP <status>". Extra curl options may come in CURL_OPTS (an array).
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sk -X "$method" -H "X-Vault-Token: $TOKEN" -w '\nHTTP %{http_code}\n' "${CURL_OPTS[@]}")
  [ -n "$body" ] && args+=(--data-binary "$body")
  curl "${args[@]}" "$ADDR/v1/$path"
}
CURL_OPTS=()

# status_of OUTPUT: the status from api's last line.
status_of() { tail -n1 <<< "$1" | awk '{print $2}'; }
# body_of OUTPUT: api's output without its status line.
body_of() { sed '$d' <<< "$1"; }

# expect_status CODE METHOD PATH [JSON]: the request answers CODE; the body is kept in $LAST.
expect_status() {
  local code=$1; shift
  LAST=$(api "$@") || true
  local got; got=$(status_of "$LAST")
  if [ "$got" = "$code" ]; then ok; else fail "$1 $2: expected HTTP $code, got $got: $(body_of "$LAST" | head -c 400)"; fi
  LAST=$(body_of "$LAST")
}
