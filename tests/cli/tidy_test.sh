#!/usr/bin/env bash
# Tidy end to end (issue 5): 2-second certificates and 1-hour ones, some of each revoked; after
# they expire, a tidy with a 1-second buffer removes exactly the expired ones from certs and
# certs/revoked and from the CRL (whose number grows), keeps everything else, and tidy-status
# reports it. Bad buffers are refused; the progress bar and --quiet; invalid revoked entries; a tidy
# of a big store while a long reader holds a snapshot; a second tidy while one runs in another
# process is refused at once, naming it (simulated with a status record, and for real with a tidy
# stopped in the middle of its batches).
source "$(dirname "$0")/lib.sh"

epoch() { date -u -d "$1" +%s 2>/dev/null || echo 0; }
list_of() { "$PKI" list -format=json "$1" 2>/dev/null | python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin)["data"]["keys"])))' 2>/dev/null || true; }
sorted() { printf '%s\n' "$@" | grep . | sort; }
without() { # without LIST ITEM...: LIST (lines) minus the items
  local l=$1; shift
  for x in "$@"; do l=$(grep -vx -- "$x" <<<"$l" || true); done
  echo "$l"
}
# status MOUNT OUT: tidy-status as JSON into OUT.
status() { "$PKI" read -format=json "$1/tidy-status" > "$2" 2>"$WORK/err" || fail "tidy-status $1: $(cat "$WORK/err")"; }

# setup MOUNT: a mount with an EC root and a role; 4 one-hour and 4 two-second certificates
# (L1..L4, S1..S4), L1, L2, S1, S2 revoked; a no_store 2-second one (N1) and a no_store one-hour
# one (N2), both revoked by PEM. Files MOUNT.L1.pem ...
setup() {
  local m=$1
  expect_ok "$PKI" secrets enable -path="$m" pki
  expect_ok "$PKI" write -field=certificate "$m/root/generate/internal" common_name="Tidy Root $m" key_type=ec ttl=100h
  save "$m.root.pem"
  expect_ok "$PKI" write "$m/roles/web" allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=10h
  expect_ok "$PKI" write "$m/roles/ns" allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=10h no_store=true
  for i in 1 2 3 4; do
    expect_ok "$PKI" write -field=certificate "$m/issue/web" common_name="long$i.example.com" ttl=1h
    save "$m.L$i.pem"
  done
  expect_ok "$PKI" write -field=certificate "$m/issue/ns" common_name="nslong.example.com" ttl=1h
  save "$m.N2.pem"
  # The short ones last, revoked right away (before they expire).
  for i in 1 2 3 4; do
    expect_ok "$PKI" write -field=certificate "$m/issue/web" common_name="short$i.example.com" ttl=2s
    save "$m.S$i.pem"
  done
  expect_ok "$PKI" write -field=certificate "$m/issue/ns" common_name="nsshort.example.com" ttl=2s
  save "$m.N1.pem"
  for c in S1 S2 N1 L1 L2 N2; do
    case $c in N*) expect_ok "$PKI" write "$m/revoke" certificate=@"$m.$c.pem" ;;
               *) expect_ok "$PKI" write "$m/revoke" serial_number="$(serial_of "$m.$c.pem")" ;; esac
    hasnt "$(cat "$WORK/err")" "expired" "revoking $c on $m"
  done
}
s_of() { serial_of "$1.$2.pem"; }

# ---- tidy-status before any tidy; refusals ------------------------------------------------------
section "before any tidy"

setup pki
setup certsonly
setup revokedonly
T_ISSUED=$(date +%s)

status pki st0.json
expect_eq "$(jf st0.json state)" "Inactive" "tidy-status before any tidy"
for f in safety_buffer tidy_cert_store tidy_revoked_certs error time_started time_finished message cert_store_deleted_count revoked_cert_deleted_count; do
  expect_eq "$(jx st0.json "'$f' in d")" "True" "tidy-status answers $f"
done
expect_eq "$(jf st0.json cert_store_deleted_count)" 0 "Inactive cert_store_deleted_count"
expect_eq "$(jf st0.json revoked_cert_deleted_count)" 0 "Inactive revoked_cert_deleted_count"
expect_ok "$PKI" tidy status
expect_out_contains "Inactive"

