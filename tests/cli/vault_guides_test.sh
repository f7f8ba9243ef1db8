#!/usr/bin/env bash
# The reference usage guide, replayed command for command with `vault` replaced by `pki`:
# the Quick Start (a root in pki/, a role, a certificate) and "Setting Up Intermediate CA"
# (pki_int/ signed by the root). What the guide has the reader copy from the screen (the CSR, the
# signed certificate) is taken from the default table output, as a reader would. Every issued
# certificate is verified with OpenSSL, GnuTLS and NSS.
source "$(dirname "$0")/lib.sh"

# table_field FILE KEY: one value of a `Key  Value` table (multi-line values included; a list
# value "[a b]" loses its brackets, one PEM block a line).
table_field() {
  python3 - "$1" "$2" <<'PY'
import re, sys
rows, key = {}, None
for line in open(sys.argv[1]).read().splitlines():
    m = re.match(r"^([a-z_]+) {2,}(.*)$", line)
    if m and m.group(1) not in ("Key",):
        key = m.group(1); rows[key] = [m.group(2)]
    elif key is not None and line and not re.match(r"^-+ +-+$", line):
        rows[key].append(line)
v = "\n".join(rows.get(sys.argv[2], []))
if v.startswith("[") and v.endswith("]"):
    v = v[1:-1].replace("----- -----BEGIN", "-----\n-----BEGIN")
print(v)
PY
}
keys_of_table() { awk 'NR > 2 && /^[a-z_]+  / {print $1}' "$1" | sort | tr '\n' ' '; }

# ---- Quick Start ----------------------------------------------------------------------------
# $ vault secrets enable pki
expect_ok "$PKI" secrets enable pki
expect_out_contains "Success! Enabled the pki secrets engine at: pki/"
# $ vault secrets tune -max-lease-ttl=87600h pki
expect_ok "$PKI" secrets tune -max-lease-ttl=87600h pki
expect_out_contains "Success! Tuned the secrets engine at: pki/"
# $ vault write pki/root/generate/internal common_name=myvault.com ttl=87600h
expect_ok "$PKI" write pki/root/generate/internal common_name=myvault.com ttl=87600h
cp "$WORK/out" root.txt
for k in certificate expiration issuing_ca serial_number; do
  if grep -q "^$k " root.txt; then ok; else fail "root/generate output lacks $k: $(head -c 300 root.txt)"; fi
done
if grep -q "^private_key " root.txt; then fail "an internal root must not print its key"; else ok; fi
table_field root.txt certificate > root.pem
if grep -q '^Warning' "$WORK/err"; then fail "ttl=87600h within the tuned maximum warned: $(cat "$WORK/err")"; else ok; fi
expect_eq "$(openssl x509 -in root.pem -noout -subject)" "subject=CN = myvault.com" "root subject"
now=$(date +%s)
near "$(not_after_of root.pem)" $((now + 87600 * 3600)) 30 "root lifetime 87600h"
expect_eq "$(table_field root.txt expiration)" "$(not_after_of root.pem)" "expiration"
serial=$(table_field root.txt serial_number)
if [[ $serial =~ ^[0-9a-f]{2}(:[0-9a-f]{2})+$ ]]; then ok; else fail "serial_number format: $serial"; fi
USAGE=3 verify_all root.pem root.pem
# $ vault write pki/config/urls issuing_certificates=... crl_distribution_points=...
expect_ok "$PKI" write pki/config/urls issuing_certificates="http://vault.example.com:8200/v1/pki/ca" \
  crl_distribution_points="http://vault.example.com:8200/v1/pki/crl"
expect_ok "$PKI" read -format=json pki/config/urls
expect_eq "$(field_of "$WORK/out" issuing_certificates)" "http://vault.example.com:8200/v1/pki/ca" "urls"
expect_eq "$(field_of "$WORK/out" crl_distribution_points)" "http://vault.example.com:8200/v1/pki/crl" "urls"
# $ vault write pki/roles/example-dot-com allowed_domains=example.com allow_subdomains=true max_ttl=72h
expect_ok "$PKI" write pki/roles/example-dot-com \
  allowed_domains=example.com \
  allow_subdomains=true max_ttl=72h
# $ vault write pki/issue/example-dot-com common_name=blah.example.com
expect_ok "$PKI" write pki/issue/example-dot-com \
  common_name=blah.example.com
