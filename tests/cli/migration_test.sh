#!/usr/bin/env bash
# A state directory written before the record codec (tests/fixtures/legacy-state.tar.gz, made by
# tests/fixtures/make-legacy-state.sh with pki at commit e986a9a) is read by today's pki: every
# record (JSON records, "v1" summaries and revoked entries, raw DER CRLs, keys stored as OpenSSL
# parameters) reads as it did, its CA keys still sign, and a record written again is stored in
# the codec. A damaged record is reported as a state failure naming it, never returned as data.
source "$(dirname "$0")/lib.sh"

cert_count() { "$PKI" list -format=json "$1/certs" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))'; }
# The raw value of KEY in the state, as mdb_dump prints it (hex), or "" when absent.
raw_value() { mdb_dump "$PKI_STATE_DIR" | python3 -c '
import sys
lines = [l.rstrip("\n") for l in sys.stdin]
want = sys.argv[1].encode().hex()
for i, l in enumerate(lines):
    if l.strip() == want:
        print(lines[i + 1].strip()); break
' "$1"; }

section "the legacy state opens"
tar -C "$WORK" -xzf "$PKI_SOURCE_DIR/tests/fixtures/legacy-state.tar.gz"
chmod 700 "$PKI_STATE_DIR"
mapfile -t serials < "$PKI_STATE_DIR/serials.txt"
expect_eq "$(raw_value pki/role/web | cut -c1-2)" "7b" "the fixture's role is a JSON record ({)"

section "every kind of record reads as before"
expect_ok "$PKI" role read web -format=json
# (pki before the codec split one --organization "Acme, Inc" at its comma; so the record holds two.)
expect_eq "$(jx "$WORK/out" 'd["organization"]')" "['Acme', 'Inc']" "role fields"
expect_eq "$(jx "$WORK/out" 'd["ttl"]')" 259200 "role ttl"
expect_ok "$PKI" read -format=json pki/config/urls
expect_eq "$(jx "$WORK/out" 'd["issuing_certificates"]')" "['http://ca.example.com/v1/pki/ca']" "config/urls"
expect_eq "$(cert_count pki)" 5 "the root, the intermediate it signed and three leaves are listed"
expect_ok "$PKI" read -format=json "pki/cert/${serials[1]}"
expect_eq "$(jx "$WORK/out" 'd["revocation_time"] > 0')" True "the revoked certificate reads as revoked (v1 revoked entry)"
expect_ok "$PKI" cert list -format=json
has "$(cat "$WORK/out")" "a.example.com" "the inventory reads the v1 summaries"
expect_ok "$PKI" read -format=pem pki/crl
save old.crl
expect_ok openssl crl -in old.crl -noout -text
has "$(cat "$WORK/out")" "$(bare "${serials[1]}")" "the CRL stored as raw DER is served and lists the revoked serial"
expect_ok "$PKI" read -field=certificate pki/cert/ca
save root.pem
expect_ok "$PKI" read -format=json pki/issuer/default
expect_eq "$(jx "$WORK/out" 'd["issuer_name"]')" legacy-root "issuer record"

section "the legacy CA keys still sign: issue, revoke, rotate"
expect_ok "$PKI" issue web --common-name d.example.com -format=json
jf "$WORK/out" certificate > d.pem
verify_all root.pem d.pem
expect_ok "$PKI" revoke --serial-number "${serials[0]}"
expect_ok "$PKI" read pki/crl/rotate
expect_ok "$PKI" read -format=pem pki/crl
save new.crl
expect_ok openssl crl -in new.crl -CAfile root.pem -noout -text
has "$(cat "$WORK/out")" "$(bare "${serials[0]}")" "the rotated CRL lists the new revocation"
has "$(cat "$WORK/out")" "$(bare "${serials[1]}")" "and the one revoked before the upgrade"
# The RSA intermediate of pki_int (its key stored as parameters too) signs as well.
expect_ok "$PKI" write -format=json pki_int/issue/svc common_name=y.svc.example.com
jf "$WORK/out" certificate > y.pem
jf "$WORK/out" issuing_ca > int.pem
verify_all root.pem y.pem int.pem

section "records written again are stored in the codec"
expect_ok "$PKI" role patch web --ttl 48h
expect_eq "$(raw_value pki/role/web | cut -c1-6)" "706b72" "the patched role starts with pkr"
expect_ok "$PKI" role read web -format=json
expect_eq "$(jx "$WORK/out" 'd["ttl"]')" 172800 "and reads back"
expect_eq "$(jx "$WORK/out" 'd["organization"]')" "['Acme', 'Inc']" "with the fields it had"

section "a damaged record is a state failure naming it"
python3 - "$PKI_STATE_DIR" <<'EOF'
import subprocess, sys
d = sys.argv[1]
dump = [l for l in subprocess.run(["mdb_dump", d], capture_output=True, text=True, check=True).stdout.split("\n")
        if not l.startswith("db_pagesize=")]
key = "pki/role/web".encode().hex()
for i, l in enumerate(dump):
    if l.strip() == key:
        v = bytearray.fromhex(dump[i + 1].strip())
        v[len(v) // 2] ^= 0x40
        dump[i + 1] = " " + v.hex()
        break
else:
    sys.exit("role record not found")
subprocess.run(["mdb_load", "-f", "/dev/stdin", d], input="\n".join(dump), text=True, check=True)
EOF
expect_refused 3 "$PKI" role read web
expect_err_contains "record pki/role/web is damaged"
expect_refused 3 "$PKI" issue web --common-name e.example.com
expect_err_contains "pki/role/web"
# The rest of the state is unaffected.
expect_ok "$PKI" read -format=json pki/config/urls

finish