expect_refused 1 "$PKI" write pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=0
expect_refused 1 "$PKI" write pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=0s
expect_refused 1 "$PKI" write pki/tidy tidy_cert_store=true safety_buffer=-5s
expect_refused 1 "$PKI" write pki/tidy tidy_cert_store=true safety_buffer=soon
expect_refused 1 "$PKI" tidy run --tidy-cert-store --safety-buffer 3x
expect_refused 1 "$PKI" write pki/tidy tidy_cert_store=perhaps
expect_refused 1 "$PKI" write nosuchmount/tidy tidy_cert_store=true safety_buffer=1s
status pki st0b.json
expect_eq "$(jf st0b.json state)" "Inactive" "refused tidies leave tidy-status Inactive"

# Before the 2-second certificates expire: the default buffer (72h) removes nothing.
expect_ok "$PKI" write -format=json pki/tidy tidy_cert_store=true tidy_revoked_certs=true
save t_default.json
expect_eq "$(jf t_default.json safety_buffer)" 259200 "default safety_buffer is 72h"
expect_eq "$(jf t_default.json cert_store_deleted_count)" 0 "nothing expired yet"
expect_eq "$(jf t_default.json revoked_cert_deleted_count)" 0 "nothing expired yet (revoked)"

# ---- the tidy --------------------------------------------------------------------------------------
while [ $(($(date +%s) - T_ISSUED)) -lt 4 ]; do sleep 1; done
section "tidy after expiry"

CERTS0=$(list_of pki/certs)
REVOKED0=$(list_of pki/certs/revoked)
expect_eq "$(sorted "$(s_of pki S1)" "$(s_of pki S2)" "$(s_of pki N1)" "$(s_of pki L1)" "$(s_of pki L2)" "$(s_of pki N2)")" "$REVOKED0" "certs/revoked before the tidy"
expect_ok "$PKI" read pki/crl/pem
save crl0.pem
N0=$(crl_number crl0.pem)
expect_eq "$(crl_serials crl0.pem)" "$(for s in $REVOKED0; do bare "$s"; done | sort)" "CRL before the tidy lists every revoked one"

T0=$(date +%s)
expect_ok "$PKI" write -format=json pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1s
save t1.json
T1=$(date +%s)
expect_eq "$(jf t1.json state)" "Finished" "tidy answers state"
expect_eq "$(jf t1.json cert_store_deleted_count)" 4 "cert_store_deleted_count (S1..S4)"
expect_eq "$(jf t1.json revoked_cert_deleted_count)" 3 "revoked_cert_deleted_count (S1, S2, N1)"

CERTS1=$(list_of pki/certs)
REVOKED1=$(list_of pki/certs/revoked)
expect_eq "$CERTS1" "$(without "$CERTS0" "$(s_of pki S1)" "$(s_of pki S2)" "$(s_of pki S3)" "$(s_of pki S4)")" "certs after the tidy: exactly the expired ones gone"
for c in L1 L2 L3 L4; do if grep -qx "$(s_of pki $c)" <<<"$CERTS1"; then ok; else fail "tidy removed unexpired $c"; fi; done
if grep -qx "$(serial_of pki.root.pem)" <<<"$CERTS1"; then ok; else fail "tidy removed the root's certificate record"; fi
expect_eq "$REVOKED1" "$(sorted "$(s_of pki L1)" "$(s_of pki L2)" "$(s_of pki N2)")" "certs/revoked after the tidy: exactly the unexpired ones"
expect_exit 1 "$PKI" read pki/cert/"$(s_of pki S1)"
expect_exit 1 "$PKI" read pki/cert/"$(s_of pki S3)"
expect_ok "$PKI" read -format=json pki/cert/"$(s_of pki L3)"
expect_eq "$(jf "$WORK/out" revocation_time)" 0 "an unexpired, unrevoked certificate stays readable"

expect_ok "$PKI" read pki/crl/pem
save crl1.pem
N1=$(crl_number crl1.pem)
if [ -n "$N1" ] && [ -n "$N0" ] && [ "$N1" -gt "$N0" ]; then ok; else fail "CRL number did not grow with the tidy: $N0 -> $N1"; fi
expect_eq "$(crl_serials crl1.pem)" "$(for c in L1 L2 N2; do bare "$(s_of pki $c)"; done | sort)" "the CRL lists exactly the unexpired revoked ones"
if openssl crl -in crl1.pem -CAfile pki.root.pem -noout 2>&1 | grep -q "verify OK"; then ok; else fail "CRL after tidy does not verify"; fi

