#!/usr/bin/env bash
# Start-up cost: the wall time of `pki read pki/config/keys` on a warm state directory, next to
# `openssl version` (a process that links libcrypto and does nothing: the start-up floor).
# Target: pki within 1.5x of openssl.
#
#   PKI=build/pki bench/startup.sh            # N=200 runs of each
#   PKI=build/pki N=500 bench/startup.sh
#
# Uses hyperfine when installed (apt-get install hyperfine), else a bash loop timed with
# date +%s%N (BENCH_TOOL=loop forces the loop). Builds nothing; exits 1 when the ratio is above LIMIT (default 1.5) and
# ENFORCE=1 is set.
set -euo pipefail
: "${PKI:?set PKI to the pki binary, e.g. PKI=build/pki}"
PKI=$(cd "$(dirname "$PKI")" && pwd)/$(basename "$PKI")
N=${N:-200}
LIMIT=${LIMIT:-1.5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PKI_STATE_DIR="$WORK/state"
unset PKI_FORMAT PKI_MOUNT

# A warm state directory: a mount with a default key, read once so the page cache holds it.
"$PKI" secrets enable pki >/dev/null
"$PKI" key generate internal --key-type ec --key-name bench >/dev/null
"$PKI" read pki/config/keys >/dev/null
openssl version >/dev/null

PKI_CMD="$PKI read pki/config/keys"
SSL_CMD="openssl version"

if [ "${BENCH_TOOL:-}" != loop ] && command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 20 --runs "$N" --export-json "$WORK/h.json" --command-name pki "$PKI_CMD" \
    --command-name openssl "$SSL_CMD" >"$WORK/h.txt" 2>&1 ||
    hyperfine --shell=none --warmup 20 --runs "$N" --export-json "$WORK/h.json" --command-name pki "$PKI_CMD" \
      --command-name openssl "$SSL_CMD" >"$WORK/h.txt" 2>&1
  TOOL="hyperfine $(hyperfine --version | awk '{print $2}')"
  python3 - "$WORK/h.json" >"$WORK/stats" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["command"], r["mean"] * 1000, r["median"] * 1000, r["stddev"] * 1000, r["min"] * 1000)
EOF
else
  TOOL="bash loop (date +%s%N)"
  measure() {  # measure NAME CMD...: N timed runs, one duration in ns a line
    local name=$1; shift
    for _ in $(seq 1 20); do "$@" >/dev/null; done
    for _ in $(seq 1 "$N"); do
      local t0 t1
      t0=$(date +%s%N)
      "$@" >/dev/null
      t1=$(date +%s%N)
      echo $((t1 - t0))
    done >"$WORK/$name.ns"
  }
  # shellcheck disable=SC2086
  measure pki $PKI_CMD
  # shellcheck disable=SC2086
  measure openssl $SSL_CMD
  for name in pki openssl; do
    python3 - "$name" "$WORK/$name.ns" <<'EOF'
import statistics, sys
v = [int(l) / 1e6 for l in open(sys.argv[2])]
print(sys.argv[1], statistics.mean(v), statistics.median(v), statistics.pstdev(v), min(v))
EOF
  done >"$WORK/stats"
fi

read -r _ pki_mean pki_median pki_sd pki_min < <(grep '^pki ' "$WORK/stats")
read -r _ ssl_mean ssl_median ssl_sd ssl_min < <(grep '^openssl ' "$WORK/stats")
python3 - "$N" "$TOOL" "$pki_mean" "$pki_median" "$pki_sd" "$pki_min" "$ssl_mean" "$ssl_median" "$ssl_sd" "$ssl_min" "$LIMIT" <<'EOF'
import sys
n, tool = sys.argv[1], sys.argv[2]
pm, pmed, psd, pmin, sm, smed, ssd, smin, limit = map(float, sys.argv[3:])
print(f"start-up, {n} runs each, {tool}")
print(f"  {'command':<28} {'mean ms':>8} {'median ms':>10} {'sd ms':>7} {'min ms':>7}")
print(f"  {'pki read pki/config/keys':<28} {pm:8.2f} {pmed:10.2f} {psd:7.2f} {pmin:7.2f}")
print(f"  {'openssl version':<28} {sm:8.2f} {smed:10.2f} {ssd:7.2f} {smin:7.2f}")
print(f"  ratio pki/openssl: mean {pm / sm:.2f}x, median {pmed / smed:.2f}x (target <= {limit}x)")
EOF
ratio_ok=$(python3 -c "import sys; print(int(float(sys.argv[1]) / float(sys.argv[2]) <= float(sys.argv[3])))" "$pki_median" "$ssl_median" "$LIMIT")
if [ "${ENFORCE:-0}" = 1 ] && [ "$ratio_ok" != 1 ]; then
  echo "pki start-up is above ${LIMIT}x openssl version" >&2
  exit 1
fi
