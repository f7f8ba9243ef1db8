#!/usr/bin/env bash
# Start-up cost: the wall time of `pki read pki/config/keys` on a warm state directory, next to
# `openssl version` (a process that links libcrypto and does nothing: the start-up floor).
# Target: pki within 1.5x of openssl.
#
#   PKI=build/pki bench/startup.sh            # N=200 runs of each
#   PKI=build/pki N=500 bench/startup.sh
#
# Uses hyperfine when installed (apt-get install hyperfine), else an interleaved bash loop timed
# with date +%s%N (BENCH_TOOL=loop forces the loop; see timing.sh). Builds nothing; exits 1 when
# the ratio is above LIMIT (default 1.5) and ENFORCE=1 is set.
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

NAMES=(pki openssl) CMDS=("$PKI read pki/config/keys" "openssl version") WARMUP=20
source "$(dirname "$0")/timing.sh"
time_commands "$WORK/stats"

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
