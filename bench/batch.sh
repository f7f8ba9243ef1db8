#!/usr/bin/env bash
# Throughput of one `pki batch` process (the long-lived-engine issue), in the same run as the
# signing limit of the machine:
#   issue    N lines of pki/issue/web: an EC P-256 key generated and a certificate signed by an
#            EC P-256 issuer per line, each stored durably (groups of lines committed with one
#            fsync), every response written to stdout              target >= 15,000/s
#   sign     N lines of pki/sign/web with ready EC P-256 CSRs (1,000 distinct ones, cycled)
#                                                                  target >= 25,000/s
#   openssl  `openssl speed -multi CORES ecdsap256`: ECDSA P-256 signatures per second on all
#            cores, the ceiling for anything that signs a certificate per request
# plus the peak RSS of each batch (GNU time; LMDB maps the store, and the pages it touches count
# in RSS) and its peak anonymous memory (RssAnon, sampled): the memory beyond the mapped store.
#
#   PKI=build/pki bench/batch.sh               # N=100000
#   PKI=build/pki N=1000000 WHAT=issue bench/batch.sh   # the 1M-request memory figure (minutes)
#   PKI=build/pki BASELINE=/path/to/old/pki bench/batch.sh   # also time N single `pki issue`
#                                               # processes of both binaries, interleaved
# Builds nothing. Needs python3, openssl and GNU time (/usr/bin/time).
set -euo pipefail
: "${PKI:?set PKI to the pki binary, e.g. PKI=build/pki}"
PKI=$(cd "$(dirname "$PKI")" && pwd)/$(basename "$PKI")
N=${N:-100000}
WHAT=${WHAT:-both}   # issue, sign or both
CORES=$(nproc)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pki-bench-batch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export PKI_STATE_DIR="$WORK/state"
unset PKI_FORMAT PKI_MOUNT
cd "$WORK"
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }

# ---- set-up (not timed) ------------------------------------------------------------------------
"$PKI" secrets enable -max-lease-ttl=87600h pki >/dev/null
"$PKI" write pki/root/generate/internal common_name="Bench Root" key_type=ec key_bits=256 ttl=8760h >/dev/null
"$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec --key-bits 256 --ttl 24h >/dev/null
python3 - "$N" "$WHAT" <<'EOF'
import json, subprocess, sys
n = int(sys.argv[1])
with open("issue.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"op": "write", "path": "pki/issue/web", "data": {"common_name": "h%d.example.com" % i}}) + "\n")
csrs = []
for i in range(1000 if sys.argv[2] != "issue" else 0):
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                         capture_output=True, check=True).stdout
    csr = subprocess.run(["openssl", "req", "-new", "-key", "/dev/stdin", "-subj", "/CN=s%d.example.com" % i],
                         input=key, capture_output=True, check=True).stdout.decode()
    csrs.append(csr)
with open("sign.jsonl", "w") as f:
    for i in range(n):
        if csrs: f.write(json.dumps({"op": "write", "path": "pki/sign/web", "data": {"csr": csrs[i % 1000]}}) + "\n")
EOF

# ---- timed -------------------------------------------------------------------------------------
run_batch() {  # NAME FILE: prints "NAME N seconds rate rss_mib anon_mib errors"
  local name=$1 file=$2
  /usr/bin/time -f "%e %M" -o time.txt "$PKI" batch -q -f "$file" > out.jsonl 2> err.txt &
  local tpid=$! anon=0 pid="" a
  # Peak anonymous memory (RssAnon: the heap, not the mapped store's pages), sampled every 0.1 s.
  while kill -0 "$tpid" 2>/dev/null; do
    [ -n "$pid" ] || pid=$(pgrep -P "$tpid" -x pki || true)
    if [ -n "$pid" ] && a=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$a" ] && [ "$a" -gt "$anon" ]; then anon=$a; fi
    sleep 0.1
  done
  wait "$tpid" || { cat err.txt >&2; exit 1; }
  local secs rss lines errors
  read -r secs rss < time.txt
  lines=$(wc -l < out.jsonl)
  errors=$(grep -c '"error"' out.jsonl || true)
  [ "$lines" -eq "$N" ] || { echo "$name: $lines lines out of $N" >&2; exit 1; }
  python3 -c "import sys; n,s,r,a=int(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]),int(sys.argv[5]); print(f'  {sys.argv[1]:<8} {n:>9} {s:>9.2f} {n/s:>10.0f} {r/1024:>11.0f} {a/1024:>11.0f} {sys.argv[6]:>7}')" \
    "$name" "$N" "$secs" "$rss" "$anon" "$errors"
}

echo "pki batch, N=$N requests each, $CORES cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  what             N   seconds   per sec  peak RSS MiB  anon MiB  errors"
[ "$WHAT" = sign ] || run_batch issue issue.jsonl
[ "$WHAT" = issue ] || run_batch sign sign.jsonl
echo "  state directory after: $(du -sm "$PKI_STATE_DIR" | cut -f1) MiB ($("$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))') certificates)"
echo "openssl speed ecdsap256, $CORES processes (signatures per second):"
openssl speed -seconds 3 -multi "$CORES" ecdsap256 2>/dev/null | awk '/nistp256/ {print "  sign/s " $(NF-1) "  verify/s " $NF}'

if [ -n "${BASELINE:-}" ]; then
  BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
  M=${M:-100}
  echo "single pki issue processes, $M each, interleaved (ms per issue, median):"
  for bin in "$BASELINE" "$PKI"; do
    d="$WORK/single-$(basename "$(dirname "$bin")")-$RANDOM"
    PKI_STATE_DIR=$d "$bin" secrets enable -max-lease-ttl=87600h pki >/dev/null
    PKI_STATE_DIR=$d "$bin" write pki/root/generate/internal common_name=R key_type=ec ttl=87600h >/dev/null 2>&1
    PKI_STATE_DIR=$d "$bin" role write web --allowed-domains example.com --allow-subdomains --key-type ec --ttl 24h >/dev/null
    echo "$d" >> dirs.txt
  done
  mapfile -t dirs < dirs.txt
  : > t0.txt; : > t1.txt
  for ((i = 0; i < M; i++)); do
    for k in 0 1; do
      bin=$BASELINE; [ $k = 1 ] && bin=$PKI
      a=$(date +%s%N); PKI_STATE_DIR=${dirs[$k]} "$bin" issue web --common-name "x$i.example.com" >/dev/null; b=$(date +%s%N)
      echo $(((b - a) / 1000)) >> "t$k.txt"
    done
  done
  for k in 0 1; do
    label=baseline; [ $k = 1 ] && label=this
    sort -n "t$k.txt" | awk -v l="$label" '{a[NR]=$1} END {printf "  %-8s median %.2f ms  min %.2f ms\n", l, a[int((NR+1)/2)]/1000, a[1]/1000}'
  done
fi
