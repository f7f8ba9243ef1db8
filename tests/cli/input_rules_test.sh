#!/usr/bin/env bash
# Input rules found by review: repeated and conflicting fields, Go-style fractional durations, a
# role's not_after, allowed_other_sans types and subject lengths checked when the role is written,
# TTL capping warnings whatever the TTL's source, keys/import of one key only, manual_chain without
# duplicates, and refusal messages that say what is wrong once. Each refusal: one line, the exit
# code of DESIGN.md, state unchanged.
source "$(dirname "$0")/lib.sh"

expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write pki/root/generate/internal common_name="Rules Root" key_type=ec ttl=8760h issuer_name=root
expect_ok "$PKI" role write web --allowed-domains example.com --allow-subdomains --max-ttl 72h

# ---- repeated and conflicting fields ------------------------------------------------------------
# A key given twice makes a list (as Vault's CLI does): fine for list fields ...
expect_ok "$PKI" write pki/roles/two allowed_domains=example.com allowed_domains=example.org allow_bare_domains=true
expect_eq "$("$PKI" read -format=json pki/roles/two | jq -c .data.allowed_domains)" '["example.com","example.org"]' "repeated list field"
# ... refused for fields that take one value.
expect_refused 1 "$PKI" write pki/issue/web common_name=a.example.com common_name=b.example.com
expect_err_contains '"common_name"'
# The same field as a flag and as key=value: refused as a usage error.
expect_refused 2 "$PKI" issue web --common-name a.example.com common_name=b.example.com
expect_err_contains 'given both as --common-name and as common_name='

# A lone @file is a JSON object of fields (Vault's CLI takes a request body that way).
printf '{"allowed_domains": ["example.net"], "allow_subdomains": true, "max_ttl": "2h"}' > role.json
expect_ok "$PKI" write pki/roles/fromjson @role.json
expect_eq "$("$PKI" read -format=json pki/roles/fromjson | jq -c '[.data.allowed_domains, .data.max_ttl]')" '[["example.net"],7200]' "role from @role.json"
printf '[1, 2]' > notobject.json
expect_refused 1 "$PKI" write pki/roles/fromjson2 @notobject.json
expect_err_contains 'notobject.json is not a JSON object of fields'
expect_refused 1 "$PKI" write pki/roles/fromjson2 @missing.json
expect_err_contains 'missing.json'

# ---- durations --------------------------------------------------------------------------------
expect_ok "$PKI" write -format=json pki/issue/web common_name=d.example.com ttl=1.5h
save d.json
jf d.json certificate > d.pem
expect_eq "$(lifetime d.pem)" "$((5400 + 30))" "ttl=1.5h is 90 minutes (plus 30 s backdating)"
expect_refused 1 "$PKI" write pki/issue/web common_name=d.example.com ttl=1.5s
expect_err_contains 'not a duration'

# ---- a role's not_after ---------------------------------------------------------------------------
expect_refused 1 "$PKI" write pki/roles/past allowed_domains=example.com allow_subdomains=true not_after=2020-01-01T00:00:00Z
expect_err_contains 'not_after 2020-01-01T00:00:00Z has already passed'
# (The same rule runs on the service's injected clock, without waiting, in tests/core/engine/expiry_test.cpp;
# here the real clock: 5 s leaves room for a loaded machine to write the role before it passes.)
soon_epoch=$(($(date +%s) + 5))
soon=$(date -u -d "@$soon_epoch" +%Y-%m-%dT%H:%M:%SZ)
expect_ok "$PKI" write pki/roles/soon allowed_domains=example.com allow_subdomains=true "not_after=$soon"
while [ "$(date +%s)" -le "$soon_epoch" ]; do sleep 0.5; done
expect_refused 1 "$PKI" write pki/issue/soon common_name=a.example.com
expect_err_contains "role \"soon\" fixes not_after at $soon, which has passed"
expect_ok "$PKI" write pki/issue/soon common_name=a.example.com ttl=1h   # a ttl replaces the role's not_after

