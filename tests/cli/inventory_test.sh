#!/usr/bin/env bash
# pki cert list: the certificate inventory (serial, common name, SANs, notAfter, issuer, state) as
# a table and as JSON, with --expiring-within, --expired, --revoked, --issuer and --name.
source "$(dirname "$0")/lib.sh"
p() { "$PKI" "$@"; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/../&:/g; s/:$//'; }
iso_end() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ; }
# list_json ARGS...: `pki cert list ARGS -format=json` into $WORK/list.json.
list_json() { if p cert list "$@" -format=json > "$WORK/list.json" 2>"$WORK/err"; then ok; else fail "cert list $* failed: $(cat "$WORK/err")"; fi; }
# cns: the sorted common names of the last list_json.
cns() { jq -r '.data.certificates[].common_name' "$WORK/list.json" | LC_ALL=C sort | paste -sd, -; }
row() { jq -c --arg s "$1" '.data.certificates[] | select(.serial_number == $s)' "$WORK/list.json"; }

p secrets enable pki >/dev/null
p secrets tune -max-lease-ttl=87600h pki >/dev/null
p write pki/root/generate/internal common_name="Root A" issuer_name=root-a ttl=8760h key_type=ec >/dev/null
p write pki/root/generate/internal common_name="Root B" issuer_name=root-b ttl=8760h key_type=ec >/dev/null
A_ID=$(p read pki/issuer/root-a -field=issuer_id); B_ID=$(p read pki/issuer/root-b -field=issuer_id)
p role write web-a --allowed-domains example.com --allow-subdomains --issuer-ref root-a --key-type ec >/dev/null
p role write web-b --allowed-domains example.org --allow-subdomains --issuer-ref root-b --key-type ec >/dev/null
p role write quiet --allowed-domains example.net --allow-subdomains --no-store --key-type ec >/dev/null
issue() { local role=$1 name=$2; shift 2; p issue "$role" --common-name "$name" "$@" --field certificate > "$name.pem"; }

issue web-b three.example.org --ttl 2s; T_EXPIRE=$(date +%s)   # expires in 2 s
issue web-a one.example.com --alt-names api.example.com --ttl 1h
issue web-a two.example.com --ttl 48h
issue web-b four.example.org --ttl 48h
issue web-a gone.example.com --ttl 1h
issue quiet hidden.example.net --ttl 1h
p revoke --serial-number "$(serial_of four.example.org.pem)" >/dev/null
p revoke --serial-number "$(serial_of gone.example.com.pem)" >/dev/null
# A certificate of another mount is not in this mount's inventory.
p secrets enable -path=other pki >/dev/null
p secrets tune -max-lease-ttl=87600h other >/dev/null
p write other/root/generate/internal common_name="Other Root" ttl=8760h >/dev/null
p role write w -m other --allowed-domains example.com --allow-subdomains >/dev/null
p issue w -m other --common-name elsewhere.example.com --ttl 1h --field certificate > elsewhere.pem
while [ $(( $(date +%s) - T_EXPIRE )) -lt 3 ]; do sleep 1; done

S1=$(serial_of one.example.com.pem) S2=$(serial_of two.example.com.pem) S3=$(serial_of three.example.org.pem)
S4=$(serial_of four.example.org.pem) S5=$(serial_of gone.example.com.pem) SH=$(serial_of hidden.example.net.pem)

# --- The whole inventory as JSON: every stored certificate of the mount, with all columns.
list_json
expect_eq "$(cns)" "Root A,Root B,four.example.org,gone.example.com,one.example.com,three.example.org,two.example.com" "all certificates"
expect_eq "$(jq '.data.count' "$WORK/list.json")" "7" "count"
expect_eq "$(jq -c '[.data.certificates[] | keys] | unique' "$WORK/list.json")" \
  '[["common_name","issuer_id","issuer_name","not_after","revocation_time","sans","serial_number","state"]]' "fields of each entry"
expect_eq "$(row "$S1" | jq -c '[.common_name, .sans, .issuer_id, .issuer_name, .state, .revocation_time]')" \
  "[\"one.example.com\",[\"api.example.com\",\"one.example.com\"],\"$A_ID\",\"root-a\",\"valid\",0]" "entry of one.example.com"
expect_eq "$(row "$S1" | jq -r .not_after)" "$(iso_end one.example.com.pem)" "not_after of one.example.com"
expect_eq "$(row "$S4" | jq -c '[.issuer_id, .issuer_name, .state]')" "[\"$B_ID\",\"root-b\",\"revoked\"]" "entry of four.example.org"
rt=$(row "$S4" | jq .revocation_time); now=$(date +%s)
if [ "$rt" -gt $((now - 120)) ] && [ "$rt" -le "$now" ]; then ok; else fail "revocation_time of four.example.org: $rt (now $now)"; fi
expect_eq "$(row "$S3" | jq -r .state)" "expired" "state of three.example.org"
# The same through the generic path and through PKI_FORMAT.
p read pki/certs/inventory -format=json | jq -S .data > "$WORK/generic.json"
jq -S .data "$WORK/list.json" > "$WORK/ergonomic.json"
if cmp -s "$WORK/generic.json" "$WORK/ergonomic.json"; then ok; else fail "pki read pki/certs/inventory differs from pki cert list"; fi
if PKI_FORMAT=json p cert list | jq -e '.data.count == 7' >/dev/null; then ok; else fail "PKI_FORMAT=json not honoured by cert list"; fi

# --- no_store certificates do not appear, and neither do other mounts' certificates.
if grep -q "$SH" "$WORK/list.json" || grep -q hidden "$WORK/list.json"; then fail "a no_store certificate is listed"; else ok; fi
if grep -q elsewhere "$WORK/list.json"; then fail "a certificate of another mount is listed"; else ok; fi
list_json -m other
expect_eq "$(cns)" "Other Root,elsewhere.example.com" "inventory of mount other"

