# Sourced by the shell benchmarks: time_commands STATS times every command of the arrays NAMES
# and CMDS (N runs each after WARMUP warm-up runs; commands are word-split, no shell) and writes
# one line per command to STATS: "NAME mean median sd min", in milliseconds. It sets TOOL to what
# measured. hyperfine (-N) when installed; otherwise, or with BENCH_TOOL=loop, a bash loop timed
# with date +%s%N that interleaves the commands run by run, so a change in machine load falls on
# all of them alike (at the price of a forked date in every figure).
time_commands() {
  local stats=$1 i
  if [ "${BENCH_TOOL:-}" != loop ] && command -v hyperfine >/dev/null 2>&1; then
    local args=()
    for i in "${!NAMES[@]}"; do args+=(--command-name "${NAMES[$i]}" "${CMDS[$i]}"); done
    hyperfine -N --warmup "$WARMUP" --runs "$N" --export-json "$WORK/h.json" "${args[@]}" >"$WORK/h.txt" 2>&1 ||
      hyperfine --shell=none --warmup "$WARMUP" --runs "$N" --export-json "$WORK/h.json" "${args[@]}" >"$WORK/h.txt" 2>&1 ||
      { cat "$WORK/h.txt" >&2; exit 1; }
    TOOL="hyperfine $(hyperfine --version | awk '{print $2}')"
    python3 - "$WORK/h.json" >"$stats" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["command"], r["mean"] * 1000, r["median"] * 1000, r["stddev"] * 1000, r["min"] * 1000)
PY
    return
  fi
  TOOL="bash loop (date +%s%N), interleaved"
  : >"$stats"
  for i in "${!NAMES[@]}"; do
    # shellcheck disable=SC2086
    for _ in $(seq 1 "$WARMUP"); do ${CMDS[$i]} >/dev/null 2>&1; done
    : >"$WORK/${NAMES[$i]}.ns"
  done
  local t0 t1
  for _ in $(seq 1 "$N"); do
    for i in "${!NAMES[@]}"; do
      t0=$(date +%s%N)
      # shellcheck disable=SC2086
      ${CMDS[$i]} >/dev/null 2>&1
      t1=$(date +%s%N)
      echo $((t1 - t0)) >>"$WORK/${NAMES[$i]}.ns"
    done
  done
  for i in "${!NAMES[@]}"; do
    python3 - "${NAMES[$i]}" "$WORK/${NAMES[$i]}.ns" >>"$stats" <<'PY'
import statistics, sys
v = [int(l) / 1e6 for l in open(sys.argv[2])]
print(sys.argv[1], statistics.mean(v), statistics.median(v), statistics.pstdev(v), min(v))
PY
  done
}
