#!/usr/bin/env bash
# Issuing under a role end to end (issue 4): every key type and size under an EC and an RSA issuer,
# verified by OpenSSL, GnuTLS and NSS; the certificate's names, usages, policies, subject, URLs,
# serial, validity and signature hash; TTL rules and leaf_not_after_behavior; response formats;
# storage (cert/:serial, raw, raw/pem, no_store) and that the private key is never stored; issuer
# selection through the role and through issuer/:ref/issue/:role. Both command styles.
source "$(dirname "$0")/lib.sh"

# ---- helpers ------------------------------------------------------------------------------------
skid() { ext "$1" subjectKeyIdentifier | sed -n '2p' | tr -d ' :'; }

# issue_to NAME CMD...: run a successful issue/sign with -format=json and keep the response as
# NAME.json, the certificate as NAME.pem, the key as NAME.key and the issuing CA as NAME.ca.
issue_to() {
  local name=$1; shift
  expect_ok "$@" -format=json
  cp "$WORK/out" "$name.json"; cp "$WORK/err" "$name.err"
  jf "$name.json" certificate > "$name.pem"
  jf "$name.json" private_key > "$name.key"
  jf "$name.json" issuing_ca > "$name.ca"
}
# root MOUNT KEYTYPE KEYBITS [NAME] [TTL]: a mount (10-year max TTL) with a self-signed root;
# its certificate is MOUNT-root.pem.
root() {
  local m=$1 t=$2 b=$3 n=${4:-root-$1} ttl=${5:-8760h}
  expect_ok "$PKI" secrets enable -path="$m" pki
  expect_ok "$PKI" secrets tune -max-lease-ttl=87600h "$m"
  expect_ok "$PKI" write -format=json "$m/root/generate/internal" common_name="Root $m" key_type="$t" key_bits="$b" ttl="$ttl" issuer_name="$n"
  jf "$WORK/out" certificate > "$m-root.pem"
}

# ---- every key type and size under an EC and an RSA issuer -------------------------------------
section "key types under EC and RSA issuers"
root ec ec 256
root rsa rsa 2048
for m in ec rsa; do
  case $m in ec) sig=ecdsa-with-SHA256 ;; rsa) sig=sha256WithRSAEncryption ;; esac
  for kt in rsa:2048 rsa:3072 rsa:4096 ec:224 ec:256 ec:384 ec:521 ed25519:0; do
    t=${kt%%:*} b=${kt##*:} n="${t}${b#0}"
    if [ "$t" = ec ] && [ "$b" = 256 ] && [ $m = ec ]; then
      # One role of each style: the Vault-style write and key_bits 0 (the default size).
      expect_ok "$PKI" write "$m/roles/$n" allowed_domains=example.com allow_subdomains=true key_type=ec key_bits=0
    else
      expect_ok "$PKI" role write "$n" -m "$m" --allowed-domains example.com --allow-subdomains true --key-type "$t" --key-bits "$b"
    fi
    if [ $m = rsa ]; then
      issue_to "k_${m}_$n" "$PKI" write "$m/issue/$n" common_name="$n.example.com"
    else
      issue_to "k_${m}_$n" "$PKI" issue "$n" -m "$m" --common-name "$n.example.com"
    fi
    f="k_${m}_$n"
    txt=$(x509 "$f.pem" -text)
    case $n in
      rsa*) has "$txt" "Public-Key: (${b} bit)" "$f key" ; has "$(head -1 "$f.key")" "BEGIN RSA PRIVATE KEY" "$f key PEM" ;;
      ec224) has "$txt" "ASN1 OID: secp224r1" "$f key" ;;
      ec256) has "$txt" "ASN1 OID: prime256v1" "$f key" ;;
      ec384) has "$txt" "ASN1 OID: secp384r1" "$f key" ;;
      ec521) has "$txt" "ASN1 OID: secp521r1" "$f key" ;;
      ed25519) has "$txt" "Public Key Algorithm: ED25519" "$f key"; has "$(head -1 "$f.key")" "BEGIN PRIVATE KEY" "$f key PEM" ;;
    esac
    case $n in ec*) has "$(head -1 "$f.key")" "BEGIN EC PRIVATE KEY" "$f key PEM" ;; esac
    expect_eq "$(jf "$f.json" private_key_type)" "$t" "$f private_key_type"
    expect_eq "$(pubkey_of_key "$f.key")" "$(pubkey_of_cert "$f.pem")" "$f: the private key matches the certificate"
    has "$txt" "Signature Algorithm: $sig" "$f signature"
    has "$txt" "Subject: CN = $n.example.com" "$f subject"
    has "$(ext "$f.pem" subjectAltName)" "DNS:$n.example.com" "$f SAN"
    # The response: issuing_ca and ca_chain are the root; serial_number and expiration describe the certificate.
    expect_eq "$(cat "$f.ca")" "$(cat "$m-root.pem")" "$f issuing_ca"
    expect_eq "$(jx "$f.json" 'd["ca_chain"] == [open("'"$m-root.pem"'").read().strip()] or [c.strip() for c in d["ca_chain"]] == [open("'"$m-root.pem"'").read().strip()]')" True "$f ca_chain is the root"
    expect_eq "$(jf "$f.json" serial_number | tr -d ':' | tr a-f A-F)" "$(x509 "$f.pem" -serial | cut -d= -f2)" "$f serial_number"
    expect_eq "$(jf "$f.json" serial_number)" "$(jf "$f.json" serial_number | tr A-F a-f)" "$f serial_number is lower-case hex"
    expect_eq "$(jf "$f.json" expiration)" "$(not_after_of "$f.pem")" "$f expiration"
    if [ "$t" = ed25519 ]; then verify_without_nss "$m-root.pem" "$f.pem"; else verify_all "$m-root.pem" "$f.pem"; fi
  done