# tidy-status after it.
status pki st1.json
expect_eq "$(jf st1.json state)" "Finished" "tidy-status state"
expect_eq "$(jf st1.json cert_store_deleted_count)" 4 "tidy-status cert_store_deleted_count"
expect_eq "$(jf st1.json revoked_cert_deleted_count)" 3 "tidy-status revoked_cert_deleted_count"
expect_eq "$(jf st1.json safety_buffer)" 1 "tidy-status safety_buffer"
expect_eq "$(jf st1.json tidy_cert_store)" True "tidy-status tidy_cert_store"
expect_eq "$(jf st1.json tidy_revoked_certs)" True "tidy-status tidy_revoked_certs"
expect_eq "$(jf st1.json error)" None "tidy-status error"
ts=$(jf st1.json time_started); tf=$(jf st1.json time_finished)
near "$(epoch "$ts")" "$T0" 2 "tidy-status time_started ($ts)"
near "$(epoch "$tf")" "$T1" 2 "tidy-status time_finished ($tf)"
if [ "$(epoch "$tf")" -ge "$(epoch "$ts")" ]; then ok; else fail "time_finished before time_started"; fi
expect_eq "$(jx st1.json "'pid' in d or 'v' in d")" False "tidy-status shows no internal fields"

# Again: nothing left to remove, and the CRL is not rebuilt for nothing (or grows).
expect_ok "$PKI" tidy run --tidy-cert-store --tidy-revoked-certs --safety-buffer 1s -format=json
expect_eq "$(jf "$WORK/out" cert_store_deleted_count)" 0 "a second tidy finds nothing"
expect_eq "$(jf "$WORK/out" revoked_cert_deleted_count)" 0 "a second tidy finds nothing (revoked)"
expect_eq "$(list_of pki/certs)" "$CERTS1" "a second tidy keeps every certificate"
expect_ok "$PKI" read pki/crl/pem
save crl2.pem
if [ "$(crl_number crl2.pem)" -ge "$N1" ]; then ok; else fail "CRL number went back"; fi
expect_ok "$PKI" tidy status -format=json
expect_eq "$(jf "$WORK/out" state)" "Finished" "pki tidy status"

# ---- tidy_cert_store alone, tidy_revoked_certs alone -----------------------------------------------
section "one kind at a time"

C0=$(list_of certsonly/certs); R0=$(list_of certsonly/certs/revoked)
expect_ok "$PKI" write -format=json certsonly/tidy tidy_cert_store=true safety_buffer=1s
expect_eq "$(jf "$WORK/out" cert_store_deleted_count)" 4 "tidy_cert_store alone: certificates"
expect_eq "$(jf "$WORK/out" revoked_cert_deleted_count)" 0 "tidy_cert_store alone: no revoked entry"
expect_eq "$(list_of certsonly/certs)" "$(without "$C0" "$(s_of certsonly S1)" "$(s_of certsonly S2)" "$(s_of certsonly S3)" "$(s_of certsonly S4)")" "tidy_cert_store alone: certs"
expect_eq "$(list_of certsonly/certs/revoked)" "$R0" "tidy_cert_store alone keeps certs/revoked"

# An invalid revoked entry (empty value) is removed too, as the reference says.
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n revokedonly/revoked/0a:0b:0c\n \nDATA=END\n' > invalid.dump
if mdb_load -f invalid.dump "$PKI_STATE_DIR" 2>"$WORK/err"; then ok; else fail "mdb_load: $(cat "$WORK/err")"; fi
if grep -qx "0a:0b:0c" <<<"$(list_of revokedonly/certs/revoked)"; then ok; else fail "the invalid entry is not listed"; fi
C0=$(list_of revokedonly/certs); R0=$(list_of revokedonly/certs/revoked)
expect_ok "$PKI" read revokedonly/crl/pem
save ro0.pem
expect_ok "$PKI" write -format=json revokedonly/tidy tidy_revoked_certs=true safety_buffer=1s
expect_eq "$(jf "$WORK/out" revoked_cert_deleted_count)" 4 "tidy_revoked_certs alone: revoked entries (S1, S2, N1 and the invalid one)"
expect_eq "$(list_of revokedonly/certs/revoked)" "$(sorted "$(s_of revokedonly L1)" "$(s_of revokedonly L2)" "$(s_of revokedonly N2)")" "tidy_revoked_certs alone: certs/revoked"
# The expired certificates that were never revoked stay in the store.
for c in S3 S4; do if grep -qx "$(s_of revokedonly $c)" <<<"$(list_of revokedonly/certs)"; then ok; else fail "tidy_revoked_certs alone removed unrevoked $c"; fi; done
for c in L1 L2 L3 L4; do if grep -qx "$(s_of revokedonly $c)" <<<"$(list_of revokedonly/certs)"; then ok; else fail "tidy_revoked_certs alone removed $c"; fi; done
expect_ok "$PKI" read revokedonly/crl/pem
save ro1.pem
if [ "$(crl_number ro1.pem)" -gt "$(crl_number ro0.pem)" ]; then ok; else fail "CRL number after tidy_revoked_certs did not grow"; fi
expect_eq "$(crl_serials ro1.pem)" "$(for c in L1 L2 N2; do bare "$(s_of revokedonly $c)"; done | sort)" "CRL after tidy_revoked_certs alone"

