#!/usr/bin/env bash
# CRL rebuilding and delta CRLs (Vault 1.12's config/crl, RFC 5280 5.2.4): the settings and what
# they refuse; without auto_rebuild every revocation rebuilds the CRL; with it a revocation only
# marks the CRL stale, pki serve leaves it stale on read and rebuilds it on its timer (the
# complete CRL near its nextUpdate, the delta CRL once delta_rebuild_interval has passed), while
# the local CLI rebuilds what is stale when it reads a CRL. Delta CRLs: every read path, the
# critical Delta CRL Indicator naming the complete CRL's number, cumulative entries, one CRL
# number counter, the Freshest CRL extension (config/urls delta_crl_distribution_points).
# Revocation is judged by verifiers nobody here wrote: openssl verify -use_deltas (complete CRL +
# delta) and GnuTLS certtool. Also revocation reasons and a stale CRL read from a read-only state.
source "$(dirname "$0")/../server/serve_lib.sh"

# ---- helpers ------------------------------------------------------------------------------------

# delta_base CRL_PEM: the value of the Delta CRL Indicator (decimal; "" when it has none).
delta_base() {
  local v; v=$(crl_text "$1" | grep -A1 'Delta CRL Indicator' | sed -n '2p' | tr -d ' :') || true
  if [ -z "$v" ]; then echo ""; elif [[ $v =~ ^[0-9]+$ ]]; then echo "$v"; else echo $((16#$v)); fi
}
# crl_entry CRL_PEM SERIAL: the lines of openssl's -text for that one entry.
crl_entry() {
  crl_text "$1" | awk -v s="$(bare "$2")" '
    /^ *Serial Number:/ { on = ($3 == s) }
    /^ *Signature Algorithm:/ && seen_list { on = 0 }
    /^Revoked Certificates:/ { seen_list = 1 }
    on { print }'
}
is_delta() { if crl_text "$1" | grep -q 'X509v3 Delta CRL Indicator: critical'; then ok; else fail "${2:-CRL} has no critical Delta CRL Indicator: $(crl_text "$1" | head -20)"; fi; }
signed_by() { if openssl crl -in "$1" -CAfile "$2" -noout 2>&1 | grep -q "verify OK"; then ok; else fail "${3:-CRL} $1 does not verify with $2"; fi; }
list_of() { "$PKI" list -format=json "$1" 2>/dev/null | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["data"]["keys"]))' 2>/dev/null || true; }
in_list() { if grep -qx -- "$2" <<<"$1"; then ok; else fail "${3:-list} lacks $2: $(tr '\n' ' ' <<<"$1" | head -c 600)"; fi; }
not_in_list() { if grep -qx -- "$2" <<<"$1"; then fail "${3:-list} has $2"; else ok; fi; }

# pem_of MOUNT PATH OUT_PEM: a local `pki read MOUNT/PATH` of a CRL, as PEM whatever the path gives
# (DER for crl, crl/delta, .../der; JSON certificate / crl for cert/crl, cert/delta-crl,
# issuer/:ref/crl, issuer/:ref/crl/delta; PEM otherwise).
pem_of() {
  local m=$1 p=$2 out=$3 rc=0
  case $p in
    crl|crl/delta|*/der) "$PKI" read "$m/$p" > "$out.der" 2>"$WORK/err" || rc=$? ;;
    cert/crl|cert/delta-crl) "$PKI" read -field=certificate "$m/$p" > "$out" 2>"$WORK/err" || rc=$? ;;
    issuer/*/crl|issuer/*/crl/delta) "$PKI" read -field=crl "$m/$p" > "$out" 2>"$WORK/err" || rc=$? ;;
    *) "$PKI" read "$m/$p" > "$out" 2>"$WORK/err" || rc=$? ;;
  esac
  if [ "$rc" -ne 0 ]; then fail "pki read $m/$p (exit $rc): $(head -c 400 "$WORK/err")"; : > "$out"; return 0; fi
  if [ -f "$out.der" ]; then
    if openssl crl -inform der -in "$out.der" -out "$out" 2>"$WORK/err"; then ok; else fail "pki read $m/$p is not a DER CRL: $(cat "$WORK/err")"; : > "$out"; fi
    rm -f "$out.der"
  elif openssl crl -in "$out" -noout 2>"$WORK/err"; then ok; else fail "pki read $m/$p is not a PEM CRL: $(head -c 300 "$out")"; fi
}
# issue MOUNT NAME: MOUNT/issue/web for NAME.example.com, the certificate in NAME.pem.
issue() {
  if "$PKI" write -field=certificate "$1/issue/web" common_name="$2.example.com" ttl=1h >"$2.pem" 2>"$WORK/err"; then ok; else fail "issue $2 on $1: $(cat "$WORK/err")"; fi
}
# new_ca MOUNT CN: a mount with an EC root (in MOUNT.ca.pem) and a role web.
new_ca() {
  expect_ok "$PKI" secrets enable -path="$1" -max-lease-ttl=87600h pki
  if "$PKI" write -field=certificate "$1/root/generate/internal" common_name="$2" key_type=ec ttl=8760h >"$1.ca.pem" 2>"$WORK/err"; then ok; else fail "root of $1: $(cat "$WORK/err")"; fi
  expect_ok "$PKI" write "$1/roles/web" allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=100h
}
# ossl_verify WANT CA LEAF CRL...: openssl verify -crl_check -use_deltas with those CRLs; WANT is
# good (verifies) or revoked (error 23, certificate revoked).
ossl_verify() {
  local want=$1 ca=$2 leaf=$3; shift 3
  local args=() c rc=0
  for c in "$@"; do args+=(-CRLfile "$c"); done
  openssl verify -crl_check -use_deltas -CAfile "$ca" "${args[@]}" "$leaf" >"$WORK/v.out" 2>&1 || rc=$?
  if [ "$want" = good ]; then
    if [ $rc = 0 ]; then ok; else fail "openssl verify -use_deltas $leaf with $*: expected OK: $(cat "$WORK/v.out")"; fi
  elif [ $rc != 0 ] && grep -q 'error 23 .*certificate revoked' "$WORK/v.out"; then ok
  else fail "openssl verify -use_deltas $leaf with $*: expected error 23 certificate revoked: $(cat "$WORK/v.out")"; fi
}
# gnutls_verify WANT CA LEAF CRLS_PEM: certtool --verify with the CRLs (one file, concatenated).
gnutls_verify() {
  local want=$1 rc=0
  certtool --verify --load-ca-certificate "$2" --load-crl "$4" --infile "$3" >"$WORK/v.out" 2>&1 || rc=$?
  if [ "$want" = good ]; then
    if [ $rc = 0 ] && grep -q 'Verified' "$WORK/v.out"; then ok; else fail "certtool --verify $3: expected trusted: $(tail -3 "$WORK/v.out")"; fi
  elif [ $rc != 0 ] && grep -qi 'revoked' "$WORK/v.out"; then ok
  else fail "certtool --verify $3: expected revoked: $(tail -3 "$WORK/v.out")"; fi
}

