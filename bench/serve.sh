#!/usr/bin/env bash
# Throughput of `pki serve` (the pki serve issue) under load from a second process on loopback,
# in the same run as `pki batch` on the same machine:
#   issue   wrk, 64 keep-alive TLS connections: POST /v1/pki/issue/web, an EC P-256 key and
#           certificate per request, each stored durably (group commit) before its response,
#           every request logged to the access log              target >= 8,000/s, p99 < 50 ms
#   ca/pem  wrk, 64 keep-alive TLS connections: GET /v1/pki/ca/pem   target >= 30,000/s
#   policy  the cost of an ACL policy: GET /v1/pki/roles/web with the root token and with a token
#           of a policy that allows it (among four path blocks), and the issue load with that token
#   batch   `pki batch` issuing N certificates in one process (no HTTP, no TLS)
# and the server's RSS at rest and its peak under the issue load. Vault's published figure for
# stored EC P-256 issuance is 2,200/s.
#
#   PKI=build/pki bench/serve.sh              # DURATION=20 seconds per load, N=20000 for batch
# Builds nothing. Needs wrk, curl, python3.
set -euo pipefail
source "$(dirname "$0")/wrk_lib.sh"
wrk_bench_setup serve
N=${N:-20000}

# ---- set-up (not timed) ------------------------------------------------------------------------
"$PKI" secrets enable -max-lease-ttl=87600h pki >/dev/null
"$PKI" write pki/root/generate/internal common_name="Bench Root" key_type=ec key_bits=256 ttl=8760h >/dev/null
"$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec --key-bits 256 --ttl 24h >/dev/null
"$PKI" role write server --allowed-domains localhost --allow-bare-domains --allow-ip-sans --key-type ec --ttl 720h >/dev/null
"$PKI" read pki/ca/pem > ca.pem
"$PKI" serve --listen "127.0.0.1:$PORT" --tls-role pki/server --tls-name localhost --tls-name 127.0.0.1 \
  --root-token-file token --log-file access.log 2> serve.err &
SERVER=$!
for _ in $(seq 100); do curl -s --cacert ca.pem -o /dev/null "https://127.0.0.1:$PORT/v1/sys/health" && break; sleep 0.1; done
TOKEN=$(cat token)
rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status"; }
# The heap and stacks, without the pages of the mapped store (which count in RSS as they are read).
anon() { awk '/^RssAnon/ {printf "%.1f", $2/1024}' "/proc/$SERVER/status"; }

issue_lua "$TOKEN" h

load() {  # NAME SCRIPT PATH: prints "NAME requests/s p50 p99 max errors"
  local name=$1 script=$2 path=$3 peak=0 r out
  out=$(basename "$script" .lua).wrk
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$script" "https://127.0.0.1:$PORT$path" > "$out" &
  local w=$!
  while kill -0 $w 2>/dev/null; do r=$(rss); peak=$(python3 -c "print(max($peak,$r))"); sleep 0.5; done
  wait $w
  read -r _ n secs p50 p99 max errors < <(grep '^REPORT' "$out")
  printf '  %-28s %9.0f/s   p50 %6.2f ms   p99 %6.2f ms   max %7.2f ms   errors %d   peak RSS %s MiB\n' \
    "$name" "$(python3 -c "print($n/$secs)")" "$p50" "$p99" "$max" "$errors" "$peak"
}

echo "pki serve, $(nproc) cores, wrk -t2 -c$CONNECTIONS -d${DURATION}s over TLS on loopback (commit $(git -C "$(dirname "$PKI")/.." rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "  RSS at rest: $(rss) MiB (anonymous $(anon) MiB)"
stored_before=$("$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')
load "POST /v1/pki/issue/web" issue_report.lua /v1/pki/issue/web
stored_after=$("$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')
echo "  certificates stored during the issue load: $((stored_after - stored_before))"
load "GET /v1/pki/ca/pem" report.lua /v1/pki/ca/pem
# A policy of the shape users write: the one path it needs, beside a glob, a '+' path and a deny.
cat > web.hcl <<'HCL'
path "pki/issue/web" { capabilities = ["update"] }
path "pki/roles/web" { capabilities = ["read"] }
path "pki/+/db" { capabilities = ["read"] }
path "pki/root/*" { capabilities = ["deny"] }
HCL
curl -s --cacert ca.pem -X PUT -H "X-Vault-Token: $TOKEN" --data "$(python3 -c 'import json; print(json.dumps({"policy": open("web.hcl").read()}))')" \
  "https://127.0.0.1:$PORT/v1/sys/policies/acl/web" >/dev/null
WEB_TOKEN=$(curl -s --cacert ca.pem -X POST -H "X-Vault-Token: $TOKEN" --data '{"policies":["web"]}' \
  "https://127.0.0.1:$PORT/v1/auth/token/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])')
sed "s/^wrk.headers\[\"X-Vault-Token\"\] = .*/wrk.headers[\"X-Vault-Token\"] = \"$WEB_TOKEN\"/" issue_report.lua > issue_policy.lua
printf 'wrk.headers["X-Vault-Token"] = "%s"\n' "$TOKEN" | cat - report.lua > read_root.lua
printf 'wrk.headers["X-Vault-Token"] = "%s"\n' "$WEB_TOKEN" | cat - report.lua > read_policy.lua
load "GET roles/web (root token)" read_root.lua /v1/pki/roles/web
load "GET roles/web (policy token)" read_policy.lua /v1/pki/roles/web
load "POST issue/web (policy token)" issue_policy.lua /v1/pki/issue/web
echo "  RSS after the loads: $(rss) MiB (anonymous $(anon) MiB; the rest is the mapped store)"
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""

# pki batch on the same machine, same role.
python3 -c "
import json
with open('batch.jsonl','w') as f:
    for i in range($N): f.write(json.dumps({'op':'write','path':'pki/issue/web','data':{'common_name':'b%d.example.com'%i}})+'\n')"
start=$(date +%s.%N)
"$PKI" batch -q -f batch.jsonl > batch.out
end=$(date +%s.%N)
printf '  %-28s %9.0f/s   (%d requests, one process, no HTTP)\n' "pki batch issue" "$(python3 -c "print($N/($end-$start))")" "$N"
echo "  Vault (published, stored EC P-256 issue): 2,200/s"
# The ceiling of anything that signs a certificate per request on this machine.
sig=$(openssl speed -seconds 5 -multi "$(nproc)" ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $(NF-1)}' | tail -1)
printf '  %-28s %9.0f/s   (ECDSA P-256 signatures on all cores)\n' "openssl speed ecdsap256" "$sig"
