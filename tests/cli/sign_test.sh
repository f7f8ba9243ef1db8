#!/usr/bin/env bash
# Signing CSRs end to end (issue 4): sign/:role with CSRs made by `openssl req` for every key type
# and size, the role's key_type/key_bits (and key_type any) enforced on the CSR's key, RSA-1024,
# badly signed and garbage CSRs refused, use_csr_common_name / use_csr_sans, sign-verbatim (subject
# and extensions kept, CA requests refused, key usages only as defaults, a role lending ttl,
# max_ttl, no_store, not_before_duration), and issuer selection with issuer/:ref/sign/:role and
# issuer/:ref/sign-verbatim. Everything signed is verified by OpenSSL, GnuTLS and NSS.
source "$(dirname "$0")/lib.sh"

# ---- helpers ------------------------------------------------------------------------------------
san_of() { ext "$1" subjectAltName | sed -n 2p | xargs; }
# sign_to NAME CMD...: a successful sign with -format=json; NAME.json, NAME.pem (certificate), NAME.ca.
sign_to() {
  local name=$1; shift
  expect_ok "$@" -format=json
  cp "$WORK/out" "$name.json"; cp "$WORK/err" "$name.err"
  jf "$name.json" certificate > "$name.pem"
  jf "$name.json" issuing_ca > "$name.ca"
}
# csr NAME KEYSPEC SUBJECT [openssl req args...]: NAME.csr and NAME.key made by openssl req.
# KEYSPEC: rsa:BITS, ec:CURVE (P-224 ...), ed25519.
csr() {
  local name=$1 spec=$2 subj=$3; shift 3
  local kargs
  case $spec in
    rsa:*) kargs=(-newkey "rsa:${spec#rsa:}") ;;
    ec:*) kargs=(-newkey ec -pkeyopt "ec_paramgen_curve:${spec#ec:}") ;;
    ed25519) kargs=(-newkey ed25519) ;;
  esac
  openssl req -new "${kargs[@]}" -nodes -keyout "$name.key" -subj "$subj" -out "$name.csr" "$@" 2>"$WORK/req.err" ||
    fail "openssl req for $name: $(cat "$WORK/req.err")"
}
# verify_kt KEYTYPE ROOT LEAF: verify_all, without NSS for an Ed25519 leaf key (see lib.sh).
verify_kt() { local kt=$1; shift; if [ "$kt" = ed25519 ]; then verify_without_nss "$@"; else verify_all "$@"; fi; }

expect_ok "$PKI" secrets enable pki
expect_ok "$PKI" secrets tune -max-lease-ttl=87600h -default-lease-ttl=10h pki
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Sign Root" key_type=ec ttl=8760h issuer_name=first
jf "$WORK/out" certificate > root.pem
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Sign Root 2" key_type=rsa ttl=8760h issuer_name=second
jf "$WORK/out" certificate > root2.pem

# ---- every key type ----------------------------------------------------------------------------
section "key types"
for kt in rsa:2048:rsa:2048 rsa:3072:rsa:3072 rsa:4096:rsa:4096 ec:224:ec:P-224 ec:256:ec:P-256 ec:384:ec:P-384 ec:521:ec:P-521 ed25519:0:ed25519; do
  IFS=: read -r t b spec1 spec2 <<<"$kt"
  spec=$spec1${spec2:+:$spec2}
  n="$t${b#0}"
  expect_ok "$PKI" role write "$n" --allowed-domains example.com --allow-subdomains true --key-type "$t" --key-bits "$b"
  csr "c_$n" "$spec" "/CN=$n.example.com"
  if [ "$t" = rsa ] && [ "$b" = 3072 ]; then
    sign_to "s_$n" "$PKI" write "pki/sign/$n" csr=@"c_$n.csr"
  else
    sign_to "s_$n" "$PKI" sign "$n" --csr @"c_$n.csr"
  fi
  expect_eq "$(pubkey_of_cert "s_$n.pem")" "$(pubkey_of_csr "c_$n.csr")" "$n: the certificate carries the CSR's key"
  has "$(x509 "s_$n.pem" -subject)" "CN = $n.example.com" "$n subject"
  expect_eq "$(san_of "s_$n.pem")" "DNS:$n.example.com" "$n SAN"
  has "$(x509 "s_$n.pem" -text)" "ecdsa-with-SHA256" "$n signed by the P-256 root"
  expect_eq "$(jx "s_$n.json" '"private_key" in d')" False "$n: sign returns no private key"
  expect_eq "$(cat "s_$n.ca")" "$(cat root.pem)" "$n issuing_ca"
  verify_kt "$t" root.pem "s_$n.pem"
