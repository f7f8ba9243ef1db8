# Shared helpers for the end-to-end tests: each test drives the real binary ($PKI) against a
# throwaway state directory and checks what a user would check.
set -euo pipefail
: "${PKI:?set PKI to the pki binary}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export PKI_STATE_DIR="$WORK/state"
unset PKI_FORMAT PKI_MOUNT
cd "$WORK"
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { CHECKS=$((CHECKS + 1)); }

# expect_ok CMD...: the command succeeds.
expect_ok() {
  if "$@" >"$WORK/out" 2>"$WORK/err"; then ok; else fail "expected success: $* (exit $?): $(head -c 400 "$WORK/err")"; fi
}
# expect_exit CODE CMD...: the command exits with CODE and prints exactly one line on stderr.
expect_exit() {
  local want=$1; shift
  local got=0
  "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
  if [ "$got" != "$want" ]; then fail "expected exit $want, got $got: $* :: $(head -c 400 "$WORK/err")"; return; fi
  local lines; lines=$(grep -vc '^Warning: ' "$WORK/err" || true)
  if [ "$lines" != 1 ]; then fail "expected one error line for: $* :: $(cat "$WORK/err")"; return; fi
  ok
}
# expect_err_contains TEXT: the last command's stderr contains TEXT.
expect_err_contains() { if grep -qF -- "$1" "$WORK/err"; then ok; else fail "stderr lacks '$1': $(cat "$WORK/err")"; fi; }
expect_out_contains() { if grep -qF -- "$1" "$WORK/out"; then ok; else fail "stdout lacks '$1': $(head -c 600 "$WORK/out")"; fi; }
expect_eq() { if [ "$1" == "$2" ]; then ok; else fail "${3:-values differ}: '$1' != '$2'"; fi; }

# A dump of the whole state, to show a refused request changed nothing.
state_dump() { if [ -e "$PKI_STATE_DIR/data.mdb" ]; then mdb_dump "$PKI_STATE_DIR" | md5sum; else echo none; fi; }
# expect_unchanged_exit CODE CMD...: exit CODE, one error line, state byte-for-byte the same.
expect_refused() {
  local before; before=$(state_dump)
  expect_exit "$@"
  local after; after=$(state_dump)
  if [ "$before" != "$after" ]; then fail "state changed after refused: ${*:2}"; else ok; fi
}

finish() {
  echo "$CHECKS checks, $FAILS failures"
  [ "$FAILS" -eq 0 ]
}

# verify_all ROOT_PEM LEAF_PEM [INTERMEDIATE_PEM...]: the leaf (or CA) verifies up to ROOT with
# three verifiers nobody here wrote: OpenSSL (-x509_strict), GnuTLS certtool, NSS vfychain.
# USAGE (env, default 1 = TLS server; 3 = CA cert) selects the NSS usage; NSS=0 skips NSS.
verify_all() {
  local root=$1 leaf=$2; shift 2
  local chain="$WORK/verify-chain.pem"; : > "$chain"
  for c in "$@"; do cat "$c" >> "$chain"; echo >> "$chain"; done
  local untrusted=(); [ $# -gt 0 ] && untrusted=(-untrusted "$chain")
  if openssl verify -x509_strict -CAfile "$root" "${untrusted[@]}" "$leaf" >"$WORK/v.out" 2>&1; then ok; else fail "openssl verify $leaf: $(cat "$WORK/v.out")"; fi
  local bundle="$WORK/verify-bundle.pem"; cat "$leaf" > "$bundle"; echo >> "$bundle"; cat "$chain" >> "$bundle"
  if certtool --verify --load-ca-certificate "$root" --infile "$bundle" >"$WORK/v.out" 2>&1; then ok; else fail "certtool --verify $leaf: $(tail -3 "$WORK/v.out")"; fi
  [ "${NSS:-1}" = 0 ] && return
  local db="$WORK/nssdb.$RANDOM"; mkdir -p "$db"
  certutil -N -d "sql:$db" --empty-password >/dev/null 2>&1
  if ! certutil -A -d "sql:$db" -n root -t "CT,C,C" -a -i "$root" >"$WORK/v.out" 2>&1; then
    fail "certutil could not import root $root: $(tail -2 "$WORK/v.out")"; rm -rf "$db"; return; fi
  local args=(-a "$leaf") i=0
  for c in "$@"; do args+=(-a "$c"); done
  if vfychain -d "sql:$db" -pp -u "${USAGE:-1}" "${args[@]}" >"$WORK/v.out" 2>&1; then ok; else fail "vfychain $leaf: $(tail -3 "$WORK/v.out")"; fi
  rm -rf "$db"
}

# field_of JSON_FILE NAME: one field of a -format=json response's data.
field_of() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"][sys.argv[2]]; print("\n".join(d) if isinstance(d, list) else d)' "$1" "$2"; }

# verify_without_nss ROOT LEAF [INTERMEDIATE...]: verify_all with OpenSSL and GnuTLS only. NSS 3.87
# (Debian 12's libnss3) implements neither Ed25519 nor P-224 signatures: certutil refuses to import
# an Ed25519 root, vfychain reports SEC_ERROR_UNRECOGNIZED_OID or "key usage inadequate" for
# Ed25519 keys and "invalid signature" for P-224 signatures, also for chains made by openssl alone.
verify_without_nss() { NSS=0 verify_all "$@"; }

# ---- helpers for reading responses and certificates ---------------------------------------------
START=$(date +%s)
section() { echo "--- $1 (at $(($(date +%s) - START))s)"; }
save() { cp "$WORK/out" "$1"; }
jf() { field_of "$1" "$2" 2>/dev/null || true; }
# jx FILE EXPR: a Python expression over a -format=json response (d = its data, w = its warnings).
jx() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d.get("warnings"); d=d.get("data"); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null || true; }
has() { if grep -qF -- "$2" <<<"$1"; then ok; else fail "${3:-text} lacks '$2': $(head -c 900 <<<"$1")"; fi; }
hasnt() { if grep -qF -- "$2" <<<"$1"; then fail "${3:-text} has '$2': $(head -c 900 <<<"$1")"; else ok; fi; }
# near A B TOLERANCE WHAT: |A - B| <= TOLERANCE (seconds).
near() { local d=$(($1 - $2)); [ $d -lt 0 ] && d=$((-d)); if [ $d -le "$3" ]; then ok; else fail "$4: $1 vs $2 (off by $d s)"; fi; }
x509() { local f=$1; shift; openssl x509 -in "$f" -noout "$@" 2>&1 || true; }
ext() { x509 "$1" -ext "$2"; }
text() { x509 "$1" -text -certopt no_pubkey,no_sigdump -nameopt RFC2253; }
epoch() { date -u -d "$1" +%s; }
not_before_of() { epoch "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)"; }
not_after_of() { epoch "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)"; }
lifetime() { echo $(( $(not_after_of "$1") - $(not_before_of "$1") )); }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//'; }
bare() { tr -d ':-' <<<"$1" | tr 'a-f' 'A-F'; }
akid() { ext "$1" authorityKeyIdentifier | sed -n '2p' | tr -d ' :' | sed 's/^keyid//'; }
pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform der 2>/dev/null | md5sum; }
pubkey_of_key() { openssl pkey -in "$1" -pubout -outform der 2>/dev/null | md5sum; }
pubkey_of_csr() { openssl req -in "$1" -noout -pubkey 2>/dev/null | openssl pkey -pubin -outform der 2>/dev/null | md5sum; }