# ---- progress bar on a terminal; --quiet -----------------------------------------------------------
section "progress and --quiet"

# Not a terminal: nothing on stderr.
expect_ok "$PKI" write pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1s
expect_eq "$(cat "$WORK/err")" "" "no progress when stderr is not a terminal"
# A terminal: a progress line on stderr; with --quiet none.
script -qec "'$PKI' write -format=json pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1s" /dev/null > tty.out 2>&1 || true
has "$(tr '\r' '\n' < tty.out)" "tidying" "progress on a terminal"
has "$(cat tty.out)" '"state": "Finished"' "tidy on a terminal"
script -qec "'$PKI' --quiet write -format=json pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1s" /dev/null > tty_quiet.out 2>&1 || true
hasnt "$(cat tty_quiet.out)" "tidying" "--quiet on a terminal"
has "$(cat tty_quiet.out)" '"state": "Finished"' "tidy --quiet on a terminal"
script -qec "'$PKI' tidy run --quiet --tidy-cert-store --safety-buffer 1s" /dev/null > tty_quiet2.out 2>&1 || true
hasnt "$(cat tty_quiet2.out)" "tidying" "pki tidy run --quiet"
has "$(cat tty_quiet2.out)" "Finished" "pki tidy run --quiet"
expect_ok "$PKI" -q tidy run --tidy-cert-store --safety-buffer 1s
expect_eq "$(cat "$WORK/err")" "" "-q: nothing on stderr"

# ---- a second tidy while one runs ------------------------------------------------------------------
section "one tidy at a time"

# Simulated: the status record of a tidy that another live process is running: its lease (renewed
# with every batch it commits) runs into the future.
expect_ok "$PKI" secrets enable -path=busy pki
expect_ok "$PKI" write busy/root/generate/internal common_name="Busy Root" key_type=ec ttl=10h
sleep 120 &
HOLDER=$!
running_record() {  # PID LEASE_UNTIL
  {
    printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n'
    printf ' busy/tidy/status\n'
    printf ' {"cert_store_deleted_count":7,"error":null,"message":"Tidying certificate store: checking entry 10 of 100","revoked_cert_deleted_count":0,"safety_buffer":60,"state":"Running","tidy_cert_store":true,"tidy_revoked_certs":false,"time_finished":null,"time_started":"2026-01-01T00:00:00Z","pid":%s,"lease_until":%s,"v":1}\n' "$1" "$2"
    printf 'DATA=END\n'
  } > status.dump
  mdb_load -f status.dump "$PKI_STATE_DIR"
}
running_record "$HOLDER" $(( $(date +%s) + 100 ))
expect_refused 1 "$PKI" write busy/tidy tidy_cert_store=true safety_buffer=1s
expect_err_contains "$HOLDER"
expect_err_contains "running"
expect_refused 1 "$PKI" tidy run -m busy --tidy-revoked-certs --safety-buffer 1h
status busy stb.json
expect_eq "$(jf stb.json state)" "Running" "tidy-status of a running tidy"
expect_eq "$(jf stb.json message)" "Tidying certificate store: checking entry 10 of 100" "tidy-status message while running"
expect_eq "$(jf stb.json time_finished)" None "time_finished while running"
kill "$HOLDER"; wait "$HOLDER" 2>/dev/null || true
# A tidy killed in a container: the record says pid 1 (alive here, and reused), but its lease ran
# out. It is reported as failed, and a new one may run: no PID check decides it.
running_record 1 $(( $(date +%s) - 5 ))
status busy stb2.json
expect_eq "$(jf stb2.json state)" "Error" "tidy-status after the running process died"
if [ -n "$(jf stb2.json error)" ] && [ "$(jf stb2.json error)" != None ]; then ok; else fail "tidy-status error is empty after the process died"; fi
expect_ok "$PKI" write -format=json busy/tidy tidy_cert_store=true safety_buffer=1s
expect_eq "$(jf "$WORK/out" state)" "Finished" "a tidy after the dead one"

