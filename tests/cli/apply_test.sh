#!/usr/bin/env bash
# pki apply -f FILE [--dry-run]: brings the state to what a YAML file describes, idempotently;
# --dry-run changes nothing; an invalid file is refused before anything is written, naming
# file:line and the field.
source "$(dirname "$0")/lib.sh"
field() { "$PKI" read "$1" -field="$2"; }
# norm: a list field as one comma-joined line, whatever way the table prints it.
jfield() { "$PKI" read "$1" -format=json | jq -c ".data.$2"; }

cat > pki.yaml <<'YAML'
mounts:
  pki:
    description: Example root
    max_lease_ttl: 87600h
    default_lease_ttl: 720h
    root:
      common_name: Example Root
      issuer_name: root-1
      key_type: ec
      key_bits: 384
      ttl: 87600h
    urls:
      issuing_certificates: [http://ca.example.com/v1/pki/ca]
      crl_distribution_points: http://ca.example.com/v1/pki/crl
    crl:
      expiry: 48h
  pki_int:
    max_lease_ttl: 43800h
    urls:
      issuing_certificates: [http://ca.example.com/v1/pki_int/ca]
      ocsp_servers: [http://ocsp.example.com]
    crl:
      expiry: 12h
      disable: false
    intermediate:
      common_name: Example Intermediate
      organization: Example Inc.
      signed_by: pki
      key_type: ec
      ttl: 43800h
      max_path_length: 0
    roles:
      web:
        allowed_domains: [example.com, example.org]
        allow_subdomains: true
        allow_bare_domains: false
        allow_ip_sans: false
        max_ttl: 72h
        ttl: 24h
        key_type: ec
        key_bits: 256
        server_flag: true
        client_flag: false
        ext_key_usage: [ServerAuth]
        organization: [Example Inc.]
        ou: Web
        country: [DE]
        allowed_uri_sans: ["spiffe://example.com/*"]
        not_before_duration: 45s
        no_store: false
      clients:
        allow_any_name: true
        enforce_hostnames: false
        server_flag: false
        client_flag: true
        max_ttl: 8h
YAML

# --- A dry run on a fresh directory lists everything and writes nothing.
expect_ok "$PKI" apply -f pki.yaml --dry-run
for line in "would create mount pki" "would set URLs of pki" "would set CRL settings of pki" "would generate root CA in pki" \
            "would create mount pki_int" "would create intermediate CA in pki_int, signed by pki" \
            "would create role web in pki_int" "would create role clients in pki_int" "nothing was changed (--dry-run)"; do
  expect_out_contains "$line"
done
expect_eq "$(state_dump)" "none" "state after a dry run on a fresh directory"

# --- The first run creates what the file describes.
expect_ok "$PKI" apply -f pki.yaml
expect_out_contains "create intermediate CA in pki_int, signed by pki"
expect_out_contains "create role web in pki_int"
expect_eq "$(grep -c . "$WORK/out")" "11" "lines of the first run (10 changes + summary)"
expect_out_contains "10 change(s) applied."
# Mounts and their TTLs.
expect_eq "$(field sys/mounts/pki/tune max_lease_ttl)" "315360000" "pki max_lease_ttl"
expect_eq "$(field sys/mounts/pki/tune default_lease_ttl)" "2592000" "pki default_lease_ttl"
expect_eq "$(field sys/mounts/pki/tune description)" "Example root" "pki description"
expect_eq "$(field sys/mounts/pki_int/tune max_lease_ttl)" "157680000" "pki_int max_lease_ttl"
# URLs and CRL settings.
expect_eq "$(jfield pki/config/urls issuing_certificates)" '["http://ca.example.com/v1/pki/ca"]' "pki issuing_certificates"
expect_eq "$(jfield pki/config/urls crl_distribution_points)" '["http://ca.example.com/v1/pki/crl"]' "pki crl_distribution_points (a string becomes a list)"
expect_eq "$(jfield pki_int/config/urls ocsp_servers)" '["http://ocsp.example.com"]' "pki_int ocsp_servers"
expect_eq "$(field pki/config/crl expiry)" "48h" "pki crl expiry"
expect_eq "$(field pki_int/config/crl expiry)" "12h" "pki_int crl expiry"
# The root and the intermediate it signed (with the subject the file gives it).
expect_eq "$(field pki/issuer/root-1 issuer_name)" "root-1" "root issuer name"
"$PKI" read pki/cert/ca -field=certificate > root.pem
"$PKI" read pki_int/cert/ca -field=certificate > int.pem
expect_eq "$(openssl x509 -in root.pem -noout -subject -nameopt RFC2253)" "subject=CN=Example Root" "root subject"
if openssl x509 -in root.pem -noout -text | grep -q 'ASN1 OID: secp384r1'; then ok; else fail "root is not EC P-384"; fi
expect_eq "$(openssl x509 -in int.pem -noout -subject -nameopt RFC2253)" "subject=CN=Example Intermediate,O=Example Inc." "intermediate subject"
expect_ok openssl verify -CAfile root.pem int.pem
if openssl x509 -in int.pem -noout -ext basicConstraints | grep -q 'pathlen:0'; then ok; else fail "max_path_length 0 not in the intermediate"; fi
expect_eq "$("$PKI" list pki/issuers -format=json | jq '.data.keys | length')" "1" "issuers in pki"
# Roles with their fields.
expect_eq "$(jfield pki_int/roles/web allowed_domains)" '["example.com","example.org"]' "web allowed_domains"
expect_eq "$(field pki_int/roles/web max_ttl)" "259200" "web max_ttl"
expect_eq "$(field pki_int/roles/web ttl)" "86400" "web ttl"
expect_eq "$(field pki_int/roles/web key_type)" "ec" "web key_type"
expect_eq "$(field pki_int/roles/web key_bits)" "256" "web key_bits"
expect_eq "$(field pki_int/roles/web client_flag)" "false" "web client_flag"
expect_eq "$(field pki_int/roles/web allow_ip_sans)" "false" "web allow_ip_sans"
expect_eq "$(field pki_int/roles/web not_before_duration)" "45" "web not_before_duration"
expect_eq "$(jfield pki_int/roles/web ou)" '["Web"]' "web ou"
expect_eq "$(jfield pki_int/roles/web country)" '["DE"]' "web country"
expect_eq "$(jfield pki_int/roles/web ext_key_usage)" '["ServerAuth"]' "web ext_key_usage"
expect_eq "$(jfield pki_int/roles/web allowed_uri_sans)" '["spiffe://example.com/*"]' "web allowed_uri_sans"
expect_eq "$(field pki_int/roles/clients allow_any_name)" "true" "clients allow_any_name"
# ... and they work: the role issues from the intermediate, and its policy holds.
expect_ok "$PKI" issue web -m pki_int --common-name www.example.com --field certificate
cp "$WORK/out" leaf.pem
expect_ok openssl verify -CAfile root.pem -untrusted int.pem leaf.pem
expect_eq "$(openssl x509 -in leaf.pem -noout -subject -nameopt RFC2253)" "subject=CN=www.example.com,OU=Web,O=Example Inc.,C=DE" "leaf subject"
expect_exit 1 "$PKI" issue web -m pki_int --common-name www.evil.com

# --- A second run changes nothing and says so.
before=$(state_dump)
expect_ok "$PKI" apply -f pki.yaml
expect_out_contains "No changes"
expect_eq "$(grep -c . "$WORK/out")" "1" "lines of an unchanged run"
expect_eq "$(state_dump)" "$before" "state after the second run"
# The same values written differently are still no change.
sed -e 's/max_ttl: 72h/max_ttl: 3d/' -e 's/ttl: 24h/ttl: 86400/' -e 's/expiry: 48h/expiry: 2880m/' \
    -e 's/max_lease_ttl: 87600h/max_lease_ttl: 3650d/' -e 's/ou: Web/ou: [Web]/' pki.yaml > same.yaml
expect_ok "$PKI" apply -f same.yaml
expect_out_contains "No changes"
expect_eq "$(state_dump)" "$before" "state after an equivalent file"
# Standard input works too.
if "$PKI" apply -f - < pki.yaml > "$WORK/out" 2>"$WORK/err"; then ok; else fail "apply -f - failed: $(cat "$WORK/err")"; fi
expect_out_contains "No changes"

# --- --dry-run on a changed file prints what would change and changes nothing.
sed 's/max_ttl: 72h/max_ttl: 48h/' pki.yaml > changed.yaml
expect_ok "$PKI" apply -f changed.yaml --dry-run
expect_out_contains "would update role web in pki_int (max_ttl)"
expect_out_contains "1 change(s) planned; nothing was changed (--dry-run)."
expect_eq "$(state_dump)" "$before" "state after --dry-run"
expect_eq "$(field pki_int/roles/web max_ttl)" "259200" "web max_ttl after --dry-run"

# --- One changed field gives exactly one update, naming the field.
expect_ok "$PKI" apply -f changed.yaml
expect_eq "$(cat "$WORK/out")" $'update role web in pki_int (max_ttl)\n1 change(s) applied.' "output of a one-field change"
expect_eq "$(field pki_int/roles/web max_ttl)" "172800" "web max_ttl after the change"
expect_eq "$(jfield pki_int/roles/web allowed_domains)" '["example.com","example.org"]' "other web fields kept"
expect_ok "$PKI" apply -f changed.yaml
expect_out_contains "No changes"
# A mount TTL, a URL list and a CRL setting: one step each.
sed -e 's/default_lease_ttl: 720h/default_lease_ttl: 360h/' -e 's/expiry: 12h/expiry: 6h/' \
    -e 's|ocsp_servers: \[http://ocsp.example.com\]|ocsp_servers: [http://ocsp.example.com, http://ocsp2.example.com]|' changed.yaml > changed2.yaml
expect_ok "$PKI" apply -f changed2.yaml
expect_out_contains "tune mount pki (default_lease_ttl)"
expect_out_contains "set URLs of pki_int (ocsp_servers)"
expect_out_contains "set CRL settings of pki_int (expiry)"
expect_out_contains "3 change(s) applied."
expect_eq "$(field sys/mounts/pki/tune default_lease_ttl)" "1296000" "pki default_lease_ttl after the change"
expect_eq "$(field pki_int/config/crl expiry)" "6h" "pki_int crl expiry after the change"
expect_eq "$(jfield pki_int/config/urls ocsp_servers)" '["http://ocsp.example.com","http://ocsp2.example.com"]' "ocsp_servers after the change"
# A field removed from a role returns to its default (a role write replaces the role).
grep -v 'country: \[DE\]' changed2.yaml > changed3.yaml
expect_ok "$PKI" apply -f changed3.yaml
expect_eq "$(cat "$WORK/out")" $'update role web in pki_int (country)\n1 change(s) applied.' "output after removing a role field"
expect_eq "$(jfield pki_int/roles/web country)" '[]' "web country after removing it"
# Existing roots and intermediates are kept: no second issuer.
expect_eq "$("$PKI" list pki/issuers -format=json | jq '.data.keys | length')" "1" "issuers in pki after changes"
expect_eq "$("$PKI" read pki_int/cert/ca -field=certificate)" "$(cat int.pem)" "intermediate kept"

# --- Invalid files are refused before anything is written: exit 1, one line naming file:line
# and the field, state unchanged.
# refuse NAME LINE TEXT... YAML: NAME.yaml holds YAML; the error names NAME.yaml:LINE and each TEXT.
refuse() {
  local name=$1 line=$2; shift 2
  local yaml=${*: -1}; local texts=("${@:1:$#-1}")
  printf '%s\n' "$yaml" > "$name.yaml"
  expect_refused 1 "$PKI" apply -f "$name.yaml"
  expect_err_contains "Error: $name.yaml:$line: "
  for t in "${texts[@]}"; do expect_err_contains "$t"; done
}
refuse unknown-field 6 '"allowed_domain"' 'mounts.pki_int.roles.web' $'mounts:\n  pki_int:\n    roles:\n      web:\n        max_ttl: 1h\n        allowed_domain: [example.com]'
refuse unknown-mount-field 3 '"max_leases"' $'mounts:\n  pki:\n    max_leases: 2'
refuse unknown-root-field 5 '"comon_name"' $'mounts:\n  pki_new:\n    root:\n      key_type: ec\n      comon_name: X'
refuse unknown-url-field 4 '"issuing_certificate"' $'mounts:\n  pki:\n    urls:\n      issuing_certificate: [http://x]'
refuse bad-bool 5 '"allow_subdomains"' 'not a boolean' $'mounts:\n  pki_int:\n    roles:\n      web:\n        allow_subdomains: maybe'
refuse bad-int 5 '"key_bits"' 'not an integer' $'mounts:\n  pki_int:\n    roles:\n      web:\n        key_bits: lots'
refuse bad-list 5 '"allowed_domains"' 'not a list' $'mounts:\n  pki_int:\n    roles:\n      web:\n        allowed_domains: {a: b}'
refuse bad-enum 5 '"key_type"' $'mounts:\n  pki_int:\n    roles:\n      web:\n        key_type: dsa'
refuse bad-duration 5 '"max_ttl"' 'not a duration' $'mounts:\n  pki_int:\n    roles:\n      web:\n        max_ttl: 72 hours'
refuse bad-mount-duration 3 '"max_lease_ttl"' 'not a duration' $'mounts:\n  pki:\n    max_lease_ttl: forever'
refuse bad-crl-duration 4 '"expiry"' 'not a duration' $'mounts:\n  pki:\n    crl:\n      expiry: 2x'
refuse unknown-top-level 3 '"extra"' $'mounts:\n  pki: {}\nextra: 1'
refuse misspelt-top-level 1 '"mount"' $'mount:\n  pki: {}'
refuse yaml-syntax 5 'not valid YAML' $'mounts:\n  pki:\n    roles: [\n      web'
refuse yaml-tab 3 'not valid YAML' $'mounts:\n  pki:\n\troles: {}'
refuse no-signed-by 2 'signed_by' 'mounts.pki_x.intermediate' $'mounts:\n  pki_x:\n    intermediate:\n      common_name: X'
refuse unknown-signed-by 5 'signed_by' '"nowhere"' $'mounts:\n  pki_x:\n    intermediate:\n      common_name: X\n      signed_by: nowhere'
refuse root-and-intermediate 2 'root and intermediate' 'pki_x' $'mounts:\n  pki_x:\n    root:\n      common_name: R\n    intermediate:\n      common_name: X\n      signed_by: pki'
refuse type-in-mount 3 'type' $'mounts:\n  pki_x:\n    type: kv'
# An error late in the file still stops the valid parts before it from being written.
refuse late-error 9 '"max_ttl"' $'mounts:\n  pki_new1:\n    max_lease_ttl: 1000h\n  pki_new2:\n    root:\n      common_name: R2\n    roles:\n      web:\n        max_ttl: soon'
refuse not-a-mapping 1 'mapping' 'just a string'
expect_refused 1 "$PKI" apply -f does-not-exist.yaml
expect_err_contains "does-not-exist.yaml"

# Errors only the operation itself would find must also be found before anything is written.
refuse bad-root-type 5 '"type"' 'bogus' $'mounts:\n  pki_t:\n    root:\n      common_name: R\n      type: bogus'
refuse bad-intermediate-type 6 '"type"' 'bogus' $'mounts:\n  pki_t2:\n    intermediate:\n      common_name: I\n      signed_by: pki\n      type: bogus'
refuse signer-without-ca 7 'signed_by' '"pki_noca"' $'mounts:\n  pki_noca:\n    max_lease_ttl: 8760h\n  pki_t3:\n    intermediate:\n      common_name: I\n      signed_by: pki_noca'
refuse bad-role-name 5 'bad/role' $'mounts:\n  pki_t4:\n    max_lease_ttl: 8760h\n    roles:\n      bad/role:\n        max_ttl: 1h'
refuse ttl-over-max 6 'default_lease_ttl' $'mounts:\n  pki_t5:\n    max_lease_ttl: 8760h\n  pki_t6:\n    max_lease_ttl: 1h\n    default_lease_ttl: 10h'
refuse role-key-bits 6 'key_bits' $'mounts:\n  pki_int:\n    roles:\n      web:\n        key_type: ec\n        key_bits: 1234'

# Errors only a step's handler can find (values judged together, key sizes, CRL expiry) are found
# when the steps run: all steps run in one transaction, so the mounts and roots created before the
# failing step are not written either, and the error still names file, line and section.
refuse crl-expiry-zero 6 'mounts.pki_t7.crl' 'expiry' $'mounts:\n  pki_t7:\n    max_lease_ttl: 8760h\n    crl:\n      disable: false\n      expiry: 0'
refuse root-key-bits 7 'mounts.pki_t8.root' 'key_bits 1000' $'mounts:\n  pki_t8:\n    max_lease_ttl: 8760h\n    root:\n      common_name: R\n      key_type: rsa\n      key_bits: 1000\n    roles:\n      web:\n        max_ttl: 1h'
refuse bad-mount-name 2 'not path-safe' $'mounts:\n  "bad name/x":\n    max_lease_ttl: 1h'
# The same on a state directory that does not exist yet: none is left behind.
expect_refused 1 env PKI_STATE_DIR="$WORK/never" "$PKI" apply -f root-key-bits.yaml
if [ -e "$WORK/never" ]; then fail "a refused apply left $WORK/never behind"; else ok; fi
mkdir -m 700 "$WORK/empty-dir"
expect_refused 1 env PKI_STATE_DIR="$WORK/empty-dir" "$PKI" apply -f crl-expiry-zero.yaml
expect_eq "$(ls -A "$WORK/empty-dir")" "" "an empty state directory after a refused apply"

# A YAML mapping has no order: an intermediate may be listed before the mount that signs it.
cat > order.yaml <<'YAML'
mounts:
  late_int:
    intermediate:
      common_name: Late Intermediate
      signed_by: late_root
      ttl: 8760h
  late_root:
    max_lease_ttl: 87600h
    root:
      common_name: Late Root
      ttl: 87600h
YAML
expect_ok "$PKI" apply -f order.yaml
if "$PKI" read late_int/cert/ca -field=certificate > late-int.pem 2>/dev/null &&
   "$PKI" read late_root/cert/ca -field=certificate > late-root.pem 2>/dev/null &&
   openssl verify -CAfile late-root.pem late-int.pem >/dev/null 2>&1; then ok; else fail "intermediate listed before its signer was not created"; fi

finish
