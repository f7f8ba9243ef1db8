#!/usr/bin/env bash
# The CLI as a client of pki serve: one suite of commands (Vault-style and ergonomic, successes
# and refusals) run twice, once on a local state directory (PKI_STATE_DIR) and once through a
# server on another fresh state directory (PKI_ADDR + PKI_TOKEN), must give for every command the
# same exit code, the same standard error (exactly, but for the state directory's path) and the
# same standard output once what legitimately differs between two CAs is replaced by placeholders
# (see normalize below). Then what only the client has: no token, a closed port, --address with
# --state-dir, apply and batch refused with PKI_ADDR, and HTTPS with and without PKI_CACERT.
source "$(dirname "$0")/serve_lib.sh"
unset PKI_ADDR VAULT_ADDR PKI_TOKEN VAULT_TOKEN PKI_CACERT VAULT_CACERT
# No ~/.pki-token of the machine's user may stand in for a missing token.
export HOME="$WORK/home"
mkdir -p "$HOME"

LOCAL_STATE="$WORK/local-state"
REMOTE_STATE="$WORK/remote-state"
# What the remote run's PKI_STATE_DIR points at: a client with PKI_ADDR must never create it.
UNUSED_STATE="$WORK/unused-state"

# A CSR for the sign commands (one file, read by the CLI in both runs).
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/csr-key.pem" -subj /CN=api.example.com \
  -addext "subjectAltName=DNS:api.example.com,DNS:v2.example.com" -out "$WORK/api.csr" 2>/dev/null
echo '{"allowed_domains": "example.com", "allow_subdomains": true, "max_ttl": "24h"}' >"$WORK/role.json"

# ---- the suite -----------------------------------------------------------------------------------
# One command a line: the exit code it must have, then its arguments (after $PKI) as bash words.
# {serial} is the serial_number of the run's last `issue ... -format=json` (each run has its own);
# {work} is $WORK (the same in both runs).
SUITE=$(cat <<'EOF'
0 secrets enable -path=pki pki
0 secrets tune -max-lease-ttl=87600h pki
0 secrets list
0 secrets list -format=json
0 read sys/mounts/pki/tune
0 write pki/root/generate/internal common_name=example.com ttl=8760h
0 write pki/config/urls issuing_certificates=http://127.0.0.1:8200/v1/pki/ca crl_distribution_points=http://127.0.0.1:8200/v1/pki/crl
0 read pki/config/urls
0 config urls read
0 role write web --allowed-domains example.com --allow-subdomains --max-ttl 72h
0 read pki/roles/web
0 read -format=json pki/roles/web
0 read -format=yaml pki/roles/web
0 role read web -format=json
0 write pki/roles/svc @{work}/role.json
0 patch pki/roles/svc ttl=1h
0 read -field=ttl pki/roles/svc
0 list pki/roles
0 role list -format=json
0 issue web --common-name www.example.com -format=json
0 issue web --common-name api.example.com --alt-names v2.example.com --ttl 1h
0 write -field=serial_number pki/issue/web common_name=a.example.com ip_sans=127.0.0.1
0 write pki/issue/svc common_name=b.example.com -format=json
0 issue web --common-name c.example.com -format=json
0 sign web --csr @{work}/api.csr -format=json
0 write pki/sign/web csr=@{work}/api.csr common_name=api.example.com
0 read pki/cert/{serial}
0 cert read {serial} -format=json
0 read -field=certificate pki/cert/{serial}
0 list pki/certs
0 cert serials -format=json
0 revoke --serial-number {serial}
0 list pki/certs/revoked
0 read pki/cert/{serial}
0 read -field=certificate pki/cert/crl
0 read pki/crl/pem
0 read pki/crl
0 crl rotate
0 crl config
0 crl configure --expiry 48h
0 read pki/config/crl -format=json
0 tidy run --tidy-cert-store=true --tidy-revoked-certs=true --safety-buffer 1h
0 write pki/tidy tidy_cert_store=true safety_buffer=72h -format=json
0 read -field=certificate pki/cert/ca
0 read pki/ca/pem
0 read pki/ca
0 ca pem
0 ca chain
0 read pki/ca_chain
0 list pki/issuers
0 list -format=json pki/issuers
0 read pki/issuer/default
0 read -field=issuer_name pki/issuer/default
0 read -format=pem pki/issuer/default
0 list pki/keys
0 read pki/key/default -format=json
0 path-help pki/roles/web
1 issue web --common-name www.example.org
1 write pki/issue/web common_name=localhost.localdomain alt_names=evil.example.net
1 read pki/nope
1 write pki/keys/frob x=1
1 read sys/nothing
0 write pki/roles/x bogus=1
0 role write x --allowed-domains example.com colour=blue
1 write pki/roles/web allow_any_name=maybe
1 list pki/config/urls
1 read pki/keys/generate/internal
1 delete pki/keys
1 write pki/keys key_type=ec
1 read -field=nope pki/roles/web
1 issue missing --common-name a.example.com
1 read pki/roles/missing
1 sign missing --csr @{work}/api.csr
1 list nomount/roles
1 read nomount/cert/ca
1 secrets enable -path=pki pki
1 secrets enable kv
1 write pki/issue/web common_name=www.example.com ttl=soon
1 revoke --serial-number 01:02:03
1 write pki/sign/web csr=@{work}/missing.csr
1 read /
2 read -format=bogus pki/roles/web
2 read --bogus pki/roles/web
2 frobnicate
2 issue
0 delete pki/roles/web
1 read pki/roles/web
0 delete pki/roles/web
0 list pki/roles -format=json
0 delete pki/roles/svc
0 list pki/roles
0 secrets disable pki
0 secrets list
EOF
)