done

# ---- the CSR's key must meet the role ----------------------------------------------------------------
section "key checks"
csr r1024 rsa:1024 /CN=a.example.com
csr r2048 rsa:2048 /CN=a.example.com
csr r4096 rsa:4096 /CN=a.example.com
csr e256 ec:P-256 /CN=a.example.com
csr e384 ec:P-384 /CN=a.example.com
csr ed ed25519 /CN=a.example.com
refuse_sign() {  # refuse_sign ROLE CSR NEEDLE
  expect_refused 1 "$PKI" sign "$1" --csr @"$2.csr"
  expect_err_contains "$3"
}
refuse_sign ec256 r2048 rsa
refuse_sign ec256 ed ed25519
refuse_sign rsa2048 e256 ec
refuse_sign rsa2048 ed ed25519
refuse_sign ed25519 e256 ec
refuse_sign ed25519 r2048 rsa
refuse_sign rsa4096 r2048 2048
refuse_sign rsa3072 r2048 2048
refuse_sign ec384 e256 256
refuse_sign rsa2048 r1024 1024
expect_refused 1 "$PKI" write pki/sign/rsa2048 csr=@r1024.csr
# Vault checks a minimum size: a larger key of the right type is accepted.
sign_to big "$PKI" sign rsa2048 --csr @r4096.csr
has "$(x509 big.pem -text)" "Public-Key: (4096 bit)" "RSA 4096 CSR under a 2048 role"
sign_to big2 "$PKI" sign ec256 --csr @e384.csr
has "$(x509 big2.pem -text)" "secp384r1" "P-384 CSR under a P-256 role (Vault: at least the role's size)"
# key_type any: RSA >= 2048, every curve, Ed25519; never RSA-1024.
expect_ok "$PKI" role write any --allowed-domains example.com --allow-subdomains true --key-type any
for c in c_rsa2048 c_rsa3072 c_rsa4096 c_ec224 c_ec256 c_ec384 c_ec521 c_ed25519; do
  sign_to "any_$c" "$PKI" sign any --csr @"$c.csr"
  expect_eq "$(pubkey_of_cert "any_$c.pem")" "$(pubkey_of_csr "$c.csr")" "key_type any: $c"
  case $c in *ed25519) verify_kt ed25519 root.pem "any_$c.pem" ;; *) verify_kt x root.pem "any_$c.pem" ;; esac
done
refuse_sign any r1024 1024

# ---- bad CSRs -----------------------------------------------------------------------------------------
section "bad CSRs"
# A corrupted signature: flip the last byte of the DER (inside the signature BIT STRING).
flip_last() {  # flip_last IN.csr OUT.csr
  openssl req -in "$1" -outform der -out "$WORK/csr.der"
  python3 - "$WORK/csr.der" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 0x01; open(sys.argv[1], "wb").write(bytes(b))
PY
  openssl req -inform der -in "$WORK/csr.der" -out "$2" 2>/dev/null || fail "could not re-encode $1"
}
# A changed subject under the original signature: the tbs part no longer matches.
change_subject() {  # change_subject IN.csr OUT.csr (CN "a.example.com" -> "b.example.com")
  openssl req -in "$1" -outform der -out "$WORK/csr.der"
  python3 - "$WORK/csr.der" <<'PY'
import sys
b = open(sys.argv[1], "rb").read(); i = b.index(b"a.example.com")
open(sys.argv[1], "wb").write(b[:i] + b"b" + b[i + 1:])
PY
  openssl req -inform der -in "$WORK/csr.der" -out "$2" 2>/dev/null || fail "could not re-encode $1"
}
flip_last r2048.csr bad_r.csr
flip_last e256.csr bad_e.csr
flip_last ed.csr bad_ed.csr
change_subject e256.csr bad_subj.csr
for b in bad_r bad_e bad_ed bad_subj; do
  # The corruption is real: openssl itself rejects the CSR's signature.
  # (openssl 3.0's req -verify exits 0 either way; its message says which.)
  if openssl req -in "$b.csr" -noout -verify 2>&1 | grep -q "verify OK"; then fail "$b.csr still verifies with openssl req -verify"; else ok; fi
  openssl req -in "$b.csr" -noout 2>/dev/null && ok || fail "$b.csr does not parse"
