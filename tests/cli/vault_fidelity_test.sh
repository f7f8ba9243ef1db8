#!/usr/bin/env bash
# Where the reference is silent, pki does what Vault 1.11's code does (the fidelity issue): root
# rotation (root/rotate, root/replace), signature_bits and managed-key fields on root/generate and
# intermediate/generate, the ignored CSR lifetimes, issuer_ref in the body of issue/:role,
# sign-intermediate's accepted fields, tidy_revocation_list, policy_identifiers with CPS and
# user-notice qualifiers, "default" reserved in any case, the default issuer after set-signed with
# a root-first bundle, DNS and e-mail SANs in Vault's order, and is_default in LIST key_info.
source "$(dirname "$0")/lib.sh"

expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki

section "root/rotate and root/replace"
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Root 2026" key_type=ec ttl=8760h issuer_name=current
first=$(jf "$WORK/out" issuer_id)
jf "$WORK/out" certificate > current_ca.pem
expect_ok "$PKI" write -format=json pki/root/rotate/internal common_name="Root 2027" key_type=ec ttl=8760h
expect_eq "$(jf "$WORK/out" issuer_name)" "next" "root/rotate names the new root next"
next=$(jf "$WORK/out" issuer_id)
expect_ok "$PKI" read -format=json pki/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$first" "the default issuer stays until root/replace"
expect_ok "$PKI" root rotate internal --common-name "Root 2028" --key-type ec --ttl 8760h -format=json
expect_eq "$(jf "$WORK/out" issuer_name)" "" "next is taken: the second rotation has no name, as Vault"
expect_refused 1 "$PKI" write pki/root/replace default=nope
expect_err_contains "nope"
expect_ok "$PKI" write -format=json pki/root/replace
expect_eq "$(jf "$WORK/out" default)" "$next" "root/replace makes next the default"
expect_ok "$PKI" read -format=json pki/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$next" "config/issuers after root/replace"
expect_ok "$PKI" root replace --default current -format=json
expect_eq "$(jf "$WORK/out" default)" "$first" "root replace --default current"

section "LIST keys and issuers: is_default in key_info"
expect_ok "$PKI" list -format=json pki/issuers
expect_eq "$(jq -r --arg id "$first" '.data.key_info[$id].is_default' "$WORK/out")" true "the default issuer is marked"
expect_eq "$(jq -r --arg id "$next" '.data.key_info[$id].is_default' "$WORK/out")" false "another issuer is not"
expect_eq "$(jq -r '[.data.key_info[] | select(.is_default)] | length' "$WORK/out")" 1 "one default issuer"
expect_ok "$PKI" list -format=json pki/keys
expect_eq "$(jq -r '[.data.key_info[] | select(.is_default)] | length' "$WORK/out")" 1 "one default key"
expect_eq "$(jq -r '[.data.key_info[] | has("is_default")] | all' "$WORK/out")" true "every key has is_default"

section "signature_bits and managed-key fields on root/generate and intermediate/generate"
expect_ok "$PKI" secrets enable -path=rsa -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=certificate rsa/root/generate/internal common_name="RSA Root" key_type=rsa signature_bits=384 ttl=8760h
save rsa_root.pem
has "$(x509 rsa_root.pem -text)" "Signature Algorithm: sha384WithRSAEncryption" "root/generate signature_bits=384"
USAGE=3 verify_all rsa_root.pem rsa_root.pem
expect_refused 1 "$PKI" write rsa/root/generate/internal common_name=X key_type=rsa signature_bits=128
expect_err_contains "signature_bits 128 is not supported"
expect_ok "$PKI" secrets enable -path=rsa_int pki
expect_ok "$PKI" write -field=csr rsa_int/intermediate/generate/internal common_name="RSA Int" key_type=rsa signature_bits=512 \
  not_after=2030-01-01T00:00:00Z not_before_duration=60s managed_key_name=hsm-key
save rsa_int.csr
has "$(openssl req -in rsa_int.csr -noout -text)" "Signature Algorithm: sha512WithRSAEncryption" "intermediate/generate signature_bits=512"
expect_eq "$(openssl req -in rsa_int.csr -noout -verify 2>&1 | grep -c 'verify OK')" 1 "the CSR's signature verifies"
expect_err_contains "a CSR has no lifetime: ttl, not_after and not_before_duration are ignored"
expect_err_contains "managed_key_name is used only with type kms; ignored for type internal"
hasnt "$(cat "$WORK/err")" "unrecognized parameters" "the Vault fields are known, not ignored as unknown"

