#!/usr/bin/env bash
# pki serve under abuse, end to end: request limits (413, 431), malformed HTTP (400 and close),
# unknown methods (405), slow and silent clients (the idle, header and body timeouts), the
# connection limit (503); start-up refusals; TLS (verification, protocol versions, SIGHUP reload,
# a certificate of its own from a role, renewed without a restart); several listeners and several
# processes on one state; SIGTERM, SIGINT and kill -9 under load lose no acknowledged write.
# What curl cannot send goes through python3 raw sockets ($WORK/raw.py).
source "$(dirname "$0")/serve_lib.sh"
unset PKI_ADDR VAULT_ADDR
CURL_OPTS=(--max-time 30)
MAIN_STATE=$PKI_STATE_DIR

# ---- helpers ------------------------------------------------------------------------------------
declare -A PID_OF PORT_OF ADDR_OF TOKEN_OF

# running PID: the process exists and has not exited (an exited child not yet waited for is a
# zombie, which kill -0 still finds).
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
# A cleanup step: SIGKILL the server PID if it is still a child of this test.
_reap() {
  local ppid; ppid=$(awk '{print $4}' "/proc/$1/stat" 2>/dev/null) || return 0
  [ "$ppid" = "$_LIB_PID" ] || return 0
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# launch NAME [ARGS...]: pki serve on $PKI_STATE_DIR (its root token in $PKI_STATE_DIR.token, its
# access log in $WORK/NAME.access, its stdout/stderr in $WORK/NAME.out/.err). Adds
# --listen 127.0.0.1:<free port> unless ARGS hold a --listen (then the first one is probed, 0.0.0.0
# as 127.0.0.1). Waits for sys/health; sets ADDR PORT TOKEN SERVER_PID, and PID_OF[NAME]...
launch() {
  local name=$1; shift
  local scheme=http a prev= listen=
  for a in "$@"; do
    case $a in --tls-cert|--tls-role) scheme=https ;; esac
    if [ "$prev" = --listen ] && [ -z "$listen" ]; then listen=$a; fi
    prev=$a
  done
  local extra=()
  if [ -z "$listen" ]; then PORT=$(free_port); extra=(--listen "127.0.0.1:$PORT"); else PORT=${listen##*:}; fi
  "$PKI" serve "${extra[@]}" --root-token-file "$PKI_STATE_DIR.token" --log-file "$WORK/$name.access" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SERVER_PID=$!
  at_exit "_reap $SERVER_PID"
  ADDR="$scheme://127.0.0.1:$PORT"
  PID_OF[$name]=$SERVER_PID PORT_OF[$name]=$PORT ADDR_OF[$name]=$ADDR
  local i
  for i in $(seq 1 100); do
    if curl -sk --max-time 2 -o /dev/null "$ADDR/v1/sys/health"; then
      TOKEN=$(cat "$PKI_STATE_DIR.token" 2>/dev/null || true)
      TOKEN_OF[$name]=$TOKEN
      return 0
    fi
    running "$SERVER_PID" || break
    sleep 0.1
  done
  fail "pki serve ($name: $*) did not start: $(tr '\n' ' ' < "$WORK/$name.err")"
  return 1
}
# use NAME: point api/expect_status at server NAME.
use() { ADDR=${ADDR_OF[$1]} PORT=${PORT_OF[$1]} TOKEN=${TOKEN_OF[$1]} SERVER_PID=${PID_OF[$1]}; }

# alive NAME AFTER: server NAME still runs and answers sys/health with 200.
alive() {
  local pid=${PID_OF[$1]} code
  if ! running "$pid"; then fail "server $1 is gone after $2: $(tail -c 400 "$WORK/$1.err")"; return 0; fi
  code=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "${ADDR_OF[$1]}/v1/sys/health") || true
  if [ "$code" = 200 ]; then ok; else fail "server $1 does not answer sys/health after $2 (HTTP $code)"; fi
}

# stop NAME [SIGNAL] [BOUND]: send SIGNAL (TERM) and wait up to BOUND seconds (10) for the exit.
# Sets STOP_RC (the exit status, "timeout" when it did not exit) and STOP_MS (ms to the exit).
stop() {
  local name=$1 sig=${2:-TERM} bound=${3:-10} pid=${PID_OF[$1]}
  local t0 t1; t0=$(date +%s%N)
  kill "-$sig" "$pid"
  while running "$pid"; do
    t1=$(date +%s%N)
    if [ $(((t1 - t0) / 1000000)) -gt $((bound * 1000)) ]; then
      STOP_RC=timeout STOP_MS=$(((t1 - t0) / 1000000))
      kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.02
  done
  t1=$(date +%s%N)
  STOP_MS=$(((t1 - t0) / 1000000))
  STOP_RC=0; wait "$pid" || STOP_RC=$?
}
# stopped_cleanly NAME SIGNAL BOUND: stop, and check the exit is 0 within BOUND seconds.
stopped_cleanly() {
  stop "$1" "$2" "$3"
  if [ "$STOP_RC" = 0 ]; then ok; else fail "server $1 on SIG$2: exit $STOP_RC after ${STOP_MS} ms (want 0 within $3 s): $(tail -c 400 "$WORK/$1.err")"; fi
}

