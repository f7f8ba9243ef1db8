#!/usr/bin/env bash
# Reliability (issue 13): no input ends in a signal, no fault damages the state silently, and every
# fault gets an honest one-line error. Each section reproduces one defect of the issue as a user
# would see it: the exit code (1 bad input, 3 a state failure; never 128 or more, a signal), one
# error line naming the problem (and the file, record or line where the issue asks for it), and
# the state as it was where a request is refused. Every input is made here at run time: an EC
# certificate and a CSR whose public key is not on its curve (a real openssl certificate with one
# bit of the point changed), hostile YAML, damaged state files, unreadable state paths. Some
# sections need root (a tmpfs mount, another user); they fail naming the reason where they cannot.
source "$(dirname "$0")/lib.sh"

INT64_MAX=9223372036854775807
LIMIT_KB=2000000   # ulimit -v for inputs that could blow up: a runaway expansion cannot take the machine

# ---- helpers --------------------------------------------------------------------------------------
_SECTION='' _SECTION_FAILS=0
begin() { end_section; _SECTION=$1; _SECTION_FAILS=$(_count "$WORK/.failures"); section "$1"; }
end_section() {
  [ -n "$_SECTION" ] || return 0
  local now; now=$(_count "$WORK/.failures")
  if [ "$now" = "$_SECTION_FAILS" ]; then echo "=== PASS: $_SECTION"; else echo "=== FAIL: $_SECTION ($((now - _SECTION_FAILS)) failures)"; fi
  _SECTION=
}
shown() { local s="$*"; s=${s//"$PKI"/pki}; s=${s//"$WORK"/\$WORK}; echo "$s"; }
# run CMD...: runs CMD with PKI_STATE_DIR=${S:-$PKI_STATE_DIR} (stdout in $WORK/out, stderr in
# $WORK/err), sets RC and MS (elapsed milliseconds), prints what happened, and records a failure
# if CMD ended on a signal (exit 128 or more; 124 is timeout's "it did not end").
RC=0 MS=0
run() {
  local st=${S:-$PKI_STATE_DIR} t0 t1
  t0=$(date +%s%N)
  RC=0
  PKI_STATE_DIR=$st "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  t1=$(date +%s%N); MS=$(((t1 - t0) / 1000000))
  echo "  [exit $RC, ${MS} ms] $(shown "$@") :: $(grep -v '^Warning: ' "$WORK/err" | head -1 | head -c 300 || true)"
  if [ "$RC" -ge 128 ]; then fail "$(shown "$@") ended on signal SIG$(kill -l $((RC - 128)) 2>/dev/null || echo $((RC - 128))) (exit $RC)"
  elif [ "$RC" -eq 124 ]; then fail "$(shown "$@") did not end in time (timeout)"; fi
  return 0
}
# limited CMD...: CMD under ulimit -v and a 20 s timeout.
limited() { ( ulimit -v "$LIMIT_KB"; exec timeout 20 "$@" ); }
# rc_is CODE WHAT: the last run exited CODE with exactly one error line (Warning: lines aside).
rc_is() {
  if [ "$RC" != "$1" ]; then fail "$2: expected exit $1, got $RC: $(head -c 400 "$WORK/err")"; return 0; fi
  ok
  local n; n=$(grep -vc '^Warning: ' "$WORK/err" || true)
  if [ "$n" = 1 ]; then ok; else fail "$2: expected one error line, got $n: $(head -c 600 "$WORK/err")"; fi
}
# err_has TEXT / err_hasnt TEXT: the last run's stderr has / lacks TEXT (case-insensitive).
err_has() {
  if [ -z "$1" ]; then fail "err_has: an empty string"; return 0; fi
  if grep -qiF -- "$1" "$WORK/err"; then ok; else fail "${2:-stderr} lacks '$1': $(head -c 400 "$WORK/err")"; fi
}
err_hasnt() {
  if grep -qiF -- "$1" "$WORK/err"; then fail "${2:-stderr} has '$1': $(head -c 400 "$WORK/err")"; else ok; fi
}
# refused CODE TEXT CMD...: run CMD on $PKI_STATE_DIR; exit CODE, one line saying TEXT, state the same.
refused() {
  local code=$1 text=$2; shift 2
  local before after
  before=$(state_dump) || before=unreadable
  run "$@"
  rc_is "$code" "$(shown "$@")"
  err_has "$text" "$(shown "$@")"
  after=$(state_dump) || after=unreadable-after
  if [ "$before" = "$after" ]; then ok; else fail "state changed after the refused $(shown "$@")"; fi
}
# copy_state NAME [lock]: a copy of the base state in $WORK/NAME (data.mdb; lock.mdb with "lock").
copy_state() {
  rm -rf "${WORK:?}/$1"; mkdir -m 700 "$WORK/$1"
  cp "$WORK/base/data.mdb" "$WORK/$1/data.mdb"
  [ "${2:-}" != lock ] || cp "$WORK/base/lock.mdb" "$WORK/$1/lock.mdb"
  echo "$WORK/$1"
}
# crl_parses WHAT: pki read pki/crl/pem | openssl crl -noout -text works, with no "Bad time value".
crl_parses() {
  local pem="$WORK/.crl.pem" txt="$WORK/.crl.txt"
  if ! "$PKI" read pki/crl/pem >"$pem" 2>"$WORK/.crl.err"; then fail "$1: pki read pki/crl/pem: $(cat "$WORK/.crl.err")"; return 0; fi
  if ! openssl crl -in "$pem" -noout -text >"$txt" 2>&1; then fail "$1: openssl crl cannot read the CRL: $(head -c 300 "$txt")"; return 0; fi
  if grep -q "Bad time value" "$txt"; then fail "$1: the CRL has a time OpenSSL cannot read: $(grep -i update "$txt" | tr '\n' ' ')"; else ok; fi
}
is_root() { [ "$(id -u)" = 0 ]; }
# as_nobody CMD...: CMD as uid/gid 65534 (the test runs as root), by setpriv or else su.
as_nobody() {
  if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    su nobody -s /bin/bash -c "$(printf '%q ' env PKI_STATE_DIR="$PKI_STATE_DIR" "$@")"
  fi
}
can_be_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null || su nobody -s /bin/bash -c true 2>/dev/null
}
# A directory other users can reach (for states run as uid 65534); $WORK is 0700.
SHARED=$(mktemp -d /tmp/pki-reliability.XXXXXX)
chmod 755 "$SHARED"
at_exit "rm -rf '$SHARED'"

# ---- the base state: a mount, a root, a role, a few certificates (one revoked), an intermediate --
section "setup"
expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=certificate pki/root/generate/internal common_name="Reliability Root" key_type=ec ttl=87600h
save root.pem
expect_ok "$PKI" write pki/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=8760h ttl=720h
for h in a b c d; do expect_ok "$PKI" write -field=serial_number pki/issue/web common_name=$h.example.com; done
expect_ok "$PKI" write pki/revoke serial_number="$(cat "$WORK/out")"
expect_ok "$PKI" write pki/config/crl expiry=72h
expect_ok "$PKI" secrets enable -path=int pki
expect_ok "$PKI" write int/intermediate/generate/internal common_name="Reliability Intermediate" key_type=ec
crl_parses "the base state's CRL"
cp -a "$PKI_STATE_DIR" "$WORK/base"
expect_ok "$PKI" list pki/certs
save certs.base

# ---- 1. a certificate or CSR whose key cannot be decoded ----------------------------------------
begin "an EC key not on its curve (certificate: import/bundle, config/ca, set-signed; CSR: sign, sign-verbatim)"
cat > offcurve.py <<'PY'
# offcurve.py IN OUT cert|csr: IN with one bit of its P-256 public key's y changed, so the point
# is no longer on the curve; the DER stays a well-formed certificate (or CSR).
import base64, subprocess, sys
src, dst, kind = sys.argv[1:4]
der = subprocess.run(["openssl", "x509" if kind == "cert" else "req", "-in", src, "-outform", "der"],
                     check=True, capture_output=True).stdout
spki = bytes.fromhex("03420004")  # BIT STRING of 66 bytes: 00, then the uncompressed point 04 X Y
i = der.find(spki)
assert i > 0 and der.find(spki, i + 1) < 0, "expected one uncompressed P-256 point"
p = 2**256 - 2**224 + 2**192 + 2**96 - 1
b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b
on = lambda x, y: (y * y - (x ** 3 - 3 * x + b)) % p == 0
x = int.from_bytes(der[i + 4:i + 36], "big")
y = int.from_bytes(der[i + 36:i + 68], "big")
assert on(x, y), "the original point is not on P-256"
y ^= 1
assert not on(x, y)
bad = der[:i + 36] + y.to_bytes(32, "big") + der[i + 68:]
label = "CERTIFICATE" if kind == "cert" else "CERTIFICATE REQUEST"
b64 = base64.b64encode(bad).decode()
with open(dst, "w") as f:
    f.write(f"-----BEGIN {label}-----\n" + "\n".join(b64[j:j + 64] for j in range(0, len(b64), 64)) + f"\n-----END {label}-----\n")
PY
expect_ok openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -subj "/CN=Off Curve CA" -days 30 \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign -out ca.pem
expect_ok openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -subj /CN=x.example.com \
  -addext subjectAltName=DNS:x.example.com -out leaf.csr
expect_ok python3 offcurve.py ca.pem offcurve.pem cert
expect_ok python3 offcurve.py leaf.csr offcurve.csr csr
# Still parseable as X.509 / PKCS#10; only its key cannot be decoded.
expect_ok openssl x509 -in offcurve.pem -noout -subject -issuer -dates
expect_ok openssl req -in offcurve.csr -noout -subject
if openssl x509 -in offcurve.pem -noout -pubkey >/dev/null 2>&1; then fail "openssl decodes the altered key (the fixture is wrong)"; else ok; fi
cat ca.key offcurve.pem > offcurve-bundle.pem
refused 1 "public key" "$PKI" write pki/issuers/import/bundle pem_bundle=@offcurve.pem
refused 1 "public key" "$PKI" write pki/issuers/import/bundle pem_bundle=@offcurve-bundle.pem
refused 1 "public key" "$PKI" write pki/config/ca pem_bundle=@offcurve-bundle.pem
refused 1 "public key" "$PKI" write int/intermediate/set-signed certificate=@offcurve.pem
refused 1 "public key" "$PKI" write pki/sign/web csr=@offcurve.csr
refused 1 "public key" "$PKI" write pki/sign-verbatim csr=@offcurve.csr

# ---- 2. YAML apply ---------------------------------------------------------------------------------
begin "pki apply: a YAML alias that contains itself"
printf 'mounts: &m {pki: *m}\n' > self.yaml
refused 1 "alias" limited "$PKI" apply -f self.yaml
err_has "self.yaml"

begin "pki apply: nested aliases (billion laughs), bounded, quickly, under ulimit -v"
{
  printf 'mounts:\n pki:\n  roles:\n   web:\n    allowed_domains:\n    - &a [x,x,x,x,x,x,x,x,x,x]\n'
  prev=a
  for n in b c d e f g h i j; do printf '    - &%s [%s]\n' $n "$(printf "*$prev,%.0s" {1..10} | sed 's/,$//')"; prev=$n; done
} > laughs.yaml
echo "  laughs.yaml: $(wc -c < laughs.yaml) bytes, 10^10 values expanded"
refused 1 "alias" limited "$PKI" apply -f laughs.yaml
err_has "laughs.yaml"
if [ "$MS" -lt 5000 ]; then ok; else fail "pki apply -f laughs.yaml took $MS ms (over 5 s)"; fi

begin "pki apply: malformed YAML is bad input (exit 1) with its line and column"
printf '? [m]\n: x\n' > malformed.yaml
refused 1 "malformed.yaml" limited "$PKI" apply -f malformed.yaml
err_hasnt "internal failure"
if grep -qE 'malformed\.yaml:[0-9]+:[0-9]+|line [0-9]+, column [0-9]+' "$WORK/err"; then ok; else fail "no line and column in: $(cat "$WORK/err")"; fi

begin "pki apply: duplicate keys refused with the line"
printf 'mounts:\n  dupmount:\n    description: first\n    description: second\n' > dup.yaml
refused 1 "duplicate" limited "$PKI" apply -f dup.yaml
err_has "dup.yaml:4"
printf 'mounts:\n  dupmount: {}\n  dupmount: {}\n' > dup2.yaml
refused 1 "duplicate" limited "$PKI" apply -f dup2.yaml
err_has "dup2.yaml:3"

begin "pki apply -f /dev/zero: capped at 64 MiB, quickly"
refused 1 "64 MiB" limited "$PKI" apply -f /dev/zero
if [ "$MS" -lt 5000 ]; then ok; else fail "pki apply -f /dev/zero took $MS ms (over 5 s)"; fi

# ---- 3. a truncated data.mdb -----------------------------------------------------------------------
begin "a truncated data.mdb (truncate -s 8192): exit 3 naming the file, no SIGBUS"
d=$(copy_state trunc lock)
truncate -s 8192 "$d/data.mdb"
sum=$(md5sum < "$d/data.mdb")
S=$d run "$PKI" list pki/certs
rc_is 3 "a read of a truncated data.mdb"; err_has "$d"; err_has "data.mdb"
S=$d run "$PKI" write pki/issue/web common_name=t.example.com
rc_is 3 "a write to a truncated data.mdb"; err_has "$d"; err_has "data.mdb"
expect_eq "$(md5sum < "$d/data.mdb")" "$sum" "the truncated data.mdb is left as it was"

# ---- 4. an empty data.mdb --------------------------------------------------------------------------
begin "an empty data.mdb is a state failure (exit 3), never an empty store"
for variant in nolock lock; do
  d=$(copy_state "empty-$variant" "$variant")
  : > "$d/data.mdb"
  S=$d run "$PKI" list pki/certs
  rc_is 3 "a read of an empty data.mdb ($variant)"; err_hasnt "no mount"; err_has "$d"
  S=$d run "$PKI" read pki/roles/web
  rc_is 3 "a read of an empty data.mdb ($variant)"; err_hasnt "no mount"
  expect_eq "$(stat -c %s "$d/data.mdb")" 0 "data.mdb ($variant) stays empty after reads"
  S=$d run "$PKI" secrets enable pki
  rc_is 3 "secrets enable over an empty data.mdb ($variant)"; err_hasnt "no mount"
  expect_eq "$(stat -c %s "$d/data.mdb")" 0 "no new CA was built over the empty data.mdb ($variant)"
done

# ---- 5. single-bit flips in data.mdb ---------------------------------------------------------------
begin "single-bit flips in data.mdb: the intact answer or exit 3, nothing else"
cat > flip.py <<'PY'
# flip.py BASE DUMP OUTDIR PREFIX N SEED anywhere|records: N copies of BASE, each with one bit
# flipped (fixed seed): anywhere in the file, or inside the value of a live record (a record of
# the mount, as mdb_dump prints it; where the same bytes are also in a stale page, they are
# flipped there too, so the live copy is certainly hit). Prints "n offset bit" per copy.
import os, random, sys
base, dump, out, prefix, n, seed, where = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
data = open(base, "rb").read()
lines = open(dump).read().split("HEADER=END\n", 1)[1].split("DATA=END", 1)[0].splitlines()
recs = [(bytes.fromhex(lines[i].strip()), bytes.fromhex(lines[i + 1].strip())) for i in range(0, len(lines) - 1, 2)]
recs = [(k, v) for k, v in recs if (k.startswith(b"pki/") or k.startswith(b"sys/mount/")) and len(v) >= 8 and v in data]
rng = random.Random(seed)
for i in range(1, n + 1):
    d = bytearray(data)
    bit = rng.randrange(8)
    if where == "anywhere":
        offs = [rng.randrange(len(data))]
    else:
        k, v = rng.choice(recs)
        pos = rng.randrange(len(v))
        offs, at = [], data.find(v)
        while at >= 0:
            offs.append(at + pos); at = data.find(v, at + 1)
    for off in offs: d[off] ^= 1 << bit
    p = os.path.join(out, f"{prefix}{i:02d}")
    os.mkdir(p, 0o700)
    with open(os.path.join(p, "data.mdb"), "wb") as f: f.write(d)
    os.chmod(os.path.join(p, "data.mdb"), 0o600)
    print(p, ",".join(map(str, offs)), bit)
PY
mkdir -m 700 flips
if mdb_dump "$WORK/base" > base.dump 2>"$WORK/err"; then ok; else fail "mdb_dump the base state: $(cat "$WORK/err")"; fi
reads=("list pki/certs" "read pki/roles/web" "read pki/crl/pem")
intact=$(copy_state intact)
for i in 0 1 2; do
  # shellcheck disable=SC2086
  if PKI_STATE_DIR=$intact timeout 20 "$PKI" ${reads[i]} >"want.$i" 2>/dev/null; then ok; else fail "the intact state: pki ${reads[i]}"; fi
done
# flips WHERE PREFIX N SEED: N copies flipped WHERE, the three reads on each, and the counts.
flips() {
  local where=$1 prefix=$2 count=$3 seed=$4
  local same=0 statefail=0 wrong=0 refused1=0 signal=0 other=0 d offs bit i rc what
  if ! python3 flip.py "$WORK/base/data.mdb" base.dump flips "$prefix" "$count" "$seed" "$where" > "flips.$prefix" 2>"$WORK/err"; then
    fail "flip.py $where: $(cat "$WORK/err")"; return 0; fi
  while read -r d offs bit; do
    for i in 0 1 2; do
      rc=0
      # shellcheck disable=SC2086
      PKI_STATE_DIR=$d timeout 20 "$PKI" ${reads[i]} >"$WORK/out" 2>"$WORK/err" || rc=$?
      what="${d##*/} (byte $offs bit $bit): pki ${reads[i]}"
      if [ "$rc" = 0 ] && cmp -s "$WORK/out" "want.$i"; then same=$((same + 1)); ok
      elif [ "$rc" = 3 ]; then statefail=$((statefail + 1)); ok
      elif [ "$rc" = 0 ]; then wrong=$((wrong + 1)); fail "$what: exit 0 with a different answer: $(diff "want.$i" "$WORK/out" | grep '^[<>]' | head -2 | tr '\n' ' ' | head -c 200)"
      elif [ "$rc" = 1 ]; then refused1=$((refused1 + 1)); fail "$what: exit 1 (bad input), not a state failure: $(head -c 200 "$WORK/err")"
      elif [ "$rc" -ge 128 ]; then signal=$((signal + 1)); fail "$what: signal SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
      else other=$((other + 1)); fail "$what: exit $rc: $(head -c 200 "$WORK/err")"; fi
    done
  done < "flips.$prefix"
  echo "  bit flips $where: $count copies x 3 reads: $same intact answers, $statefail state failures (exit 3), $wrong different answers with exit 0, $refused1 exit 1, $signal signals, $other other exits"
}
flips anywhere any 50 1313
flips records rec 30 1313

# ---- 6. output that cannot be written ---------------------------------------------------------------
begin "pki write pki/issue/web > /dev/full: non-zero exit, nothing stored"
rc=0
"$PKI" write pki/issue/web common_name=full.example.com >/dev/full 2>"$WORK/err" || rc=$?
echo "  [exit $rc] pki write pki/issue/web common_name=full.example.com > /dev/full :: $(head -1 "$WORK/err")"
if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then ok; else fail "issue to /dev/full: exit $rc (want non-zero, no signal): $(cat "$WORK/err")"; fi
expect_ok "$PKI" list pki/certs
expect_eq "$(cat "$WORK/out")" "$(cat certs.base)" "no certificate stored when its output could not be written"

# ---- 7. durations beyond what X.509 can encode ---------------------------------------------------
begin "durations beyond X.509 are refused or capped, never an unencodable certificate or CRL"
refused 1 "expiry" "$PKI" write pki/config/crl expiry=3000000d
crl_parses "after config/crl expiry=3000000d"
printf '{"expiry": %s}\n' "$INT64_MAX" > crl-body.json
refused 1 "expiry" "$PKI" write pki/config/crl @crl-body.json
crl_parses "after config/crl with expiry INT64_MAX (JSON)"
printf '{"allowed_domains": "example.com", "allow_subdomains": true, "key_type": "ec", "not_before_duration": %s}\n' "$INT64_MAX" > nb-role.json
refused 1 "not_before_duration" "$PKI" write pki/roles/nb @nb-role.json
if [ "$RC" = 0 ]; then  # accepted: what every issue from it then does
  run "$PKI" write pki/issue/nb common_name=nb.example.com
  fail "the role with not_before_duration=INT64_MAX was stored; issuing from it: exit $RC: $(head -1 "$WORK/err")"
fi
refused 1 "not_before_duration" "$PKI" write pki/roles/nb allowed_domains=example.com not_before_duration=$INT64_MAX
# issue/:role has no not_before_duration (the role's decides): ignored with Vault's warning.
printf '{"common_name": "nb.example.com", "not_before_duration": %s}\n' "$INT64_MAX" > nb-issue.json
expect_ok "$PKI" write pki/issue/web @nb-issue.json
expect_err_contains "Endpoint ignored these unrecognized parameters: [not_before_duration]"
crl_parses "after not_before_duration INT64_MAX"
# ttl beyond the mount's maximum: capped with a warning (or refused), and OpenSSL reads the result.
issued_ok() {  # WHAT: the last run was capped with a warning and gave a parseable certificate, or was refused (exit 1)
  if [ "$RC" = 1 ]; then rc_is 1 "$1"; return 0; fi
  if [ "$RC" != 0 ]; then fail "$1: exit $RC: $(head -c 300 "$WORK/err")"; return 0; fi
  err_has "Warning: " "$1 (capped without a warning)"
  if openssl x509 -in "$WORK/out" -noout -enddate >"$WORK/x.out" 2>&1 && ! grep -q "Bad time value" "$WORK/x.out"; then ok
  else fail "$1: a certificate OpenSSL cannot read: $(head -c 300 "$WORK/x.out")"; return 0; fi
  local na ra; na=$(not_after_of "$WORK/out") && ra=$(not_after_of root.pem) || return 0
  if [ "$na" -le "$ra" ]; then ok; else fail "$1: notAfter $(date -u -d @"$na") is after the root's"; fi
}
run "$PKI" write -field=certificate pki/issue/web common_name=ttl.example.com ttl=2000000h
issued_ok "issue ttl=2000000h"
printf '{"common_name": "ttl.example.com", "ttl": %s}\n' "$INT64_MAX" > ttl-issue.json
run "$PKI" write -field=certificate pki/issue/web @ttl-issue.json
issued_ok "issue ttl=INT64_MAX (JSON)"
crl_parses "after the ttl requests"
# A mount whose maximum is beyond X.509 (year 10000 and later), in a scratch state: refused where
# it is set, or the root made under it is one OpenSSL reads.
S=$WORK/far run "$PKI" secrets enable -path=far -max-lease-ttl=3000000d pki
if [ "$RC" = 0 ]; then
  S=$WORK/far run "$PKI" write -field=certificate far/root/generate/internal common_name="Far Root" key_type=ec ttl=3000000d
  if [ "$RC" = 0 ]; then
    if openssl x509 -in "$WORK/out" -noout -enddate >"$WORK/x.out" 2>&1 && ! grep -q "Bad time value" "$WORK/x.out"; then ok
    else fail "root/generate ttl=3000000d under max-lease-ttl=3000000d: a certificate OpenSSL cannot read: $(cat "$WORK/x.out")"; fi
  else rc_is 1 "root/generate ttl=3000000d"; fi
else rc_is 1 "secrets enable -max-lease-ttl=3000000d"; fi
printf '{"max_lease_ttl": %s}\n' "$INT64_MAX" > tune.json
S=$WORK/far run "$PKI" secrets enable -path=far2 pki
S=$WORK/far run "$PKI" write sys/mounts/far2/tune @tune.json
if [ "$RC" = 0 ]; then
  printf '{"common_name": "Far Root 2", "key_type": "ec", "ttl": %s}\n' "$INT64_MAX" > far-root.json
  S=$WORK/far run "$PKI" write -field=certificate far2/root/generate/internal @far-root.json
  if [ "$RC" = 0 ]; then
    if openssl x509 -in "$WORK/out" -noout -enddate >"$WORK/x.out" 2>&1 && ! grep -q "Bad time value" "$WORK/x.out"; then ok
    else fail "root/generate ttl=INT64_MAX under max_lease_ttl=INT64_MAX: a certificate OpenSSL cannot read: $(cat "$WORK/x.out")"; fi
  else rc_is 1 "root/generate ttl=INT64_MAX (JSON)"; fi
else rc_is 1 "tune max_lease_ttl=INT64_MAX (JSON)"; fi

# ---- 8. a state path that cannot be looked up -----------------------------------------------------
begin "a state path that cannot be looked up: exit 3 naming the path and the cause"
ln -s loopB "$WORK/loopA"; ln -s loopA "$WORK/loopB"
long=$WORK/$(printf 'n%.0s' {1..300})
echo "not a directory" > "$WORK/regular"
for spec in "$WORK/loopA/state|symbolic links" "$WORK/loopA|symbolic links" "$long|too long" "$long/state|too long" "$WORK/regular/state|not a directory"; do
  p=${spec%|*} cause=${spec#*|}
  S=$p run "$PKI" list pki/certs
  rc_is 3 "a read with PKI_STATE_DIR=$(shown "$p")"; err_has "$p"; err_has "$cause"; err_hasnt "is empty"
  S=$p run "$PKI" secrets enable pki
  rc_is 3 "secrets enable with PKI_STATE_DIR=$(shown "$p")"; err_has "$cause"
done

# ---- 9. a read-only state directory ---------------------------------------------------------------
begin "a read-only state directory (chmod -R a-w, another user): reads work, writes say read-only"
ro_user_ok=1
if is_root && ! can_be_nobody; then fail "the test runs as root and can run nothing as uid 65534 (setpriv and su nobody failed)"; ro_user_ok=0; fi
if [ "$ro_user_ok" = 1 ]; then
  for variant in lock nolock; do
    d=$SHARED/ro-$variant
    mkdir -m 700 "$d"; cp "$WORK/base/data.mdb" "$d/"; [ $variant = nolock ] || cp "$WORK/base/lock.mdb" "$d/"
    if is_root; then chown -R 65534:65534 "$d"; user=as_nobody; else user=; fi
    chmod -R a-w "$d"
    sum=$(md5sum < "$d/data.mdb")
    S=$d run $user "$PKI" list pki/certs
    expect_eq "$RC:$(cat "$WORK/out")" "0:$(cat certs.base)" "list pki/certs on a read-only state directory ($variant)"
    S=$d run $user "$PKI" read pki/roles/web
    expect_eq "$RC" 0 "read pki/roles/web on a read-only state directory ($variant)"
    S=$d run $user "$PKI" read pki/crl/pem
    expect_eq "$RC" 0 "read pki/crl/pem on a read-only state directory ($variant)"
    S=$d run $user "$PKI" write pki/issue/web common_name=ro.example.com
    rc_is 3 "issue on a read-only state directory ($variant)"; err_has "read-only state directory"
    S=$d run $user "$PKI" write pki/roles/db allowed_domains=db.example.com
    rc_is 3 "role write on a read-only state directory ($variant)"; err_has "read-only state directory"
    expect_eq "$(md5sum < "$d/data.mdb")" "$sum" "the read-only data.mdb ($variant) is as it was"
    [ $variant = lock ] || expect_eq "$(ls -A "$d")" "data.mdb" "no lock file was added to the read-only directory"
  done
fi

# ---- 10. '..' in PKI_STATE_DIR ---------------------------------------------------------------------
begin "'..' in PKI_STATE_DIR creates no stray directory"
S=$WORK/nodir/../dotstate run "$PKI" secrets enable pki
if [ -e "$WORK/nodir" ]; then fail "PKI_STATE_DIR=\$WORK/nodir/../dotstate created the stray directory \$WORK/nodir"; else ok; fi
if [ "$RC" = 0 ]; then expect_ok test -s "$WORK/dotstate/data.mdb"; else rc_is 3 "secrets enable with a '..' path"; fi
S=$WORK/nodir2/../nostate run "$PKI" list pki/certs
if [ -e "$WORK/nodir2" ]; then fail "a read with PKI_STATE_DIR=\$WORK/nodir2/../nostate created \$WORK/nodir2"; else ok; fi

# ---- 11. a corrupted schema record ------------------------------------------------------------------
begin "a corrupted schema record: exit 3 naming the record, not 'internal failure: stoi'"
for v in abc "" 99999999999999999999; do
  d=$(copy_state schema)
  printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n sys/schema\n %s\nDATA=END\n' "$v" > schema.dump
  if mdb_load -f schema.dump "$d" 2>"$WORK/err"; then ok; else fail "mdb_load the schema record: $(cat "$WORK/err")"; continue; fi
  S=$d run "$PKI" list pki/certs
  rc_is 3 "a read with schema record '$v'"; err_has "schema"; err_has "$d"; err_hasnt "stoi"; err_hasnt "internal failure"
done

# ---- 12. a stale tidy status ------------------------------------------------------------------------
begin "a tidy killed in another PID namespace (status Running, pid 1) does not block tidy forever"
d=$(copy_state tidy)
{
  printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n pki/tidy/status\n'
  printf ' {"cert_store_deleted_count":0,"error":null,"message":"Tidying certificate store: checking entry 1 of 5","revoked_cert_deleted_count":0,"safety_buffer":259200,"state":"Running","tidy_cert_store":true,"tidy_revoked_certs":true,"time_finished":null,"time_started":"2026-01-01T00:00:00Z","pid":1,"v":1}\n'
  printf 'DATA=END\n'
} > tidy.dump
if mdb_load -f tidy.dump "$d" 2>"$WORK/err"; then ok; else fail "mdb_load the tidy status: $(cat "$WORK/err")"; fi
S=$d run "$PKI" read -format=json pki/tidy-status
expect_eq "$RC" 0 "tidy-status of the stale run"
S=$d run "$PKI" write -format=json pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1s
expect_eq "$RC" 0 "a new tidy after one killed in another PID namespace (recorded pid 1)"
if [ "$RC" = 0 ]; then expect_eq "$(jf "$WORK/out" state)" Finished "the new tidy's state"; fi
S=$d run "$PKI" tidy run --tidy-cert-store --safety-buffer 1s
expect_eq "$RC" 0 "pki tidy run after the stale run"

# ---- 13. a root-owned lock file ----------------------------------------------------------------------
begin "root reading a user's state with no lock file leaves the lock file owned by the user"
if ! is_root; then echo "  skipped: the test does not run as root"; ok
else
  d=$SHARED/owned
  mkdir -m 700 "$d"; cp "$WORK/base/data.mdb" "$d/"; chown -R 65534:65534 "$d"
  S=$d run "$PKI" list pki/certs
  expect_eq "$RC:$(cat "$WORK/out")" "0:$(cat certs.base)" "root reads the user's state"
  if [ -e "$d/lock.mdb" ]; then expect_eq "$(stat -c %u:%g "$d/lock.mdb")" "65534:65534" "owner of the lock file root created"; else ok; fi
  expect_eq "$(stat -c %u "$d/data.mdb")" 65534 "owner of data.mdb after root's read"
  if can_be_nobody; then
    S=$d run as_nobody "$PKI" list pki/certs
    expect_eq "$RC" 0 "the owner (uid 65534) reads its state after root did"
    S=$d run as_nobody "$PKI" write pki/issue/web common_name=owner.example.com
    expect_eq "$RC" 0 "the owner (uid 65534) issues after root read its state"
  else fail "cannot run as uid 65534 to check the owner is not locked out"; fi
fi

# ---- 14. a full file system --------------------------------------------------------------------------
begin "a full file system: no SIGBUS on the lock file; 'no space left on device' with the path"
mnt=$WORK/full
mkdir -p "$mnt"
if ! out=$(mount -t tmpfs -o size=2m tmpfs "$mnt" 2>&1); then
  fail "cannot mount a tmpfs to fill (this section needs root): $out"
else
  at_exit "umount '$mnt'"
  d=$mnt/state
  mkdir -m 700 "$d"; cp "$WORK/base/data.mdb" "$d/"
  dd if=/dev/zero of="$mnt/fill" bs=4k >/dev/null 2>&1 || true   # until the file system is full
  S=$d run "$PKI" list pki/certs
  if [ "$RC" = 0 ]; then expect_eq "$(cat "$WORK/out")" "$(cat certs.base)" "a read on a full file system"
  else rc_is 3 "a read that must create lock.mdb on a full file system"; err_has "lock.mdb"; err_has "no space left on device"; fi
  rm -f "$mnt/fill" "$d/lock.mdb"
  S=$d run "$PKI" list pki/certs
  expect_eq "$RC" 0 "a read once there is room again"
  dd if=/dev/zero of="$mnt/fill" bs=4k >/dev/null 2>&1 || true
  # Each issue either is stored (exit 0, listed) or is refused (exit 3) saying why, with the path.
  for n in 1 2 3 4 5 6; do
    S=$d run "$PKI" write -field=serial_number pki/issue/web common_name=full$n.example.com
    serial=$(head -1 "$WORK/out")
    if [ "$RC" = 0 ]; then
      if PKI_STATE_DIR=$d "$PKI" list pki/certs 2>/dev/null | grep -qxF -- "$serial"; then ok; else fail "issue #$n on a full file system: exit 0 but $serial is not stored"; fi
    else
      rc_is 3 "issue #$n on a full file system"; err_has "no space left on device"; err_has "$d"; err_hasnt "Input/output error"
      if [ -n "$serial" ] && PKI_STATE_DIR=$d "$PKI" list pki/certs 2>/dev/null | grep -qxF -- "$serial"; then fail "issue #$n was refused but $serial is stored"; else ok; fi
    fi
  done
fi

end_section
finish
