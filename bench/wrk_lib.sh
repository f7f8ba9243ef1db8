# What the wrk benchmarks of pki serve (serve.sh, ocsp.sh) share; sourced, after `set -euo pipefail`.
#
# wrk_bench_setup NAME: checks $PKI (made absolute) and wrk, sets DURATION and CONNECTIONS
# (defaults 20 and 64), makes $WORK with an empty state directory in it and cd's there; at exit
# the server in $SERVER (if any) is stopped and $WORK removed. It also writes report.lua, wrk's
# done() hook printing "REPORT requests seconds p50_ms p99_ms max_ms errors", and sets PORT to a
# free loopback port.
# issue_lua TOKEN PREFIX: writes issue_report.lua, a wrk script POSTing {"common_name":"PREFIX<n>.example.com"}
# (n counting up) with TOKEN, followed by report.lua's done() hook.
issue_lua() {
  cat > issue.lua <<LUA
wrk.method = "POST"
wrk.headers["X-Vault-Token"] = "$1"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"common_name":"$2' .. n .. '.example.com"}')
end
LUA
  cat issue.lua report.lua > issue_report.lua
}

wrk_bench_setup() {
  : "${PKI:?set PKI to the pki binary, e.g. PKI=build/pki}"
  PKI=$(cd "$(dirname "$PKI")" && pwd)/$(basename "$PKI")
  DURATION=${DURATION:-20}
  CONNECTIONS=${CONNECTIONS:-64}
  command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/pki-bench-$1.XXXXXX")
  SERVER=""
  trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
  export PKI_STATE_DIR="$WORK/state"
  unset PKI_FORMAT PKI_MOUNT PKI_ADDR VAULT_ADDR
  cd "$WORK"
  cat > report.lua <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("REPORT %d %.3f %.2f %.2f %.2f %d\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, errors))
end
LUA
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
}