# A raw HTTP client: raw.py PORT 'PAYLOAD' [wait=S] [trickle=S] [total=S]. PAYLOAD is a Python
# bytes expression. Sends it (one byte every `trickle` seconds if given), reads until the server
# closes, `wait` seconds pass after the last byte sent (4) or `total` seconds after the connect
# (30), and prints key=value lines: status (of the first response, "none" when there was none),
# errors (1 when its body is {"errors":[...]} with at least one string), closed (1 when the server
# closed or reset the connection), close_after (seconds from the last byte sent to the close),
# close_at (seconds from the connect to the close), sent (bytes sent before the server stopped
# reading), head (the first line, escaped).
cat > "$WORK/raw.py" <<'EOF'
import json, select, socket, sys, time
port = int(sys.argv[1])
payload = eval(sys.argv[2], {})
opts = dict(a.split("=", 1) for a in sys.argv[3:])
wait, trickle, total = float(opts.get("wait", 4)), float(opts.get("trickle", 0)), float(opts.get("total", 30))
s = socket.create_connection(("127.0.0.1", port), timeout=5)
t0 = time.monotonic()
data, closed, t_close, sent, t_last = b"", False, None, 0, t0
next_send = t0
while True:
    now = time.monotonic()
    if now - t_last > wait or now - t0 > total:
        break
    want_write = sent < len(payload) and now >= next_send
    r, w, _ = select.select([s], [s] if want_write else [], [], 0.01)
    if r:
        try:
            chunk = s.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            closed, t_close = True, time.monotonic()
            break
        data += chunk
    if w:
        n = 1 if trickle else len(payload) - sent
        try:
            k = s.send(payload[sent:sent + min(n, 1 << 20)])
        except OSError:
            k = 0
            payload = payload[:sent]  # the server stopped reading; keep reading its answer
        sent += k
        t_last = time.monotonic()
        next_send = t_last + trickle
status, errors, head = "none", 0, ""
if data:
    head = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = head.split(" ")
    if len(parts) >= 2 and parts[1].isdigit():
        status = parts[1]
    body = data.partition(b"\r\n\r\n")[2]
    try:
        doc = json.loads(body.decode("utf-8", "replace"))
        e = doc.get("errors")
        errors = int(isinstance(e, list) and len(e) > 0 and all(isinstance(x, str) for x in e))
    except ValueError:
        pass
print(f"status={status}")
print(f"errors={errors}")
print(f"closed={int(closed)}")
print(f"close_after={(t_close - t_last) if closed else -1:.3f}")
print(f"close_at={(t_close - t0) if closed else -1:.3f}")
print(f"sent={sent}")
print(f"head={head!r}")
EOF
# raw NAME PAYLOAD [OPTS...]: raw.py against server NAME; the result in $RAW (key=value lines).
raw() {
  local name=$1; shift
  RAW=$(python3 "$WORK/raw.py" "${PORT_OF[$name]}" "$@" 2>&1) || { fail "raw.py $*: $RAW"; RAW=; }
}
rawv() { sed -n "s/^$1=//p" <<<"$RAW"; }
# secs_between LOW HIGH VALUE: LOW <= VALUE <= HIGH (seconds, decimals allowed).
secs_between() { python3 -c 'import sys; lo, hi, v = map(float, sys.argv[1:4]); sys.exit(0 if lo <= v <= hi else 1)' "$1" "$2" "$3"; }
# expect_refusal NAME WHAT PAYLOAD CODE [OPTS...]: the server answers CODE with {"errors":[...]},
# closes the connection right after (within 1 s of the last byte it read; every server it is used
# on keeps idle connections open for 60 s), and still answers sys/health.
expect_refusal() {
  local name=$1 what=$2 payload=$3 code=$4; shift 4
  raw "$name" "$payload" "$@"
  expect_eq "$(rawv status)" "$code" "$what: status ($RAW)"
  expect_eq "$(rawv errors)" 1 "$what: a JSON {\"errors\":[...]} body ($RAW)"
  expect_eq "$(rawv closed)" 1 "$what: the connection is closed ($RAW)"
  if [ "$(rawv closed)" = 1 ]; then
    if secs_between 0 1 "$(rawv close_after)"; then ok; else fail "$what: closed only $(rawv close_after) s after the request"; fi
  fi
  alive "$name" "$what"
}

# served_cert NAME OUT [S_CLIENT ARGS...]: the certificate server NAME presents on a new TLS
# connection, as PEM in OUT; the s_client output in $WORK/s_client.out.
served_cert() {
  local name=$1 out=$2; shift 2
  local rc=0
  timeout 10 openssl s_client -connect "127.0.0.1:${PORT_OF[$name]}" -servername localhost "$@" </dev/null >"$WORK/s_client.out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then fail "openssl s_client to $name $* (exit $rc): $(grep -i 'error\|verify' "$WORK/s_client.out" | head -5)"; return 1; fi
  _checked "served_cert $name: openssl x509" openssl x509 -in "$WORK/s_client.out" -out "$out"
}
# post_ok NAME PATH JSON OUTFILE: POST through server NAME answers 200; its body goes to OUTFILE.
post_ok() {
  use "$1"; expect_status 200 POST "$2" "$3"; printf '%s\n' "$LAST" > "$4"
}