# run_suite DIR: runs the suite with the environment already set, keeping in DIR/N.{out,err,rc}
# and DIR/N.cmd what command N was, as run.
run_suite() {
  local dir=$1 n=0 want line serial="" arg
  mkdir -p "$dir"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    n=$((n + 1))
    want=${line%% *}; line=${line#* }
    line=${line//\{work\}/$WORK}
    line=${line//\{serial\}/$serial}
    local args=()
    eval "args=($line)"
    printf '%s\n' "$line" >"$dir/$n.cmd"
    echo "$want" >"$dir/$n.want"
    local rc=0
    "$PKI" "${args[@]}" >"$dir/$n.out" 2>"$dir/$n.err" </dev/null || rc=$?
    echo "$rc" >"$dir/$n.rc"
    # The serial of the last JSON issue, for {serial} in the commands after it.
    if [ "$rc" = 0 ] && [[ ${args[0]} == issue && " ${args[*]} " == *" -format=json "* ]]; then
      serial=$(jf "$dir/$n.out" serial_number) || serial=""
    fi
  done <<<"$SUITE"
  echo "$n" >"$dir/count"
}

# normalize DIR STATE: writes DIR/N.nout and DIR/N.nerr, the outputs with what legitimately
# differs between two runs replaced by placeholders. Numbered placeholders are numbered by first
# appearance over the whole run (commands in order), so a value that repeats (the root's
# certificate as issuing_ca, cert/ca, ca/pem; an issuer id in two listings) must repeat in both
# runs, and two values that differ in one run must differ in the other.
_NORMALIZE_PY='
import re, subprocess, sys
d, state, count = sys.argv[1], sys.argv[2].encode(), int(open(sys.argv[1] + "/count").read())
seen = {}
def numbered(kind, value):
    key = (kind, value)
    if key not in seen:
        seen[key] = sum(1 for k in seen if k[0] == kind) + 1
    return f"<{kind}-{seen[key]}>".encode()
# 1. PEM bodies (certificates, keys, CRLs, CSRs; with real line breaks in tables and PEM output,
#    with \n escapes in JSON): each CA and key is new in each run. The body, its line breaks
#    included (a DER one byte longer wraps differently), becomes <TYPE-N>; N is the same for the
#    same body, whichever way it was printed.
PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----((?:\\n|[A-Za-z0-9+/=\r\n])*?)-----END \1-----")
def pem(m):
    body = re.sub(rb"\\n|\s", b"", m.group(2))
    kind = m.group(1).decode().lower().replace(" ", "_")
    return b"-----BEGIN " + m.group(1) + b"-----" + numbered(kind, body) + b"-----END " + m.group(1) + b"-----"
# 2. UUIDs: request_id, issuer and key ids (issuer_id, key_id, default, mapping), random per run.
UUID = re.compile(rb"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# 3. Colon-separated hex of 8 bytes or more: serial numbers (random) and key identifiers
#    (subject/authority key ids: hashes of keys, new per run).
HEXID = re.compile(rb"\b(?:[0-9a-fA-F]{2}[:-]){7,}[0-9a-fA-F]{2}\b")
# 4. Mount accessors (pki_ and 8 random hex digits, as in Vault).
ACCESSOR = re.compile(rb"\bpki_[0-9a-f]{8}\b")
# 5. Times: Unix times (expiration, revocation_time, ...) and RFC 3339 times. The two runs are
#    seconds apart and two commands of one run may share a second, so these are not numbered.
UNIX = re.compile(rb"\b1[6-9][0-9]{8}\b")
RFC3339 = re.compile(rb"\b[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?")
def der(data):
    # 6. Binary output (DER from pki/ca, pki/crl): replaced by what openssl reads in it (the
    #    subject and issuer, or the CRL issuer and its number of entries), or <binary> if nothing.
    for cmd in (["openssl", "x509", "-inform", "der", "-noout", "-subject", "-issuer"],
                ["openssl", "crl", "-inform", "der", "-noout", "-issuer", "-text"]):
        p = subprocess.run(cmd, input=data, capture_output=True)
        if p.returncode == 0:
            out = p.stdout
            if "-text" in cmd:
                n = out.count(b"Serial Number:")
                out = out.splitlines()[0] + f"\nrevoked entries: {n}".encode()
            return b"<DER " + out.strip() + b">\n"
    return b"<binary: openssl reads neither a certificate nor a CRL>\n"
# 7. Listings of serial numbers come sorted by serial, and serials are random: in a block of
#    consecutive lines that each hold one <hexid-N> and nothing else (but JSON quotes and commas),
#    the placeholders are put in order (the lines keep their places and punctuation).
LISTED = re.compile(rb"^\s*\"?<hexid-[0-9]+>\"?,?\s*$")
def sort_listed(out):
    lines = out.split(b"\n")
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and LISTED.match(lines[j]):
            j += 1
        if j - i > 1:
            ids = sorted(re.search(rb"<hexid-[0-9]+>", l).group(0) for l in lines[i:j])
            for k, v in zip(range(i, j), ids):
                lines[k] = re.sub(rb"<hexid-[0-9]+>", v, lines[k])
        i = max(j, i + 1)
    return b"\n".join(lines)
for i in range(1, count + 1):
    out = open(f"{d}/{i}.out", "rb").read()
    try:
        out.decode("utf-8")
    except UnicodeDecodeError:
        out = der(out)
    out = PEM.sub(pem, out)
    out = UUID.sub(lambda m: numbered("uuid", m.group(0)), out)
    out = HEXID.sub(lambda m: numbered("hexid", m.group(0).lower().replace(b"-", b":")), out)
    out = ACCESSOR.sub(lambda m: numbered("accessor", m.group(0)), out)
    out = sort_listed(out)
    out = UNIX.sub(b"<unix-time>", out)
    out = RFC3339.sub(b"<time>", out)
    open(f"{d}/{i}.nout", "wb").write(out)
    # Standard error: exactly, but for the state directory (only a local run can name it).
    err = open(f"{d}/{i}.err", "rb").read().replace(state, b"<state>")
    open(f"{d}/{i}.nerr", "wb").write(err)
'
normalize() { _checked "normalize $1" python3 -c "$_NORMALIZE_PY" "$1" "$2"; }

# ---- run 1: a local state directory --------------------------------------------------------------
section "the suite on a local state directory"
PKI_STATE_DIR=$LOCAL_STATE run_suite "$WORK/local"

# ---- run 2: the same through pki serve on another fresh state ------------------------------------
section "the suite through pki serve"
PKI_STATE_DIR=$REMOTE_STATE start_server
PLAIN_ADDR=$ADDR PLAIN_PID=$SERVER_PID ROOT_TOKEN=$TOKEN
expect_ok test -n "$ROOT_TOKEN"
PKI_STATE_DIR=$UNUSED_STATE PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN run_suite "$WORK/remote"
expect_ok test ! -e "$UNUSED_STATE"   # the client kept nothing locally
expect_ok test -e "$REMOTE_STATE/data.mdb"   # the server kept it all in its own state
# The requests did reach the server: its access log has a line for each command that sent one.
n_log=$(wc -l <"$WORK/access.log")
if [ "$n_log" -ge 60 ]; then ok; else fail "only $n_log lines in the access log after the remote run"; fi

section "compare the two runs"
normalize "$WORK/local" "$LOCAL_STATE"
normalize "$WORK/remote" "$UNUSED_STATE"
count=$(cat "$WORK/local/count")
expect_eq "$(cat "$WORK/remote/count")" "$count" "commands run remotely"
for ((i = 1; i <= count; i++)); do
  cmd=$(cat "$WORK/local/$i.cmd") want=$(cat "$WORK/local/$i.want")
  lrc=$(cat "$WORK/local/$i.rc") rrc=$(cat "$WORK/remote/$i.rc")
  expect_eq "$lrc" "$want" "exit code of [$i] pki $cmd run locally ($(head -c 300 "$WORK/local/$i.err"))"
  expect_eq "$rrc" "$lrc" "exit code of [$i] pki $cmd through the server vs locally ($(head -c 300 "$WORK/remote/$i.err"))"
  if cmp -s "$WORK/local/$i.nerr" "$WORK/remote/$i.nerr"; then ok; else
    fail "stderr of [$i] pki $cmd differs (< local, > remote): $(diff "$WORK/local/$i.nerr" "$WORK/remote/$i.nerr" | head -c 1200)"
  fi
  if cmp -s "$WORK/local/$i.nout" "$WORK/remote/$i.nout"; then ok; else
    fail "stdout of [$i] pki $cmd differs after normalizing (< local, > remote): $(diff "$WORK/local/$i.nout" "$WORK/remote/$i.nout" | head -c 1500)"
  fi
  # A refusal says why in one line starting "Error: " (both runs: the stderrs were compared).
  if [ "$want" != 0 ]; then
    if [ "$(grep -vc '^Warning: ' "$WORK/local/$i.err" || true)" = 1 ] && grep -q '^Error: ' "$WORK/local/$i.err"; then ok; else
      fail "[$i] pki $cmd: expected one 'Error: ' line, got: $(head -c 400 "$WORK/local/$i.err")"; fi
  fi
done
# The normalizing hid no more than it should: what names and policies say is left as it was.
# idx CMD: the number of the first command of the suite written CMD.
idx() { local k; for ((k = 1; k <= count; k++)); do [ "$(cat "$WORK/local/$k.cmd")" = "$1" ] && { echo "$k"; return 0; }; done; }
i=$(idx "read pki/roles/web") j=$(idx "issue web --common-name www.example.com -format=json")
if [ -n "$i" ] && [ -n "$j" ] && grep -q 'allowed_domains.*example.com' "$WORK/remote/$i.nout" &&
   grep -q '"private_key_type": "rsa"' "$WORK/remote/$j.nout" &&
   grep -q '<certificate-' "$WORK/remote/$j.nout"; then ok; else
  fail "the normalized outputs lost their content: [$i] $(head -c 300 "$WORK/remote/$i.nout") [$j] $(head -c 300 "$WORK/remote/$j.nout")"; fi

# ---- what only a client has ----------------------------------------------------------------------
section "client errors"
export PKI_STATE_DIR=$UNUSED_STATE
# Set up the remote state again for what follows (the suite disabled its mount).
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" secrets enable pki
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" write pki/root/generate/internal common_name=example.com ttl=8760h
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" role write tls --allowed-domains example.com --allow-subdomains --allow-localhost --max-ttl 72h
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" read -field=certificate pki/cert/ca
save "$WORK/ca.pem"

# Output that cannot be written: the server has stored the certificate already, and the error says
# so (locally, nothing would be stored).
before=$(PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN "$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')
if PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN "$PKI" issue tls --common-name full.example.com --ttl 1h > /dev/full 2> "$WORK/err"; then
  fail "issue > /dev/full through the server exited 0"
else
  expect_err_contains "cannot write standard output"
  expect_err_contains "the server had already done the request"
fi
after=$(PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN "$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')
expect_eq "$after" "$((before + 1))" "the certificate issued through the server is stored even though its output was lost"

# No token (no PKI_TOKEN, VAULT_TOKEN nor ~/.pki-token): a protected request is refused.
PKI_ADDR=$PLAIN_ADDR expect_exit 1 "$PKI" list pki/roles
expect_err_contains "permission denied"
PKI_ADDR=$PLAIN_ADDR expect_exit 1 "$PKI" issue tls --common-name www.example.com
expect_err_contains "permission denied"
# A wrong token is refused the same way.
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=hvs.not-a-token expect_exit 1 "$PKI" list pki/roles
expect_err_contains "permission denied"
# The CA certificate needs no token, as in Vault.
PKI_ADDR=$PLAIN_ADDR expect_ok "$PKI" read pki/ca/pem
save "$WORK/ca-no-token.pem"
expect_ok cmp "$WORK/ca-no-token.pem" "$WORK/ca.pem"
# VAULT_ADDR and VAULT_TOKEN do what PKI_ADDR and PKI_TOKEN do; ~/.pki-token holds a token too.
VAULT_ADDR=$PLAIN_ADDR VAULT_TOKEN=$ROOT_TOKEN expect_ok "$PKI" list pki/roles
expect_out_contains "tls"
echo "$ROOT_TOKEN" >"$HOME/.pki-token"
PKI_ADDR=$PLAIN_ADDR expect_ok "$PKI" list pki/roles
expect_out_contains "tls"
rm "$HOME/.pki-token"
PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" --address "$PLAIN_ADDR" list pki/roles
expect_out_contains "tls"
# --state-dir wins over PKI_ADDR: the local state (whose pki mount the suite disabled) is read,
# not the server's.
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" --state-dir "$LOCAL_STATE" secrets list
hasnt "$(cat "$WORK/out")" "pki/" "secrets list --state-dir LOCAL with PKI_ADDR set"
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" secrets list
has "$(cat "$WORK/out")" "pki/" "secrets list with PKI_ADDR set"

# A closed port: exit 3, naming the address.
closed=$(free_port)
PKI_ADDR=http://127.0.0.1:$closed PKI_TOKEN=$ROOT_TOKEN expect_exit 3 "$PKI" list pki/roles
expect_err_contains "cannot reach pki serve at http://127.0.0.1:$closed"
PKI_TOKEN=$ROOT_TOKEN expect_exit 3 "$PKI" --address "http://127.0.0.1:$closed" secrets list
expect_err_contains "cannot reach pki serve at"
expect_ok test ! -e "$UNUSED_STATE"

# --address and --state-dir together: a usage error, nothing created.
expect_exit 2 "$PKI" --address "$PLAIN_ADDR" --state-dir "$WORK/both" secrets list
expect_err_contains "--address"
expect_ok test ! -e "$WORK/both"

# apply and batch work on a state directory only: with PKI_ADDR they say so (exit 2).
printf 'mounts:\n  pki: {}\n' >"$WORK/apply.yaml"
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_exit 2 "$PKI" apply -f "$WORK/apply.yaml"
expect_err_contains "PKI_ADDR"
echo '{"op":"read","path":"pki/cert/ca"}' >"$WORK/batch.jsonl"
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_exit 2 "$PKI" batch -f "$WORK/batch.jsonl"
expect_err_contains "PKI_ADDR"
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_exit 2 "$PKI" batch <"$WORK/batch.jsonl"
expect_err_contains "PKI_ADDR"
expect_ok test ! -e "$UNUSED_STATE"

# ---- HTTPS ---------------------------------------------------------------------------------------
section "https with --tls-role"
# A second server on the same state, with its certificate from pki/tls for localhost and 127.0.0.1.
PKI_STATE_DIR=$REMOTE_STATE start_server --tls-role pki/tls --tls-name localhost --tls-name 127.0.0.1
TLS_ADDR=$ADDR TLS_PID=$SERVER_PID
expect_eq "${TLS_ADDR%%:*}" https "scheme of the --tls-role server"
PKI_ADDR=$TLS_ADDR PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/ca.pem expect_ok "$PKI" list pki/roles
expect_out_contains "tls"
PKI_ADDR=https://localhost:$PORT PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/ca.pem expect_ok "$PKI" read pki/roles/tls
expect_out_contains "allow_localhost"
PKI_ADDR=$TLS_ADDR PKI_TOKEN=$ROOT_TOKEN VAULT_CACERT=$WORK/ca.pem expect_ok "$PKI" issue tls --common-name www.example.com -format=json
save "$WORK/tls-issued.json"
jf "$WORK/tls-issued.json" certificate >"$WORK/tls-issued.pem"
verify_all "$WORK/ca.pem" "$WORK/tls-issued.pem"
# Without the CA (and the system's CAs do not know it): exit 3, naming TLS.
PKI_ADDR=$TLS_ADDR PKI_TOKEN=$ROOT_TOKEN expect_exit 3 "$PKI" list pki/roles
expect_err_contains "TLS"
expect_err_contains "PKI_CACERT"
# With the wrong CA: the same.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -keyout "$WORK/other-key.pem" \
  -out "$WORK/other-ca.pem" -days 1 2>/dev/null
PKI_ADDR=$TLS_ADDR PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/other-ca.pem expect_exit 3 "$PKI" list pki/roles
expect_err_contains "TLS"
# A CA file that is not there is the user's mistake (exit 2), named.
PKI_ADDR=$TLS_ADDR PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/missing-ca.pem expect_exit 2 "$PKI" list pki/roles
expect_err_contains "$WORK/missing-ca.pem"
# Plain HTTP to the HTTPS port does not get an answer.
PKI_ADDR=http://127.0.0.1:$PORT PKI_TOKEN=$ROOT_TOKEN expect_exit 3 "$PKI" list pki/roles
expect_err_contains "cannot reach pki serve at"

section "https with --tls-cert/--tls-key"
# A server certificate issued by the CLI through the plain server, for 127.0.0.1.
PKI_ADDR=$PLAIN_ADDR PKI_TOKEN=$ROOT_TOKEN expect_ok "$PKI" issue tls --common-name www.example.com --ip-sans 127.0.0.1 -format=json
save "$WORK/srv.json"
{ jf "$WORK/srv.json" certificate && jf "$WORK/srv.json" issuing_ca; } >"$WORK/srv.pem"
jf "$WORK/srv.json" private_key >"$WORK/srv-key.pem"
PKI_STATE_DIR=$REMOTE_STATE start_server --tls-cert "$WORK/srv.pem" --tls-key "$WORK/srv-key.pem"
PKI_ADDR=$ADDR PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/ca.pem expect_ok "$PKI" list pki/roles
expect_out_contains "tls"
PKI_ADDR=$ADDR PKI_TOKEN=$ROOT_TOKEN expect_exit 3 "$PKI" list pki/roles
expect_err_contains "TLS"
# The certificate names www.example.com and 127.0.0.1, not localhost: the client checks the name.
PKI_ADDR=https://localhost:$PORT PKI_TOKEN=$ROOT_TOKEN PKI_CACERT=$WORK/ca.pem expect_exit 3 "$PKI" list pki/roles
expect_err_contains "TLS"

section "the servers are still up"
for pid in "$PLAIN_PID" "$TLS_PID" "$SERVER_PID"; do
  kill -0 "$pid" 2>/dev/null && ok || fail "pki serve $pid died: $(tail -3 "$WORK/serve.err")"
done
finish