# ---- config/crl: defaults and what it refuses ---------------------------------------------------
section "config/crl defaults"

new_ca pki "Rebuild Root"
expect_ok "$PKI" read -format=json pki/config/crl
save defaults.json
for kv in expiry=72h disable=False ocsp_disable=False ocsp_expiry=12h auto_rebuild=False \
          auto_rebuild_grace_period=12h enable_delta=False delta_rebuild_interval=15m; do
  expect_eq "$(jf defaults.json "${kv%%=*}")" "${kv#*=}" "config/crl default ${kv%%=*}"
done
expect_eq "$(jx defaults.json 'len(d)')" 8 "config/crl shows exactly its eight fields"
# The table form names them all too.
expect_ok "$PKI" read pki/config/crl
for f in expiry disable ocsp_disable ocsp_expiry auto_rebuild auto_rebuild_grace_period enable_delta delta_rebuild_interval; do
  expect_out_contains "$f"
done

section "config/crl refusals leave the settings as they were"

# Each refusal: exit 1, one error line, the state byte-for-byte the same.
expect_refused 1 "$PKI" write pki/config/crl enable_delta=true
expect_err_contains "auto_rebuild"
expect_refused 1 "$PKI" write pki/config/crl auto_rebuild=true auto_rebuild_grace_period=72h
expect_err_contains "auto_rebuild_grace_period"
expect_refused 1 "$PKI" write pki/config/crl auto_rebuild=true auto_rebuild_grace_period=100h
expect_refused 1 "$PKI" write pki/config/crl auto_rebuild=true expiry=1h   # the default 12h grace is longer
expect_refused 1 "$PKI" write pki/config/crl auto_rebuild=true enable_delta=true delta_rebuild_interval=72h
expect_err_contains "delta_rebuild_interval"
expect_refused 1 "$PKI" write pki/config/crl auto_rebuild=true enable_delta=true expiry=10m   # 15m delta interval
for bad in expiry=0 expiry=-1h auto_rebuild_grace_period=0 auto_rebuild_grace_period=-5s \
           delta_rebuild_interval=0 delta_rebuild_interval=-1m ocsp_expiry=-1 ocsp_expiry=-1s expiry=soon; do
  expect_refused 1 "$PKI" write pki/config/crl "$bad"
  expect_err_contains "${bad%%=*}"
done
expect_ok "$PKI" read -format=json pki/config/crl
for kv in expiry=72h auto_rebuild=False auto_rebuild_grace_period=12h enable_delta=False delta_rebuild_interval=15m ocsp_expiry=12h; do
  expect_eq "$(jf "$WORK/out" "${kv%%=*}")" "${kv#*=}" "config/crl ${kv%%=*} after the refusals"
done
# ocsp_expiry 0 (no nextUpdate) is allowed; a write keeps what it leaves out.
expect_ok "$PKI" write -format=json pki/config/crl ocsp_expiry=0
expect_eq "$(jf "$WORK/out" ocsp_expiry)" 0s "ocsp_expiry=0 is accepted"
expect_eq "$(jf "$WORK/out" expiry)" 72h "a write keeps the fields it leaves out"
expect_ok "$PKI" write pki/config/crl ocsp_expiry=12h

# No delta CRL without enable_delta: every delta read says how to turn them on.
for p in crl/delta crl/delta/pem cert/delta-crl issuer/default/crl/delta issuer/default/crl/delta/der issuer/default/crl/delta/pem; do
  expect_exit 1 "$PKI" read "pki/$p"
  expect_err_contains "enable_delta"