# fill MOUNT N: N certificate records written straight into the store (as the engine writes them,
# without the PEM, which tidy does not read), half expired a day ago, half valid for a day.
fill() {
  local m=$1 n=$2 issuer
  expect_ok "$PKI" secrets enable -path="$m" pki
  expect_ok "$PKI" write -format=json "$m/root/generate/internal" common_name="Root $m" key_type=ec ttl=10h
  issuer=$(jf "$WORK/out" issuer_id)
  python3 - "$m" "$n" "$issuer" > fill.dump <<'PY'
import sys, time
m, n, iid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
now = int(time.time())
w = sys.stdout.write
w("VERSION=3\nformat=print\ntype=btree\nHEADER=END\n")
for i in range(n):
    s = "7e:" + ":".join(f"{(i >> k) & 255:02x}" for k in (24, 16, 8, 0))
    na = now - 86400 if i % 2 == 0 else now + 86400
    w(f" {m}/cert/{s}\n")
    w(f' {{"common_name":"bulk{i}.example.com","issued":{now},"issuer_id":"{iid}","not_after":{na},"serial_number":"{s}","v":1}}\n')
w("DATA=END\n")
PY
  if mdb_load -f fill.dump "$PKI_STATE_DIR" 2>"$WORK/err"; then ok; else fail "mdb_load: $(cat "$WORK/err")"; fi
  rm -f fill.dump
  expect_eq "$(list_of "$m/certs" | grep -c .)" $((n + 1)) "the filled store $m"
}
BIG_N=${BIG_N:-400000}

# A long reader (a backup, a slow consumer of a dump) holds an old snapshot while a tidy runs, so
# the store must grow during the tidy: it still removes exactly the expired half. (First, on a store
# with no free pages yet.)
section "a tidy under a long reader"
fill big "$BIG_N"
(mdb_dump "$PKI_STATE_DIR" | (sleep 4; cat > /dev/null)) &
READER=$!
sleep 0.5
expect_ok "$PKI" write -format=json big/tidy tidy_cert_store=true safety_buffer=1s
expect_eq "$(jf "$WORK/out" cert_store_deleted_count)" $((BIG_N / 2)) "tidy under a long reader: cert_store_deleted_count"
wait "$READER" || true
expect_eq "$(list_of big/certs | grep -c .)" $((BIG_N / 2 + 1)) "tidy under a long reader leaves no expired certificate"

# Real: a tidy of a big store in one process, caught in the middle of its batches (stopped there),
# and another started meanwhile: refused at once, naming the running one.
section "a second tidy while one runs"
# The same store, its valid half left: a tidy scans it batch by batch (and finds nothing more to
# remove, unless the tidy above left expired ones behind).
"$PKI" write -format=json big/tidy tidy_cert_store=true safety_buffer=1s > first.out 2> first.err &
FIRST=$!
for _ in $(seq 1 3000); do
  if "$PKI" read -format=json big/tidy-status 2>/dev/null | grep -q '"message": "Tidying certificate store: checking entry'; then break; fi
done
kill -STOP "$FIRST"
"$PKI" read -format=json big/tidy-status > running.json 2>/dev/null || true
expect_eq "$(jf running.json state)" "Running" "tidy-status while the big tidy runs"
expect_eq "$(jf running.json time_finished)" None "time_finished while the big tidy runs"
msg=$(jf running.json message)
if [[ "$msg" =~ ^Tidying\ certificate\ store:\ checking\ entry\ [0-9]+\ of\ [0-9]+$ ]]; then ok; else fail "tidy-status message while running: '$msg'"; fi
expect_exit 1 timeout 3 "$PKI" write big/tidy tidy_cert_store=true safety_buffer=1s
expect_err_contains "process $FIRST"
expect_exit 1 timeout 3 "$PKI" tidy run -m big --tidy-revoked-certs --safety-buffer 1h
kill -CONT "$FIRST"
first_rc=0; wait "$FIRST" || first_rc=$?
expect_eq "$first_rc" 0 "the first tidy: $(cat first.err)"
expect_eq "$(list_of big/certs | grep -c .)" $((BIG_N / 2 + 1)) "the big store after the second tidy"
status big stbig.json
expect_eq "$(jf stbig.json state)" "Finished" "tidy-status after the big tidy"

finish