cp "$WORK/out" issue1.txt
for k in certificate issuing_ca private_key private_key_type serial_number; do
  if grep -q "^$k " issue1.txt; then ok; else fail "issue output lacks $k: $(head -c 300 issue1.txt)"; fi
done
expect_eq "$(table_field issue1.txt private_key_type)" "rsa" "private_key_type"
table_field issue1.txt certificate > blah.pem
table_field issue1.txt private_key > blah.key
table_field issue1.txt issuing_ca > blah_ca.pem
if cmp -s <(openssl x509 -in blah_ca.pem) <(openssl x509 -in root.pem); then ok; else fail "issuing_ca is not the root"; fi
expect_eq "$(openssl pkey -in blah.key -pubout 2>/dev/null | md5sum)" "$(openssl x509 -in blah.pem -noout -pubkey | md5sum)" "private key matches"
expect_eq "$(openssl x509 -in blah.pem -noout -subject)" "subject=CN = blah.example.com" "leaf subject"
if openssl x509 -in blah.pem -noout -ext subjectAltName | grep -q "DNS:blah.example.com"; then ok; else fail "leaf SAN"; fi
aia=$(openssl x509 -in blah.pem -noout -ext authorityInfoAccess,crlDistributionPoints)
if grep -q "CA Issuers - URI:http://vault.example.com:8200/v1/pki/ca" <<<"$aia"; then ok; else fail "leaf AIA: $aia"; fi
if grep -q "URI:http://vault.example.com:8200/v1/pki/crl" <<<"$aia"; then ok; else fail "leaf CRL DP: $aia"; fi
now=$(date +%s)
near "$(not_after_of blah.pem)" $((now + 72 * 3600)) 30 "leaf lifetime capped by the role's max_ttl (72h)"
verify_all root.pem blah.pem

# ---- Setting Up Intermediate CA --------------------------------------------------------------
# $ vault secrets enable -path=pki_int pki
expect_ok "$PKI" secrets enable -path=pki_int pki
expect_out_contains "Success! Enabled the pki secrets engine at: pki_int/"
# $ vault secrets tune -max-lease-ttl=43800h pki_int
expect_ok "$PKI" secrets tune -max-lease-ttl=43800h pki_int
# $ vault write pki_int/intermediate/generate/internal common_name="myvault.com Intermediate Authority" ttl=43800h
expect_ok "$PKI" write pki_int/intermediate/generate/internal common_name="myvault.com Intermediate Authority" ttl=43800h
cp "$WORK/out" csr.txt
if grep -q "^csr " csr.txt; then ok; else fail "intermediate/generate output lacks csr: $(head -c 300 csr.txt)"; fi
# "Take the signing request from the intermediate authority": saved as pki_int.csr.
table_field csr.txt csr > pki_int.csr
if openssl req -in pki_int.csr -noout -verify >/dev/null 2>&1; then ok; else fail "pki_int.csr is not a valid CSR: $(head -3 pki_int.csr)"; fi
expect_eq "$(openssl req -in pki_int.csr -noout -subject)" "subject=CN = myvault.com Intermediate Authority" "CSR subject"
# $ vault write pki/root/sign-intermediate csr=@pki_int.csr format=pem_bundle ttl=43800h
expect_ok "$PKI" write pki/root/sign-intermediate csr=@pki_int.csr format=pem_bundle ttl=43800h
cp "$WORK/out" signed.txt
for k in certificate expiration issuing_ca serial_number; do
  if grep -q "^$k " signed.txt; then ok; else fail "sign-intermediate output lacks $k: $(head -c 300 signed.txt)"; fi
done
# "Now set the intermediate certificate authorities signing certificate": signed_certificate.pem.
table_field signed.txt certificate > signed_certificate.pem
openssl x509 -in signed_certificate.pem -out intermediate.pem 2>/dev/null || fail "signed_certificate.pem holds no certificate: $(head -c 300 signed.txt)"
expect_eq "$(openssl x509 -in intermediate.pem -noout -subject)" "subject=CN = myvault.com Intermediate Authority" "intermediate subject"
expect_eq "$(openssl x509 -in intermediate.pem -noout -issuer)" "issuer=CN = myvault.com" "intermediate issuer"
if openssl x509 -in intermediate.pem -noout -ext basicConstraints | grep -q "CA:TRUE"; then ok; else fail "intermediate is not a CA"; fi
now=$(date +%s)
near "$(not_after_of intermediate.pem)" $((now + 43800 * 3600)) 30 "intermediate lifetime 43800h"
if openssl x509 -in intermediate.pem -noout -ext authorityInfoAccess | grep -q "http://vault.example.com:8200/v1/pki/ca"; then ok; else fail "intermediate AIA from pki/config/urls"; fi
USAGE=3 verify_all root.pem intermediate.pem
# $ vault write pki_int/intermediate/set-signed certificate=@signed_certificate.pem
expect_ok "$PKI" write pki_int/intermediate/set-signed certificate=@signed_certificate.pem
# $ vault write pki_int/config/urls issuing_certificates=... crl_distribution_points=...
expect_ok "$PKI" write pki_int/config/urls issuing_certificates="http://127.0.0.1:8200/v1/pki_int/ca" \
  crl_distribution_points="http://127.0.0.1:8200/v1/pki_int/crl"
