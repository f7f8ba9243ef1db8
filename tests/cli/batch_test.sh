#!/usr/bin/env bash
# pki batch (the long-lived-engine issue): JSON lines in, one JSON line per request out in input
# order; bad lines refused one by one with their line number; --stop-on-error; what is printed is
# what is stored (and verifies with OpenSSL, GnuTLS and NSS); standard output that cannot be
# written (/dev/full, a closed pipe) keeps nothing, in batch and in a single pki issue.
source "$(dirname "$0")/lib.sh"

cert_count() { "$PKI" list -format=json pki/certs | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))'; }

section "setup"
expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=certificate pki/root/generate/internal common_name="Batch Root" key_type=ec ttl=8760h
save root.pem
expect_ok "$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec --ttl 24h

section "requests in, envelopes out, in order; bad lines refused one by one"
cat > in.jsonl <<'EOF'
{"op":"write","path":"pki/issue/web","data":{"common_name":"a.example.com"}}
not json at all

{"op":"frobnicate","path":"pki/roles/web"}
{"op":"write","data":{}}
{"op":"write","path":"pki/issue/web","data":{"common_name":"x.evil.org"}}
{"op":"write","path":"pki/roles/db","data":{"allowed_domains":"db.example.com","allow_bare_domains":true,"key_type":"ec"}}
{"op":"write","path":"pki/issue/db","data":{"common_name":"db.example.com"}}
{"op":"read","path":"pki/roles/db"}
{"op":"list","path":"pki/roles"}
{"op":"write","path":"pki/issue/web","data":{"common_name":"b.example.com","bogus_field":1}}
[1,2,3]
{"op":"delete","path":"pki/roles/db"}
{"op":"read","path":"pki/roles/db"}
EOF
before=$(cert_count)
rc=0; "$PKI" batch -f in.jsonl > out.jsonl 2> err.txt || rc=$?
expect_eq "$rc" 1 "a batch with refused requests exits 1"
expect_eq "$(wc -c < err.txt)" 0 "refusals are reported in the output lines, not on stderr"
expect_eq "$(wc -l < out.jsonl)" 13 "one output line per request (the blank line is none)"
# Every output line is one JSON object.
expect_ok python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' out.jsonl
ln1=$(sed -n 1p out.jsonl)
line_has() { if grep -qF -- "$2" <<<"$1"; then ok; else fail "$3: '$2' not in: ${1:0:300}"; fi; }
line_has "$ln1" '"request_id":' "line 1 is an envelope"
line_has "$ln1" '"certificate":"-----BEGIN CERTIFICATE-----' "line 1 has the certificate"
line_has "$(sed -n 2p out.jsonl)" '"line":2' "bad JSON names its line"
line_has "$(sed -n 2p out.jsonl)" 'not a JSON object' "bad JSON says so"
line_has "$(sed -n 3p out.jsonl)" '"line":4' "the blank line is counted, not answered"
line_has "$(sed -n 3p out.jsonl)" 'unknown op \"frobnicate\"' "unknown op named"
line_has "$(sed -n 4p out.jsonl)" 'no \"path\"' "missing path named"
line_has "$(sed -n 5p out.jsonl)" '"kind":"denied"' "a role refusal is denied"
line_has "$(sed -n 5p out.jsonl)" 'x.evil.org' "the refused name is named"
line_has "$(sed -n 7p out.jsonl)" '"private_key_type":"ec"' "a role written earlier in the batch is used by the next line"
line_has "$(sed -n 8p out.jsonl)" '"allowed_domains":["db.example.com"]' "a read sees the write before it"
line_has "$(sed -n 9p out.jsonl)" '"keys":["db","web"]' "a list sees it too"
line_has "$(sed -n 10p out.jsonl)" '"warnings":["Endpoint ignored these unrecognized parameters: [bogus_field]"]' "an unknown field is ignored with Vault's warning"
line_has "$(sed -n 10p out.jsonl)" '"certificate":"-----BEGIN CERTIFICATE-----' "the request with an unknown field issues"
line_has "$(sed -n 11p out.jsonl)" '"line":12' "a JSON array is refused with its line"
line_has "$(sed -n 13p out.jsonl)" '"kind":"not_found"' "the deleted role is gone for the line after"
line_has "$(sed -n 13p out.jsonl)" '"hint":"create it with: pki role write db' "the hint is a pki command"
expect_eq "$(cert_count)" $((before + 3)) "the three issued certificates are stored, nothing else"

section "what was printed is what was stored, and it verifies"
python3 - out.jsonl <<'EOF'
import json, sys
l = json.loads(open(sys.argv[1]).readline())["data"]
open("a.pem", "w").write(l["certificate"] + "\n")
open("a.key", "w").write(l["private_key"] + "\n")
open("a.serial", "w").write(l["serial_number"])
EOF
expect_ok "$PKI" read -field=certificate "pki/cert/$(cat a.serial)"
expect_eq "$(cat "$WORK/out")" "$(cat a.pem)" "stored certificate = printed certificate"
verify_all root.pem a.pem
expect_eq "$(pubkey_of_cert a.pem)" "$(pubkey_of_key a.key)" "the returned key belongs to the certificate"

section "--stop-on-error: nothing after the first refused request runs"
printf '%s\n' '{"op":"write","path":"pki/issue/web","data":{"common_name":"s1.example.com"}}' \
  '{"op":"write","path":"pki/issue/web","data":{"common_name":"s2.evil.org"}}' \
  '{"op":"write","path":"pki/issue/web","data":{"common_name":"s3.example.com"}}' > stop.jsonl