section "sign-intermediate takes private_key_format and issuer_name, as Vault"
expect_ok "$PKI" write -field=certificate rsa/root/sign-intermediate csr=@rsa_int.csr ttl=100h private_key_format=der issuer_name=ignored
save rsa_int.pem
hasnt "$(cat "$WORK/err")" "unrecognized parameters" "sign-intermediate: the fields are known"
USAGE=3 verify_all rsa_root.pem rsa_int.pem

section "issuer_ref in the body of issue/:role: the role's issuer decides, as Vault"
expect_ok "$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec --issuer-ref current
expect_ok "$PKI" write -format=json pki/issue/web common_name=www.example.com issuer_ref="$next"
expect_err_contains 'issuer_ref is ignored on :mount/issue/:role'
jf "$WORK/out" issuing_ca > www_ca.pem
expect_eq "$(openssl x509 -in www_ca.pem -noout -subject -nameopt RFC2253)" "subject=CN=Root 2026" "issued by the role's issuer"
expect_ok "$PKI" write -format=json "pki/issuer/$next/issue/web" common_name=www.example.com
jf "$WORK/out" issuing_ca > www_next_ca.pem
expect_eq "$(openssl x509 -in www_next_ca.pem -noout -subject -nameopt RFC2253)" "subject=CN=Root 2027" "issuer/:ref/issue chooses"

section "sign-verbatim: a fallback common_name, serial_number and other_sans, as Vault honours them"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out v.key 2>/dev/null
openssl req -new -key v.key -subj "/O=Acme" -addext "subjectAltName=DNS:v.example.com" -out v.csr 2>/dev/null
expect_ok "$PKI" write -format=json pki/sign-verbatim csr=@v.csr common_name=fallback.example.com serial_number=SN-42 \
  other_sans="1.3.6.1.4.1.311.20.2.3;UTF8:v@example.com" alt_names=ignored.example.com exclude_cn_from_sans=true private_key_format=der
hasnt "$(cat "$WORK/err")" "unrecognized parameters" "sign-verbatim: Vault's fields are known"
jf "$WORK/out" certificate > v.pem
has "$(x509 v.pem -subject -nameopt RFC2253)" "CN=fallback.example.com" "the fallback common name"
has "$(x509 v.pem -subject -nameopt RFC2253)" "serialNumber=SN-42" "the subject serialNumber"
has "$(x509 v.pem -subject -nameopt RFC2253)" "O=Acme" "the CSR's own attribute"
san=$(x509 v.pem -ext subjectAltName)
has "$san" "DNS:v.example.com" "the CSR's DNS name"
has "$san" "othername: UPN::v@example.com" "the other SAN"
hasnt "$san" "ignored.example.com" "alt_names are not signed on sign-verbatim"
verify_all current_ca.pem v.pem
openssl req -new -key v.key -subj "/CN=own.example.com" -out v2.csr 2>/dev/null
expect_ok "$PKI" write -format=json pki/sign-verbatim csr=@v2.csr common_name=fallback.example.com
jf "$WORK/out" certificate > v2.pem
expect_eq "$(x509 v2.pem -subject -nameopt RFC2253)" "subject=CN=own.example.com" "the CSR's common name wins"
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@v2.csr other_sans=garbage
expect_err_contains "other_sans"

section "DNS and e-mail SANs in Vault's order: sorted, each once"
expect_ok "$PKI" write pki/roles/names allowed_domains=example.com allow_subdomains=true allow_bare_domains=true key_type=ec
expect_ok "$PKI" write -format=json pki/issue/names common_name=m.example.com \
  alt_names=z.example.com,b.example.com,z.example.com,m.example.com,bob@example.com,al@example.com,bob@example.com
jf "$WORK/out" certificate > sans.pem
expect_eq "$(x509 sans.pem -noout -ext subjectAltName | sed -n 2p | xargs)" \
  "DNS:b.example.com, DNS:m.example.com, DNS:z.example.com, email:al@example.com, email:bob@example.com" "SAN order"
verify_all current_ca.pem sans.pem

section "policy_identifiers: OIDs, or objects with CPS and user notice qualifiers"
expect_ok "$PKI" write pki/roles/cps allowed_domains=example.com allow_subdomains=true key_type=ec \
  policy_identifiers='[{"oid":"1.3.6.1.4.1.44947.1.2.4","cps":"https://example.com/cps"},{"oid":"1.3.6.1.4.1.7.8","notice":"I am a user notice"},{"oid":"2.23.140.1.2.1"}]'
