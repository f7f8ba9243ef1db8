#!/usr/bin/env bash
# One certificate issued, as a whole process, in the same run as its peers:
#   pki      `pki issue bench --common-name www.example.com`: EC P-256 role, EC P-256 issuer,
#            key generated, certificate signed and stored durably (an LMDB commit with fsync)
#   cfssl    `cfssl gencert -ca ... csr.json`: EC P-256 key generated, certificate signed,
#            nothing stored (Debian package golang-cfssl)
#   openssl  `openssl x509 -req -in leaf.csr -CA ...`: a ready CSR signed, random serial,
#            nothing stored but the output
# All three sign with the same EC P-256 CA (a pki root exported with its key). Target (issue 4):
# pki no slower than cfssl while storing.
#
#   PKI=build/pki bench/issue.sh             # N=50 runs of each
#   PKI=build/pki N=200 bench/issue.sh
#
# Uses hyperfine when installed (apt-get install hyperfine), else a bash loop timed with
# date +%s%N that interleaves the commands run by run (BENCH_TOOL=loop forces the loop; use it
# on a busy machine, where hyperfine's one-command-after-the-other order lets load changes fall
# on one command only). Builds nothing. A peer that is not installed is
# left out of the table (with a note on stderr).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
: "${PKI:?set PKI to the pki binary, e.g. PKI=build/pki}"
PKI=$(cd "$(dirname "$PKI")" && pwd)/$(basename "$PKI")
N=${N:-50}
WARMUP=${WARMUP:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pki-bench-issue.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PKI_STATE_DIR="$WORK/state"
unset PKI_FORMAT PKI_MOUNT
cd "$WORK"

# ---- set-up (not timed) ------------------------------------------------------------------------
"$PKI" secrets enable pki >/dev/null
"$PKI" secrets tune -max-lease-ttl=87600h pki >/dev/null
"$PKI" write -format=json pki/root/generate/exported common_name="Bench Root" key_type=ec key_bits=256 ttl=8760h >root.json
python3 - <<'EOF'
import json
d = json.load(open("root.json"))["data"]
open("ca.pem", "w").write(d["certificate"].strip() + "\n")
open("ca-key.pem", "w").write(d["private_key"].strip() + "\n")
EOF
"$PKI" role write bench --allowed-domains example.com --allow-subdomains true --key-type ec --key-bits 256 --ttl 720h >/dev/null
"$PKI" role write nostore --allowed-domains example.com --allow-subdomains true --key-type ec --key-bits 256 --ttl 720h --no-store true >/dev/null
"$PKI" issue bench --common-name warm.example.com >/dev/null

PKI_CMD="$PKI issue bench --common-name www.example.com --field certificate"
NAMES=(pki) CMDS=("$PKI_CMD")
# For the diagnosis only: the same issue with no_store (nothing written, so the commit has nothing to sync).
NAMES+=(pki-nostore) CMDS+=("$PKI issue nostore --common-name www.example.com --field certificate")

if command -v cfssl >/dev/null 2>&1; then
  cat >cfssl.json <<'EOF'
{"signing": {"default": {"expiry": "720h", "usages": ["digital signature", "key encipherment", "server auth", "client auth"]}}}
EOF
  cat >csr.json <<'EOF'
{"CN": "www.example.com", "hosts": ["www.example.com"], "key": {"algo": "ecdsa", "size": 256}}
EOF
  cfssl gencert -ca ca.pem -ca-key ca-key.pem -config cfssl.json csr.json >cfssl.out 2>cfssl.err ||
    { echo "cfssl gencert fails: $(tail -2 cfssl.err)" >&2; exit 1; }
  NAMES+=(cfssl) CMDS+=("cfssl gencert -loglevel 5 -ca $WORK/ca.pem -ca-key $WORK/ca-key.pem -config $WORK/cfssl.json $WORK/csr.json")
else
  echo "note: cfssl is not installed (apt-get install golang-cfssl); left out" >&2
fi

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -subj /CN=www.example.com \
  -addext subjectAltName=DNS:www.example.com -out leaf.csr 2>/dev/null
NAMES+=(openssl) CMDS+=("openssl x509 -req -in $WORK/leaf.csr -CA $WORK/ca.pem -CAkey $WORK/ca-key.pem -days 30 -out $WORK/openssl-leaf.pem")
# Each command works before it is timed.
for c in "${CMDS[@]}"; do
  # shellcheck disable=SC2086
  $c >/dev/null 2>"$WORK/check.err" || { echo "fails: $c: $(tail -2 "$WORK/check.err")" >&2; exit 1; }
done
openssl verify -CAfile ca.pem openssl-leaf.pem >/dev/null

# ---- timing ------------------------------------------------------------------------------------
source "$BENCH_DIR/timing.sh"
time_commands "$WORK/stats"

# Every timed pki run of the stored role kept its certificate (warm-up + runs + check + set-up).
stored=$("$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))')

python3 - "$N" "$TOOL" "$stored" "$WORK/stats" <<'EOF'
import sys
n, tool, stored = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {l.split()[0]: list(map(float, l.split()[1:])) for l in open(sys.argv[4]) if l.strip()}
label = {"pki": "pki issue (EC P-256, stored)", "pki-nostore": "  same, no_store (diagnosis)",
         "cfssl": "cfssl gencert (EC P-256)", "openssl": "openssl x509 -req (ready CSR)"}
print(f"one certificate per process, {n} runs each, {tool}")
print(f"  {'command':<32} {'mean ms':>8} {'median ms':>10} {'sd ms':>7} {'min ms':>7}")
for k in ("pki", "pki-nostore", "cfssl", "openssl"):
    if k in rows:
        m, med, sd, mn = rows[k]
        print(f"  {label[k]:<32} {m:8.2f} {med:10.2f} {sd:7.2f} {mn:7.2f}")
if "cfssl" in rows:
    print(f"  ratio pki/cfssl: mean {rows['pki'][0] / rows['cfssl'][0]:.2f}x, median {rows['pki'][1] / rows['cfssl'][1]:.2f}x (target <= 1x)")
print(f"  ratio pki/openssl: median {rows['pki'][1] / rows['openssl'][1]:.2f}x")
print(f"  certificates stored by pki in the run: {stored}")
EOF
