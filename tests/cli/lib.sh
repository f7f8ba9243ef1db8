# Shared helpers for the end-to-end tests: each test drives the real binary ($PKI) against a
# throwaway state directory and checks what a user would check.
#
# No helper may hide a failure. Check helpers (expect_*, has, hasnt, near, verify_all) record a
# failure with fail and return 0, so the test goes on to its next check. Value helpers (field_of,
# jf, jx, x509, ext, text, epoch, not_before_of, not_after_of, lifetime, serial_of, akid,
# pubkey_of_*, state_dump) check every step they run: when one fails they record a failure naming
# it, print nothing and return 1. Failures and checks are counted in files, so they also count
# when a helper runs inside $( ), a pipeline or a background job, where a variable would be lost
# and where `set -e` has no effect. A step that fails outside any check stops the test (set -e)
# with a FAIL line naming the command and where it ran (the ERR trap below).
set -Eeuo pipefail
: "${PKI:?set PKI to the pki binary}"
WORK=$(mktemp -d)
_LIB_PID=$$
_START_DIR=$PWD   # the test's own path may be relative to it
_FINISHED=
: > "$WORK/.checks"
: > "$WORK/.failures"
export PKI_STATE_DIR="$WORK/state"
unset PKI_FORMAT PKI_MOUNT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; echo . >> "$WORK/.failures"; }
ok() { echo . >> "$WORK/.checks"; }
_count() { local n; n=$(wc -l < "$1") && echo "$n"; }

# A command that fails where set -e applies stops the test: say which one and where, once (the
# trap runs in the test's own shell only; in $( ) and subshells set -e does not stop anything).
_on_err() {
  local rc=$? cmd=$BASH_COMMAND
  [ "$BASHPID" = "$_LIB_PID" ] && [ -z "$_FINISHED" ] || return 0
  local i n=${#BASH_SOURCE[@]} where="" line
  for ((i = 1; i < n; i++)); do
    where+=" ${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"; [ "${FUNCNAME[i]:-main}" = main ] || where+="(${FUNCNAME[i]})"
  done
  # The test's own line, as written (the failing command is often deep inside a helper).
  local src=${BASH_SOURCE[n - 1]}; [[ $src == /* ]] || src=$_START_DIR/$src
  line=$(sed -n "${BASH_LINENO[n - 2]}{s/^[[:space:]]*//;p;q}" "$src" 2>/dev/null | head -c 300) || line=
  if [ -z "$line" ]; then line=$cmd; elif [ "$line" != "$cmd" ] && [[ $cmd != return* ]]; then line+=" (failed: $cmd)"; fi
  fail "test stopped: a step failed (exit $rc) at$where: $line"
}
_on_exit() {
  local rc=$?
  if [ -z "$_FINISHED" ]; then
    echo "FAIL: the test ended (exit $rc) before finish: $(_count "$WORK/.checks") checks, $(_count "$WORK/.failures") failures so far" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  local c
  for c in "${_AT_EXIT[@]}"; do eval "$c" >/dev/null 2>&1 || echo "note: cleanup step failed: $c" >&2; done
  rm -rf "$WORK"
  exit "$rc"
}
# at_exit CMD: run CMD (a string) when the test ends, however it ends (before $WORK is removed).
_AT_EXIT=()
at_exit() { _AT_EXIT+=("$1"); }
trap _on_err ERR
trap _on_exit EXIT

# _checked WHAT CMD...: runs CMD (its stdout passes through); if it fails, records a failure
# naming WHAT with CMD's exit status and stderr, and returns 1.
_checked() {
  local what=$1; shift
  local err="$WORK/.stderr.$BASHPID.${#FUNCNAME[@]}" rc=0
  "$@" 2>"$err" || rc=$?
  if [ "$rc" -ne 0 ]; then fail "$what (exit $rc): $(head -c 600 "$err")"; rm -f "$err"; return 1; fi
  rm -f "$err"
}

# expect_ok CMD...: the command succeeds.
expect_ok() {
  local rc=0
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [ "$rc" -eq 0 ]; then ok; else fail "expected success: $* (exit $rc): $(head -c 400 "$WORK/err")"; fi
}
# expect_exit CODE CMD...: the command exits with CODE and prints exactly one line on stderr
# (lines starting "Warning: " aside).
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
  if [ "$got" != "$want" ]; then fail "expected exit $want, got $got: $* :: $(head -c 400 "$WORK/err")"; return 0; fi
  local lines rc=0
  lines=$(grep -vc '^Warning: ' "$WORK/err") || rc=$?   # grep -c exits 1 when it counts 0 lines
  if [ "$rc" -gt 1 ]; then fail "cannot count the error lines of: $* (grep exit $rc)"; return 0; fi
  if [ "$lines" != 1 ]; then fail "expected one error line for: $* :: $(cat "$WORK/err")"; return 0; fi
  ok
}
# expect_err_contains TEXT / expect_out_contains TEXT: the last command's stderr / stdout contains
# TEXT (which must not be empty: an empty TEXT, e.g. from a failed $( ), would match anything).
_expect_file_contains() {
  local what=$1 file=$2 needle=$3 max=$4
  if [ -z "$needle" ]; then fail "$what: looked for an empty string"; return 0; fi
  local rc=0; grep -qF -- "$needle" "$file" || rc=$?
  case $rc in
    0) ok ;;
    1) fail "$what lacks '$needle': $(head -c "$max" "$file")" ;;
    *) fail "$what: cannot read $file (grep exit $rc)" ;;
  esac
}
expect_err_contains() { _expect_file_contains stderr "$WORK/err" "$1" 100000; }
expect_out_contains() { _expect_file_contains stdout "$WORK/out" "$1" 600; }
expect_eq() { if [ "$1" == "$2" ]; then ok; else fail "${3:-values differ}: '$1' != '$2'"; fi; }