done
# crl/rotate-delta with delta CRLs off: nothing to do, a warning saying so.
expect_ok "$PKI" read pki/crl/rotate-delta
expect_err_contains "Warning: "
expect_err_contains "enable_delta"

# ---- without auto_rebuild: every revocation rebuilds the complete CRL at once -------------------
section "without auto_rebuild, revocations with reasons"

for n in plain compromised superseded badreason; do issue pki "$n"; done
pem_of pki crl/pem p0.pem
N0=$(crl_number p0.pem)
is_int "$N0" "CRL number"
expect_ok "$PKI" write pki/revoke serial_number="$(serial_of plain.pem)"
pem_of pki crl/pem p1.pem
expect_eq "$(crl_number p1.pem)" $((N0 + 1)) "a revocation rebuilt the CRL (one build)"
crl_has p1.pem "$(serial_of plain.pem)" "CRL right after the revocation"
expect_eq "$(crl_entry p1.pem "$(serial_of plain.pem)" | grep -c 'Reason Code' || true)" 0 "no reason given: no reason code"
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(serial_of compromised.pem)" reason=keyCompromise
expect_eq "$(jf "$WORK/out" state)" revoked "revoke with a reason answers revoked"
expect_ok "$PKI" revoke --serial-number "$(serial_of superseded.pem)" --reason superseded   # the ergonomic command
pem_of pki crl/pem p2.pem
expect_eq "$(crl_number p2.pem)" $(($(crl_number p1.pem) + 2)) "two more revocations, two more builds"
e=$(crl_entry p2.pem "$(serial_of compromised.pem)")
has "$e" "CRL Reason Code" "the keyCompromise entry"
has "$e" "Key Compromise" "the keyCompromise entry"
has "$(crl_entry p2.pem "$(serial_of superseded.pem)")" "Superseded" "the superseded entry"
e=$(crl_entry p2.pem "$(serial_of plain.pem)")
has "$e" "Serial Number" "the entry revoked without a reason"
hasnt "$e" "Reason Code" "the entry revoked without a reason"
# A reason RFC 5280 does not name: refused, nothing revoked.
revoked_before=$(list_of pki/certs/revoked)
expect_refused 1 "$PKI" write pki/revoke serial_number="$(serial_of badreason.pem)" reason=bored
expect_err_contains "bored"
expect_err_contains "keyCompromise"
expect_refused 1 "$PKI" write pki/revoke serial_number="$(serial_of badreason.pem)" reason=removeFromCRL
expect_eq "$(list_of pki/certs/revoked)" "$revoked_before" "certs/revoked after refused reasons"
not_in_list "$(list_of pki/certs/revoked)" "$(serial_of badreason.pem)" "certs/revoked"
pem_of pki crl/pem p3.pem
crl_lacks p3.pem "$(serial_of badreason.pem)" "CRL after refused reasons"
expect_eq "$(crl_number p3.pem)" "$(crl_number p2.pem)" "reading the CRL without auto_rebuild rebuilds nothing"

# ---- auto_rebuild, no server: reading a CRL rebuilds it first --------------------------------------
section "auto_rebuild from the CLI: every CRL read rebuilds the stale CRL"

new_ca ar "Auto Rebuild Root"
expect_ok "$PKI" write -format=json ar/config/crl auto_rebuild=true
expect_eq "$(jf "$WORK/out" auto_rebuild)" True "auto_rebuild is on"
pem_of ar crl/pem ar0.pem
A0=$(crl_number ar0.pem)
# Two revocations and then a read: the CRL is built once, on the read (the revocations only mark it stale).
issue ar two1; issue ar two2
expect_ok "$PKI" write ar/revoke serial_number="$(serial_of two1.pem)"
expect_ok "$PKI" write ar/revoke serial_number="$(serial_of two2.pem)"
pem_of ar crl/pem ar1.pem
crl_has ar1.pem "$(serial_of two1.pem)" "CRL read after two revocations"
crl_has ar1.pem "$(serial_of two2.pem)" "CRL read after two revocations"
expect_eq "$(crl_number ar1.pem)" $((A0 + 1)) "two revocations under auto_rebuild, one build (on the read)"
pem_of ar crl/pem ar1b.pem
expect_eq "$(crl_number ar1b.pem)" "$(crl_number ar1.pem)" "a CRL that is not stale is not rebuilt on read"
# Every read path of the complete CRL rebuilds it first.
i=0
for p in crl cert/crl issuer/default/crl issuer/default/crl/der issuer/default/crl/pem crl/pem; do
  i=$((i + 1)); issue ar "path$i"
  expect_ok "$PKI" write ar/revoke serial_number="$(serial_of "path$i.pem")"
  pem_of ar "$p" "arp$i.pem"
  [ -s "arp$i.pem" ] || continue   # the read failed (recorded)
  crl_has "arp$i.pem" "$(serial_of "path$i.pem")" "ar/$p read right after a revocation"
  signed_by "arp$i.pem" ar.ca.pem "ar/$p"
done

# ---- delta CRLs from the CLI ------------------------------------------------------------------------
section "delta CRLs from the CLI: Freshest CRL, indicator, cumulative entries, one counter"