done
expect_refused 1 "$PKI" sign rsa2048 --csr @bad_r.csr
expect_err_contains "signature"
expect_refused 1 "$PKI" sign ec256 --csr @bad_e.csr
expect_err_contains "signature"
expect_refused 1 "$PKI" sign ed25519 --csr @bad_ed.csr
expect_err_contains "signature"
expect_refused 1 "$PKI" sign ec256 --csr @bad_subj.csr
expect_err_contains "signature"
expect_refused 1 "$PKI" sign any --csr @bad_e.csr
expect_refused 1 "$PKI" write pki/sign/ec256 csr=@bad_subj.csr
expect_refused 1 "$PKI" sign-verbatim --csr @bad_e.csr
expect_err_contains "signature"
expect_refused 1 "$PKI" sign-verbatim --csr @bad_subj.csr
expect_refused 1 "$PKI" sign-verbatim --csr @r1024.csr
expect_err_contains "1024"
# Garbage: text, a certificate instead of a CSR, a truncated CSR, nothing.
echo "hello, not a CSR" > garbage.csr
head -c 200 e256.csr > trunc.csr
sed 's/CERTIFICATE REQUEST/CERTIFICATE/' e256.csr > wronglabel.csr
for g in garbage trunc root wronglabel; do
  f=$g.csr; [ $g = root ] && f=root.pem
  expect_refused 1 "$PKI" sign ec256 --csr @"$f"
  expect_err_contains "CERTIFICATE REQUEST"
  expect_refused 1 "$PKI" sign-verbatim --csr @"$f"
done
expect_refused 1 "$PKI" sign ec256 --csr ""
expect_err_contains "csr"
expect_refused 1 "$PKI" write pki/sign/ec256 common_name=a.example.com
expect_err_contains "csr"
# A DER CSR given as base64 is not PEM: refused, or signed; never a crash (exit 3) or a partial write.
openssl req -in e256.csr -outform der | base64 -w0 > b64.csr
before=$(state_dump)
rc=0; "$PKI" sign ec256 --csr @b64.csr >"$WORK/out" 2>"$WORK/err" || rc=$?
case $rc in 0|1) ok ;; *) fail "base64 DER CSR: exit $rc: $(cat "$WORK/err")" ;; esac
[ $rc = 1 ] && { [ "$(state_dump)" = "$before" ] && ok || fail "refused base64 CSR changed the state"; }

# ---- where names come from ------------------------------------------------------------------------------
section "use_csr_common_name / use_csr_sans"
csr names ec:P-256 "/CN=csr.example.com/O=CsrOrg/OU=CsrUnit" \
  -addext "subjectAltName=DNS:csralt.example.com,email:csr@mail.example.com,IP:10.9.9.9,URI:spiffe://example.com/csr" \
  -addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning"
ROLE_ARGS=(--allowed-domains example.com --allow-subdomains true --key-type ec --allowed-uri-sans 'spiffe://example.com/*' --organization RoleOrg)
# true/true (the defaults): names from the CSR; the request's names are not used.
expect_ok "$PKI" role write both "${ROLE_ARGS[@]}"
sign_to u1 "$PKI" sign both --csr @names.csr --common-name req.example.com --alt-names reqalt.example.com --ip-sans 10.1.1.1
subj=$(x509 u1.pem -subject)
has "$subj" "CN = csr.example.com" "use_csr_common_name: CN from the CSR"
hasnt "$subj" "req.example.com" "use_csr_common_name: request CN unused"
san=$(san_of u1.pem)
for want in DNS:csr.example.com DNS:csralt.example.com email:csr@mail.example.com "IP Address:10.9.9.9" URI:spiffe://example.com/csr; do
  has "$san" "$want" "use_csr_sans: CSR SANs"