# state_dump: a dump of the whole state (its md5sum, or "none" before anything was written), to
# show a refused request changed nothing. An unreadable state is a failure, not an empty dump.
state_dump() {
  if [ ! -e "$PKI_STATE_DIR/data.mdb" ]; then echo none; return 0; fi
  local dump="$WORK/.dump.$BASHPID"
  _checked "state_dump: mdb_dump $PKI_STATE_DIR" mdb_dump "$PKI_STATE_DIR" >"$dump" || { rm -f "$dump"; return 1; }
  md5sum <"$dump"; rm -f "$dump"
}
# expect_refused CODE CMD...: exit CODE, one error line, state byte-for-byte the same.
expect_refused() {
  local before after dumped=1
  before=$(state_dump) || dumped=0
  expect_exit "$@"
  after=$(state_dump) || dumped=0
  if [ "$dumped" = 0 ]; then fail "state not compared (state_dump failed) for: ${*:2}"
  elif [ "$before" != "$after" ]; then fail "state changed after refused: ${*:2}"
  else ok; fi
}

finish() {
  _FINISHED=1
  local checks fails
  if ! checks=$(_count "$WORK/.checks") || ! fails=$(_count "$WORK/.failures"); then echo "FAIL: cannot count the checks" >&2; return 1; fi
  echo "$checks checks, $fails failures"
  [ "$fails" -eq 0 ]
}