new_ca dl "Delta Root"
issue dl beforeurls
expect_ok "$PKI" write -format=json dl/config/urls delta_crl_distribution_points=http://crl.example.com/delta.crl
expect_eq "$(jx "$WORK/out" 'd["delta_crl_distribution_points"]')" "['http://crl.example.com/delta.crl']" "config/urls delta_crl_distribution_points"
issue dl afterurls
has "$(ext afterurls.pem freshestCRL)" "URI:http://crl.example.com/delta.crl" "a certificate issued after config/urls: Freshest CRL"
hasnt "$(ext beforeurls.pem freshestCRL)" "Freshest CRL" "a certificate issued before config/urls"
# Without enable_delta the complete CRL has no Freshest CRL extension.
expect_ok "$PKI" read dl/crl/rotate
pem_of dl crl/pem dlnodelta.pem
hasnt "$(crl_text dlnodelta.pem)" "Freshest CRL" "a complete CRL without enable_delta"
expect_ok "$PKI" write -format=json dl/config/crl auto_rebuild=true enable_delta=true
expect_eq "$(jf "$WORK/out" enable_delta)" True "enable_delta is on"
pem_of dl crl/pem full0.pem
pem_of dl crl/delta/pem delta0.pem
F0=$(crl_number full0.pem)
is_int "$F0" "complete CRL number"
has "$(crl_text full0.pem)" "X509v3 Freshest CRL" "the complete CRL with enable_delta"
has "$(crl_text full0.pem)" "URI:http://crl.example.com/delta.crl" "the complete CRL's Freshest CRL"
expect_eq "$(delta_base full0.pem)" "" "the complete CRL carries no Delta CRL Indicator"
is_delta delta0.pem "the delta CRL"
expect_eq "$(delta_base delta0.pem)" "$F0" "Delta CRL Indicator = the complete CRL's number"
expect_eq "$(crl_number delta0.pem)" $((F0 + 1)) "the delta is numbered after the complete CRL (one counter)"
expect_eq "$(crl_count delta0.pem)" 0 "a delta built with its complete CRL is empty"
signed_by full0.pem dl.ca.pem "complete CRL"
signed_by delta0.pem dl.ca.pem "delta CRL"
near "$(($(next_update delta0.pem) - $(this_update delta0.pem)))" $((72 * 3600)) 1 "the delta's lifetime is expiry"

for n in dgood d1 d2 d3; do issue dl "$n"; done
expect_ok "$PKI" write dl/revoke serial_number="$(serial_of d1.pem)" reason=keyCompromise
# A read of the complete CRL rebuilds the stale delta, not the complete CRL.
pem_of dl crl/pem full1.pem
expect_eq "$(crl_number full1.pem)" "$F0" "with enable_delta a read leaves the complete CRL as it is"
crl_lacks full1.pem "$(serial_of d1.pem)" "the complete CRL (stale)"
pem_of dl crl/delta/pem delta1.pem
crl_has delta1.pem "$(serial_of d1.pem)" "the delta after a revocation"
expect_eq "$(crl_number delta1.pem)" $((F0 + 2)) "the rebuilt delta's number"
expect_eq "$(delta_base delta1.pem)" "$F0" "the rebuilt delta's indicator"
has "$(crl_entry delta1.pem "$(serial_of d1.pem)")" "Key Compromise" "the delta entry's reason"
pem_of dl crl/delta/pem delta1b.pem
expect_eq "$(crl_number delta1b.pem)" "$(crl_number delta1.pem)" "a delta that lacks nothing is not rebuilt on read"
# Cumulative: the second revocation's delta lists both.
expect_ok "$PKI" write dl/revoke serial_number="$(serial_of d2.pem)"
pem_of dl crl/delta/pem delta2.pem
crl_has delta2.pem "$(serial_of d1.pem)" "the delta after a second revocation"
crl_has delta2.pem "$(serial_of d2.pem)" "the delta after a second revocation"
expect_eq "$(crl_count delta2.pem)" 2 "the delta lists exactly the two revoked since the complete CRL"
expect_eq "$(crl_number delta2.pem)" $((F0 + 3)) "the delta's number grows with each build"
e=$(crl_entry delta2.pem "$(serial_of d2.pem)")
has "$e" "Serial Number" "a delta entry without a reason"
hasnt "$e" "Reason Code" "a delta entry without a reason"
# Every delta read path gives the same CRL (another revocation first, read through each path).
i=0
for p in crl/delta cert/delta-crl issuer/default/crl/delta issuer/default/crl/delta/der issuer/default/crl/delta/pem; do
  i=$((i + 1)); issue dl "dp$i"
  expect_ok "$PKI" write dl/revoke serial_number="$(serial_of "dp$i.pem")"
  pem_of dl "$p" "dlp$i.pem"
  [ -s "dlp$i.pem" ] || continue   # the read failed (recorded)
  crl_has "dlp$i.pem" "$(serial_of "dp$i.pem")" "dl/$p read right after a revocation"
  crl_has "dlp$i.pem" "$(serial_of d1.pem)" "dl/$p (cumulative)"
  expect_eq "$(delta_base "dlp$i.pem")" "$F0" "dl/$p Delta CRL Indicator"
