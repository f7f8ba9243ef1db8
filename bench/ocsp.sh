#!/usr/bin/env bash
# OCSP throughput of `pki serve` (issue 15) on loopback, plain HTTP as OCSP is served, in the same
# run as its ceiling on this machine:
#   POST /v1/pki/ocsp   wrk, 64 keep-alive connections, one DER request (a stored certificate of an
#                       EC P-256 issuer, with a nonce) per request: each answer looked up, built and
#                       signed                                           target >= 10,000/s
#   GET  /v1/pki/ocsp/<base64>   the same request in the path
#   GET  /v1/pki/ca/pem           the same server answering a read without signing: the floor of
#                                 HTTP, routing and a store read on this machine
#   openssl speed ecdsap256       ECDSA P-256 signatures/s on all cores: what one signature per
#                                 answer allows at most
#
#   PKI=build/pki bench/ocsp.sh              # DURATION=20 seconds per load
# Builds nothing. Needs wrk, curl, openssl, python3.
set -euo pipefail
source "$(dirname "$0")/wrk_lib.sh"
wrk_bench_setup ocsp

"$PKI" secrets enable -max-lease-ttl=87600h pki >/dev/null
"$PKI" write pki/root/generate/internal common_name="Bench Root" key_type=ec key_bits=256 ttl=8760h >/dev/null
"$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec --ttl 24h >/dev/null
"$PKI" read pki/ca/pem > ca.pem
"$PKI" write -field=certificate pki/issue/web common_name=good.example.com > good.pem
openssl ocsp -issuer ca.pem -cert good.pem -reqout req.der >/dev/null
"$PKI" serve --listen "127.0.0.1:$PORT" --root-token-file token --log-file access.log 2> serve.err &
SERVER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/sys/health" && break; sleep 0.1; done
# The answer is checked once before the load: signed by the issuer, status good.
openssl ocsp -url "http://127.0.0.1:$PORT/v1/pki/ocsp" -issuer ca.pem -cert good.pem -CAfile ca.pem 2>&1 | grep -q 'good.pem: good' ||
  { echo "the OCSP answer is not good" >&2; exit 1; }

cat > post.lua <<'LUA'
local f = io.open("req.der", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
LUA
cat post.lua report.lua > post_report.lua
B64=$(base64 -w0 req.der | python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read().strip(), safe=""))')

load() {  # NAME SCRIPT PATH
  local name=$1 script=$2 path=$3 out=$WORK/$RANDOM.wrk
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$script" "http://127.0.0.1:$PORT$path" > "$out"
  read -r _ n secs p50 p99 max errors < <(grep '^REPORT' "$out")
  printf '  %-34s %9.0f/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms   errors %d\n' \
    "$name" "$(python3 -c "print($n/$secs)")" "$p50" "$p99" "$max" "$errors"
}

echo "pki serve OCSP, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d${DURATION}s, plain HTTP on loopback (commit $(git -C "$(dirname "$PKI")/.." rev-parse --short HEAD 2>/dev/null || echo '?'))"
load "POST /v1/pki/ocsp" post_report.lua /v1/pki/ocsp
load "GET /v1/pki/ocsp/<request>" report.lua "/v1/pki/ocsp/$B64"
load "GET /v1/pki/ca/pem (no signing)" report.lua /v1/pki/ca/pem
echo "  server RSS after the loads: $(awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status") MiB"
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""
sig=$(openssl speed -seconds 5 -multi "$(nproc)" ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $(NF-1)}' | tail -1)
printf '  %-34s %9.0f/s   (ECDSA P-256 signatures on all cores: the ceiling)\n' "openssl speed ecdsap256" "$sig"