# verify_all ROOT_PEM LEAF_PEM [INTERMEDIATE_PEM...]: the leaf (or CA) verifies up to ROOT with
# three verifiers nobody here wrote: OpenSSL (-x509_strict), GnuTLS certtool, NSS vfychain.
# USAGE (env, default 1 = TLS server; 3 = CA cert) selects the NSS usage; NSS=0 skips NSS.
verify_all() {
  local root=$1 leaf=$2; shift 2
  local f
  for f in "$root" "$leaf" "$@"; do
    if [ ! -f "$f" ] || [ ! -s "$f" ]; then fail "verify_all $leaf: $f is missing or empty"; return 0; fi
  done
  local chain="$WORK/verify-chain.pem"; : > "$chain"
  for f in "$@"; do cat "$f" >> "$chain"; echo >> "$chain"; done
  local untrusted=(); [ $# -gt 0 ] && untrusted=(-untrusted "$chain")
  if openssl verify -x509_strict -CAfile "$root" "${untrusted[@]}" "$leaf" >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify $leaf: $(cat "$WORK/v.out")"; fi
  local bundle="$WORK/verify-bundle.pem"; cat "$leaf" > "$bundle"; echo >> "$bundle"; cat "$chain" >> "$bundle"
  if certtool --verify --load-ca-certificate "$root" --infile "$bundle" >"$WORK/v.out" 2>&1; then ok; else fail "certtool --verify $leaf: $(tail -3 "$WORK/v.out")"; fi
  [ "${NSS:-1}" = 0 ] && return 0
  local db="$WORK/nssdb.$RANDOM"
  if ! mkdir -p "$db" || ! certutil -N -d "sql:$db" --empty-password >"$WORK/v.out" 2>&1; then
    fail "certutil could not create an NSS database for $leaf: $(tail -2 "$WORK/v.out")"; rm -rf "$db"; return 0; fi
  if ! certutil -A -d "sql:$db" -n root -t "CT,C,C" -a -i "$root" >"$WORK/v.out" 2>&1; then
    fail "certutil could not import root $root: $(tail -2 "$WORK/v.out")"; rm -rf "$db"; return 0; fi
  local args=(-a "$leaf")
  for f in "$@"; do args+=(-a "$f"); done
  if vfychain -d "sql:$db" -pp -u "${USAGE:-1}" "${args[@]}" >"$WORK/v.out" 2>&1; then ok; else fail "vfychain $leaf: $(tail -3 "$WORK/v.out")"; fi
  rm -rf "$db"
}

# Prints v; a reader that stops early (`jf F certificate | head -1`) is not a failure of the step.
_PY_PRINT='
try:
    print(v)
    sys.stdout.flush()
except BrokenPipeError:
    import os
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
'
# field_of JSON_FILE NAME: one field of a -format=json response's data (a list one item a line).
# A file that is not a JSON response, or a response without the field, is a failure.
_FIELD_OF_PY='
import json, sys
f, name = sys.argv[1], sys.argv[2]
try:
    with open(f) as fh: doc = json.load(fh)
except (OSError, ValueError) as e:
    sys.exit(f"not a readable JSON response: {e}")
data = doc.get("data") if isinstance(doc, dict) else None
if not isinstance(data, dict):
    sys.exit(f"the response has no data object: {json.dumps(doc)[:300]}")
if name not in data:
    sys.exit(f"the response data has no field {name!r} (its fields: {sorted(data)})")
d = data[name]
v = "\n".join(d) if isinstance(d, list) else d
'"$_PY_PRINT"
field_of() { _checked "field_of $1 $2" python3 -c "$_FIELD_OF_PY" "$1" "$2"; }

# verify_without_nss ROOT LEAF [INTERMEDIATE...]: verify_all with OpenSSL and GnuTLS only. NSS 3.87
# (Debian 12's libnss3) implements neither Ed25519 nor P-224 signatures: certutil refuses to import
# an Ed25519 root, vfychain reports SEC_ERROR_UNRECOGNIZED_OID or "key usage inadequate" for
# Ed25519 keys and "invalid signature" for P-224 signatures, also for chains made by openssl alone.
verify_without_nss() { NSS=0 verify_all "$@"; }

# ---- helpers for reading responses and certificates ---------------------------------------------
START=$(date +%s)
section() { echo "--- $1 (at $(($(date +%s) - START))s)"; }
# save FILE: a copy of the last command's stdout.
save() { _checked "save $1: cp $WORK/out $1" cp "$WORK/out" "$1"; }
# jf JSON_FILE NAME: field_of.
jf() { field_of "$1" "$2"; }
# jx FILE EXPR: a Python expression over a -format=json response (d = its data, w = its warnings).
# A file that is not JSON, or an expression that raises, is a failure.
_JX_PY='
import json, sys
try:
    with open(sys.argv[1]) as fh: d = json.load(fh)
except (OSError, ValueError) as e:
    sys.exit(f"not a readable JSON response: {e}")
if not isinstance(d, dict):
    sys.exit(f"not a JSON response object: {json.dumps(d)[:300]}")
w = d.get("warnings"); d = d.get("data")
try:
    v = eval(sys.argv[2])
except Exception as e:
    sys.exit(f"{type(e).__name__}: {e} (data: {json.dumps(d)[:300]})")
'"$_PY_PRINT"
jx() { _checked "jx $1 '$2'" python3 -c "$_JX_PY" "$1" "$2"; }
has() {
  if [ -z "$2" ]; then fail "${3:-text}: looked for an empty string"; return 0; fi
  if grep -qF -- "$2" <<<"$1"; then ok; else fail "${3:-text} lacks '$2': $(head -c 900 <<<"$1")"; fi
}
hasnt() {
  if [ -z "$2" ]; then fail "${3:-text}: looked for the absence of an empty string"; return 0; fi
  if grep -qF -- "$2" <<<"$1"; then fail "${3:-text} has '$2': $(head -c 900 <<<"$1")"; else ok; fi
}
# near A B TOLERANCE WHAT: |A - B| <= TOLERANCE (seconds); A and B must be integers.
near() {
  local v
  for v in "$1" "$2" "$3"; do
    if ! [[ $v =~ ^-?[0-9]+$ ]]; then fail "$4: not a number: '$v' (near '$1' '$2' '$3')"; return 0; fi
  done
  local d=$(($1 - $2)); [ $d -lt 0 ] && d=$((-d))
  if [ $d -le "$3" ]; then ok; else fail "$4: $1 vs $2 (off by $d s)"; fi
}
# x509 FILE ARGS...: `openssl x509 -in FILE -noout ARGS` (stdout and stderr, as openssl prints
# notes like "No extensions in certificate" on stderr); a certificate openssl cannot read fails.
x509() {
  local f=$1; shift
  local out="$WORK/.x509.$BASHPID" rc=0
  openssl x509 -in "$f" -noout "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then fail "openssl x509 -in $f -noout $* (exit $rc): $(head -c 400 "$out")"; rm -f "$out"; return 1; fi
  rc=0; cat "$out" || rc=$?; rm -f "$out"
  [ "$rc" -eq 0 ] || [ "$rc" -eq 141 ] || { fail "x509 $f: cannot print the output of openssl (cat exit $rc)"; return 1; }
}
ext() { x509 "$1" -ext "$2"; }
text() { x509 "$1" -text -certopt no_pubkey,no_sigdump -nameopt RFC2253; }
# epoch DATE: DATE in Unix seconds. An empty DATE (date -d '' is today's midnight) is a failure.
epoch() {
  if [ -z "$1" ]; then fail "epoch: an empty date"; return 1; fi
  _checked "epoch: date -u -d '$1'" date -u -d "$1" +%s
}
# _date_of CERT OPTION NAME: the notBefore/notAfter of CERT in Unix seconds.
_date_of() {
  local v; v=$(x509 "$1" "$2") || return 1
  if [[ $v != "$3="?* ]]; then fail "$3 of $1: unexpected openssl output '$v'"; return 1; fi
  epoch "${v#"$3="}"
}
not_before_of() { _date_of "$1" -startdate notBefore; }
not_after_of() { _date_of "$1" -enddate notAfter; }
lifetime() { local a b; a=$(not_after_of "$1") && b=$(not_before_of "$1") || return 1; echo $((a - b)); }
# serial_of CERT: its serial number as pki prints it (lower-case hex, colon-separated).
serial_of() {
  local s; s=$(x509 "$1" -serial) || return 1
  s=${s#serial=}
  if ! [[ $s =~ ^[0-9A-Fa-f]+$ ]]; then fail "serial_of $1: unexpected openssl output '$s'"; return 1; fi
  tr 'A-F' 'a-f' <<<"$s" | sed 's/../&:/g; s/:$//'
}
bare() { tr -d ':-' <<<"$1" | tr 'a-f' 'A-F'; }
# CRLs as openssl reads them. crl_text CRL_PEM: openssl crl -text (never aborts).
crl_text() { openssl crl -in "$1" -noout -text 2>&1 || true; }
# crl_number CRL_PEM: the CRL Number as a decimal integer ("" when absent or unreadable).
crl_number() {
  local h; h=$(openssl crl -in "$1" -noout -crlnumber 2>/dev/null | cut -d= -f2 | sed 's/^0x//') || true
  [[ $h =~ ^[0-9A-Fa-f]+$ ]] && echo $((16#$h)) || echo ""
}
this_update() { epoch "$(openssl crl -in "$1" -noout -lastupdate | cut -d= -f2)"; }
next_update() { epoch "$(openssl crl -in "$1" -noout -nextupdate | cut -d= -f2)"; }
# crl_serials CRL_PEM: the revoked serials it lists, bare upper-case hex, one a line, sorted.
crl_serials() { crl_text "$1" | sed -n 's/^ *Serial Number: *//p' | sort; }
# crl_has / crl_lacks CRL_PEM SERIAL [WHAT]: checks that the CRL lists, or does not list, SERIAL.
crl_has() { if crl_serials "$1" | grep -qx "$(bare "$2")"; then ok; else fail "${3:-CRL} does not list $2: $(crl_serials "$1" | tr '\n' ' ')"; fi; }
crl_lacks() { if crl_serials "$1" | grep -qx "$(bare "$2")"; then fail "${3:-CRL} lists $2"; else ok; fi; }
crl_count() { crl_serials "$1" | grep -c . || true; }
# is_int VALUE [WHAT]: checks that VALUE is a whole number.
is_int() { if [[ "$1" =~ ^[0-9]+$ ]]; then ok; else fail "${2:-value} is not a whole number: '$1'"; fi; }
# akid CERT: its authority key identifier (hex, no colons); a certificate without one fails.
akid() {
  local e id; e=$(ext "$1" authorityKeyIdentifier) || return 1
  id=$(sed -n '2p' <<<"$e" | tr -d ' :' | sed 's/^keyid//')
  if [ -z "$id" ]; then fail "akid $1: no authority key identifier: $e"; return 1; fi
  echo "$id"
}
# pubkey_of_cert / pubkey_of_key / pubkey_of_csr FILE: the md5sum of the DER public key in FILE;
# a file openssl cannot read fails (instead of giving the md5sum of nothing, which would match).
_pubkey_md5() {
  local f=$1; shift
  local pem="$WORK/.pub.$BASHPID.pem" der="$WORK/.pub.$BASHPID.der"
  if ! _checked "public key of $f: $*" "$@" >"$pem" ||
     ! _checked "public key of $f: openssl pkey -pubin -outform der" openssl pkey -pubin -in "$pem" -outform der -out "$der"; then
    rm -f "$pem" "$der"; return 1
  fi
  md5sum <"$der"; rm -f "$pem" "$der"
}
pubkey_of_cert() { _pubkey_md5 "$1" openssl x509 -in "$1" -noout -pubkey; }
pubkey_of_key() { _pubkey_md5 "$1" openssl pkey -in "$1" -pubout; }
pubkey_of_csr() { _pubkey_md5 "$1" openssl req -in "$1" -noout -pubkey; }