done
pem_of dl crl/delta/pem deltaN.pem
for p in cert/delta-crl issuer/default/crl/delta issuer/default/crl/delta/der issuer/default/crl/delta/pem; do
  pem_of dl "$p" same.pem
  [ -s same.pem ] || continue   # the read failed (recorded)
  expect_eq "$(md5sum < same.pem)" "$(md5sum < deltaN.pem)" "dl/$p is the same delta CRL as crl/delta/pem"
done
pem_of dl crl/pem fullN.pem
expect_eq "$(crl_number fullN.pem)" "$F0" "the complete CRL is still the one of before the revocations"

section "verifiers: complete CRL + delta"

cat fullN.pem deltaN.pem > crls.pem
ossl_verify revoked dl.ca.pem d1.pem fullN.pem deltaN.pem
ossl_verify revoked dl.ca.pem d2.pem fullN.pem deltaN.pem
ossl_verify good dl.ca.pem dgood.pem fullN.pem deltaN.pem
ossl_verify good dl.ca.pem d3.pem fullN.pem deltaN.pem
# The stale complete CRL alone does not know the revocation.
ossl_verify good dl.ca.pem d1.pem fullN.pem
gnutls_verify revoked dl.ca.pem d1.pem crls.pem
gnutls_verify revoked dl.ca.pem d2.pem crls.pem
gnutls_verify good dl.ca.pem dgood.pem crls.pem

section "crl/rotate and crl/rotate-delta from the CLI"

NB=$(crl_number deltaN.pem)
expect_ok "$PKI" read -format=json dl/crl/rotate
expect_eq "$(jf "$WORK/out" success)" True "crl/rotate answers success"
pem_of dl crl/pem full2.pem
pem_of dl crl/delta/pem delta3.pem
F2=$(crl_number full2.pem)
expect_eq "$F2" $((NB + 1)) "the complete CRL continues the delta's counter"
for n in d1 d2 dp1 dp5; do crl_has full2.pem "$(serial_of "$n.pem")" "the rotated complete CRL"; done
expect_eq "$(crl_count delta3.pem)" 0 "after a complete rebuild the delta is empty again"
expect_eq "$(delta_base delta3.pem)" "$F2" "the new delta's indicator = the new complete CRL's number"
expect_eq "$(crl_number delta3.pem)" $((F2 + 1)) "the new delta's number"
has "$(crl_entry full2.pem "$(serial_of d1.pem)")" "Key Compromise" "the complete CRL keeps the reason"
ossl_verify revoked dl.ca.pem d1.pem full2.pem delta3.pem
ossl_verify good dl.ca.pem dgood.pem full2.pem delta3.pem
# A revocation after the rotation: only in the delta, and verifiers see it with the delta.
expect_ok "$PKI" write dl/revoke serial_number="$(serial_of d3.pem)"
expect_ok "$PKI" write -format=json dl/crl/rotate-delta
expect_eq "$(jf "$WORK/out" success)" True "crl/rotate-delta answers success"
pem_of dl crl/delta/pem delta4.pem
crl_has delta4.pem "$(serial_of d3.pem)" "the delta after crl/rotate-delta"
expect_eq "$(crl_count delta4.pem)" 1 "the delta lists only what came after the complete CRL"
expect_eq "$(delta_base delta4.pem)" "$F2" "the delta's indicator after crl/rotate-delta"
expect_eq "$(crl_number delta4.pem)" $((F2 + 2)) "crl/rotate-delta builds once"
pem_of dl crl/pem full3.pem
expect_eq "$(crl_number full3.pem)" "$F2" "crl/rotate-delta leaves the complete CRL"
crl_lacks full3.pem "$(serial_of d3.pem)" "the complete CRL after crl/rotate-delta"
ossl_verify revoked dl.ca.pem d3.pem full3.pem delta4.pem
ossl_verify good dl.ca.pem d3.pem full3.pem
cat full3.pem delta4.pem > crls2.pem
gnutls_verify revoked dl.ca.pem d3.pem crls2.pem
# A certificate without the Freshest CRL extension is still checked against the delta: the
# complete CRL points to it.
expect_ok "$PKI" write dl/revoke serial_number="$(serial_of beforeurls.pem)"
pem_of dl crl/delta/pem delta5.pem
ossl_verify revoked dl.ca.pem beforeurls.pem full3.pem delta5.pem
ossl_verify good dl.ca.pem beforeurls.pem full3.pem

# ---- pki serve: stale on read, rebuilt by the timer, crl/rotate and crl/rotate-delta ---------------
section "pki serve: setup"

export PKI_STATE_DIR="$WORK/srvstate"
# srv: delta CRLs with the default (long) intervals: nothing is due during the test.
new_ca srv "Served Root"
expect_ok "$PKI" write srv/config/urls delta_crl_distribution_points=http://127.0.0.1/delta.crl
expect_ok "$PKI" write srv/config/crl auto_rebuild=true enable_delta=true
# srvfull: the complete CRL is due 3 s after it is built (expiry 20s, grace 17s).
new_ca srvfull "Timer Root"
expect_ok "$PKI" write srvfull/config/crl auto_rebuild=true expiry=20s auto_rebuild_grace_period=17s
# srvdelta: a delta that lacks revocations is due 1 s after the last one.
new_ca srvdelta "Timer Delta Root"
expect_ok "$PKI" write srvdelta/config/crl auto_rebuild=true enable_delta=true delta_rebuild_interval=1s
# nodelta: auto_rebuild without delta CRLs.
new_ca nodelta "No Delta Root"
expect_ok "$PKI" write nodelta/config/crl auto_rebuild=true
for n in s1 s2 s3 sgood; do issue srv "$n"; done
issue srvfull f1
issue srvdelta t1
start_server --crl-check-interval 1s