# $ vault write pki_int/roles/example-dot-com allowed_domains=example.com allow_subdomains=true max_ttl=72h
expect_ok "$PKI" write pki_int/roles/example-dot-com \
  allowed_domains=example.com \
  allow_subdomains=true max_ttl=72h
# $ vault write pki_int/issue/example-dot-com common_name=blah.example.com
expect_ok "$PKI" write pki_int/issue/example-dot-com \
  common_name=blah.example.com
cp "$WORK/out" issue2.txt
for k in ca_chain certificate issuing_ca private_key private_key_type serial_number; do
  if grep -q "^$k " issue2.txt; then ok; else fail "issue output lacks $k: $(head -c 300 issue2.txt)"; fi
done
table_field issue2.txt certificate > blah2.pem
table_field issue2.txt issuing_ca > blah2_ca.pem
table_field issue2.txt ca_chain > blah2_chain.pem
if cmp -s <(openssl x509 -in blah2_ca.pem) intermediate.pem; then ok; else fail "issuing_ca is not the intermediate"; fi
if grep -q -- "-----BEGIN CERTIFICATE-----" blah2_chain.pem; then ok; else fail "ca_chain is empty: $(head -c 300 issue2.txt)"; fi
if cmp -s <(openssl x509 -in blah2_chain.pem) intermediate.pem; then ok; else fail "ca_chain does not start with the intermediate"; fi
expect_eq "$(openssl x509 -in blah2.pem -noout -issuer)" "issuer=CN = myvault.com Intermediate Authority" "leaf issuer"
aia=$(openssl x509 -in blah2.pem -noout -ext authorityInfoAccess,crlDistributionPoints)
if grep -q "CA Issuers - URI:http://127.0.0.1:8200/v1/pki_int/ca" <<<"$aia"; then ok; else fail "leaf AIA: $aia"; fi
if grep -q "URI:http://127.0.0.1:8200/v1/pki_int/crl" <<<"$aia"; then ok; else fail "leaf CRL DP: $aia"; fi
verify_all root.pem blah2.pem intermediate.pem
# The chain the mount serves: pki_int/ca_chain is the intermediate, then the root.
"$PKI" read pki_int/ca_chain > served_chain.pem 2>"$WORK/err" || fail "read pki_int/ca_chain: $(cat "$WORK/err")"
expect_eq "$(grep -c 'BEGIN CERTIFICATE' served_chain.pem)" "2" "pki_int/ca_chain"
verify_all root.pem blah2.pem served_chain.pem

# The same guide with -format=json and -field, as scripts would run it.
expect_ok "$PKI" secrets enable -path=pki_int2 pki
expect_ok "$PKI" secrets tune -max-lease-ttl=43800h pki_int2
expect_ok "$PKI" write -format=json pki_int2/intermediate/generate/internal common_name="myvault.com Intermediate Authority 2" ttl=43800h
field_of "$WORK/out" csr > pki_int2.csr
expect_ok "$PKI" write -field=certificate pki/root/sign-intermediate csr=@pki_int2.csr format=pem_bundle ttl=43800h
cp "$WORK/out" signed2.pem
expect_ok "$PKI" write pki_int2/intermediate/set-signed certificate=@signed2.pem
expect_ok "$PKI" write pki_int2/roles/example-dot-com allowed_domains=example.com allow_subdomains=true max_ttl=72h
expect_ok "$PKI" write -format=json pki_int2/issue/example-dot-com common_name=blah.example.com
field_of "$WORK/out" certificate > blah3.pem
field_of "$WORK/out" ca_chain > blah3_chain.pem
verify_all root.pem blah3.pem blah3_chain.pem

finish
