#!/usr/bin/env bash
# hvac, Vault's Python client (Debian's python3-hvac 0.11.2), runs the usage guide's whole flow
# against pki serve through its own API: enable, tune, root, config/urls, roles, issue, sign, read
# and list certificates, revoke, CRL, rotate, tidy, CA and chain, CRL config, an intermediate on a
# second mount, delete_role, and tokens (create, lookup_self, renew_self, revoke_self). The flow is
# hvac_flow.py; each of its steps is one check here. hvac missing is a failure, never a skip.
FLOW="$(cd "$(dirname "$0")" && pwd)/hvac_flow.py"
source "$(dirname "$0")/serve_lib.sh"
# Debian's python3-hvac is installed for the system interpreter; python3 on PATH may be another
# one (pyenv) without it.
PY=/usr/bin/python3

section "hvac is there"
if [ ! -x "$PY" ]; then
  fail "$PY is missing: install python3 and python3-hvac (apt-get install python3-hvac)"
elif ! "$PY" -c 'import hvac' 2>"$WORK/import.err"; then
  fail "the package python3-hvac is missing for $PY (apt-get install python3-hvac): $(tail -1 "$WORK/import.err")"
else
  ok
  v=$("$PY" -c 'from importlib.metadata import version; print(version("hvac"))' 2>/dev/null) || v="?"
  echo "hvac $v (written against Debian 12's 0.11.2)"
fi

section "the flow"
start_server
rc=0
ADDR=$ADDR TOKEN=$TOKEN "$PY" "$FLOW" >"$WORK/flow.out" 2>"$WORK/flow.err" || rc=$?
cat "$WORK/flow.out"
# Each step is one check: "ok   NAME" counts as passed, "FAIL NAME: WHY" as failed.
n_ok=0 n_fail=0
while IFS= read -r line; do
  case $line in
    "ok   "*) ok; n_ok=$((n_ok + 1)) ;;
    "FAIL "*) fail "hvac step ${line#FAIL }"; n_fail=$((n_fail + 1)) ;;
  esac
done <"$WORK/flow.out"
# The script must have run to its end (a crash would leave steps unrun and uncounted), and its
# exit status must agree with its verdicts.
summary=$(grep '^steps: ' "$WORK/flow.out" || true)
if [ -z "$summary" ]; then
  fail "hvac_flow.py did not run to its end (exit $rc): $(tail -5 "$WORK/flow.err")"
else
  expect_eq "$summary" "steps: $((n_ok + n_fail)), failed: $n_fail" "hvac_flow.py's own count"
fi
if [ "$n_fail" -eq 0 ]; then expect_eq "$rc" 0 "exit status of hvac_flow.py with no failed step"
else expect_eq "$rc" 1 "exit status of hvac_flow.py with failed steps"; fi
[ -s "$WORK/flow.err" ] && echo "hvac_flow.py stderr: $(head -c 2000 "$WORK/flow.err")" >&2
# Enough steps ran to be the whole flow (a flow cut short by mistake is not a pass).
if [ $((n_ok + n_fail)) -ge 30 ]; then ok; else fail "only $((n_ok + n_fail)) hvac steps ran"; fi

section "the server is still up"
expect_status 200 GET sys/health
kill -0 "$SERVER_PID" 2>/dev/null && ok || fail "pki serve died during the flow: $(tail -3 "$WORK/serve.err")"

finish