before=$(cert_count)
rc=0; "$PKI" batch --stop-on-error -f stop.jsonl > stop.out || rc=$?
expect_eq "$rc" 1 "--stop-on-error exits 1"
expect_eq "$(wc -l < stop.out)" 2 "the refused line is the last one written"
expect_eq "$(cert_count)" $((before + 1)) "only the request before it is kept"

section "many requests from standard input, all stored, serials unique"
python3 -c '
for i in range(3000): print("{\"op\":\"write\",\"path\":\"pki/issue/web\",\"data\":{\"common_name\":\"m%d.example.com\"}}" % i)' > many.jsonl
before=$(cert_count)
rc=0; "$PKI" batch < many.jsonl > many.out 2> many.err || rc=$?
expect_eq "$rc" 0 "a batch of 3000 issues succeeds"
expect_eq "$(wc -l < many.out)" 3000 "3000 lines out"
expect_eq "$(grep -c '"error"' many.out || true)" 0 "no refusals"
expect_eq "$(cert_count)" $((before + 3000)) "3000 certificates stored"
expect_eq "$(python3 -c 'import json,sys; print(len({json.loads(l)["data"]["serial_number"] for l in open(sys.argv[1])}))' many.out)" 3000 "3000 distinct serials"
# In input order: line i is the certificate for m<i>.
expect_ok python3 - many.out <<'EOF'
import json, subprocess, sys
for i, l in enumerate(open(sys.argv[1])):
    if i % 500: continue
    pem = json.loads(l)["data"]["certificate"]
    subj = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, capture_output=True, text=True).stdout
    assert "m%d.example.com" % i in subj, (i, subj)
EOF

section "bad invocations"
expect_refused 1 "$PKI" batch -f /nonexistent/requests.jsonl
expect_err_contains "cannot read file /nonexistent/requests.jsonl"
expect_refused 2 "$PKI" batch --workers 0
mkdir -p adir
expect_refused 1 "$PKI" batch -f adir
expect_err_contains "cannot read file adir: it is a directory"
expect_refused 2 "$PKI" batch --no-such-flag
# A request line of more than 64 MiB is refused with its line number; the batch goes on.
python3 -c 'import sys; sys.stdout.write("{\"op\":\"write\",\"path\":\"pki/issue/web\",\"data\":{\"common_name\":\"" + "a" * (65 << 20) + "\"}}\n{\"op\":\"read\",\"path\":\"pki/roles/web\"}\n")' > huge.jsonl
rc=0; "$PKI" batch -f huge.jsonl > huge.out || rc=$?
expect_eq "$rc" 1 "a 65 MiB line is refused"
line_has "$(sed -n 1p huge.out)" '"line":1' "with its line number"
line_has "$(sed -n 1p huge.out)" 'more than 64 MiB' "and the reason"
line_has "$(sed -n 2p huge.out)" '"allowed_domains":["example.com"]' "the next line still runs"
rm -f huge.jsonl

section "a batch on a state directory that does not exist yet"
fresh="$WORK/fresh/state"
printf '%s\n' '{"op":"list","path":"sys/mounts"}' '{"op":"write","path":"sys/mounts/bad name","data":{"type":"pki"}}' \
  '{"op":"read","path":"pki/roles/web"}' > fresh.jsonl
rc=0; PKI_STATE_DIR=$fresh "$PKI" batch -f fresh.jsonl > fresh.out 2> fresh.err || rc=$?
expect_eq "$rc" 1 "refused requests on a fresh state exit 1"
line_has "$(sed -n 1p fresh.out)" '"data":{"keys":[]}' "no mounts yet"
line_has "$(sed -n 2p fresh.out)" '"line":2' "a mount name refused before the store exists is answered with its line"
line_has "$(sed -n 3p fresh.out)" 'no mount \"pki\"' "reads see an empty store"
expect_eq "$(ls -A "$WORK/fresh" 2>/dev/null | wc -l)" 0 "and no state directory was created"
printf '%s\n' '{"op":"write","path":"sys/mounts/pki","data":{"type":"pki"}}' \
  '{"op":"write","path":"pki/root/generate/internal","data":{"common_name":"Fresh Root","key_type":"ec"}}' > fresh2.jsonl
rc=0; PKI_STATE_DIR=$fresh "$PKI" batch -f fresh2.jsonl > fresh2.out || rc=$?
expect_eq "$rc" 0 "enabling a mount in a batch creates the state directory"
line_has "$(sed -n 2p fresh2.out)" '"issuer_id":' "and the next line can use the mount"

section "standard output that cannot be written keeps nothing"
before=$(cert_count)
dump=$(state_dump)
rc=0; "$PKI" issue web --common-name full.example.com > /dev/full 2> full.err || rc=$?
expect_eq "$rc" 3 "pki issue > /dev/full exits 3"
expect_eq "$(grep -c 'cannot write standard output' full.err)" 1 "and says why, on one line"
expect_eq "$(state_dump)" "$dump" "no certificate was stored whose key could not be delivered"
rc=0; "$PKI" batch -f stop.jsonl > /dev/full 2> full.err || rc=$?
expect_eq "$rc" 3 "pki batch > /dev/full exits 3"
expect_eq "$(state_dump)" "$dump" "nothing of the batch was kept"
# A closed pipe: the reading end is closed before pki writes.
rc=0; python3 - "$PKI" <<'EOF' || rc=$?
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "issue", "web", "--common-name", "pipe.example.com"], stdout=w, stderr=subprocess.PIPE, text=True)
os.close(w)
sys.stderr.write(p.stderr)
sys.exit(p.returncode)
EOF
expect_eq "$rc" 3 "pki issue into a closed pipe exits 3 (not killed by SIGPIPE)"
expect_eq "$(state_dump)" "$dump" "nothing was stored"
expect_eq "$(cert_count)" "$before" "certificate count unchanged"

finish