# --- The table: one header, one row per certificate, every column.
expect_ok p cert list
read -r -a header < <(head -1 "$WORK/out" | sed 's/Common name/Common_name/; s/Not after/Not_after/')
expect_eq "${header[*]}" "Serial Common_name SANs Not_after Issuer State" "table header"
expect_eq "$(sed -n 2p "$WORK/out" | tr -d ' -')" "" "header underline"
expect_eq "$(tail -n +3 "$WORK/out" | wc -l)" "7" "table rows"
r1=$(grep "^$S1 " "$WORK/out" | tr -s ' ')
expect_eq "$r1" "$S1 one.example.com api.example.com,one.example.com $(iso_end one.example.com.pem) root-a valid" "table row of one.example.com"
expect_eq "$(grep "^$S4 " "$WORK/out" | tr -s ' ' | cut -d' ' -f2,5,6)" "four.example.org root-b revoked" "table row of four.example.org"
expect_eq "$(grep "^$S3 " "$WORK/out" | tr -s ' ' | cut -d' ' -f2,5,6)" "three.example.org root-b expired" "table row of three.example.org"
# Columns are aligned: every row's State column starts where the header's does.
col=$(head -1 "$WORK/out" | grep -bo 'State' | cut -d: -f1)
bad=$(tail -n +3 "$WORK/out" | awk -v c="$col" '{ s = substr($0, c + 1); if (s !~ /^(valid|expired|revoked)$/) print }')
expect_eq "$bad" "" "rows misaligned with the State column"
if grep -q hidden "$WORK/out"; then fail "a no_store certificate is in the table"; else ok; fi

# --- --expiring-within: valid certificates expiring within the duration only.
list_json --expiring-within 2h
expect_eq "$(cns)" "one.example.com" "--expiring-within 2h (not 48h, not expired, not revoked)"
list_json --expiring-within 72h
expect_eq "$(cns)" "one.example.com,two.example.com" "--expiring-within 72h"
list_json --expiring-within 1s
expect_eq "$(cns)" "" "--expiring-within 1s"
expect_ok p cert list --expiring-within 2h
expect_out_contains "one.example.com"
expect_eq "$(tail -n +3 "$WORK/out" | wc -l)" "1" "table rows for --expiring-within 2h"

# --- --expired.
list_json --expired
expect_eq "$(cns)" "three.example.org" "--expired"
expect_eq "$(jq -r '.data.certificates[].state' "$WORK/list.json")" "expired" "state with --expired"

# --- --revoked.
list_json --revoked
expect_eq "$(cns)" "four.example.org,gone.example.com" "--revoked"
expect_eq "$(jq -r '[.data.certificates[].state] | unique | join(",")' "$WORK/list.json")" "revoked" "states with --revoked"
if jq -e 'all(.data.certificates[]; .revocation_time > 0)' "$WORK/list.json" >/dev/null; then ok; else fail "revocation_time 0 on a revoked certificate"; fi
expect_ok p cert list --revoked
expect_eq "$(tail -n +3 "$WORK/out" | awk '{print $NF}' | sort -u)" "revoked" "table State with --revoked"

# --- --issuer by name, by id, and default.
list_json --issuer root-b
expect_eq "$(cns)" "Root B,four.example.org,three.example.org" "--issuer root-b"
list_json --issuer root-a
expect_eq "$(cns)" "Root A,gone.example.com,one.example.com,two.example.com" "--issuer root-a"
list_json --issuer "$B_ID"
expect_eq "$(cns)" "Root B,four.example.org,three.example.org" "--issuer by id"
DEFAULT=$(p read pki/config/issuers -field=default)
list_json --issuer default
expect_eq "$(jq -r '[.data.certificates[].issuer_id] | unique | join(",")' "$WORK/list.json")" "$DEFAULT" "--issuer default"
expect_exit 1 p cert list --issuer no-such-issuer
expect_err_contains "no-such-issuer"

# --- --name: a glob over the common name and the SANs, any case.
list_json --name 'api.*'
expect_eq "$(cns)" "one.example.com" "--name matching a SAN"
list_json --name '*.example.org'
expect_eq "$(cns)" "four.example.org,three.example.org" "--name *.example.org"
list_json --name 'ONE.Example.COM'
expect_eq "$(cns)" "one.example.com" "--name is case-insensitive"
list_json --name 'root *'
expect_eq "$(cns)" "Root A,Root B" "--name on a CN with a space"
list_json --name 'nothing.*'
expect_eq "$(jq -c '[.data.count, .data.certificates]' "$WORK/list.json")" "[0,[]]" "no match in JSON"
expect_ok p cert list --name 'nothing.*'
expect_err_contains "No certificates match."
expect_eq "$(wc -c < "$WORK/out" | tr -d ' ')" "0" "no match prints nothing on stdout"

# --- Filters combine.
list_json --issuer root-a --name 'two.*'
expect_eq "$(cns)" "two.example.com" "--issuer and --name"
list_json --issuer root-b --revoked
expect_eq "$(cns)" "four.example.org" "--issuer and --revoked"
list_json --issuer root-a --expiring-within 2h
expect_eq "$(cns)" "one.example.com" "--issuer and --expiring-within"
list_json --expired --revoked
expect_eq "$(cns)" "" "--expired and --revoked"

# --- Bad input is refused.
expect_exit 1 p cert list --expiring-within soon
expect_err_contains "expiring_within"
expect_exit 1 p cert list -m no-such-mount
expect_err_contains "no-such-mount"
finish
