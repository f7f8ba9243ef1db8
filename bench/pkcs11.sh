#!/usr/bin/env bash
# The cost of a CA key on a PKCS#11 token (SoftHSM2), side by side with the same CA key kind in the
# state directory, in one run:
#   cli     `pki issue` as a whole process (EC P-256 leaf, stored): issuer key in the state vs on
#           SoftHSM (the module loaded, the token logged in, the key found: every command pays it)
#   serve   `pki serve`, wrk -c8 POST issue (plain HTTP on loopback): the module stays loaded and
#           the session logged in, so a request pays only the signature on the token; with
#           max_parallel 1 (Vault's default: one signature at a time on the token) and 4
#   startup `pki --version` and `pki read soft-ec/roles/web` (no token involved) vs `openssl version`:
#           the PKCS#11 code costs nothing to commands that use no token (target: within 1.5x)
# for EC P-256 and RSA-2048 issuers.
#
#   PKI=build/pki bench/pkcs11.sh          # N=30 CLI runs each, DURATION=10 s per wrk load
# Builds nothing. Needs softhsm2, wrk, curl, python3.
set -euo pipefail
source "$(dirname "$0")/wrk_lib.sh"
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
wrk_bench_setup pkcs11
N=${N:-30}
LIB=/usr/lib/softhsm/libsofthsm2.so
[ -f "$LIB" ] || { echo "SoftHSM2 is needed: apt-get install softhsm2" >&2; exit 2; }

# ---- set-up (not timed) ------------------------------------------------------------------------
mkdir -p tokens
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > softhsm2.conf
export SOFTHSM2_CONF=$WORK/softhsm2.conf
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
for kind in ec rsa; do
  if [ $kind = ec ]; then mech=0x1041 gen=(key_type=ec key_bits=256) extra=(curve=P-256); else mech=0x0001 gen=(key_type=rsa key_bits=2048) extra=(key_bits=2048); fi
  "$PKI" secrets enable -path=soft-$kind -max-lease-ttl=87600h pki >/dev/null
  "$PKI" write soft-$kind/root/generate/internal common_name="Soft $kind" "${gen[@]}" ttl=8760h >/dev/null
  "$PKI" write sys/managed-keys/pkcs11/hsm-$kind library=$LIB token_label=bench pin=1234 key_label=$kind mechanism=$mech \
    "${extra[@]}" allow_generate_key=true any_mount=true >/dev/null
  "$PKI" secrets enable -path=hsm-$kind -max-lease-ttl=87600h pki >/dev/null
  "$PKI" write hsm-$kind/root/generate/kms managed_key_name=hsm-$kind common_name="HSM $kind" ttl=8760h >/dev/null 2>&1
  for m in soft-$kind hsm-$kind; do
    "$PKI" write $m/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec key_bits=256 ttl=24h >/dev/null
  done
done

# ---- cli: whole processes, interleaved run by run ----------------------------------------------
ms_per_run() {  # MOUNT: mean ms of N runs of `pki issue` on it (after 3 warm-up runs)
  local m=$1 i t0 t1 total=0
  for i in 1 2 3; do "$PKI" issue -m "$m" web --common-name "w$i.example.com" >/dev/null; done
  for i in $(seq "$N"); do
    t0=$(date +%s%N); "$PKI" issue -m "$m" web --common-name "c$i.example.com" >/dev/null; t1=$(date +%s%N)
    total=$((total + t1 - t0))
  done
  python3 -c "print(f'{$total / $N / 1e6:.2f}')"
}
echo "pki and SoftHSM2 $(dpkg-query -W -f '${Version}' softhsm2 2>/dev/null), $(nproc) cores (commit $(git -C "$(dirname "$PKI")/.." rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "cli: pki issue as a whole process, EC P-256 leaf, mean of $N"
for kind in ec rsa; do
  s=$(ms_per_run soft-$kind); h=$(ms_per_run hsm-$kind)
  printf '  %-4s issuer   state %7s ms   SoftHSM %7s ms   cost %+7.2f ms\n' "$kind" "$s" "$h" "$(python3 -c "print($h-$s)")"
done

# ---- serve: the long-lived session ------------------------------------------------------------
"$PKI" serve --listen "127.0.0.1:$PORT" --root-token-file token 2> serve.err &
SERVER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/sys/health" && break; sleep 0.1; done
TOKEN=$(cat token)
issue_lua "$TOKEN" s
rate() {  # MOUNT: "requests/s p50 p99 errors"
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s issue_report.lua "http://127.0.0.1:$PORT/v1/$1/issue/web" > "$1.wrk"
  read -r _ n secs p50 p99 _ errors < <(grep '^REPORT' "$1.wrk")
  echo "$(python3 -c "print(f'{$n/$secs:.0f}')") $p50 $p99 $errors"
}
echo "serve: wrk -t2 -c$CONNECTIONS -d${DURATION}s, POST issue over HTTP on loopback"
for kind in ec rsa; do
  read -r sr sp50 sp99 se < <(rate soft-$kind)
  read -r hr hp50 hp99 he < <(rate hsm-$kind)
  printf '  %-4s issuer   state %6s/s (p50 %s ms, errors %s)   SoftHSM %6s/s (p50 %s ms, p99 %s ms, errors %s)   per issue %+.3f ms\n' \
    "$kind" "$sr" "$sp50" "$se" "$hr" "$hp50" "$hp99" "$he" "$(python3 -c "print(1000/$hr - 1000/$sr)")"
  # Signatures on the token in parallel, one session each (Vault's max_parallel; default 1).
  curl -s -o /dev/null -H "X-Vault-Token: $TOKEN" -d '{"max_parallel":4}' "http://127.0.0.1:$PORT/v1/sys/managed-keys/pkcs11/hsm-$kind"
  read -r pr pp50 pp99 pe < <(rate hsm-$kind)
  printf '  %-4s issuer   SoftHSM with max_parallel=4 %6s/s (p50 %s ms, p99 %s ms, errors %s)   per issue %+.3f ms\n' \
    "$kind" "$pr" "$pp50" "$pp99" "$pe" "$(python3 -c "print(1000/$pr - 1000/$sr)")"
done
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""

# ---- startup: commands that use no token ------------------------------------------------------
mean_ms() {  # CMD...: mean ms of N runs
  local i t0 t1 total=0
  for i in $(seq "$N"); do t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); total=$((total + t1 - t0)); done
  python3 -c "print(f'{$total / $N / 1e6:.2f}')"
}
o=$(mean_ms openssl version); v=$(mean_ms "$PKI" --version); r=$(mean_ms "$PKI" read soft-ec/roles/web)
echo "startup: openssl version $o ms, pki --version $v ms ($(python3 -c "print(f'{$v/$o:.2f}')")x), pki read soft-ec/roles/web $r ms ($(python3 -c "print(f'{$r/$o:.2f}')")x)"