# get PATH OUT: GET /v1/PATH into OUT (bytes as they come); status and content type in $GOT.
get() {
  GOT=$(curl -sk -H "X-Vault-Token: $TOKEN" -o "$2" -w '%{http_code} %{content_type}' "$ADDR/v1/$1") || GOT="curl-failed"
}
# sget PATH OUT_PEM: a served CRL (DER or PEM path) as PEM; a failure when it is not 200 and a CRL.
sget() {
  get "$1" "$2.raw"
  if [[ $GOT != 200* ]]; then fail "GET $1: $GOT: $(head -c 300 "$2.raw")"; : > "$2"; return 0; fi
  if openssl crl -in "$2.raw" -out "$2" 2>/dev/null || openssl crl -inform der -in "$2.raw" -out "$2" 2>/dev/null; then ok
  else fail "GET $1 is not a CRL: $(head -c 300 "$2.raw")"; : > "$2"; fi
}
# revoke_api MOUNT SERIAL: POST MOUNT/revoke.
revoke_api() {
  expect_status 200 POST "$1/revoke" "{\"serial_number\":\"$2\"}"
  has "$LAST" '"revocation_time"' "POST $1/revoke"
}
# poll_crl TIMEOUT PATH SERIAL OUT_PEM: GET PATH until it lists SERIAL (every 0.2 s, up to TIMEOUT s).
poll_crl() {
  local deadline=$(($(date +%s) + $1))
  while :; do
    get "$2" "$4.raw"
    if [[ $GOT == 200* ]] && { openssl crl -in "$4.raw" -out "$4" 2>/dev/null || openssl crl -inform der -in "$4.raw" -out "$4" 2>/dev/null; } &&
       crl_serials "$4" | grep -qx "$(bare "$3")"; then ok; return 0; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then fail "GET $2 did not list $3 within $1 s (last: $GOT, $(crl_serials "$4" 2>/dev/null | tr '\n' ' '))"; return 0; fi
    sleep 0.2
  done
}

section "pki serve: the complete CRL rebuilt by the timer near its nextUpdate"

# Rotate first so the next rebuild is 3 s away, then revoke: the CRL served right after lacks it.
expect_status 200 POST srvfull/crl/rotate
sget srvfull/crl/pem sf0.pem
SF0=$(crl_number sf0.pem)
near "$(($(next_update sf0.pem) - $(this_update sf0.pem)))" 20 1 "srvfull's CRL lives expiry (20 s)"
revoke_api srvfull "$(serial_of f1.pem)"
sget srvfull/crl/pem sf1.pem
crl_lacks sf1.pem "$(serial_of f1.pem)" "the served CRL right after a revocation under auto_rebuild (not due yet)"
expect_eq "$(crl_number sf1.pem)" "$SF0" "the served CRL is not rebuilt by the revocation nor by the read"
T_FULL=$(date +%s)
# srvdelta: the timer rebuilds the delta once delta_rebuild_interval has passed.
sget srvdelta/crl/pem sd0.pem
revoke_api srvdelta "$(serial_of t1.pem)"

section "pki serve: stale after a revocation, crl/rotate-delta, crl/rotate"