done
hasnt "$san" reqalt "use_csr_sans: request alt_names unused"
hasnt "$san" 10.1.1.1 "use_csr_sans: request ip_sans unused"
# The subject's other fields come from the role, and the usages from the role, not from the CSR.
has "$subj" "O = RoleOrg" "role organization"
hasnt "$subj" "CsrOrg" "CSR organization unused by sign"
hasnt "$subj" "CsrUnit" "CSR OU unused by sign"
expect_eq "$(ext u1.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Key Agreement" "sign: role key usage (fitted to the EC key)"
expect_eq "$(ext u1.pem extendedKeyUsage | sed -n 2p | xargs)" "TLS Web Server Authentication, TLS Web Client Authentication" "sign: role EKU"
verify_all root.pem u1.pem
# use_csr_common_name=false: the CN comes from the request; the CSR's CN is neither CN nor SAN.
expect_ok "$PKI" role write reqcn "${ROLE_ARGS[@]}" --use-csr-common-name false
sign_to u2 "$PKI" sign reqcn --csr @names.csr --common-name req.example.com
has "$(x509 u2.pem -subject)" "CN = req.example.com" "use_csr_common_name=false: request CN"
san=$(san_of u2.pem)
has "$san" DNS:req.example.com "request CN in the SANs"
has "$san" DNS:csralt.example.com "CSR SANs still used"
hasnt "$san" DNS:csr.example.com "CSR CN not used"
verify_all root.pem u2.pem
# With require_cn (default) and no request CN, use_csr_common_name=false has no CN: refused.
expect_refused 1 "$PKI" sign reqcn --csr @names.csr
expect_err_contains "common_name"
# use_csr_sans=false: the SANs come from the request; the CSR's are dropped.
expect_ok "$PKI" role write reqsans "${ROLE_ARGS[@]}" --use-csr-sans false
sign_to u3 "$PKI" write pki/sign/reqsans csr=@names.csr common_name=ignored.example.com alt_names=reqalt.example.com ip_sans=10.1.1.1 uri_sans=spiffe://example.com/req
has "$(x509 u3.pem -subject)" "CN = csr.example.com" "use_csr_sans=false keeps the CSR CN"
san=$(san_of u3.pem)
for want in DNS:csr.example.com DNS:reqalt.example.com "IP Address:10.1.1.1" URI:spiffe://example.com/req; do
  has "$san" "$want" "use_csr_sans=false: request SANs"
