#!/usr/bin/env bash
# Certificates every linter accepts (issue 12), checked on the certificates themselves with
# OpenSSL and GnuTLS: name constraints of the chain enforced at issue, sign and sign-verbatim
# (refused with the state unchanged); a leading-dot constraint normalised; key usages fitted to
# the key type; CA-only usages refused on roles; TimeStamping alone and critical; OCSP signing
# certificates with id-pkix-ocsp-nocheck and no CRL distribution point; an IDN common name in its
# A-label form; the subject's attribute order.
source "$(dirname "$0")/lib.sh"

# to NAME CMD...: a successful issue/sign with -format=json; the certificate as NAME.pem.
to() {
  local name=$1; shift
  expect_ok "$@" -format=json
  cp "$WORK/out" "$name.json"
  jf "$name.json" certificate > "$name.pem"
}
ku() { ext "$1" keyUsage | sed -n 2p | xargs; }
csr() {  # csr NAME ALG SUBJ [-addext ...]: an unencrypted key NAME.key and its CSR NAME.csr
  local name=$1 alg=$2 subj=$3; shift 3
  case "$alg" in
    ec) openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -subj "$subj" "$@" -out "$name.csr" 2>/dev/null ;;
    rsa) openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -subj "$subj" "$@" -out "$name.csr" 2>/dev/null ;;
  esac
}

section "a root, and an intermediate constrained to example.com"
expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Profile Root" key_type=ec ttl=8760h issuer_name=root
jf "$WORK/out" certificate > root.pem
expect_ok "$PKI" secrets enable -max-lease-ttl=87600h -path=int pki
expect_ok "$PKI" write -format=json int/intermediate/generate/internal common_name="Constrained Int" key_type=ec
jf "$WORK/out" csr > int.csr
expect_ok "$PKI" write -format=json pki/root/sign-intermediate csr=@int.csr permitted_dns_domains=.example.com ttl=4000h
jf "$WORK/out" certificate > int.pem
expect_ok "$PKI" write int/intermediate/set-signed certificate=@int.pem
# The leading dot is dropped: the constraint is written as example.com.
nc=$(ext int.pem nameConstraints)
has "$nc" "DNS:example.com" "constraint normalised to example.com"
hasnt "$nc" "DNS:.example.com" "no dotted constraint written"

expect_ok "$PKI" role write web -m int --allow-any-name true --key-type ec --ttl 24h
section "names outside the constraints are refused, names inside verify"
expect_refused 1 "$PKI" issue web -m int --common-name www.other.org
expect_err_contains 'the name "www.other.org" is outside the name constraints of CA "Constrained Int" (permitted DNS subtrees: example.com)'
expect_refused 1 "$PKI" issue web -m int --common-name www.example.com --alt-names mail.other.org
expect_err_contains '"mail.other.org" is outside the name constraints'
to in "$PKI" issue web -m int --common-name www.example.com --alt-names example.com
verify_all root.pem in.pem int.pem
# sign: the CSR's names, sign-verbatim: the CSR's subject and SANs.
csr out ec /CN=api.other.org -addext subjectAltName=DNS:api.other.org
expect_refused 1 "$PKI" sign web -m int --csr @out.csr
expect_err_contains '"api.other.org" is outside the name constraints'
expect_refused 1 "$PKI" write int/sign-verbatim csr=@out.csr
expect_err_contains '"api.other.org" is outside the name constraints'
csr vout ec /CN=ok.example.com -addext subjectAltName=DNS:ok.example.com,DNS:bad.other.net
expect_refused 1 "$PKI" write int/sign-verbatim csr=@vout.csr
expect_err_contains '"bad.other.net" is outside the name constraints'
# Every CN of the subject counts, and so does an emailAddress in it.
csr twocn ec /CN=ok.example.com/CN=evil.org
expect_refused 1 "$PKI" write int/sign-verbatim csr=@twocn.csr
expect_err_contains '"evil.org" is outside the name constraints'
csr vin ec /CN=ok.example.com -addext subjectAltName=DNS:ok.example.com
to vin "$PKI" write int/sign-verbatim csr=@vin.csr
verify_all root.pem vin.pem int.pem
# A CN that is not a host name is not a DNS name and is not constrained.
expect_ok "$PKI" role write person -m int --allow-any-name true --enforce-hostnames false --key-type ec --require-cn true
to person "$PKI" issue person -m int --common-name "Jane Doe" --exclude-cn-from-sans true --alt-names jane.example.com
verify_without_nss root.pem person.pem int.pem
to jose "$PKI" issue person -m int --common-name "José" --exclude-cn-from-sans true --alt-names jose.example.com
expect_eq "$(x509 jose.pem -subject -nameopt oneline,-esc_msb)" "subject=CN = José" "a one-word CN stays as given (not a host name)"
# An imported CA with IP, e-mail and excluded subtrees (made by openssl): the others kinds too.
cat > nc.cnf <<'EOF'
[ext]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0,permitted;email:.example.com,permitted;DNS:example.com,excluded;DNS:secret.example.com,permitted;URI:.example.com
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ncroot.key -subj "/CN=NC Root" \
  -days 30 -extensions ext -config <(cat /etc/ssl/openssl.cnf nc.cnf) -out ncroot.pem 2>/dev/null