# ---- what a role write checks -------------------------------------------------------------------
expect_refused 1 "$PKI" write pki/roles/other allowed_other_sans='1.2.3.4;INT:5'
expect_err_contains 'UTF8 is the only type'
expect_ok "$PKI" write pki/roles/other allowed_domains=example.com allow_subdomains=true 'allowed_other_sans=1.2.3.4;UTF8:*'
long_o=$(printf 'o%.0s' $(seq 1 65))
expect_refused 1 "$PKI" write pki/roles/longo allowed_domains=example.com "organization=$long_o"
expect_err_contains 'organization'
expect_err_contains 'is 65 characters long; X.509 names allow at most 64'
expect_refused 1 "$PKI" write pki/root/generate/internal common_name=X "ou=$long_o"
expect_err_contains 'ou "'

# type existing takes its key as it is: key_type and key_bits are refused (as Vault 1.11 does).
expect_refused 1 "$PKI" write pki/root/generate/existing common_name=R2 key_type=rsa issuer_name=r2
expect_err_contains 'key_type cannot be given with type existing: the key default is used as it is; drop it'
expect_refused 1 "$PKI" write pki/intermediate/generate/existing common_name=I2 key_bits=384
expect_err_contains 'key_bits cannot be given with type existing'
expect_refused 1 "$PKI" root generate existing --common-name R2 --key-type ec --key-bits 256
expect_err_contains 'drop both'
expect_ok "$PKI" write pki/root/generate/existing common_name=R2 issuer_name=r2
expect_eq "$("$PKI" read -field=certificate pki/issuer/r2 | openssl x509 -noout -text | grep -c 'id-ecPublicKey')" "1" "the existing EC key is used"

# ---- TTL capping warns whatever the TTL's source -------------------------------------------------
expect_ok "$PKI" write pki/roles/bigttl allowed_domains=example.com allow_subdomains=true ttl=100h max_ttl=200h
expect_ok "$PKI" secrets enable -path=short -default-lease-ttl=3h -max-lease-ttl=6h pki
expect_ok "$PKI" write short/root/generate/internal common_name="Short Root" key_type=ec ttl=6h
expect_ok "$PKI" write short/roles/r allow_any_name=true ttl=8h
expect_ok "$PKI" write -format=json short/issue/r common_name=a.test
expect_eq "$(jx "$WORK/out" 'w[0] if w else None')" 'TTL "8h" is longer than the maximum of 6h; capping to 6h' "role ttl capped, with a warning"
expect_ok "$PKI" write short/roles/plain allow_any_name=true max_ttl=1h
expect_ok "$PKI" write -format=json short/issue/plain common_name=a.test
expect_eq "$(jx "$WORK/out" 'w[0] if w else None')" 'TTL "3h" is longer than the maximum of 1h; capping to 1h' "mount default capped, with a warning"

# ---- keys/import takes one key ------------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k1.pem 2>/dev/null
openssl genpkey -algorithm ED25519 -out k2.pem 2>/dev/null
cat k1.pem k2.pem > two-keys.pem
expect_refused 1 "$PKI" write pki/keys/import pem_bundle=@two-keys.pem
expect_err_contains 'pem_bundle holds 2 private keys'

# ---- manual_chain lists each issuer once -----------------------------------------------------------
expect_refused 1 "$PKI" patch pki/issuer/root manual_chain=root,root
expect_err_contains 'names issuer'
expect_err_contains 'twice'

# ---- messages ---------------------------------------------------------------------------------------
expect_refused 1 "$PKI" write pki/issue/web common_name=a.example.com private_key_format=xml
expect_err_contains 'is not one of: der, pkcs8 (or empty)'
label=$(printf 'a%.0s' $(seq 1 64))
expect_refused 1 "$PKI" write pki/issue/web "common_name=$label.example.com"
expect_err_contains 'a label is longer than the 63 characters DNS allows'
expect_refused 1 "$PKI" write pki/issue/web common_name=www.evil.com
if [ "$(grep -o 'allowed_domains' "$WORK/err" | wc -l)" = 1 ]; then ok; else fail "the refusal names allowed_domains more than once: $(cat "$WORK/err")"; fi

