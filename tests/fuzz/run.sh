#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan, UBSan) in build-fuzz and run each for a bounded
# time on its seed corpus (tests/fuzz/corpus/NAME), printing executions per harness; exit 1 when
# one finds a crash (the input is kept in $FINDINGS, default ./fuzz-findings). The seeds are not
# modified: new inputs go to a scratch corpus.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]    # SECONDS per harness (default 15), BUILD_DIR build-fuzz
set -euo pipefail
seconds=${1:-15}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../../build-fuzz}
cmake -S "$here/../.." -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DPKI_FUZZ=ON > /dev/null
cmake --build "$build" -j2 > "$build/fuzz-build.log" 2>&1 || { tail -30 "$build/fuzz-build.log" >&2; echo "FAIL: the fuzz harnesses did not build" >&2; exit 1; }
findings=${FINDINGS:-$PWD/fuzz-findings}
mkdir -p "$findings"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for seeds in "$here"/corpus/*/; do
  name=$(basename "$seeds")
  bin="$build/tests/fuzz/$name"
  [ -x "$bin" ] || { echo "FAIL: $bin is not built" >&2; status=1; continue; }
  mkdir -p "$scratch/$name"
  log="$scratch/$name.log"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$findings/$name-" "$scratch/$name" "$seeds" > "$log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
    printf '%-18s %10s executions in %ss (%s/s), corpus %s inputs\n' "$name" "${runs:-?}" "$seconds" "${rate:-?}" \
      "$(ls "$scratch/$name" "$seeds" | grep -vc ':$' || true)"
  else
    echo "FAIL: $name found a crash; the input is in $findings:" >&2
    grep -E "ERROR|SUMMARY|not a pki::Error|deadly signal" "$log" | head -5 >&2
    status=1
  fi
done
exit $status