sget srv/crl/pem sv0.pem
sget srv/crl/delta/pem svd0.pem
SV0=$(crl_number sv0.pem)
SVD0=$(crl_number svd0.pem)
expect_eq "$(delta_base svd0.pem)" "$SV0" "the served delta's indicator"
revoke_api srv "$(serial_of s1.pem)"
sget srv/crl/pem sv1.pem
sget srv/crl/delta/pem svd1.pem
crl_lacks sv1.pem "$(serial_of s1.pem)" "the served complete CRL right after a revocation"
crl_lacks svd1.pem "$(serial_of s1.pem)" "the served delta right after a revocation (the server does not rebuild on read)"
expect_eq "$(crl_number sv1.pem)" "$SV0" "the served complete CRL's number after a revocation"
expect_eq "$(crl_number svd1.pem)" "$SVD0" "the served delta's number after a revocation"
sget srv/issuer/default/crl/delta/pem svd1b.pem
crl_lacks svd1b.pem "$(serial_of s1.pem)" "issuer/default/crl/delta/pem right after a revocation"
# crl/rotate-delta (POST): the delta lists it; the complete CRL still does not.
expect_status 200 POST srv/crl/rotate-delta
expect_eq "$(jx <(echo "$LAST") 'd["success"]')" True "POST crl/rotate-delta answers success"
get srv/crl/delta svd2.der
expect_eq "$GOT" "200 application/pkix-crl" "GET crl/delta: status and media type"
openssl crl -inform der -in svd2.der -out svd2.pem 2>/dev/null || fail "GET srv/crl/delta is not a DER CRL"
crl_has svd2.pem "$(serial_of s1.pem)" "the served delta after crl/rotate-delta"
is_delta svd2.pem "the served delta"
expect_eq "$(delta_base svd2.pem)" "$SV0" "the served delta's indicator after crl/rotate-delta"
expect_eq "$(crl_number svd2.pem)" $((SVD0 + 1)) "the served delta's number after crl/rotate-delta"
sget srv/crl/pem sv2.pem
crl_lacks sv2.pem "$(serial_of s1.pem)" "the served complete CRL after crl/rotate-delta"
# The other delta paths over HTTP: the same CRL.
get srv/crl/delta/pem svd2p.pem
expect_eq "$GOT" "200 application/x-pem-file" "GET crl/delta/pem: status and media type"
expect_eq "$(openssl crl -in svd2p.pem -outform der 2>/dev/null | md5sum)" "$(md5sum < svd2.der)" "crl/delta/pem = crl/delta"
get srv/issuer/default/crl/delta/der svd2i.der
expect_eq "$GOT" "200 application/pkix-crl" "GET issuer/default/crl/delta/der: status and media type"
expect_eq "$(md5sum < svd2i.der)" "$(md5sum < svd2.der)" "issuer/default/crl/delta/der = crl/delta"
expect_status 200 GET srv/issuer/default/crl/delta
expect_eq "$(jx <(echo "$LAST") 'd["crl"]' | openssl crl -outform der 2>/dev/null | md5sum)" "$(md5sum < svd2.der)" "issuer/default/crl/delta (JSON crl) = crl/delta"
expect_status 200 GET srv/cert/delta-crl
if python3 -c 'import json,sys; json.load(sys.stdin)["data"]["certificate"]' <<<"$LAST" 2>/dev/null; then
  expect_eq "$(jx <(echo "$LAST") 'd["certificate"]' | openssl crl -outform der 2>/dev/null | md5sum)" "$(md5sum < svd2.der)" "cert/delta-crl (JSON certificate) = crl/delta"
fi
# openssl and certtool with what the server serves.
ossl_verify revoked srv.ca.pem s1.pem sv2.pem svd2.pem
ossl_verify good srv.ca.pem sgood.pem sv2.pem svd2.pem
ossl_verify good srv.ca.pem s1.pem sv2.pem
cat sv2.pem svd2.pem > srvcrls.pem
gnutls_verify revoked srv.ca.pem s1.pem srvcrls.pem
gnutls_verify good srv.ca.pem sgood.pem srvcrls.pem
has "$(crl_text sv2.pem)" "URI:http://127.0.0.1/delta.crl" "the served complete CRL's Freshest CRL"
has "$(ext s1.pem freshestCRL)" "URI:http://127.0.0.1/delta.crl" "a certificate of srv: Freshest CRL"
# crl/rotate (GET): the complete CRL lists it; the delta is empty again.
expect_status 200 GET srv/crl/rotate
expect_eq "$(jx <(echo "$LAST") 'd["success"]')" True "GET crl/rotate answers success"
sget srv/crl/pem sv3.pem
sget srv/crl/delta/pem svd3.pem
crl_has sv3.pem "$(serial_of s1.pem)" "the served complete CRL after crl/rotate"
SV3=$(crl_number sv3.pem)
expect_eq "$SV3" $((SVD0 + 2)) "complete and delta share one counter (served)"
expect_eq "$(crl_count svd3.pem)" 0 "the served delta after crl/rotate is empty"
expect_eq "$(delta_base svd3.pem)" "$SV3" "the served delta's indicator after crl/rotate"
# crl/rotate (POST) too, after another revocation.
revoke_api srv "$(serial_of s2.pem)"
sget srv/crl/pem sv4.pem
crl_lacks sv4.pem "$(serial_of s2.pem)" "the served complete CRL right after a second revocation"
expect_status 200 POST srv/crl/rotate
sget srv/crl/pem sv5.pem
crl_has sv5.pem "$(serial_of s2.pem)" "the served complete CRL after POST crl/rotate"
crl_has sv5.pem "$(serial_of s1.pem)" "the served complete CRL after POST crl/rotate"
expect_eq "$(crl_number sv5.pem)" $((SV3 + 2)) "POST crl/rotate builds once (complete, then its delta)"
# No delta without enable_delta: 404, naming enable_delta.
for p in crl/delta crl/delta/pem issuer/default/crl/delta/der; do
  get "nodelta/$p" nd.out
  if [[ $GOT == 404* ]]; then ok; else fail "GET nodelta/$p: expected 404, got $GOT"; fi
  has "$(cat nd.out)" "enable_delta" "GET nodelta/$p"