expect_ok "$PKI" secrets enable -max-lease-ttl=600h -path=nc pki
cat ncroot.pem ncroot.key > ncbundle.pem
expect_ok "$PKI" write nc/issuers/import/bundle pem_bundle=@ncbundle.pem
expect_ok "$PKI" role write any -m nc --allow-any-name true --key-type ec --ttl 1h --allowed-uri-sans 'https://*'
expect_refused 1 "$PKI" issue any -m nc --common-name a.secret.example.com
expect_err_contains 'is excluded by the name constraints of CA "NC Root" (excluded DNS subtree secret.example.com)'
expect_refused 1 "$PKI" issue any -m nc --common-name a.example.com --ip-sans 192.168.1.1
expect_err_contains '"192.168.1.1" is outside the name constraints of CA "NC Root" (permitted IP subtrees: 10.0.0.0/8)'
expect_refused 1 "$PKI" issue any -m nc --common-name a.example.com --alt-names me@elsewhere.org
expect_err_contains '"me@elsewhere.org" is outside'
expect_refused 1 "$PKI" write nc/issue/any common_name=a.example.com uri_sans=https://host.other.org/x
expect_err_contains '"https://host.other.org/x" is outside'
csr subjmail ec "/CN=a.example.com/emailAddress=x@other.org"
expect_refused 1 "$PKI" write nc/sign-verbatim csr=@subjmail.csr
expect_err_contains '"x@other.org" is outside'
to ncok "$PKI" write nc/issue/any common_name=a.example.com ip_sans=10.1.2.3 alt_names=me@mail.example.com uri_sans=https://h.example.com/p
verify_without_nss ncroot.pem ncok.pem