# ---- 1. limits, malformed HTTP, slow and silent clients, the connection limit -------------------
section "request size and header size limits"
launch limits --max-request-size 1024 --max-header-size 4096
use limits
expect_refusal limits "a 2000-byte body (limit 1024)" \
  'b"POST /v1/pki/roles/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n" + b"{\"pad\":\"" + b"a" * 1990 + b"\"}"' 413
expect_refusal limits "a 1025-byte body (limit 1024)" \
  'b"POST /v1/pki/roles/big HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n" + b" " * 1025' 413
expect_refusal limits "a 2000-byte chunked body (limit 1024)" \
  'b"POST /v1/pki/roles/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + (b"3e8\r\n" + b" " * 1000 + b"\r\n") * 2 + b"0\r\n\r\n"' 413
# exactly the limit is allowed: 1024 bytes of JSON reach the API (which answers, not with 413)
raw limits 'b"POST /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + b"{\"a\":\"" + b"a" * 1016 + b"\"}"' wait=2
if [ "$(rawv status)" != 413 ] && [ "$(rawv status)" != none ]; then ok; else fail "a 1024-byte body (limit 1024) is refused: $RAW"; fi
alive limits "a body at the limit"
expect_refusal limits "a 5000-byte header (limit 4096)" \
  'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 5000 + b"\r\n\r\n"' 431
expect_refusal limits "60 headers of 100 bytes (limit 4096)" \
  'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 90) for i in range(60)) + b"\r\n"' 431
raw limits 'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 3000 + b"\r\nConnection: close\r\n\r\n"'
expect_eq "$(rawv status)" 200 "a 3000-byte header (limit 4096) is served ($RAW)"

section "malformed HTTP"
expect_refusal limits "a garbage request line" 'b"HELLO\r\n\r\n"' 400
expect_refusal limits "binary garbage" 'b"\x00\x01\x02 \xff\xfe garbage\r\n\r\n"' 400
expect_refusal limits "a request line without a version" 'b"GET /v1/sys/health\r\nHost: x\r\n\r\n"' 400
expect_refusal limits "a header line without a colon" 'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"' 400
expect_refusal limits "a header name with a space" 'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n"' 400
expect_refusal limits "a Content-Length that is not a number" 'b"POST /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"' 400
expect_refusal limits "a chunk size that is not hex" \
  'b"POST /v1/pki/roles/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n"' 400
expect_refusal limits "a chunk longer than its size" \
  'b"POST /v1/pki/roles/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"' 400

section "unknown methods"
expect_status 405 BREW sys/health
has "$LAST" '"errors"' "BREW sys/health"
expect_status 405 TRACE pki/roles/x
raw limits 'b"FOO /v1/sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"'
expect_eq "$(rawv status)" 405 "FOO /v1/sys/health ($RAW)"
expect_eq "$(rawv errors)" 1 "FOO /v1/sys/health: a JSON {\"errors\":[...]} body ($RAW)"
alive limits "unknown methods"

section "idle, header and body timeouts (1 s each)"
launch timeouts --idle-timeout 1s --header-timeout 1s --body-timeout 1s
raw timeouts 'b""' wait=5
expect_eq "$(rawv closed)" 1 "a silent connection is closed ($RAW)"
if secs_between 0.8 2 "$(rawv close_at)"; then ok; else fail "a silent connection (idle timeout 1 s) was closed after $(rawv close_at) s"; fi
raw timeouts 'b"GET /v1/sys/health HTTP/1.1\r\nHo"' wait=5
expect_eq "$(rawv closed)" 1 "half a header line: the connection is closed ($RAW)"
if secs_between 0.8 2 "$(rawv close_after)"; then ok; else fail "half a header line (header timeout 1 s): closed after $(rawv close_after) s"; fi
expect_eq "$(rawv status)" none "half a header line: no response ($RAW)"
# a client trickling its header one byte every 0.2 s is cut at the header timeout, not kept alive
raw timeouts 'b"GET /v1/sys/health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: slow-loris\r\n\r\n"' trickle=0.2 wait=6 total=6
expect_eq "$(rawv closed)" 1 "a header trickled byte by byte: the connection is closed ($RAW)"
if secs_between 0.8 2 "$(rawv close_at)"; then ok; else fail "a header trickled byte by byte (header timeout 1 s): closed after $(rawv close_at) s"; fi
raw timeouts 'b"POST /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"' wait=5
expect_eq "$(rawv closed)" 1 "a body that stops half way: the connection is closed ($RAW)"
if secs_between 0.8 2 "$(rawv close_after)"; then ok; else fail "a body that stops half way (body timeout 1 s): closed after $(rawv close_after) s"; fi
# a kept-alive connection after a request waits the idle timeout, then is closed
raw timeouts 'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n"' wait=5
expect_eq "$(rawv status)" 200 "a kept-alive request ($RAW)"
if [ "$(rawv closed)" = 1 ] && secs_between 0.8 2 "$(rawv close_after)"; then ok; else fail "a kept-alive connection (idle timeout 1 s) after its request: $RAW"; fi
alive timeouts "slow and silent clients"
stopped_cleanly timeouts TERM 5