expect_ok "$PKI" read -format=json pki/roles/cps
expect_eq "$(jq -c '.data.policy_identifiers' "$WORK/out")" \
  '["{\"oid\":\"1.3.6.1.4.1.44947.1.2.4\",\"cps\":\"https://example.com/cps\"}","{\"oid\":\"1.3.6.1.4.1.7.8\",\"notice\":\"I am a user notice\"}","{\"oid\":\"2.23.140.1.2.1\"}"]' \
  "stored as Vault stores them: one JSON text per policy"
expect_ok "$PKI" write -format=json pki/issue/cps common_name=cps.example.com
jf "$WORK/out" certificate > cps.pem
pol=$(x509 cps.pem -noout -ext certificatePolicies)
has "$pol" "Policy: 1.3.6.1.4.1.44947.1.2.4" "the first policy"
has "$pol" "CPS: https://example.com/cps" "its CPS qualifier"
has "$pol" "Policy: 1.3.6.1.4.1.7.8" "the second policy"
has "$pol" "Explicit Text: I am a user notice" "its user notice"
has "$pol" "Policy: 2.23.140.1.2.1" "a plain OID in object form"
verify_all current_ca.pem cps.pem
expect_ok "$PKI" role write cps2 --allowed-domains example.com --policy-identifiers 1.2.3.4,2.5.29.32.0
expect_ok "$PKI" read -format=json pki/roles/cps2
expect_eq "$(jq -c '.data.policy_identifiers' "$WORK/out")" '["1.2.3.4","2.5.29.32.0"]' "plain OIDs as before"
expect_refused 1 "$PKI" write pki/roles/cps3 policy_identifiers='[{"oid":"1.2.3","cps":"not a uri"}]'
expect_err_contains '"cps" must be a URI in printable ASCII'
expect_refused 1 "$PKI" write pki/roles/cps3 policy_identifiers='[{"oid":"banana"}]'
expect_err_contains '"oid" "banana" is not a dotted OID'
expect_refused 1 "$PKI" write pki/roles/cps3 policy_identifiers='[{"oid":"1.2.3","colour":"blue"}]'
expect_err_contains 'unknown member "colour"'
expect_refused 1 "$PKI" write pki/roles/cps3 policy_identifiers="[{\"oid\":\"1.2.3\",\"notice\":\"$(printf 'n%.0s' $(seq 201))\"}]"
expect_err_contains "longer than the 200 characters"

section "tidy_revocation_list: Vault's older name for tidy_revoked_certs"
expect_ok "$PKI" write pki/tidy tidy_revocation_list=true safety_buffer=1s
expect_ok "$PKI" read -format=json pki/tidy-status
expect_eq "$(jf "$WORK/out" tidy_revoked_certs)" "True" "tidy-status: the revoked entries were tidied"

section "\"default\" is reserved whatever its case"
for n in default Default DEFAULT; do
  expect_refused 1 "$PKI" write pki/keys/generate/internal key_type=ec key_name=$n
  expect_err_contains "is reserved"
  expect_refused 1 "$PKI" write pki/root/generate/internal common_name=X key_type=ec issuer_name=$n
  expect_err_contains "is reserved"
done

section "the default issuer after set-signed with a root-first bundle: the one with its key"
expect_ok "$PKI" secrets enable -path=int -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=csr int/intermediate/generate/internal common_name="Bundle Int" key_type=ec
save bundle_int.csr
expect_ok "$PKI" write -field=certificate pki/issuer/current/sign-intermediate csr=@bundle_int.csr ttl=1000h
save bundle_int.pem
"$PKI" read -field=certificate pki/issuer/current > bundle_root.pem
cat bundle_root.pem bundle_int.pem > root_first.pem
expect_ok "$PKI" write -format=json int/intermediate/set-signed certificate=@root_first.pem
expect_ok "$PKI" read -format=json int/issuer/default
expect_eq "$(jf "$WORK/out" certificate | openssl x509 -noout -subject -nameopt RFC2253)" "subject=CN=Bundle Int" \
  "the intermediate (its key is here) is the default, not the keyless root"
expect_ok "$PKI" write int/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec
expect_ok "$PKI" write -format=json int/issue/web common_name=a.example.com
jf "$WORK/out" certificate > bundle_leaf.pem
verify_all bundle_root.pem bundle_leaf.pem bundle_int.pem

finish