done
for no in csralt email:csr 10.9.9.9 spiffe://example.com/csr ignored.example.com; do hasnt "$san" "$no" "use_csr_sans=false drops CSR SANs"; done
verify_all root.pem u3.pem
# Both false: everything from the request.
expect_ok "$PKI" role write neither "${ROLE_ARGS[@]}" --use-csr-common-name false --use-csr-sans false
sign_to u4 "$PKI" sign neither --csr @names.csr --common-name req.example.com --alt-names reqalt.example.com
has "$(x509 u4.pem -subject)" "CN = req.example.com" "both false: CN"
san=$(san_of u4.pem)
has "$san" DNS:reqalt.example.com "both false: alt name"
has "$san" DNS:req.example.com "both false: CN SAN"
hasnt "$san" csr "both false: nothing from the CSR"
expect_eq "$(pubkey_of_cert u4.pem)" "$(pubkey_of_csr names.csr)" "both false: still the CSR's key"
# Names from the CSR are policy-checked like requested ones.
csr evil ec:P-256 /CN=www.evil.com
expect_refused 1 "$PKI" sign both --csr @evil.csr
expect_err_contains "www.evil.com"
expect_err_contains '"both"'
csr evilsan ec:P-256 /CN=ok.example.com -addext "subjectAltName=DNS:ok.example.com,DNS:x.evil.com"
expect_refused 1 "$PKI" sign both --csr @evilsan.csr
expect_err_contains "x.evil.com"
csr eviluri ec:P-256 /CN=ok.example.com -addext "subjectAltName=URI:https://evil.com/x"
expect_refused 1 "$PKI" sign both --csr @eviluri.csr
expect_err_contains "https://evil.com/x"
# ...but with use_csr_common_name=false an unacceptable CSR CN does not matter.
sign_to u5 "$PKI" sign reqcn --csr @evil.csr --common-name fine.example.com
has "$(x509 u5.pem -subject)" "CN = fine.example.com" "CSR CN ignored"
hasnt "$(san_of u5.pem)" evil "CSR CN not in SANs"
# A CSR without a CN under require_cn=true (CN from the CSR) is refused; require_cn=false signs it.
csr nocn ec:P-256 /O=NoCN -addext "subjectAltName=DNS:nocn.example.com"
expect_refused 1 "$PKI" sign both --csr @nocn.csr
expect_err_contains "common_name"
expect_ok "$PKI" role write nocn "${ROLE_ARGS[@]}" --require-cn false
sign_to u6 "$PKI" sign nocn --csr @nocn.csr
expect_eq "$(san_of u6.pem)" "DNS:nocn.example.com" "no CN: SANs from the CSR"
verify_all root.pem u6.pem
# use_csr_common_name=true but the CSR has no CN: the request's common_name is used (Vault falls
# back to it: "the common_name field is required, or must be provided in a CSR").
sign_to u7 "$PKI" sign both --csr @nocn.csr --common-name given.example.com
has "$(x509 u7.pem -subject)" "CN = given.example.com" "CSR without CN: the request's CN"
has "$(san_of u7.pem)" "DNS:given.example.com" "CSR without CN: the request's CN in the SANs"
# A subject serial number: from the request, else from the CSR's subject (Vault); either way
# checked against allowed_serial_numbers.
csr sn ec:P-256 "/CN=sn.example.com/serialNumber=SN-7"
expect_ok "$PKI" role write sn "${ROLE_ARGS[@]}" --allowed-serial-numbers 'SN-*'
sign_to u8 "$PKI" sign sn --csr @sn.csr
has "$(x509 u8.pem -subject -nameopt sep_multiline,lname)" "serialNumber=SN-7" "the CSR's subject serial number"
sign_to u9 "$PKI" sign sn --csr @sn.csr --serial-number SN-8
s=$(x509 u9.pem -subject -nameopt sep_multiline,lname)
has "$s" "serialNumber=SN-8" "the request's serial number first"
hasnt "$s" "SN-7" "the request's serial number replaces the CSR's"
expect_refused 1 "$PKI" sign both --csr @sn.csr
expect_err_contains "SN-7"
expect_err_contains '"both"'

# ---- formats and storage of sign ---------------------------------------------------------------------
section "sign formats and storage"
sign_to sf1 "$PKI" sign ec256 --csr @c_ec256.csr --encoding der
base64 -d < sf1.pem 2>/dev/null | openssl x509 -inform der -noout 2>/dev/null && ok || fail "sign format=der"
sign_to sf2 "$PKI" sign ec256 --csr @c_ec256.csr --encoding pem_bundle
openssl x509 -in sf2.pem -out sf2_leaf.pem 2>/dev/null
has "$(x509 sf2_leaf.pem -subject)" "ec256.example.com" "sign pem_bundle: the leaf first"
hasnt "$(cat sf2.pem)" "PRIVATE KEY" "sign pem_bundle has no private key"
s=$(jf s_ec256.json serial_number)
expect_ok "$PKI" read -format=json "pki/cert/$s"
save st.json
expect_eq "$(jf st.json certificate)" "$(cat s_ec256.pem)" "signed certificate stored"
expect_ok "$PKI" role write nostore --allowed-domains example.com --allow-subdomains true --key-type ec --no-store true
before=$(state_dump)
sign_to sns "$PKI" sign nostore --csr @c_ec256.csr
expect_eq "$(state_dump)" "$before" "sign with no_store writes nothing"
expect_exit 1 "$PKI" read "pki/cert/$(jf sns.json serial_number)"