section "the connection limit (--max-connections 4) and the default size limits"
launch conns --max-connections 4
cat > "$WORK/conns.py" <<'EOF'
import json, socket, sys, time
port = int(sys.argv[1])
REQ = b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n"
def response(s):
    """One response on a kept-alive connection: its status, or 'closed' / 'timeout'."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            c = s.recv(65536)
            if not c: return "closed", data
            data += c
        hdr, _, body = data.partition(b"\r\n\r\n")
        n = 0
        for line in hdr.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length": n = int(v)
        while len(body) < n:
            c = s.recv(65536)
            if not c: return "closed", data
            body += c
        return hdr.split(b" ")[1].decode(), body
    except socket.timeout:
        return "timeout", data
    except OSError:
        return "closed", data
def closed_after(s, limit=2.0):
    s.settimeout(limit)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True
out = {}
conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
statuses = []
for c in conns:
    c.sendall(REQ); statuses.append(response(c)[0])
out["first_four"] = statuses
fifth = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    fifth.sendall(REQ)
except OSError:
    pass
st, body = response(fifth)
out["fifth"] = st
try:
    e = json.loads(body.decode()).get("errors")
    out["fifth_errors"] = isinstance(e, list) and len(e) > 0
except Exception:
    out["fifth_errors"] = False
out["fifth_closed"] = closed_after(fifth)
statuses = []
for c in conns:
    c.settimeout(5)
    c.sendall(REQ); statuses.append(response(c)[0])
out["first_four_again"] = statuses
conns[0].close()
time.sleep(0.5)
sixth = socket.create_connection(("127.0.0.1", port), timeout=5)
sixth.sendall(REQ)
out["after_one_closed"] = response(sixth)[0]
print(json.dumps(out))
EOF
CONNS=$(python3 "$WORK/conns.py" "${PORT_OF[conns]}" 2>&1) || fail "conns.py: $CONNS"
cx() { python3 -c 'import json, sys; print(eval(sys.argv[2], {}, json.loads(sys.argv[1])))' "$CONNS" "$1" 2>/dev/null || echo "?"; }
expect_eq "$(cx 'first_four')" "['200', '200', '200', '200']" "four connections are served ($CONNS)"
expect_eq "$(cx 'fifth')" 503 "a fifth connection ($CONNS)"
expect_eq "$(cx 'fifth_errors')" True "the 503 has a JSON {\"errors\":[...]} body ($CONNS)"
expect_eq "$(cx 'fifth_closed')" True "the fifth connection is closed ($CONNS)"
expect_eq "$(cx 'first_four_again')" "['200', '200', '200', '200']" "the first four stay usable ($CONNS)"
expect_eq "$(cx 'after_one_closed')" 200 "once one of the four closes, a new connection is served ($CONNS)"
alive conns "the connection limit"
# the default body limit is 32 MiB (Vault's max_request_size): curl sends 33 MiB (with its
# Expect: 100-continue), and a raw client announces 33 MiB and starts sending it
head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$WORK/33mib"
use conns
code=$(curl -s --max-time 60 -o "$WORK/33mib.out" -w '%{http_code}' -X POST -H "X-Vault-Token: $TOKEN" --data-binary @"$WORK/33mib" "$ADDR/v1/pki/roles/big") || true
expect_eq "$code" 413 "a 33 MiB body with the default limit"
has "$(cat "$WORK/33mib.out")" '"errors":[' "the 413 for 33 MiB"
expect_refusal conns "a 33 MiB body without Expect (default limit)" \
  'b"POST /v1/pki/roles/big HTTP/1.1\r\nHost: x\r\nContent-Length: 34603008\r\n\r\n" + b" " * (2 << 20)' 413
# exactly 32 MiB is read (and refused by the API as not JSON, not as too large)
head -c $((32 * 1024 * 1024)) /dev/zero | tr '\0' 'a' > "$WORK/32mib"
code=$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' -X POST -H "X-Vault-Token: $TOKEN" --data-binary @"$WORK/32mib" "$ADDR/v1/pki/roles/big") || true
if [ "$code" != 413 ] && [ "$code" != 000 ]; then ok; else fail "a 32 MiB body (the default limit) is refused: HTTP $code"; fi
expect_refusal conns "a 70000-byte header (default limit 65536)" \
  'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 70000 + b"\r\n\r\n"' 431
rm -f "$WORK/33mib" "$WORK/32mib"

# ---- 2. start-up refusals -----------------------------------------------------------------------
section "start-up refusals"
PKI_STATE_DIR=$WORK/refused-state
P=$(free_port)
expect_refused 2 timeout 10 "$PKI" serve --listen "0.0.0.0:$P"
expect_err_contains "--listen 0.0.0.0:$P"
expect_err_contains "--insecure-plain-http"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-cert "$WORK/none.pem"
expect_err_contains "--tls-key"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-key "$WORK/none.pem"
expect_err_contains "--tls-cert"
expect_refused 2 timeout 10 "$PKI" serve --listen 127.0.0.1:99999
expect_err_contains "--listen 127.0.0.1:99999"
expect_refused 2 timeout 10 "$PKI" serve --listen 127.0.0.1:abc
expect_err_contains "--listen 127.0.0.1:abc"
expect_refused 2 timeout 10 "$PKI" serve --listen 127.0.0.1
expect_err_contains "--listen 127.0.0.1"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-role pki/web
expect_err_contains "--tls-name"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-name localhost
expect_err_contains "--tls-role"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --idle-timeout 0s
expect_err_contains "--idle-timeout"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --max-connections 0
expect_err_contains "--max-connections"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --crl-check-interval 0s
expect_err_contains "--crl-check-interval"
expect_refused 2 timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --crl-check-interval soon
expect_err_contains "--crl-check-interval"
# plain HTTP on 0.0.0.0 with --insecure-plain-http: starts, with a warning naming the address
PKI_STATE_DIR=$WORK/insecure-state
P=$(free_port)
launch insecure --listen "0.0.0.0:$P" --insecure-plain-http
alive insecure "starting on 0.0.0.0 with --insecure-plain-http"
has "$(cat "$WORK/insecure.err")" "Warning: --insecure-plain-http: 0.0.0.0:$P" "the start-up messages of --insecure-plain-http"
stopped_cleanly insecure TERM 5
# TLS files that cannot be used; an address in use (the state is the main one: its token exists)
PKI_STATE_DIR=$MAIN_STATE
echo "this is not PEM" > "$WORK/notpem.pem"
P=$(free_port)
rc=0; timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-cert "$WORK/notpem.pem" --tls-key "$WORK/notpem.pem" >"$WORK/out" 2>"$WORK/err" || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then ok; else fail "--tls-cert that is not PEM: exit $rc: $(cat "$WORK/err")"; fi
expect_err_contains "$WORK/notpem.pem"
rc=0; timeout 10 "$PKI" serve --listen "127.0.0.1:$P" --tls-cert "$WORK/missing.pem" --tls-key "$WORK/missing.pem" >"$WORK/out" 2>"$WORK/err" || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then ok; else fail "--tls-cert that does not exist: exit $rc: $(cat "$WORK/err")"; fi
expect_err_contains "$WORK/missing.pem"
expect_exit 3 timeout 10 "$PKI" serve --listen "127.0.0.1:${PORT_OF[limits]}"
expect_err_contains "127.0.0.1:${PORT_OF[limits]}"
alive limits "a second server trying its port"
stopped_cleanly limits TERM 5
stopped_cleanly conns TERM 5

# ---- 3. TLS -------------------------------------------------------------------------------------
section "TLS: a CA made by the server, its certificate on the server"
launch setup
post_ok setup sys/mounts/pki '{"type":"pki"}' "$WORK/mount.json"
post_ok setup pki/root/generate/internal '{"common_name":"Robustness Root CA","ttl":"720h","key_type":"ec","key_bits":256}' "$WORK/root.json"
jf "$WORK/root.json" certificate > "$WORK/ca.pem"
ROLE='"allowed_domains":"localhost","allow_bare_domains":true,"allow_localhost":true,"allow_ip_sans":true,"key_type":"ec","key_bits":256'
post_ok setup pki/roles/web "{$ROLE,\"ttl\":\"1h\"}" "$WORK/role.json"
post_ok setup pki/roles/short "{$ROLE,\"ttl\":\"30s\"}" "$WORK/role-short.json"
post_ok setup pki/issue/web '{"common_name":"localhost","ip_sans":"127.0.0.1"}' "$WORK/tls1.json"
jf "$WORK/tls1.json" certificate > "$WORK/tls-cert.pem"
jf "$WORK/tls1.json" private_key > "$WORK/tls-key.pem"
S1=$(jf "$WORK/tls1.json" serial_number)
stopped_cleanly setup TERM 5

launch tls --tls-cert "$WORK/tls-cert.pem" --tls-key "$WORK/tls-key.pem" --header-timeout 2s
served_cert tls "$WORK/served.pem" -CAfile "$WORK/ca.pem" -verify_return_error -verify_hostname localhost
has "$(cat "$WORK/s_client.out")" "Verify return code: 0 (ok)" "s_client -verify_hostname localhost"
expect_eq "$(serial_of "$WORK/served.pem")" "$S1" "the served certificate is the one of --tls-cert"
served_cert tls "$WORK/served.pem" -CAfile "$WORK/ca.pem" -verify_return_error -verify_ip 127.0.0.1
has "$(cat "$WORK/s_client.out")" "Verify return code: 0 (ok)" "s_client -verify_ip 127.0.0.1"
for v in tls1 tls1_1; do
  rc=0; timeout 10 openssl s_client -connect "127.0.0.1:${PORT_OF[tls]}" -"$v" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null >"$WORK/s_client.out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then ok; else fail "s_client -$v is accepted: $(grep Protocol "$WORK/s_client.out")"; fi
  has "$(cat "$WORK/s_client.out")" "alert protocol version" "s_client -$v (the server refuses the version)"
done
served_cert tls "$WORK/served.pem" -CAfile "$WORK/ca.pem" -verify_return_error -tls1_2
has "$(cat "$WORK/s_client.out")" "New, TLSv1.2, Cipher is" "s_client -tls1_2"
served_cert tls "$WORK/served.pem" -CAfile "$WORK/ca.pem" -verify_return_error -tls1_3
# (not "Protocol  : TLSv1.3": s_client prints its SSL-Session block only once a TLS 1.3 session
# ticket has come, which races with its exit at the end of stdin)
has "$(cat "$WORK/s_client.out")" "New, TLSv1.3, Cipher is" "s_client -tls1_3"
code=$(curl -s --max-time 10 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "https://localhost:${PORT_OF[tls]}/v1/sys/health") || true
expect_eq "$code" 200 "curl --cacert https://localhost"
code=$(curl -s --max-time 10 --cacert "$WORK/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:${PORT_OF[tls]}/v1/sys/health") || true
expect_eq "$code" 200 "curl --cacert https://127.0.0.1"
# plain HTTP, and garbage, on the TLS port: refused, the server goes on
raw tls 'b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n"' wait=3
expect_eq "$(rawv closed)" 1 "plain HTTP on the TLS port is closed ($RAW)"
raw tls 'b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00" + b"\x00" * 100' wait=3
expect_eq "$(rawv closed)" 1 "a broken TLS handshake is closed ($RAW)"
# a handshake that stops half way is cut at the header timeout (2 s here)
raw tls 'b"\x16\x03\x01"' wait=6
expect_eq "$(rawv closed)" 1 "a TLS handshake that stops half way is closed ($RAW)"
if secs_between 1.6 4 "$(rawv close_after)"; then ok; else fail "a TLS handshake that stops half way (header timeout 2 s): closed after $(rawv close_after) s"; fi
alive tls "plain HTTP and broken handshakes on the TLS port"

section "TLS: SIGHUP reloads the certificate"
CURL_OPTS=(--max-time 30 --cacert "$WORK/ca.pem")
post_ok tls pki/issue/web '{"common_name":"localhost","ip_sans":"127.0.0.1"}' "$WORK/tls2.json"
S2=$(jf "$WORK/tls2.json" serial_number)
if [ -n "$S2" ] && [ "$S2" != "$S1" ]; then ok; else fail "a second certificate has serial '$S2' (the first: $S1)"; fi
jf "$WORK/tls2.json" certificate > "$WORK/tls-cert.new"
jf "$WORK/tls2.json" private_key > "$WORK/tls-key.new"
mv "$WORK/tls-key.new" "$WORK/tls-key.pem"; mv "$WORK/tls-cert.new" "$WORK/tls-cert.pem"
kill -HUP "${PID_OF[tls]}"
got=
for i in $(seq 1 30); do
  if timeout 10 openssl s_client -connect "127.0.0.1:${PORT_OF[tls]}" -CAfile "$WORK/ca.pem" </dev/null >"$WORK/s_client.out" 2>&1 &&
     openssl x509 -in "$WORK/s_client.out" -out "$WORK/served.pem" 2>/dev/null; then
    got=$(serial_of "$WORK/served.pem") || got=
    [ "$got" = "$S2" ] && break
  fi
  sleep 0.1
done
expect_eq "$got" "$S2" "after SIGHUP a new connection sees the new certificate"
alive tls "SIGHUP"
# a SIGHUP with files that are not PEM keeps the previous certificate
echo "not a certificate" > "$WORK/tls-cert.pem"
kill -HUP "${PID_OF[tls]}"
sleep 0.5
alive tls "SIGHUP with a broken certificate file"
served_cert tls "$WORK/served.pem" -CAfile "$WORK/ca.pem" -verify_return_error
expect_eq "$(serial_of "$WORK/served.pem")" "$S2" "after a SIGHUP with a broken file the previous certificate is served"
has "$(cat "$WORK/tls.access")" "SIGHUP: kept the previous TLS certificate" "the access log after a SIGHUP with a broken file"
stopped_cleanly tls TERM 5
CURL_OPTS=(--max-time 30)

section "TLS: the server's own certificate from a role"
launch role --tls-role pki/web --tls-name localhost --tls-name 127.0.0.1
served_cert role "$WORK/own.pem" -CAfile "$WORK/ca.pem" -verify_return_error -verify_hostname localhost
has "$(cat "$WORK/s_client.out")" "Verify return code: 0 (ok)" "s_client to the --tls-role server"
expect_eq "$(x509 "$WORK/own.pem" -issuer -nameopt RFC2253)" "issuer=$(x509 "$WORK/ca.pem" -subject -nameopt RFC2253 | sed 's/^subject=//')" "the issuer of the --tls-role certificate"
expect_eq "$(x509 "$WORK/own.pem" -subject -nameopt RFC2253)" "subject=CN=localhost" "the subject of the --tls-role certificate"
san=$(ext "$WORK/own.pem" subjectAltName) || san=
has "$san" "DNS:localhost" "the SANs of the --tls-role certificate"
has "$san" "IP Address:127.0.0.1" "the SANs of the --tls-role certificate"
OWN=$(serial_of "$WORK/own.pem") || OWN=
use role; CURL_OPTS=(--max-time 30 --cacert "$WORK/ca.pem")
expect_status 200 GET "pki/cert/$OWN"
CURL_OPTS=(--max-time 30)
stopped_cleanly role TERM 5

# A role whose certificates live 30 s: the server renews at two thirds of the life (20 s). A
# background poller records, every second, the time, the served serial, its notAfter and whether
# it verifies; the checks come at the end (sections 4 and 5 run meanwhile).
launch renew --tls-role pki/short --tls-name localhost --tls-name 127.0.0.1
RENEW_T0=$(date +%s)
poll_renewal() {
  local first= s na v end=$((RENEW_T0 + 45))
  while [ "$(date +%s)" -lt "$end" ] && [ ! -e "$WORK/stop-poll" ]; do
    if timeout 5 openssl s_client -connect "127.0.0.1:${PORT_OF[renew]}" -servername localhost </dev/null >"$WORK/poll.out" 2>/dev/null &&
       s=$(openssl x509 -in "$WORK/poll.out" -noout -serial 2>/dev/null) &&
       na=$(openssl x509 -in "$WORK/poll.out" -noout -enddate 2>/dev/null) && na=$(date -u -d "${na#notAfter=}" +%s 2>/dev/null); then
      v=0; openssl verify -CAfile "$WORK/ca.pem" "$WORK/poll.out" >/dev/null 2>&1 || v=1
      echo "$(date +%s) ${s#serial=} $na $v"
      if [ -z "$first" ]; then first=${s#serial=}; elif [ "${s#serial=}" != "$first" ]; then break; fi
    else
      echo "$(date +%s) none 0 1"
    fi
    sleep 1
  done
}
poll_renewal > "$WORK/renew.log" 2>/dev/null &
POLL_PID=$!
at_exit "touch $WORK/stop-poll; _reap $POLL_PID"

# ---- 4. several listeners, several processes on one state ---------------------------------------
section "several listeners, several processes on one state"
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
launch multi --listen "127.0.0.1:$P1" --listen "127.0.0.1:$P2"
for p in "$P1" "$P2"; do
  code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/v1/sys/health") || true
  expect_eq "$code" 200 "sys/health on listener 127.0.0.1:$p"
  has "$(cat "$WORK/multi.err")" "listening on http://127.0.0.1:$p" "the start-up messages of two listeners"
done
stopped_cleanly multi TERM 5
launch one
launch two
post_ok one pki/roles/shared '{"allowed_domains":"example.com","allow_subdomains":true,"ttl":"2h","key_type":"ec","key_bits":256}' "$WORK/shared.json"
use two; expect_status 200 GET pki/roles/shared
printf '%s\n' "$LAST" > "$WORK/shared2.json"
expect_eq "$(jf "$WORK/shared2.json" ttl)" 7200 "a role written through one process, read through the other"
post_ok two pki/roles/shared '{"allowed_domains":"example.com","allow_subdomains":true,"ttl":"3h","key_type":"ec","key_bits":256}' "$WORK/shared.json"
use one; expect_status 200 GET pki/roles/shared
printf '%s\n' "$LAST" > "$WORK/shared1.json"
expect_eq "$(jf "$WORK/shared1.json" ttl)" 10800 "a role updated through the other process, read through the first"
post_ok one pki/issue/shared '{"common_name":"a.example.com"}' "$WORK/shared-issue.json"
SHARED_SERIAL=$(jf "$WORK/shared-issue.json" serial_number) || SHARED_SERIAL=
jf "$WORK/shared-issue.json" certificate > "$WORK/shared-issue.pem" || true
lt=$(lifetime "$WORK/shared-issue.pem") || lt=
near "${lt:-x}" $((10800 + 30)) 5 "a certificate issued through the first process under the role the second updated lives 3 h"
use two; expect_status 200 GET "pki/cert/$SHARED_SERIAL"
use one; expect_status 204 DELETE pki/roles/shared
use two; expect_status 404 GET pki/roles/shared
stopped_cleanly one TERM 5
stopped_cleanly two TERM 5

# ---- 5. signals and durability under load -------------------------------------------------------
section "SIGTERM, SIGINT and kill -9 under load lose no acknowledged write"
PKI_STATE_DIR=$WORK/load-state
launch load0
post_ok load0 sys/mounts/pki '{"type":"pki"}' "$WORK/mount.json"
post_ok load0 pki/root/generate/internal '{"common_name":"Load Root","ttl":"720h","key_type":"ec","key_bits":256}' "$WORK/load-root.json"
post_ok load0 pki/roles/load '{"allowed_domains":"example.com","allow_subdomains":true,"ttl":"1h","key_type":"ec","key_bits":256}' "$WORK/load-role.json"
stopped_cleanly load0 TERM 5

# load_loop ADDR TOKEN OUT STOP: issue until STOP exists; each acknowledged (200) serial goes to
# OUT, every other answer's status to OUT.other (000: no answer, e.g. refused once the server stopped).
load_loop() {
  local out s code
  while [ ! -e "$4" ]; do
    out=$(curl -s --max-time 30 -X POST -H "X-Vault-Token: $2" -d '{"common_name":"load.example.com"}' -w '\n%{http_code}' "$1/v1/pki/issue/load" 2>/dev/null) || true
    code=${out##*$'\n'}
    if [ "$code" = 200 ]; then
      s=$(grep -o '"serial_number":"[^"]*"' <<<"$out" | cut -d'"' -f4) || s=
      if [ -n "$s" ]; then echo "$s" >> "$3"; else echo "200-without-serial" >> "$3.other"; fi
    else
      echo "$code" >> "$3.other"
      [ "$code" = 000 ] && sleep 0.05
    fi
  done
}
# under_load NAME SIGNAL: a server on the load state, 4 loops issuing for 2 s, then SIGNAL; the
# acknowledged serials in $WORK/acked.NAME (one file per loop: .1 .. .4).
under_load() {
  local name=$1 sig=$2 i
  launch "$name" --shutdown-timeout 3s
  rm -f "$WORK/stop.$name"
  LOOPS=()
  for i in 1 2 3 4; do
    : > "$WORK/acked.$name.$i"
    load_loop "$ADDR" "$TOKEN" "$WORK/acked.$name.$i" "$WORK/stop.$name" &
    LOOPS+=($!)
    at_exit "touch $WORK/stop.$name; _reap ${LOOPS[-1]}"
  done
  sleep 2
  if [ "$sig" = KILL ]; then
    kill -9 "${PID_OF[$name]}"; wait "${PID_OF[$name]}" 2>/dev/null || true
  else
    # an idle kept-alive connection must not hold the shutdown up
    # (it has had its answer, then waits; READY says so)
    rm -f "$WORK/idle-ready"
    python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n")
if s.recv(65536).startswith(b"HTTP/1.1 200"):
    open(sys.argv[2], "w").close()
time.sleep(8)' "${PORT_OF[$name]}" "$WORK/idle-ready" 2>/dev/null &
    local idle=$!
    for i in $(seq 1 100); do [ -e "$WORK/idle-ready" ] && break; sleep 0.05; done
    if [ -e "$WORK/idle-ready" ]; then ok; else fail "SIG$sig: an idle kept-alive client got no answer within 5 s"; fi
    stopped_cleanly "$name" "$sig" 4   # the 3 s shutdown timeout, and 1 s of slack
    echo "    SIG$sig under load: the server exited after ${STOP_MS} ms"
    kill "$idle" 2>/dev/null || true; wait "$idle" 2>/dev/null || true
  fi
  sleep 0.3
  touch "$WORK/stop.$name"
  for i in "${LOOPS[@]}"; do wait "$i" || true; done
  cat "$WORK/acked.$name".[1-4] > "$WORK/acked.$name"
  local n; n=$(wc -l < "$WORK/acked.$name")
  if [ "$n" -ge 8 ]; then ok; else fail "SIG$sig: only $n certificates were issued under load"; fi
  local others; others=$(cat "$WORK/acked.$name".[1-4].other 2>/dev/null | grep -v '^000$' | sort | uniq -c | tr '\n' ' ') || others=
  if [ -z "$others" ]; then ok; else fail "SIG$sig under load: answers other than 200: $others"; fi
  echo "    $name: $n acknowledged serials"
}
# all_stored NAME LISTFILE: every serial acknowledged in round NAME is in LISTFILE (one a line).
all_stored() {
  local missing
  missing=$(comm -23 <(sort -u "$WORK/acked.$1") <(sort -u "$2")) || { fail "all_stored $1: comm failed"; return 0; }
  if [ -z "$missing" ]; then ok; else fail "round $1: $(wc -l <<<"$missing") acknowledged serials are not stored: $(head -c 300 <<<"$missing")"; fi
}
cli_stored() {
  _checked "$PKI list -format=json pki/certs" "$PKI" list -format=json pki/certs > "$WORK/stored.json" || return 1
  jf "$WORK/stored.json" keys > "$1"
}

under_load term TERM
cli_stored "$WORK/stored.term" && all_stored term "$WORK/stored.term"
under_load int INT
cli_stored "$WORK/stored.int" && all_stored int "$WORK/stored.int"
under_load kill KILL
launch after-kill
alive after-kill "a restart after kill -9"
use after-kill; expect_status 200 LIST pki/certs
printf '%s\n' "$LAST" > "$WORK/stored-api.json"
jf "$WORK/stored-api.json" keys > "$WORK/stored.kill.api" || true
all_stored kill "$WORK/stored.kill.api"
cli_stored "$WORK/stored.kill" && all_stored kill "$WORK/stored.kill"
all_stored term "$WORK/stored.kill"
all_stored int "$WORK/stored.kill"
stopped_cleanly after-kill TERM 5

# ---- 3 (end). the --tls-role certificate renewed without a restart ------------------------------
section "TLS: the --tls-role certificate of a 30 s role is renewed"
wait "$POLL_PID" || true
cp "$WORK/renew.log" "$WORK/renew.txt"
first=$(awk '$2 != "none" {print $2; exit}' "$WORK/renew.txt")
first_na=$(awk '$2 != "none" {print $3; exit}' "$WORK/renew.txt")
changed_at=$(awk -v f="$first" '$2 != "none" && $2 != f {print $1; exit}' "$WORK/renew.txt")
if [ -n "$first" ]; then ok; else fail "the --tls-role server (pki/short) served no certificate: $(head -5 "$WORK/renew.txt")"; fi
near "${first_na:-x}" $((RENEW_T0 + 30)) 5 "the first --tls-role certificate of pki/short expires 30 s after the start"
if [ -n "$changed_at" ]; then
  ok
  if [ $((changed_at - RENEW_T0)) -le 25 ]; then ok; else fail "the --tls-role certificate (30 s) was renewed only after $((changed_at - RENEW_T0)) s (want <= 25 s: two thirds of its life, plus slack)"; fi
else
  fail "the --tls-role certificate of pki/short (30 s) was not renewed within 45 s: $(tr '\n' ';' < "$WORK/renew.txt")"
fi
expired=$(awk '$2 != "none" && $1 >= $3' "$WORK/renew.txt")
if [ -z "$expired" ]; then ok; else fail "the --tls-role server served an expired certificate (time serial notAfter): $(tr '\n' ';' <<<"$expired")"; fi
unverified=$(awk '$2 != "none" && $1 < $3 && $4 != 0' "$WORK/renew.txt")
if [ -z "$unverified" ]; then ok; else fail "a certificate the --tls-role server served does not verify against the CA: $(tr '\n' ';' <<<"$unverified")"; fi
alive renew "the renewal"
stopped_cleanly renew TERM 5

finish