section "key usage fitted to the key"
expect_ok "$PKI" role write ecdef --allow-any-name true --key-type ec
expect_ok "$PKI" role write rsadef --allow-any-name true --key-type rsa
expect_ok "$PKI" role write eddef --allow-any-name true --key-type ed25519
expect_ok "$PKI" role write anydef --allow-any-name true --key-type any
to ec1 "$PKI" issue ecdef --common-name ec.example.com
expect_eq "$(ku ec1.pem)" "Digital Signature, Key Agreement" "EC leaf: no keyEncipherment"
to rsa1 "$PKI" issue rsadef --common-name rsa.example.com
expect_eq "$(ku rsa1.pem)" "Digital Signature, Key Encipherment" "RSA leaf: no keyAgreement"
to ed1 "$PKI" issue eddef --common-name ed.example.com
expect_eq "$(ku ed1.pem)" "Digital Signature" "Ed25519 leaf: digitalSignature only"
csr rsacsr rsa /CN=r.example.com
to rsa2 "$PKI" sign anydef --csr @rsacsr.csr
expect_eq "$(ku rsa2.pem)" "Digital Signature, Key Encipherment" "sign, RSA CSR"
csr eccsr ec /CN=e.example.com
to ec2 "$PKI" sign anydef --csr @eccsr.csr
expect_eq "$(ku ec2.pem)" "Digital Signature, Key Agreement" "sign, EC CSR"
to ec3 "$PKI" write pki/sign-verbatim csr=@eccsr.csr
expect_eq "$(ku ec3.pem)" "Digital Signature, Key Agreement" "sign-verbatim, EC CSR, default usages"
to rsa3 "$PKI" write pki/sign-verbatim csr=@rsacsr.csr key_usage=DigitalSignature,KeyAgreement,KeyEncipherment
expect_eq "$(ku rsa3.pem)" "Digital Signature, Key Encipherment" "sign-verbatim, RSA CSR, requested usages fitted"
for f in ec1 rsa1 ec2 rsa2 ec3 rsa3; do verify_all root.pem "$f.pem"; done
verify_without_nss root.pem ed1.pem
# sign-verbatim holds a CSR's own usages to the same rules.
csr kex ec /CN=kex.example.com -addext keyUsage=critical,keyEncipherment
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@kex.csr
expect_err_contains 'the CSR asks only for key usages its ec key cannot have'
csr kmix ec /CN=kmix.example.com -addext keyUsage=critical,digitalSignature,keyEncipherment
to kmix "$PKI" write pki/sign-verbatim csr=@kmix.csr
expect_eq "$(ku kmix.pem)" "Digital Signature" "sign-verbatim: the CSR's usages fitted to its EC key"
csr tsmix ec /CN=ts.example.com -addext extendedKeyUsage=serverAuth,timeStamping
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@tsmix.csr
expect_err_contains 'TimeStamping extended key usage must be the only one'
csr ocspcsr ec /CN=responder.example.com -addext extendedKeyUsage=OCSPSigning
to ocspv "$PKI" write pki/sign-verbatim csr=@ocspcsr.csr
has "$(text ocspv.pem)" "OCSP No Check" "sign-verbatim: an OCSP signing CSR gets nocheck"
expect_refused 1 "$PKI" role write ca1 --key-usage DigitalSignature,CertSign
expect_err_contains 'key_usage CertSign is only for CA certificates'
expect_refused 1 "$PKI" write pki/roles/ca2 key_usage=CRLSign
expect_err_contains 'key_usage CRLSign is only for CA certificates'
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@eccsr.csr key_usage=CertSign
expect_err_contains 'key_usage CertSign is only for CA certificates'

section "TimeStamping alone and critical; OCSP signing with nocheck"
expect_refused 1 "$PKI" role write ts1 --allow-any-name true --key-type ec --ext-key-usage TimeStamping
expect_err_contains 'the TimeStamping extended key usage must be the only one (RFC 3161 2.3)'
expect_ok "$PKI" role write ts --allow-any-name true --key-type ec --server-flag false --client-flag false --ext-key-usage TimeStamping
to ts "$PKI" issue ts --common-name tsa.example.com
has "$(text ts.pem)" "X509v3 Extended Key Usage: critical" "TimeStamping EKU critical"
expect_eq "$(ku ts.pem)" "Digital Signature" "a time-stamping key only signs"
expect_eq "$(ext ts.pem extendedKeyUsage | sed -n 2p | xargs)" "Time Stamping" "TimeStamping alone"
if openssl verify -x509_strict -purpose timestampsign -CAfile root.pem ts.pem >v.out 2>&1; then ok; else fail "timestampsign purpose: $(cat v.out)"; fi
expect_ok "$PKI" write pki/config/urls crl_distribution_points=http://crl.example.com/pki.crl issuing_certificates=http://ca.example.com/ca
expect_ok "$PKI" role write ocsp --allow-any-name true --key-type ec --server-flag false --client-flag false --ext-key-usage OCSPSigning
to ocsp "$PKI" issue ocsp --common-name ocsp.example.com
t=$(text ocsp.pem)
has "$t" "OCSP No Check" "OCSP signer: id-pkix-ocsp-nocheck"
hasnt "$t" "CRL Distribution Points" "OCSP signer: no CRL distribution point"
has "$t" "CA Issuers - URI:http://ca.example.com/ca" "OCSP signer: AIA kept"
to web "$PKI" issue ecdef --common-name web.example.com
has "$(text web.pem)" "URI:http://crl.example.com/pki.crl" "other leaves keep the CRL distribution point"
hasnt "$(text web.pem)" "OCSP No Check" "other leaves: no nocheck"
USAGE=10 verify_all root.pem ocsp.pem  # NSS: certUsageStatusResponder