# ---- issuer selection ------------------------------------------------------------------------------------
section "issuer/:ref/sign/:role"
sign_to is1 "$PKI" issuer sign second ec256 --csr @c_ec256.csr
expect_eq "$(cat is1.ca)" "$(cat root2.pem)" "issuer sign second"
has "$(x509 is1.pem -text)" sha256WithRSAEncryption "signed by the RSA issuer"
verify_all root2.pem is1.pem
sign_to is2 "$PKI" write pki/issuer/first/sign/ec256 csr=@c_ec256.csr
expect_eq "$(cat is2.ca)" "$(cat root.pem)" "issuer/first/sign"
verify_all root.pem is2.pem
expect_ok "$PKI" role write viasecond --allowed-domains example.com --allow-subdomains true --key-type ec --issuer-ref second
sign_to is3 "$PKI" sign viasecond --csr @c_ec256.csr
expect_eq "$(cat is3.ca)" "$(cat root2.pem)" "role issuer_ref selects the issuer for sign"
sign_to is4 "$PKI" issuer sign first viasecond --csr @c_ec256.csr
expect_eq "$(cat is4.ca)" "$(cat root.pem)" "the path's issuer overrides the role's"
expect_refused 1 "$PKI" issuer sign nosuch ec256 --csr @c_ec256.csr
expect_err_contains nosuch
expect_refused 1 "$PKI" sign nosuchrole --csr @c_ec256.csr
expect_err_contains nosuchrole

# ---- sign-verbatim ---------------------------------------------------------------------------------------
section "sign-verbatim"
csr vb ec:P-256 "/C=NL/ST=Zuid-Holland/L=Delft/O=Verbatim Org/OU=Unit A/CN=anything.evil.org/emailAddress=pki@evil.org" \
  -addext "subjectAltName=DNS:anything.evil.org,DNS:*.wild.evil.org,IP:192.0.2.7,URI:urn:example:verbatim,email:a@evil.org" \
  -addext "keyUsage=critical,digitalSignature,nonRepudiation" -addext "extendedKeyUsage=codeSigning,emailProtection" \
  -addext "1.3.6.1.4.1.99999.1=ASN1:UTF8String:custom-value" -addext "certificatePolicies=1.2.3.4.5"
sign_to vb1 "$PKI" sign-verbatim --csr @vb.csr
expect_eq "$(x509 vb1.pem -subject -nameopt RFC2253)" "$(openssl req -in vb.csr -noout -subject -nameopt RFC2253)" "verbatim: the CSR's subject"
san=$(san_of vb1.pem)
for want in DNS:anything.evil.org "DNS:*.wild.evil.org" "IP Address:192.0.2.7" URI:urn:example:verbatim email:a@evil.org; do
  has "$san" "$want" "verbatim: CSR SANs"