# ---- defaults are documented where they apply ---------------------------------------------------------
expect_ok "$PKI" path-help pki/config/crl
expect_out_contains '72h'
expect_ok "$PKI" path-help pki/tidy
expect_out_contains '72h'
# ---- sign-verbatim keeps what a leaf may carry: CA-only extensions in a CSR are refused -----------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout v.key -subj /CN=v.example.com \
  -addext keyUsage=critical,digitalSignature,keyCertSign -out v-ku.csr 2>/dev/null
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@v-ku.csr
expect_err_contains 'keyCertSign or cRLSign'
openssl req -new -key v.key -subj /CN=v.example.com -addext nameConstraints=permitted\;DNS:example.com -out v-nc.csr 2>/dev/null
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@v-nc.csr
expect_err_contains 'name constraints'
openssl req -new -key v.key -subj /CN=v.example.com -addext keyUsage=critical,digitalSignature -out v-ok.csr 2>/dev/null
expect_ok "$PKI" write pki/sign-verbatim csr=@v-ok.csr

# ---- hostile input: one line, the right exit code, state unchanged ----------------------------------
python3 -c "print('{\"allowed_domains\":' + '['*100000 + ']'*100000 + '}')" > deep.json
expect_refused 1 "$PKI" write pki/roles/deep @deep.json
expect_err_contains 'deep.json is not a JSON object of fields'
python3 -c "print('['*100000 + ']'*100000)" > deep.txt
expect_refused 1 "$PKI" write pki/roles/deep allowed_domains=@deep.txt allow_bare_domains=maybe
expect_refused 1 "$PKI" role write q --allowed-domains $'\xff.com'
expect_err_contains 'not valid UTF-8'
expect_refused 1 "$PKI" write pki/config/urls issuing_certificates=$'http://\xff/'
expect_err_contains 'not valid UTF-8'
printf '{"allowed_domains":"a\\u0000.com"}' > nul.json
expect_refused 1 "$PKI" write pki/roles/n @nul.json
expect_err_contains 'NUL byte'
expect_refused 1 "$PKI" write pki/issue/web "common_name=$(printf 'x.example.com\n\033[31mRED')"
expect_err_contains '\n\x1b[31mRED'
expect_refused 1 "$PKI" write pki/issue/web csr=- < <(head -c $((65 * 1024 * 1024)) /dev/zero)
expect_err_contains 'standard input holds more than 64 MiB'
expect_refused 2 "$PKI" write pki/roles/z allowed_domains=- organization=- < /dev/null
expect_err_contains 'standard input (-) is given twice'
expect_refused 1 "$PKI" write pki/root/generate/internal common_name=P max_path_length=4294967296
expect_err_contains 'max_path_length 4294967296 is not allowed'
expect_refused 1 "$PKI" write pki/root/generate/internal common_name=P permitted_dns_domains=a..b
expect_err_contains 'permitted_dns_domains: "a..b" is not a DNS domain'
expect_refused 1 "$PKI" write pki/root/generate/internal common_name=P 'permitted_dns_domains=a.com;IP:1.2.3.4/32'
expect_ok "$PKI" write pki/root/generate/internal common_name=PC permitted_dns_domains=.example.com,example.org issuer_name=pc
expect_eq "$("$PKI" read -field=certificate pki/issuer/pc | openssl x509 -noout -ext nameConstraints | grep -c 'DNS:')" "2" "name constraints of the root"
expect_refused 1 "$PKI" write pki/roles/.. allowed_domains=example.com
expect_refused 1 "$PKI" write pki/keys/generate/internal key_type=ec key_name=.
expect_refused 2 "$PKI" --state-dir "" list pki/roles
expect_err_contains 'empty --state-dir'
# Another user's state directory: a storage error (exit 3) that says what to do.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
  expect_ok "$PKI" --state-dir /tmp/pki-rules-$$ secrets enable pki
  expect_refused 3 runuser -u nobody -- "$PKI" --state-dir /tmp/pki-rules-$$ list pki/roles
  expect_err_contains "run pki as the directory's owner"
  rm -rf /tmp/pki-rules-$$
fi
# A new state directory and its new parents are 0700 whatever the umask.
( umask 000; "$PKI" --state-dir "$WORK/new/a/b" secrets enable pki >/dev/null 2>&1 )
expect_eq "$(stat -c %a "$WORK/new" "$WORK/new/a" "$WORK/new/a/b" | tr '\n' ' ')" "700 700 700 " "modes of a new state directory and its parents"
expect_eq "$(stat -c %a "$WORK/new/a/b/data.mdb")" "600" "mode of data.mdb under umask 000"
finish