done

# ---- the signature hash follows the issuer --------------------------------------------------------
section "signature hash"
root ec384 ec 384
root ec521 ec 521
root ed ed25519 0
for m in ec384:ecdsa-with-SHA384 ec521:ecdsa-with-SHA512 ed:ED25519; do
  mm=${m%%:*} sig=${m##*:}
  expect_ok "$PKI" role write leaf -m "$mm" --allowed-domains example.com --allow-subdomains true --key-type ec
  issue_to "h_$mm" "$PKI" issue leaf -m "$mm" --common-name h.example.com
  has "$(x509 "h_$mm.pem" -text)" "Signature Algorithm: $sig" "leaf under $mm"
  # signature_bits does not change an ECDSA or Ed25519 issuer's hash (the reference's note).
  expect_ok "$PKI" role write leaf512 -m "$mm" --allowed-domains example.com --allow-subdomains true --key-type ec --signature-bits 256
  issue_to "h_${mm}_sb" "$PKI" issue leaf512 -m "$mm" --common-name h.example.com
  has "$(x509 "h_${mm}_sb.pem" -text)" "Signature Algorithm: $sig" "leaf under $mm with signature_bits=256"
  if [ "$mm" = ed ]; then verify_without_nss "$mm-root.pem" "h_$mm.pem"; else verify_all "$mm-root.pem" "h_$mm.pem"; fi
done
expect_ok "$PKI" role write sb -m ec --allowed-domains example.com --allow-subdomains true --key-type ec --signature-bits 512
issue_to h_ec_sb "$PKI" issue sb -m ec --common-name h.example.com
has "$(x509 h_ec_sb.pem -text)" "Signature Algorithm: ecdsa-with-SHA256" "P-256 issuer ignores signature_bits=512"
# An RSA issuer: SHA-256 by default, signature_bits 256/384/512 honoured.
for sb in 0:sha256 256:sha256 384:sha384 512:sha512; do
  bits=${sb%%:*} h=${sb##*:}
  expect_ok "$PKI" write "rsa/roles/sb$bits" allowed_domains=example.com allow_subdomains=true key_type=ec signature_bits="$bits"
  issue_to "h_rsa_$bits" "$PKI" write rsa/issue/sb$bits common_name=h.example.com
  has "$(x509 "h_rsa_$bits.pem" -text)" "Signature Algorithm: ${h}WithRSAEncryption" "RSA issuer, signature_bits=$bits"
  verify_all rsa-root.pem "h_rsa_$bits.pem"
done

# ---- certificate contents -------------------------------------------------------------------------
section "names, usages, subject, URLs"
root c ec 256
expect_ok "$PKI" write c/config/urls issuing_certificates=http://ca.example.com/ca,http://ca2.example.com/ca \
  crl_distribution_points='["http://ca.example.com/crl"]' ocsp_servers=http://ocsp.example.com
expect_ok "$PKI" read -format=json c/config/urls
save urls.json
expect_eq "$(jx urls.json 'd["issuing_certificates"], d["crl_distribution_points"], d["ocsp_servers"]')" \
  "(['http://ca.example.com/ca', 'http://ca2.example.com/ca'], ['http://ca.example.com/crl'], ['http://ocsp.example.com'])" "config/urls read back"
expect_ok "$PKI" role write web -m c --allowed-domains example.com --allow-subdomains true --allow-bare-domains true --key-type ec \
  --allowed-uri-sans 'spiffe://example.com/*' --allowed-other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com,1.2.3.4;UTF8:*'

# The common name is copied into a DNS SAN.
issue_to n1 "$PKI" issue web -m c --common-name www.example.com
expect_eq "$(ext n1.pem subjectAltName | sed -n 2p | xargs)" "DNS:www.example.com" "CN copied into the SANs"
verify_all c-root.pem n1.pem
# exclude_cn_from_sans: the CN stays in the subject only.
issue_to n2 "$PKI" issue web -m c --common-name www.example.com --exclude-cn-from-sans true
t=$(text n2.pem)
hasnt "$t" "Subject Alternative Name" "exclude_cn_from_sans"
has "$t" "Subject: CN=www.example.com" "exclude_cn_from_sans subject"
issue_to n2b "$PKI" write c/issue/web common_name=www.example.com exclude_cn_from_sans=true alt_names=a.example.com
expect_eq "$(ext n2b.pem subjectAltName | sed -n 2p | xargs)" "DNS:a.example.com" "exclude_cn_from_sans keeps alt_names"
# An e-mail common name becomes an e-mail SAN, not a DNS one.
issue_to n3 "$PKI" issue web -m c --common-name ops@mail.example.com
expect_eq "$(ext n3.pem subjectAltName | sed -n 2p | xargs)" "email:ops@mail.example.com" "e-mail CN as e-mail SAN"
# alt_names are split into DNS names and e-mail addresses; ip_sans, uri_sans and other_sans.
issue_to n4 "$PKI" issue web -m c --common-name www.example.com --alt-names 'b.example.com,me@mail.example.com,c.example.com' \
  --ip-sans 10.0.0.1,2001:db8::1 --uri-sans spiffe://example.com/svc/a \
  --other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.com,1.2.3.4;UTF8:hello'
san=$(ext n4.pem subjectAltName | sed -n 2p)
for want in DNS:www.example.com DNS:b.example.com DNS:c.example.com email:me@mail.example.com "IP Address:10.0.0.1" \
  "IP Address:2001:DB8:0:0:0:0:0:1" URI:spiffe://example.com/svc/a "othername: UPN::alice@example.com" "othername: 1.2.3.4::hello"; do
  has "$san" "$want" "SANs"
done
hasnt "$san" "DNS:me@" "e-mail alt name is not a DNS name"
expect_eq "$(grep -o 'DNS:' <<<"$san" | wc -l)" 3 "three DNS SANs"
verify_all c-root.pem n4.pem
# The same through the Vault-style command, lists as JSON.
issue_to n4v "$PKI" write c/issue/web common_name=www.example.com alt_names='["b.example.com","me@mail.example.com"]' \
  ip_sans='["10.0.0.1"]' uri_sans=spiffe://example.com/svc/a 'other_sans=["1.2.3.4;UTF8:hello"]'
san=$(ext n4v.pem subjectAltName | sed -n 2p)
for want in DNS:www.example.com DNS:b.example.com email:me@mail.example.com "IP Address:10.0.0.1" URI:spiffe://example.com/svc/a "othername: 1.2.3.4::hello"; do
  has "$san" "$want" "SANs (Vault style)"
done
# The requested case of a name is kept.
issue_to n5 "$PKI" issue web -m c --common-name WWW.Example.COM
has "$(ext n5.pem subjectAltName)" "DNS:WWW.Example.COM" "requested case kept"

# Default usages: critical KU DigitalSignature+KeyAgreement (the role's KeyEncipherment dropped: an
# EC key cannot encipher, RFC 8813), EKU serverAuth+clientAuth,
# no basic constraints, SKID, AKID = issuer SKID, AIA and CRL DP from config/urls.
t=$(text n1.pem)
has "$t" "X509v3 Key Usage: critical" "KU critical"
expect_eq "$(ext n1.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Key Agreement" "default key usage"
expect_eq "$(ext n1.pem extendedKeyUsage | sed -n 2p | xargs)" "TLS Web Server Authentication, TLS Web Client Authentication" "default EKU"
hasnt "$t" "Basic Constraints" "no basic constraints by default"
hasnt "$t" "Certificate Policies" "no policies by default"
expect_eq "$(akid n1.pem)" "$(skid c-root.pem)" "AKID is the issuer's SKID"
[ -n "$(skid n1.pem)" ] && ok || fail "n1 has no SKID"
has "$t" "CA Issuers - URI:http://ca.example.com/ca" "AIA"
has "$t" "CA Issuers - URI:http://ca2.example.com/ca" "AIA (second)"
has "$t" "OCSP - URI:http://ocsp.example.com" "AIA OCSP"
has "$(ext n1.pem crlDistributionPoints)" "URI:http://ca.example.com/crl" "CRL DP"
# Without config/urls: neither AIA nor CRL DP.
t=$(text k_ec_ec256.pem)
hasnt "$t" "Authority Information Access" "no AIA without config/urls"
hasnt "$t" "CRL Distribution Points" "no CRL DP without config/urls"
# Changing config/urls changes later certificates; a blank string clears a list.
expect_ok "$PKI" write c/config/urls ocsp_servers= crl_distribution_points=http://crl.example.com/new
issue_to n1b "$PKI" issue web -m c --common-name www.example.com
t=$(text n1b.pem)
hasnt "$t" "OCSP - URI" "OCSP cleared"
has "$t" "CA Issuers - URI:http://ca.example.com/ca" "AIA kept"
has "$t" "URI:http://crl.example.com/new" "new CRL DP"

# Extended key usages from the flags, ext_key_usage and ext_key_usage_oids.
# (compared as sets: the order of the usages in the extension does not matter)
eku_set() { tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep . | sort | paste -sd, -; }
eku_case() {  # eku_case NAME WANT ROLE-ARGS...
  local name=$1 want=$2; shift 2
  expect_ok "$PKI" role write "$name" -m c --allowed-domains example.com --allow-subdomains true --key-type ec "$@"
  issue_to "e_$name" "$PKI" issue "$name" -m c --common-name eku.example.com
  expect_eq "$(ext "e_$name.pem" extendedKeyUsage | sed -n 2p | eku_set)" "$(eku_set <<<"$want")" "EKU of $name"
}
eku_case allflags "TLS Web Server Authentication, TLS Web Client Authentication, Code Signing, E-mail Protection" \
  --code-signing-flag true --email-protection-flag true
eku_case serveronly "TLS Web Server Authentication" --client-flag false
eku_case clientonly "TLS Web Client Authentication" --server-flag false
eku_case codeonly "Code Signing" --server-flag false --client-flag false --code-signing-flag true
eku_case named "IPSec User, OCSP Signing, 1.3.6.1.4.1.311.21.8" --server-flag false --client-flag false \
  --ext-key-usage IPSECUser,OCSPSigning --ext-key-usage-oids 1.3.6.1.4.1.311.21.8
eku_case lower "TLS Web Server Authentication, TLS Web Client Authentication, E-mail Protection" \
  --server-flag false --ext-key-usage serverauth,clientauth --email-protection-flag true
expect_ok "$PKI" role write noeku -m c --allowed-domains example.com --allow-subdomains true --key-type ec --server-flag false --client-flag false
issue_to e_noeku "$PKI" issue noeku -m c --common-name eku.example.com
hasnt "$(text e_noeku.pem)" "Extended Key Usage" "no EKU when no flag or usage is set"
# Key usages from the role; an empty list gives no key usage extension.
expect_ok "$PKI" role write ku -m c --allowed-domains example.com --allow-subdomains true --key-type ec --key-usage DigitalSignature,ContentCommitment
issue_to ku "$PKI" issue ku -m c --common-name ku.example.com
expect_eq "$(ext ku.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Non Repudiation" "role key usage"
expect_ok "$PKI" write c/roles/ku2 allowed_domains=example.com allow_subdomains=true key_type=ec key_usage=keyagreement,dataencipherment
issue_to ku2 "$PKI" write c/issue/ku2 common_name=ku.example.com
expect_eq "$(ext ku2.pem keyUsage | sed -n 2p | xargs)" "Key Agreement" "role key usage (lower case names; dataEncipherment dropped for an EC key)"
expect_ok "$PKI" write c/roles/noku allowed_domains=example.com allow_subdomains=true key_type=ec key_usage=
issue_to noku "$PKI" write c/issue/noku common_name=ku.example.com
hasnt "$(text noku.pem)" "X509v3 Key Usage" "no key usage extension for an empty key_usage"
# policy_identifiers and basic_constraints_valid_for_non_ca.
expect_ok "$PKI" role write pol -m c --allowed-domains example.com --allow-subdomains true --key-type ec \
  --policy-identifiers 1.3.6.1.4.1.44947.1.1.1,2.23.140.1.2.1 --basic-constraints-valid-for-non-ca true
issue_to pol "$PKI" issue pol -m c --common-name pol.example.com
t=$(text pol.pem)
has "$t" "Policy: 1.3.6.1.4.1.44947.1.1.1" "policy_identifiers"
has "$t" "Policy: 2.23.140.1.2.1" "policy_identifiers (second)"
has "$t" "X509v3 Basic Constraints: critical" "basic constraints"
expect_eq "$(ext pol.pem basicConstraints | sed -n 2p | xargs)" "CA:FALSE" "CA:FALSE for a non-CA"
[ -s pol.pem ] && verify_all c-root.pem pol.pem
expect_ok "$PKI" role write bc -m c --allowed-domains example.com --allow-subdomains true --key-type ec --basic-constraints-valid-for-non-ca true
issue_to bc "$PKI" issue bc -m c --common-name bc.example.com
expect_eq "$(ext bc.pem basicConstraints | sed -n 2p | xargs)" "CA:FALSE" "basic_constraints_valid_for_non_ca"
verify_all c-root.pem bc.pem
# Subject fields from the role, and a subject serial number allowed by allowed_serial_numbers.
expect_ok "$PKI" role write subj -m c --allowed-domains example.com --allow-subdomains true --key-type ec \
  --ou Eng,Ops --organization Acme --country NL --locality Amsterdam --province Noord-Holland \
  --street-address 'Dam 1' --postal-code '1012 JS' --allowed-serial-numbers 'SN-*'
issue_to subj "$PKI" issue subj -m c --common-name subj.example.com --serial-number SN-42
s=$(x509 subj.pem -subject -nameopt sep_multiline,lname,utf8)
for want in "countryName=NL" "stateOrProvinceName=Noord-Holland" "localityName=Amsterdam" "streetAddress=Dam 1" \
  "postalCode=1012 JS" "organizationName=Acme" "organizationalUnitName=Eng" "organizationalUnitName=Ops" \
  "commonName=subj.example.com" "serialNumber=SN-42"; do
  has "$s" "$want" "role subject"
done
verify_all c-root.pem subj.pem

# ---- serial numbers ----------------------------------------------------------------------------------
section "serials"
# At least 159 random bits: 20 bytes with the top bit clear; openssl prints 40 hex digits, or 38
# when the first byte happens to be 0. All distinct.
: > serials.txt
for i in $(seq 1 12); do
  expect_ok "$PKI" issue web -m c --common-name "s$i.example.com" --field serial_number
  cat "$WORK/out" >> serials.txt
done
for f in k_ec_*.pem k_rsa_*.pem n*.pem e_*.pem; do
  s=$(x509 "$f" -serial | cut -d= -f2)
  case ${#s} in
    40) if [ $((16#${s:0:1})) -lt 8 ]; then ok; else fail "$f serial $s is negative-looking (top bit set)"; fi ;;
    38) ok ;;
    *) fail "$f serial $s has ${#s} hex digits (want 40, or 38 with a leading zero byte)" ;;
  esac
  echo "$s" >> serials.txt
done
expect_eq "$(sort serials.txt | uniq -d | wc -l)" 0 "serials are unique"
expect_eq "$(wc -l < serials.txt)" "$(grep -c . serials.txt)" "serials are printed"

# ---- validity ----------------------------------------------------------------------------------------
section "validity"
root t ec 256 t-root 8760h
expect_ok "$PKI" secrets tune -default-lease-ttl=10h t
expect_ok "$PKI" role write nottl -m t --allowed-domains example.com --allow-subdomains true --key-type ec
expect_ok "$PKI" role write rttl -m t --allowed-domains example.com --allow-subdomains true --key-type ec --ttl 3h
expect_ok "$PKI" role write cap -m t --allowed-domains example.com --allow-subdomains true --key-type ec --ttl 30m --max-ttl 1h
expect_ok "$PKI" role write nbd -m t --allowed-domains example.com --allow-subdomains true --key-type ec --not-before-duration 2m --ttl 1h
expect_ok "$PKI" role write rna -m t --allowed-domains example.com --allow-subdomains true --key-type ec --not-after 2027-06-30T12:00:00Z
# notBefore is backdated by not_before_duration (30s by default); notAfter = now + ttl.
now=$(date +%s)
issue_to v1 "$PKI" issue nottl -m t --common-name v.example.com
expect_eq "$(lifetime v1.pem)" $((10 * 3600 + 30)) "mount default ttl (10h) + 30s backdating"
near "$(not_before_of v1.pem)" $((now - 30)) 5 "notBefore backdated 30s"
issue_to v2 "$PKI" issue rttl -m t --common-name v.example.com
expect_eq "$(lifetime v2.pem)" $((3 * 3600 + 30)) "role ttl"
issue_to v3 "$PKI" issue rttl -m t --common-name v.example.com --ttl 2h
expect_eq "$(lifetime v3.pem)" $((2 * 3600 + 30)) "request ttl over role ttl"
issue_to v3b "$PKI" write t/issue/rttl common_name=v.example.com ttl=5400
expect_eq "$(lifetime v3b.pem)" $((5400 + 30)) "request ttl in seconds"
issue_to v4 "$PKI" issue cap -m t --common-name v.example.com --ttl 5h
expect_eq "$(lifetime v4.pem)" $((3600 + 30)) "ttl capped by role max_ttl"
expect_eq "$(jx v4.json 'any("max" in x.lower() or "capp" in x.lower() for x in (w or []))')" True "capping gives a warning (JSON)"
expect_ok "$PKI" issue cap -m t --common-name v.example.com --ttl 5h
expect_err_contains "Warning:"
issue_to v5 "$PKI" issue cap -m t --common-name v.example.com
expect_eq "$(lifetime v5.pem)" $((1800 + 30)) "role ttl under max_ttl"
now=$(date +%s)
issue_to v6 "$PKI" issue nbd -m t --common-name v.example.com
expect_eq "$(lifetime v6.pem)" $((3600 + 120)) "not_before_duration 2m"
near "$(not_before_of v6.pem)" $((now - 120)) 5 "notBefore backdated 2m"
# not_after: from the request, or from the role; ttl and not_after together are refused.
issue_to v7 "$PKI" issue nottl -m t --common-name v.example.com --not-after 2027-01-02T03:04:05Z
expect_eq "$(not_after_of v7.pem)" "$(epoch 2027-01-02T03:04:05Z)" "request not_after"
issue_to v8 "$PKI" issue rna -m t --common-name v.example.com
expect_eq "$(not_after_of v8.pem)" "$(epoch 2027-06-30T12:00:00Z)" "role not_after"
issue_to v8b "$PKI" issue rna -m t --common-name v.example.com --ttl 1h
expect_eq "$(lifetime v8b.pem)" $((3600 + 30)) "request ttl over role not_after"
expect_refused 1 "$PKI" issue nottl -m t --common-name v.example.com --ttl 1h --not-after 2027-01-02T03:04:05Z
expect_err_contains "not_after"
expect_refused 1 "$PKI" write t/issue/nottl common_name=v.example.com ttl=1h not_after=2027-01-02T03:04:05Z
expect_refused 1 "$PKI" issue nottl -m t --common-name v.example.com --not-after 2020-01-01T00:00:00Z
expect_err_contains "not_after"
expect_refused 1 "$PKI" issue nottl -m t --common-name v.example.com --not-after 'next week'
expect_err_contains "not_after"
expect_refused 1 "$PKI" issue nottl -m t --common-name v.example.com --ttl 1 --not-after 2027-01-02T03:04:05Z
# Without a role max_ttl, the mount maximum caps (with a warning).
expect_ok "$PKI" secrets enable -path=small pki
expect_ok "$PKI" secrets tune -default-lease-ttl=1h -max-lease-ttl=100h small
expect_ok "$PKI" write small/root/generate/internal common_name="Root small" key_type=ec ttl=100h
expect_ok "$PKI" role write w -m small --allowed-domains example.com --allow-subdomains true --key-type ec
issue_to v9 "$PKI" issue w -m small --common-name v.example.com --ttl 90h
expect_eq "$(lifetime v9.pem)" $((90 * 3600 + 30)) "ttl under the mount max"
expect_ok "$PKI" role write w2 -m small --allowed-domains example.com --allow-subdomains true --key-type ec --ttl 2h
expect_ok "$PKI" secrets tune -default-lease-ttl=1h -max-lease-ttl=1h small
issue_to v10 "$PKI" issue w2 -m small --common-name v.example.com
expect_eq "$(lifetime v10.pem)" $((3600 + 30)) "role ttl capped by the mount max"

# leaf_not_after_behavior: a short-lived issuer (2h) and a request for 5h.
root short ec 256 short 2h
expect_ok "$PKI" role write w -m short --allowed-domains example.com --allow-subdomains true --key-type ec --max-ttl 100h
expect_ok "$PKI" read -format=json short/issuer/short
save short_issuer.json
expect_eq "$(jf short_issuer.json leaf_not_after_behavior)" err "leaf_not_after_behavior defaults to err"
expect_refused 1 "$PKI" issue w -m short --common-name v.example.com --ttl 5h
expect_err_contains "leaf_not_after_behavior"
issue_to la0 "$PKI" issue w -m short --common-name v.example.com --ttl 1h
expect_eq "$(lifetime la0.pem)" $((3600 + 30)) "within the issuer's lifetime"
expect_ok "$PKI" issuer patch short -m short --leaf-not-after-behavior truncate
issue_to la1 "$PKI" issue w -m short --common-name v.example.com --ttl 5h
expect_eq "$(not_after_of la1.pem)" "$(not_after_of short-root.pem)" "truncate: notAfter is the issuer's"
verify_all short-root.pem la1.pem
expect_ok "$PKI" patch short/issuer/short leaf_not_after_behavior=permit
now=$(date +%s)
issue_to la2 "$PKI" issue w -m short --common-name v.example.com --ttl 5h
near "$(not_after_of la2.pem)" $((now + 5 * 3600)) 5 "permit: notAfter past the issuer's"
[ "$(not_after_of la2.pem)" -gt "$(not_after_of short-root.pem)" ] && ok || fail "permit: leaf does not outlive its issuer"
expect_ok "$PKI" issuer patch short -m short --leaf-not-after-behavior err
expect_refused 1 "$PKI" issue w -m short --common-name v.example.com --not-after 2030-01-01T00:00:00Z

# ---- response formats -----------------------------------------------------------------------------
section "formats"
# der: certificate, issuing_ca, ca_chain and private_key are base64 DER.
issue_to f_der "$PKI" issue web -m c --common-name der.example.com --encoding der
base64 -d < f_der.pem > f_der.crt 2>/dev/null
openssl x509 -inform der -in f_der.crt -out f_der_c.pem 2>/dev/null && ok || fail "format=der certificate is not base64 DER: $(head -c 100 f_der.pem)"
has "$(x509 f_der_c.pem -subject)" "der.example.com" "der certificate"
verify_all c-root.pem f_der_c.pem
base64 -d < f_der.ca 2>/dev/null | openssl x509 -inform der -noout 2>/dev/null && ok || fail "format=der issuing_ca is not base64 DER"
expect_eq "$(jx f_der.json '[__import__("base64").b64decode(c)[:1] == b"\x30" for c in d["ca_chain"]]')" "[True]" "format=der ca_chain entries are base64 DER"
base64 -d < f_der.key > f_der.keyder 2>/dev/null
openssl pkey -inform der -in f_der.keyder -out f_der_k.pem 2>/dev/null && ok || fail "format=der private_key is not base64 DER"
expect_eq "$(pubkey_of_key f_der_k.pem)" "$(pubkey_of_cert f_der_c.pem)" "der key matches"
# Vault style.
issue_to f_der2 "$PKI" write c/issue/web common_name=der.example.com format=der
base64 -d < f_der2.pem 2>/dev/null | openssl x509 -inform der -noout 2>/dev/null && ok || fail "format=der (Vault style)"
# pem_bundle: the certificate field holds the private key and the certificate (the key also in private_key).
issue_to f_pb "$PKI" issue web -m c --common-name pb.example.com --encoding pem_bundle
b=$(cat f_pb.pem)
has "$b" "-----BEGIN EC PRIVATE KEY-----" "pem_bundle key"
has "$b" "-----BEGIN CERTIFICATE-----" "pem_bundle certificate"
openssl x509 -in f_pb.pem -out f_pb_leaf.pem 2>/dev/null
has "$(x509 f_pb_leaf.pem -subject)" "pb.example.com" "pem_bundle: the first certificate is the leaf"
openssl pkey -in f_pb.pem -out f_pb_key.pem 2>/dev/null
expect_eq "$(pubkey_of_key f_pb_key.pem)" "$(pubkey_of_cert f_pb_leaf.pem)" "pem_bundle key matches the leaf"
expect_eq "$(pubkey_of_key f_pb.key)" "$(pubkey_of_cert f_pb_leaf.pem)" "pem_bundle private_key field"
# private_key_format pkcs8 (PEM and DER); der (the default) is PKCS#1 / SEC1.
issue_to f_p8 "$PKI" issue web -m c --common-name p8.example.com --private-key-format pkcs8
has "$(head -1 f_p8.key)" "-----BEGIN PRIVATE KEY-----" "pkcs8 PEM"
expect_eq "$(pubkey_of_key f_p8.key)" "$(pubkey_of_cert f_p8.pem)" "pkcs8 key matches"
issue_to f_p8r "$PKI" write rsa/issue/rsa2048 common_name=p8.example.com private_key_format=pkcs8
has "$(head -1 f_p8r.key)" "-----BEGIN PRIVATE KEY-----" "pkcs8 PEM (RSA)"
expect_eq "$(pubkey_of_key f_p8r.key)" "$(pubkey_of_cert f_p8r.pem)" "pkcs8 RSA key matches"
issue_to f_p8d "$PKI" issue web -m c --common-name p8.example.com --private-key-format pkcs8 --encoding der
# PKCS#8 starts with INTEGER 0 then an AlgorithmIdentifier SEQUENCE; SEC1 with INTEGER 1 then an OCTET STRING.
p=$(base64 -d < f_p8d.key 2>/dev/null | openssl asn1parse -inform der 2>&1 | sed -n '2,3p')
has "$p" "INTEGER           :00" "pkcs8 DER version"
has "$p" "SEQUENCE" "pkcs8 DER algorithm"
p=$(base64 -d < f_der.key 2>/dev/null | openssl asn1parse -inform der 2>&1 | sed -n '2,3p')
has "$p" "INTEGER           :01" "SEC1 DER version (default private_key_format der)"
has "$p" "OCTET STRING" "SEC1 DER private key"
expect_ok "$PKI" issue rsa2048 -m ec --common-name pk.example.com --private-key-format der -format=json
save f_pk1.json
has "$(jf f_pk1.json private_key | head -1)" "-----BEGIN RSA PRIVATE KEY-----" "private_key_format der with PEM: PKCS#1"
# Bad formats are refused.
expect_refused 1 "$PKI" issue web -m c --common-name x.example.com --encoding pfx
expect_err_contains "pfx"
expect_refused 1 "$PKI" write c/issue/web common_name=x.example.com format=crt
expect_refused 1 "$PKI" issue web -m c --common-name x.example.com --private-key-format pkcs12
expect_err_contains "pkcs12"
# Output formats of the CLI: --field and -format=pem.
expect_ok "$PKI" issue web -m c --common-name fld.example.com --field certificate
openssl x509 -in "$WORK/out" -noout 2>/dev/null && ok || fail "--field certificate is not a PEM certificate"

# ---- storage ----------------------------------------------------------------------------------------
section "storage"
s=$(jf n4.json serial_number)
expect_ok "$PKI" list -format=json c/certs
save certs.json
expect_eq "$(jx certs.json '"'"$s"'" in d["keys"]')" True "issued certificate is listed"
expect_ok "$PKI" read -format=json "c/cert/$s"
save stored.json
expect_eq "$(jf stored.json certificate)" "$(cat n4.pem)" "cert/:serial certificate"
expect_ok "$PKI" read "c/cert/$s/raw"
openssl x509 -inform der -in "$WORK/out" -outform pem -out raw.pem 2>/dev/null && ok || fail "cert/:serial/raw is not DER"
expect_eq "$(cat raw.pem)" "$(cat n4.pem)" "cert/:serial/raw"
expect_ok "$PKI" read "c/cert/$s/raw/pem"
expect_eq "$(cat "$WORK/out")" "$(cat n4.pem)" "cert/:serial/raw/pem"
# The serial also reads with dashes or in upper case? Vault accepts colon or dash forms.
expect_ok "$PKI" read -format=json "c/cert/${s//:/-}"
# no_store: nothing written; the serial is unknown afterwards.
expect_ok "$PKI" role write ns -m c --allowed-domains example.com --allow-subdomains true --key-type ec --no-store true
before=$(state_dump)
issue_to ns "$PKI" issue ns -m c --common-name ns.example.com
expect_eq "$(state_dump)" "$before" "no_store: the state is unchanged by the issue"
s=$(jf ns.json serial_number)
expect_ok "$PKI" list -format=json c/certs
save certs2.json
expect_eq "$(jx certs2.json '"'"$s"'" in d["keys"]')" False "no_store certificate is not listed"
expect_exit 1 "$PKI" read "c/cert/$s"
verify_all c-root.pem ns.pem
# generate_lease: accepted, with a warning about revocation by serial number.
expect_ok "$PKI" role write gl -m c --allowed-domains example.com --allow-subdomains true --key-type ec --generate-lease true
issue_to gl "$PKI" issue gl -m c --common-name gl.example.com
expect_eq "$(jx gl.json 'any("serial" in x for x in (w or []))')" True "generate_lease warns (JSON)"
expect_ok "$PKI" issue gl -m c --common-name gl.example.com
expect_err_contains "Warning:"
expect_err_contains "serial"
# The private key is never stored: neither its PEM body nor its DER bytes are in the state.
mdb_dump -p "$PKI_STATE_DIR" > dump.txt
mdb_dump "$PKI_STATE_DIR" > dumphex.txt
[ -s dump.txt ] && ok || fail "mdb_dump gave nothing"
for f in n1 n4 k_ec_rsa2048 k_rsa_ed25519 k_ec_ec384 f_p8 f_der_k; do
  kf=$f.key; [ $f = f_der_k ] && kf=f_der_k.pem
  body=$(grep -v -- '-----' "$kf" | tr -d '\n')
  [ ${#body} -gt 60 ] || { fail "no key body for $f"; continue; }
  for piece in "${body:10:40}" "${body: -50:40}"; do
    if grep -qF -- "$piece" dump.txt; then fail "private key of $f found in the state (base64)"; else ok; fi
  done
  der=$(openssl pkey -in "$kf" -outform der 2>/dev/null | od -An -tx1 -v | tr -d ' \n')
  if grep -qF -- "${der:40:64}" dumphex.txt; then fail "private key of $f found in the state (DER)"; else ok; fi
done

# ---- issuer selection ----------------------------------------------------------------------------------
section "issuer selection"
root multi ec 256 first
expect_ok "$PKI" write -format=json multi/root/generate/internal common_name="Root multi 2" key_type=rsa ttl=8760h issuer_name=second
jf "$WORK/out" certificate > second.pem
expect_ok "$PKI" role write def -m multi --allowed-domains example.com --allow-subdomains true --key-type ec
expect_ok "$PKI" role write sec -m multi --allowed-domains example.com --allow-subdomains true --key-type ec --issuer-ref second
issue_to is1 "$PKI" issue def -m multi --common-name s.example.com
expect_eq "$(cat is1.ca)" "$(cat multi-root.pem)" "role issuer_ref default: the default issuer"
verify_all multi-root.pem is1.pem
issue_to is2 "$PKI" issue sec -m multi --common-name s.example.com
expect_eq "$(cat is2.ca)" "$(cat second.pem)" "role issuer_ref second"
has "$(x509 is2.pem -text)" "sha256WithRSAEncryption" "issued by the RSA issuer"
verify_all second.pem is2.pem
# issuer/:ref/issue/:role overrides the role's issuer_ref.
issue_to is3 "$PKI" issuer issue first sec -m multi --common-name s.example.com
expect_eq "$(cat is3.ca)" "$(cat multi-root.pem)" "issuer issue first overrides the role"
verify_all multi-root.pem is3.pem
issue_to is4 "$PKI" write multi/issuer/second/issue/def common_name=s.example.com
expect_eq "$(cat is4.ca)" "$(cat second.pem)" "issuer/second/issue/def"
verify_all second.pem is4.pem
id=$("$PKI" read -format=json multi/issuer/second | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["issuer_id"])')
issue_to is5 "$PKI" issuer issue "$id" def -m multi --common-name s.example.com
expect_eq "$(cat is5.ca)" "$(cat second.pem)" "issuer issue by id"
issue_to is6 "$PKI" issuer issue default sec -m multi --common-name s.example.com
expect_eq "$(cat is6.ca)" "$(cat multi-root.pem)" "issuer issue default"
# Unknown issuers and roles, and key_type any, are refused and change nothing.
expect_refused 1 "$PKI" issuer issue nosuch def -m multi --common-name s.example.com
expect_err_contains "nosuch"
expect_ok "$PKI" role write dangling -m multi --allowed-domains example.com --allow-subdomains true --issuer-ref gone
expect_refused 1 "$PKI" issue dangling -m multi --common-name s.example.com
expect_err_contains "gone"
expect_refused 1 "$PKI" issue nosuchrole -m multi --common-name s.example.com
expect_err_contains "nosuchrole"
expect_refused 1 "$PKI" write multi/issue/nosuchrole common_name=s.example.com
expect_ok "$PKI" role write anyk -m multi --allowed-domains example.com --allow-subdomains true --key-type any
expect_refused 1 "$PKI" issue anyk -m multi --common-name s.example.com
expect_err_contains "any"
# A mount with no issuer at all.
expect_ok "$PKI" secrets enable -path=noca pki
expect_ok "$PKI" role write w -m noca --allowed-domains example.com --allow-subdomains true
expect_refused 1 "$PKI" issue w -m noca --common-name s.example.com

finish