section "key_usage of CA certificates"
expect_eq "$(ku root.pem)" "Certificate Sign, CRL Sign" "root: CertSign, CRLSign by default"
expect_ok "$PKI" secrets enable -path=ku pki
expect_ok "$PKI" write -format=json ku/root/generate/internal common_name="OCSP Root" key_type=ec key_usage=CertSign,CRLSign,DigitalSignature
jf "$WORK/out" certificate > kuroot.pem
expect_eq "$(ku kuroot.pem)" "Digital Signature, Certificate Sign, CRL Sign" "root: DigitalSignature allowed"
verify_all kuroot.pem kuroot.pem
expect_refused 1 "$PKI" write ku/root/generate/internal common_name=Bad key_type=ec key_usage=CertSign,KeyEncipherment
expect_err_contains 'key_usage: keyEncipherment is not a usage of a CA certificate'
expect_refused 1 "$PKI" write ku/root/generate/internal common_name=Bad key_type=ec key_usage=CRLSign
expect_err_contains 'key_usage must include CertSign'
expect_ok "$PKI" write -format=json ku/intermediate/generate/internal common_name="KU Int" key_type=ec key_usage=CertSign,CRLSign
jf "$WORK/out" csr > kuint.csr
has "$(openssl req -in kuint.csr -noout -text)" "Certificate Sign, CRL Sign" "intermediate CSR asks for the key usages"
expect_ok "$PKI" write -format=json int/intermediate/generate/internal common_name="Plain CSR" key_type=ec key_name=plain
jf "$WORK/out" csr > plain.csr
hasnt "$(openssl req -in plain.csr -noout -text)" "Key Usage" "no key_usage given: the CSR asks for none"

section "internationalised common name, subject order"
to idn "$PKI" issue ecdef --common-name bücher.example.com
expect_eq "$(x509 idn.pem -subject -nameopt RFC2253)" "subject=CN=xn--bcher-kva.example.com" "CN in A-label form"
has "$(ext idn.pem subjectAltName)" "DNS:xn--bcher-kva.example.com" "SAN agrees with the CN"
expect_ok "$PKI" secrets enable -path=idn pki
expect_ok "$PKI" write -format=json idn/root/generate/internal common_name=ca.bücher.example key_type=ec
jf "$WORK/out" certificate > idnroot.pem
expect_eq "$(x509 idnroot.pem -subject -nameopt RFC2253)" "subject=CN=ca.xn--bcher-kva.example" "root CN in A-label form"
expect_ok "$PKI" role write org --allow-any-name true --key-type ec --organization Acme --ou Eng --country NL --locality Amsterdam \
  --province NH --street-address "Dam 1" --postal-code 1012 --allowed-serial-numbers "SN*"
to org "$PKI" issue org --common-name o.example.com --serial-number SN1
expect_eq "$(x509 org.pem -subject -nameopt oneline,-esc_msb)" \
  "subject=C = NL, ST = NH, L = Amsterdam, street = Dam 1, postalCode = 1012, O = Acme, OU = Eng, CN = o.example.com, serialNumber = SN1" \
  "subject attributes in the usual order"

finish