done
expect_eq "$(ext vb1.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Non Repudiation" "verbatim: CSR key usage kept"
expect_eq "$(ext vb1.pem extendedKeyUsage | sed -n 2p | xargs)" "Code Signing, E-mail Protection" "verbatim: CSR EKU kept"
t=$(text vb1.pem)
has "$t" "1.3.6.1.4.1.99999.1" "verbatim: custom extension kept"
has "$t" "custom-value" "verbatim: custom extension value"
has "$t" "Policy: 1.2.3.4.5" "verbatim: CSR policies kept"
expect_eq "$(pubkey_of_cert vb1.pem)" "$(pubkey_of_csr vb.csr)" "verbatim: the CSR's key"
has "$t" "Authority Key Identifier" "verbatim: AKID"
# (its EKU is codeSigning + emailProtection: NSS checks it as an object signer)
USAGE=6 verify_all root.pem vb1.pem
# Requested key usages are only defaults: the CSR's win.
sign_to vb2 "$PKI" write pki/sign-verbatim csr=@vb.csr key_usage=KeyAgreement ext_key_usage=ServerAuth ext_key_usage_oids=1.2.3.4
expect_eq "$(ext vb2.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Non Repudiation" "verbatim: request key_usage ignored when the CSR has one"
expect_eq "$(ext vb2.pem extendedKeyUsage | sed -n 2p | xargs)" "Code Signing, E-mail Protection" "verbatim: request EKU ignored when the CSR has one"
# A CSR without usages: the defaults (KU DigitalSignature, KeyAgreement, KeyEncipherment, less what
# the key cannot have: keyEncipherment for this EC key; no EKU), or the request's.
csr plainv ec:P-256 "/CN=plain.evil.org/O=Plain"
sign_to vb3 "$PKI" sign-verbatim --csr @plainv.csr
expect_eq "$(ext vb3.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Key Agreement" "verbatim: default key usage"
hasnt "$(text vb3.pem)" "Extended Key Usage" "verbatim: no EKU by default"
expect_eq "$(x509 vb3.pem -subject)" "subject=CN = plain.evil.org, O = Plain" "verbatim: subject order kept"
verify_all root.pem vb3.pem
sign_to vb4 "$PKI" sign-verbatim --csr @plainv.csr --key-usage DigitalSignature --ext-key-usage ClientAuth,EmailProtection --ext-key-usage-oids 1.3.6.1.4.1.311.10.3.12
expect_eq "$(ext vb4.pem keyUsage | sed -n 2p | xargs)" "Digital Signature" "verbatim: request key_usage when the CSR has none"
e=$(ext vb4.pem extendedKeyUsage | sed -n 2p)
has "$e" "TLS Web Client Authentication" "verbatim: request EKU"
has "$e" "E-mail Protection" "verbatim: request EKU (2)"
has "$e" "1.3.6.1.4.1.311.10.3.12" "verbatim: request EKU OID"
sign_to vb5 "$PKI" write pki/sign-verbatim csr=@plainv.csr key_usage=
hasnt "$(text vb5.pem)" "X509v3 Key Usage" "verbatim: empty key_usage gives none"
# A CSR asking for CA:TRUE gets a leaf without the CA constraint, with a warning (as Vault); a CSR
# asking for keyCertSign stays refused; CA:FALSE is kept.
csr vca ec:P-256 /CN=ca.evil.org -addext "basicConstraints=critical,CA:TRUE"
sign_to vca_leaf "$PKI" sign-verbatim --csr @vca.csr
expect_err_contains "the CSR asks for CA:TRUE; sign-verbatim issues leaves"
hasnt "$(text vca_leaf.pem)" "CA:TRUE" "verbatim: CA:TRUE dropped"
hasnt "$(text vca_leaf.pem)" "X509v3 Basic Constraints" "verbatim: no basic constraints from the CSR"
verify_all root.pem vca_leaf.pem
csr vca2 ec:P-256 /CN=ca.evil.org -addext "basicConstraints=CA:TRUE,pathlen:0"
sign_to vca2_leaf "$PKI" write pki/sign-verbatim csr=@vca2.csr
hasnt "$(text vca2_leaf.pem)" "CA:TRUE" "verbatim (generic): CA:TRUE dropped"
expect_ok "$PKI" role write lend --allowed-domains example.com --ttl 2h
sign_to vca_lend "$PKI" sign-verbatim-role lend --csr @vca.csr
hasnt "$(text vca_lend.pem)" "CA:TRUE" "verbatim with a role: CA:TRUE dropped"
csr vcs ec:P-256 /CN=ca.evil.org -addext "keyUsage=critical,keyCertSign,digitalSignature"
expect_refused 1 "$PKI" sign-verbatim --csr @vcs.csr
expect_err_contains "keyCertSign"
csr vnca ec:P-256 /CN=notca.evil.org -addext "basicConstraints=critical,CA:FALSE"
sign_to vb6 "$PKI" sign-verbatim --csr @vnca.csr
expect_eq "$(ext vb6.pem basicConstraints | sed -n 2p | xargs)" "CA:FALSE" "verbatim: CA:FALSE kept"
verify_all root.pem vb6.pem
# Lifetime without a role: the mount default (10h here); ttl and not_after from the request.
sign_to vb7 "$PKI" sign-verbatim --csr @plainv.csr
expect_eq "$(lifetime vb7.pem)" $((10 * 3600 + 30)) "verbatim: mount default ttl"
sign_to vb8 "$PKI" sign-verbatim --csr @plainv.csr --ttl 3h
expect_eq "$(lifetime vb8.pem)" $((3 * 3600 + 30)) "verbatim: request ttl"
sign_to vb9 "$PKI" sign-verbatim --csr @plainv.csr --not-after 2027-03-04T05:06:07Z
expect_eq "$(not_after_of vb9.pem)" "$(epoch 2027-03-04T05:06:07Z)" "verbatim: not_after"
expect_refused 1 "$PKI" sign-verbatim --csr @plainv.csr --ttl 1h --not-after 2027-03-04T05:06:07Z
# The role variant lends ttl, max_ttl, no_store, not_before_duration (and generate_lease), nothing else:
# the role's name policy, key type and usages do not apply.
expect_ok "$PKI" role write lend2 --allowed-domains example.com --key-type rsa --ttl 2h --max-ttl 3h \
  --not-before-duration 5m --key-usage DataEncipherment --server-flag false --ou RoleOU