done
# auto_rebuild without delta over the server: stale until rotated.
issue_api() { expect_status 200 POST "$1/issue/web" "{\"common_name\":\"$2.example.com\",\"ttl\":\"1h\"}"; jx <(echo "$LAST") 'd["certificate"]' > "$2.pem"; }
issue_api nodelta n1
revoke_api nodelta "$(serial_of n1.pem)"
sget nodelta/crl nd1.pem
crl_lacks nd1.pem "$(serial_of n1.pem)" "GET nodelta/crl right after a revocation"
expect_status 200 GET nodelta/cert/crl
expect_eq "$(jx <(echo "$LAST") 'd["certificate"]' | openssl crl -outform der 2>/dev/null | md5sum)" "$(openssl crl -in nd1.pem -outform der | md5sum)" "cert/crl (JSON) = crl, served"
expect_status 200 GET nodelta/crl/rotate
sget nodelta/crl nd2.pem
crl_has nd2.pem "$(serial_of n1.pem)" "GET nodelta/crl after crl/rotate"

section "pki serve: the timers"

# srvdelta: the delta lists the revocation within a few seconds; the complete CRL still does not.
poll_crl 6 srvdelta/crl/delta/pem "$(serial_of t1.pem)" sd_delta.pem
T_DELTA=$(date +%s)
SDN=$(crl_number sd_delta.pem)
expect_eq "$(delta_base sd_delta.pem)" "$(crl_number sd0.pem)" "the timer's delta: indicator = the complete CRL's number"
sget srvdelta/crl/pem sd1.pem
crl_lacks sd1.pem "$(serial_of t1.pem)" "srvdelta's complete CRL (not due for days)"
expect_eq "$(crl_number sd1.pem)" "$(crl_number sd0.pem)" "srvdelta's complete CRL is not rebuilt by the timer"
# srvfull: the complete CRL lists it once the grace period is reached (3 s after the rotation).
poll_crl $((T_FULL + 8 - $(date +%s))) srvfull/crl/pem "$(serial_of f1.pem)" sf2.pem
if [ "$(crl_number sf2.pem)" -gt "$SF0" ] 2>/dev/null; then ok; else fail "the timer's complete CRL number: '$(crl_number sf2.pem)' after '$SF0'"; fi
signed_by sf2.pem srvfull.ca.pem "the timer's complete CRL"
ossl_verify revoked srvfull.ca.pem f1.pem sf2.pem
# A delta that lacks nothing is not rebuilt, however many checks pass.
while [ $(($(date +%s) - T_DELTA)) -lt 3 ]; do sleep 0.2; done
sget srvdelta/crl/delta/pem sd_delta2.pem
expect_eq "$(crl_number sd_delta2.pem)" "$SDN" "a delta that lacks no revocation is left alone by the timer"
has "$(cat "$WORK/access.log" "$WORK/serve.err" 2>/dev/null)" "rebuilt the CRLs of mount srvdelta" "the server's log"
has "$(cat "$WORK/access.log" "$WORK/serve.err" 2>/dev/null)" "rebuilt the CRLs of mount srvfull" "the server's log"
hasnt "$(cat "$WORK/access.log" "$WORK/serve.err" 2>/dev/null)" "rebuilt the CRLs of mount srv " "the server's log"

# ---- a read-only state: the stale CRL is served, with a warning -------------------------------------
section "read-only state directory: the stale CRL, with a warning"

# root ignores file permissions, so as root the state goes on a tmpfs remounted read-only (as
# tests/cli/readonly_test.sh does); otherwise chmod -R a-w makes it read-only.
ro_base="$WORK/ro"
mkdir -p "$ro_base"
if [ "$(id -u)" = 0 ]; then
  if ! out=$(mount -t tmpfs -o size=64m tmpfs "$ro_base" 2>&1); then
    fail "cannot mount a tmpfs for the read-only state (as root chmod would not stop writes): $out"
    finish; exit 1
  fi
  at_exit "umount '$ro_base'"
fi
export PKI_STATE_DIR="$ro_base/state"
new_ca pki "Read-only Root"
expect_ok "$PKI" write pki/config/crl auto_rebuild=true
issue pki roleaf
pem_of pki crl/pem ro0.pem
expect_ok "$PKI" write pki/revoke serial_number="$(serial_of roleaf.pem)"
if [ "$(id -u)" = 0 ]; then
  expect_ok mount -o remount,ro "$ro_base"
else
  at_exit "chmod -R u+w '$PKI_STATE_DIR'"
  expect_ok chmod -R a-w "$PKI_STATE_DIR"
fi
before=$(md5sum < "$PKI_STATE_DIR/data.mdb")
rc=0; "$PKI" read pki/crl/pem > ro1.pem 2>"$WORK/err" || rc=$?
expect_eq "$rc" 0 "pki read pki/crl/pem on a read-only state exits 0"
if openssl crl -in ro1.pem -noout 2>/dev/null; then ok; else fail "pki read pki/crl/pem on a read-only state printed no CRL: $(head -c 300 ro1.pem)"; fi
expect_err_contains "Warning: "
expect_err_contains "may lack recent revocations"
expect_eq "$(md5sum < ro1.pem)" "$(md5sum < ro0.pem)" "the read-only state serves the CRL it has"
crl_lacks ro1.pem "$(serial_of roleaf.pem)" "the stale CRL of the read-only state"
rc=0; "$PKI" read pki/crl > ro1.der 2>"$WORK/err" || rc=$?
expect_eq "$rc" 0 "pki read pki/crl (DER) on a read-only state exits 0"
expect_err_contains "may lack recent revocations"
expect_eq "$(md5sum < "$PKI_STATE_DIR/data.mdb")" "$before" "the read-only state is as it was"

finish