sign_to vr1 "$PKI" sign-verbatim-role lend2 --csr @plainv.csr
expect_eq "$(lifetime vr1.pem)" $((2 * 3600 + 300)) "verbatim role: ttl and not_before_duration"
expect_eq "$(x509 vr1.pem -subject)" "subject=CN = plain.evil.org, O = Plain" "verbatim role: subject from the CSR only"
expect_eq "$(ext vr1.pem keyUsage | sed -n 2p | xargs)" "Digital Signature, Key Agreement" "verbatim role: role key usage not lent"
hasnt "$(text vr1.pem)" "Extended Key Usage" "verbatim role: role EKU flags not lent"
verify_all root.pem vr1.pem
sign_to vr2 "$PKI" write pki/sign-verbatim/lend2 csr=@plainv.csr ttl=10h
expect_eq "$(lifetime vr2.pem)" $((3 * 3600 + 300)) "verbatim role: capped by the role's max_ttl"
expect_eq "$(jx vr2.json 'bool(w)')" True "verbatim role: capping warns"
expect_ok "$PKI" role write lend3 --no-store true --generate-lease false
before=$(state_dump)
sign_to vr3 "$PKI" sign-verbatim-role lend3 --csr @plainv.csr
expect_eq "$(state_dump)" "$before" "verbatim role: no_store writes nothing"
expect_exit 1 "$PKI" read "pki/cert/$(jf vr3.json serial_number)"
expect_ok "$PKI" role write lend4 --generate-lease true
sign_to vr4 "$PKI" sign-verbatim-role lend4 --csr @plainv.csr
expect_eq "$(jx vr4.json 'any("serial" in x for x in (w or []))')" True "verbatim role: generate_lease warns"
s=$(jf vr4.json serial_number)
expect_ok "$PKI" read -format=json "pki/cert/$s"
expect_refused 1 "$PKI" sign-verbatim-role nosuchrole --csr @plainv.csr
expect_err_contains nosuchrole
# Issuer selection for sign-verbatim.
sign_to vi1 "$PKI" issuer sign-verbatim second --csr @plainv.csr
expect_eq "$(cat vi1.ca)" "$(cat root2.pem)" "issuer sign-verbatim second"
verify_all root2.pem vi1.pem
sign_to vi2 "$PKI" issuer sign-verbatim-role second lend2 --csr @plainv.csr
expect_eq "$(cat vi2.ca)" "$(cat root2.pem)" "issuer sign-verbatim-role second"
expect_eq "$(lifetime vi2.pem)" $((2 * 3600 + 300)) "issuer sign-verbatim-role: the role's ttl"
sign_to vi3 "$PKI" write pki/issuer/first/sign-verbatim/lend2 csr=@plainv.csr
expect_eq "$(cat vi3.ca)" "$(cat root.pem)" "issuer/first/sign-verbatim/lend2"
sign_to vi4 "$PKI" write pki/issuer/second/sign-verbatim csr=@plainv.csr
expect_eq "$(cat vi4.ca)" "$(cat root2.pem)" "issuer/second/sign-verbatim"
expect_refused 1 "$PKI" issuer sign-verbatim nosuch --csr @plainv.csr
expect_err_contains nosuch
# Every key type signs verbatim.
for c in c_rsa2048 c_rsa3072 c_rsa4096 c_ec224 c_ec256 c_ec384 c_ec521 c_ed25519; do
  sign_to "vk_$c" "$PKI" sign-verbatim --csr @"$c.csr"
  expect_eq "$(pubkey_of_cert "vk_$c.pem")" "$(pubkey_of_csr "$c.csr")" "verbatim key: $c"
  case $c in *ed25519) verify_kt ed25519 root.pem "vk_$c.pem" ;; *) verify_kt x root.pem "vk_$c.pem" ;; esac
done

finish
