#!/usr/bin/env bash
# CA lifecycle end to end (issue 3): roots and intermediates of every key type, root contents,
# sign-intermediate, cross-signing and reissued roots with their chains, manual_chain, import,
# issuer management, the CA and certificate reads, sign-self-issued, and both command styles.
# Everything that is signed is checked by three verifiers nobody here wrote (see verify_all).
source "$(dirname "$0")/lib.sh"

# ---- helpers ------------------------------------------------------------------------------------

# pem FILE FIELD OUT: a PEM field of a saved response, as a file ending in a newline.
pem() { jf "$1" "$2" > "$3"; }
count_certs() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1" || true; }
# skid CERT: the subject key identifier as bare hex.
skid() { ext "$1" subjectKeyIdentifier | sed -n '2p' | tr -d ' :' | sed 's/^keyid//'; }

# verify_kt KEYTYPES ROOT LEAF [INTERMEDIATES...]: verify_all, without NSS when KEYTYPES names a
# key type NSS lacks (P-224, Ed25519; see lib.sh).
verify_kt() {
  local kts=$1; shift
  case " $kts " in *" ec224 "* | *" ed25519"*) verify_without_nss "$@" ;; *) verify_all "$@" ;; esac
}

# chain_of MOUNT REF MODE: the ca_chain of issuer REF, one word per entry: MODE=ids gives the
# issuer id whose certificate the entry is ("?" if none), MODE=cn gives "subjectCN<issuerCN"
# (spaces in names become "_"). load_chains MOUNT fills CID[id] and CCN[id] for every issuer.
cat > "$WORK/chain.py" <<'PY'
import json, os, subprocess, sys
pki = os.environ["PKI"]
mount, ref = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
def call(*args):
    return json.loads(subprocess.run([pki, *args], capture_output=True, check=True).stdout)["data"]
def cn(pem, flag):
    t = subprocess.run(["openssl", "x509", "-noout", flag, "-nameopt", "multiline"], input=pem.encode(), capture_output=True).stdout.decode()
    return next((l.split("=", 1)[1].strip() for l in t.splitlines() if l.strip().startswith("commonName")), "").replace(" ", "_")
def label(pem):
    return cn(pem, "-subject") + "<" + cn(pem, "-issuer")
ids = call("list", "-format=json", mount + "/issuers")["keys"]
issuers = {i: call("read", "-format=json", f"{mount}/issuer/{i}") for i in ids}
certs = {i: issuers[i]["certificate"].strip() for i in ids}
labels = {i: label(certs[i]) for i in ids}
def describe(chain):
    idw, cnw = [], []
    for c in chain:
        m = [i for i in ids if certs[i] == c.strip()]
        idw.append(m[0] if m else "?")
        cnw.append(labels[m[0]] if m else label(c))
    return " ".join(idw), " ".join(cnw)
if ref is None:
    for i in ids:
        a, b = describe(issuers[i]["ca_chain"])
        print(f"{i}|{a}|{b}")
else:
    a, b = describe(call("read", "-format=json", f"{mount}/issuer/{ref}")["ca_chain"])
    print(a if sys.argv[3] == "ids" else b)
PY
chain_of() { python3 "$WORK/chain.py" "$@" 2>"$WORK/chain.err" || echo "chain-read-failed: $(tail -c 300 "$WORK/chain.err")"; }
declare -A CID CCN
load_chains() {
  CID=(); CCN=()
  local id ids cn
  while IFS='|' read -r id ids cn; do CID[$id]=$ids; CCN[$id]=$cn; done < <(python3 "$WORK/chain.py" "$1" 2>"$WORK/chain.err" || echo "chain-read-failed: $(tail -c 300 "$WORK/chain.err")|?|?")
}
issuer_ids() { "$PKI" list -format=json "$1/issuers" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["data"]["keys"]))' 2>/dev/null || true; }
# mount NAME: enable a pki mount with a 10-year maximum TTL.
mount() { expect_ok "$PKI" secrets enable -path="$1" pki; expect_ok "$PKI" secrets tune -max-lease-ttl=87600h "$1"; }
# role MOUNT: a role "web" for *.example.com (EC leaf keys: quick to generate).
role() { expect_ok "$PKI" write "$1/roles/web" allowed_domains=example.com allow_subdomains=true max_ttl=72h key_type=ec; }

# ---- every key type as a root and as an intermediate ----------------------------------------
section "every key type as a root and as an intermediate"
# For each type: a root of that type signs an intermediate of that type, which issues a leaf;
# the intermediate and the leaf both verify up to the root.
for kt in rsa:2048 rsa:3072 rsa:4096 ec:224 ec:256 ec:384 ec:521 ed25519:0; do
  t=${kt%%:*} b=${kt##*:} n="${t}${b#0}"
  mount "r_$n"; mount "i_$n"
  expect_ok "$PKI" write -format=json "r_$n/root/generate/internal" common_name="Root $n" key_type="$t" key_bits="$b" ttl=8760h
  save "root_$n.json"; pem "root_$n.json" certificate "root_$n.pem"
  expect_ok "$PKI" write -format=json "i_$n/intermediate/generate/internal" common_name="Intermediate $n" key_type="$t" key_bits="$b"
  save "csr_$n.json"; pem "csr_$n.json" csr "int_$n.csr"
  expect_eq "$(jf "csr_$n.json" key_type)" "$t" "intermediate/generate key_type ($n)"
  expect_ok "$PKI" write -format=json "r_$n/root/sign-intermediate" csr=@"int_$n.csr" ttl=4000h
  save "int_$n.json"; pem "int_$n.json" certificate "int_$n.pem"
  expect_ok "$PKI" write "i_$n/intermediate/set-signed" certificate=@"int_$n.pem"
  role "i_$n"
  expect_ok "$PKI" write -format=json "i_$n/issue/web" common_name="leaf.example.com" ttl=1h
  save "leaf_$n.json"; pem "leaf_$n.json" certificate "leaf_$n.pem"
  # Key algorithm and size of root and intermediate; the signature hash follows the signer.
  case $n in
    rsa*) keytext="Public-Key: (${b} bit)" sig=sha256WithRSAEncryption ;;
    ec224) keytext="ASN1 OID: secp224r1" sig=ecdsa-with-SHA256 ;;
    ec256) keytext="ASN1 OID: prime256v1" sig=ecdsa-with-SHA256 ;;
    ec384) keytext="ASN1 OID: secp384r1" sig=ecdsa-with-SHA384 ;;
    ec521) keytext="ASN1 OID: secp521r1" sig=ecdsa-with-SHA512 ;;
    ed25519) keytext="Public Key Algorithm: ED25519" sig=ED25519 ;;
  esac
  for c in root int; do
    txt=$(x509 "${c}_$n.pem" -text)
    has "$txt" "$keytext" "$c $n key"
    has "$txt" "Signature Algorithm: $sig" "$c $n signature"
  done
  has "$(x509 "leaf_$n.pem" -text)" "Signature Algorithm: $sig" "leaf under $n signature"
  # The leaf's chain checks both signatures: the root's on the intermediate, the intermediate's on the leaf.
  verify_kt "$n" "root_$n.pem" "leaf_$n.pem" "int_$n.pem"
done

# RSA 8192 (slow to generate: once) as a root that signs an EC intermediate.
mount r_rsa8192; mount i_under8192
expect_ok "$PKI" write -format=json r_rsa8192/root/generate/internal common_name="Root rsa8192" key_type=rsa key_bits=8192 ttl=8760h
save root_rsa8192.json; pem root_rsa8192.json certificate root_rsa8192.pem
has "$(x509 root_rsa8192.pem -text)" "Public-Key: (8192 bit)" "rsa 8192 root"
expect_ok "$PKI" write -field=csr i_under8192/intermediate/generate/internal common_name="EC under 8192" key_type=ec
save int_under8192.csr
expect_ok "$PKI" write -field=certificate r_rsa8192/root/sign-intermediate csr=@int_under8192.csr ttl=4000h
save int_under8192.pem
expect_ok "$PKI" write i_under8192/intermediate/set-signed certificate=@int_under8192.pem
role i_under8192
expect_ok "$PKI" write -field=certificate i_under8192/issue/web common_name=deep.example.com ttl=1h
save leaf_under8192.pem
USAGE=3 verify_all root_rsa8192.pem int_under8192.pem
verify_all root_rsa8192.pem leaf_under8192.pem int_under8192.pem

# Mixed types: an Ed25519 root over an RSA intermediate, an RSA root over an Ed25519 one.
mount mix_a; mount mix_b
expect_ok "$PKI" write -field=csr mix_b/intermediate/generate/internal common_name="RSA under Ed25519" key_type=rsa
save mix_b.csr
expect_ok "$PKI" write -field=certificate r_ed25519/root/sign-intermediate csr=@mix_b.csr ttl=100h
save mix_b.pem
USAGE=3 verify_kt ed25519 root_ed25519.pem mix_b.pem
expect_ok "$PKI" write -field=csr mix_a/intermediate/generate/internal common_name="Ed25519 under RSA" key_type=ed25519
save mix_a.csr
expect_ok "$PKI" write -field=certificate r_rsa2048/root/sign-intermediate csr=@mix_a.csr ttl=100h
save mix_a.pem
has "$(x509 mix_a.pem -text)" "Signature Algorithm: sha256WithRSAEncryption" "rsa-signed ed25519 intermediate"
USAGE=3 verify_kt ed25519 root_rsa2048.pem mix_a.pem
# signature_bits picks the RSA signature hash.
expect_ok "$PKI" write -field=certificate r_rsa2048/root/sign-intermediate csr=@mix_b.csr signature_bits=384 ttl=10h
save sig384.pem
has "$(x509 sig384.pem -text)" "Signature Algorithm: sha384WithRSAEncryption" "signature_bits=384"
expect_ok "$PKI" write -field=certificate r_rsa2048/root/sign-intermediate csr=@mix_b.csr signature_bits=512 ttl=10h
save sig512.pem
has "$(x509 sig512.pem -text)" "Signature Algorithm: sha512WithRSAEncryption" "signature_bits=512"
USAGE=3 verify_all root_rsa2048.pem sig512.pem
# Bad key parameters are refused and change nothing.
expect_refused 1 "$PKI" write r_rsa2048/root/generate/internal common_name=x key_type=rsa key_bits=1024
expect_refused 1 "$PKI" write r_rsa2048/root/generate/internal common_name=x key_type=ec key_bits=512
expect_refused 1 "$PKI" write r_rsa2048/root/generate/internal common_name=x key_type=dsa
# A CSR with a 1024-bit RSA key is refused by sign-intermediate.
openssl req -new -newkey rsa:1024 -nodes -keyout /dev/null -subj "/CN=weak" -out weak.csr 2>/dev/null
expect_refused 1 "$PKI" write r_rsa2048/root/sign-intermediate csr=@weak.csr ttl=1h

# ---- root contents --------------------------------------------------------------------------
section "root contents"
mount rc
expect_ok "$PKI" write -format=json rc/root/generate/internal common_name="Content Root" \
  ou=OU1,OU2 organization=Org country=US locality=Town province=State street_address="1 Main St" \
  postal_code=12345 serial_number=SN-42 alt_names=alt.example.com,ca@example.com ip_sans=10.0.0.1,2001:db8::1 \
  uri_sans=spiffe://example.com/ca other_sans="1.2.3.4;UTF8:custom-value" \
  max_path_length=2 permitted_dns_domains=example.com,example.org issuer_name=content key_name=content-key \
  key_type=ec ttl=1000h
save rc.json; pem rc.json certificate rc.pem
txt=$(x509 rc.pem -text)
has "$(ext rc.pem basicConstraints)" "critical" "basic constraints critical"
has "$(ext rc.pem basicConstraints)" "CA:TRUE, pathlen:2" "basic constraints"
has "$(ext rc.pem keyUsage)" "critical" "key usage critical"
has "$(ext rc.pem keyUsage)" "Certificate Sign, CRL Sign" "key usage"
hasnt "$(ext rc.pem keyUsage)" "Digital Signature" "root key usage"
hasnt "$txt" "Extended Key Usage" "root"
expect_ok test -n "$(skid rc.pem)"
expect_eq "$(akid rc.pem)" "$(skid rc.pem)" "root AKID = SKID"
subj=$(x509 rc.pem -subject -nameopt multiline)
for f in "countryName               = US" "stateOrProvinceName       = State" "localityName              = Town" \
  "streetAddress             = 1 Main St" "postalCode                = 12345" "organizationName          = Org" \
  "organizationalUnitName    = OU1" "organizationalUnitName    = OU2" "commonName                = Content Root" \
  "serialNumber              = SN-42"; do
  has "$subj" "$f" "root subject"
done
expect_eq "$(x509 rc.pem -subject -nameopt RFC2253)" "$(x509 rc.pem -issuer -nameopt RFC2253 | sed 's/^issuer/subject/')" "root issuer = subject"
san=$(ext rc.pem subjectAltName)
for s in "DNS:alt.example.com" "email:ca@example.com" "IP Address:10.0.0.1" "IP Address:2001:DB8:0:0:0:0:0:1" \
  "URI:spiffe://example.com/ca" "othername" "1.2.3.4" "custom-value"; do
  has "$san" "$s" "root SANs"
done
hasnt "$san" "DNS:Content Root" "root SANs (CN is not a host name)"
nc=$(ext rc.pem nameConstraints)
has "$nc" "critical" "name constraints critical"
has "$nc" "DNS:example.com" "name constraints"
has "$nc" "DNS:example.org" "name constraints"
# A leaf under the name-constrained root verifies with all three verifiers.
role rc
expect_ok "$PKI" write -field=certificate rc/issuer/content/issue/web common_name=in.example.com ttl=1h
save rc_leaf.pem
verify_all rc.pem rc_leaf.pem
expect_eq "$(jf rc.json issuer_name)" "content" "issuer_name in response"
expect_eq "$(jf rc.json key_name)" "content-key" "key_name in response"
expect_eq "$(jf rc.json serial_number)" "$(x509 rc.pem -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')" "serial_number"
expect_eq "$(jf rc.json issuing_ca)" "$(jf rc.json certificate)" "a root's issuing_ca is itself"
expect_eq "$(jf rc.json expiration)" "$(not_after_of rc.pem)" "expiration"
expect_ok "$PKI" read -format=json rc/issuer/content
expect_eq "$(jf "$WORK/out" issuer_id)" "$(jf rc.json issuer_id)" "issuer readable by its name"
expect_eq "$(jf "$WORK/out" key_id)" "$(jf rc.json key_id)" "issuer's key"
expect_ok "$PKI" read -format=json rc/key/content-key
expect_eq "$(jf "$WORK/out" key_id)" "$(jf rc.json key_id)" "key readable by its name"
# Validity: ttl=1000h from now, notBefore 30 s back by default.
now=$(date +%s)
near "$(not_after_of rc.pem)" $((now + 1000 * 3600)) 20 "ttl=1000h notAfter"
near "$(not_before_of rc.pem)" $((now - 30)) 20 "default not_before_duration (30s)"
# A CN that is a host name goes into the DNS SANs, unless exclude_cn_from_sans.
expect_ok "$PKI" write -field=certificate rc/root/generate/internal common_name=ca.example.com key_type=ec ttl=10h
save rc_host.pem
has "$(ext rc_host.pem subjectAltName)" "DNS:ca.example.com" "CN copied into SANs"
expect_ok "$PKI" write -field=certificate rc/root/generate/internal common_name=ca2.example.com exclude_cn_from_sans=true key_type=ec ttl=10h
save rc_nocn.pem
hasnt "$(x509 rc_nocn.pem -text)" "DNS:ca2.example.com" "exclude_cn_from_sans"
# Without max_path_length there is no pathlen; max_path_length=0 is literal.
has "$(ext rc_host.pem basicConstraints)" "CA:TRUE" "root"
hasnt "$(ext rc_host.pem basicConstraints)" "pathlen" "unconstrained root"
expect_ok "$PKI" write -field=certificate rc/root/generate/internal common_name=pl0 max_path_length=0 key_type=ec ttl=10h
save rc_pl0.pem
has "$(ext rc_pl0.pem basicConstraints)" "CA:TRUE, pathlen:0" "max_path_length=0"
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=bad max_path_length=-2 key_type=ec
# not_after=9999-12-31T23:59:59Z works (GeneralizedTime), and not with ttl.
expect_ok "$PKI" write -field=certificate rc/root/generate/internal common_name=forever not_after=9999-12-31T23:59:59Z key_type=ec
save rc_9999.pem
expect_eq "$(x509 rc_9999.pem -enddate)" "notAfter=Dec 31 23:59:59 9999 GMT" "not_after 9999"
USAGE=3 verify_all rc_9999.pem rc_9999.pem
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=both not_after=9999-12-31T23:59:59Z ttl=1h key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=past not_after=2001-01-01T00:00:00Z key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=garbled not_after=tomorrow key_type=ec
# ttl is capped by the mount's max lease TTL (768h unless tuned), with a warning on stderr.
expect_ok "$PKI" secrets enable -path=rc_small pki
expect_ok "$PKI" write -field=certificate rc_small/root/generate/internal common_name=capped ttl=87600h key_type=ec
save rc_capped.pem
expect_err_contains "Warning: "
expect_err_contains "768h"
now=$(date +%s)
near "$(not_after_of rc_capped.pem)" $((now + 768 * 3600)) 20 "ttl capped to the mount max"
# not_before_duration backdates notBefore.
expect_ok "$PKI" write -field=certificate rc/root/generate/internal common_name=backdated not_before_duration=2h ttl=10h key_type=ec
save rc_back.pem
now=$(date +%s)
near "$(not_before_of rc_back.pem)" $((now - 7200)) 20 "not_before_duration=2h"
# format=der: base64 DER certificate and issuing_ca.
expect_ok "$PKI" write -format=json rc/root/generate/internal common_name=der-root format=der key_type=ec ttl=10h
save rc_der.json
jf rc_der.json certificate | base64 -d > rc_der.der 2>/dev/null || true
if openssl x509 -inform der -in rc_der.der -noout -subject 2>/dev/null | grep -q der-root; then ok; else fail "format=der certificate is not base64 DER: $(jf rc_der.json certificate | head -c 80)"; fi
hasnt "$(jf rc_der.json certificate)" "BEGIN" "format=der certificate"
expect_eq "$(jf rc_der.json issuing_ca)" "$(jf rc_der.json certificate)" "format=der issuing_ca"
# exported: the private key comes back once, in the requested encoding, and matches.
expect_ok "$PKI" write -format=json rc/root/generate/exported common_name=exported key_type=ec ttl=10h key_name=exp-key
save rc_exp.json; pem rc_exp.json certificate rc_exp.pem; pem rc_exp.json private_key rc_exp.key
has "$(cat rc_exp.key)" "-----BEGIN EC PRIVATE KEY-----" "private_key_format=der (default) PEM"
expect_eq "$(jf rc_exp.json private_key_type)" "ec" "private_key_type"
expect_eq "$(pubkey_of_key rc_exp.key)" "$(pubkey_of_cert rc_exp.pem)" "exported key matches the certificate"
expect_ok "$PKI" read -format=json rc/key/exp-key
hasnt "$(cat "$WORK/out")" "PRIVATE KEY" "key read"
expect_ok "$PKI" read -format=json "rc/issuer/$(jf rc_exp.json issuer_id)"
hasnt "$(cat "$WORK/out")" "PRIVATE KEY" "issuer read"
expect_ok "$PKI" write -format=json rc/root/generate/internal common_name=internal key_type=ec ttl=10h
hasnt "$(cat "$WORK/out")" "private_key" "internal generation"
expect_ok "$PKI" write -format=json rc/root/generate/exported common_name=pkcs8 key_type=rsa private_key_format=pkcs8 ttl=10h
save rc_p8.json; pem rc_p8.json private_key rc_p8.key; pem rc_p8.json certificate rc_p8.pem
has "$(cat rc_p8.key)" "-----BEGIN PRIVATE KEY-----" "private_key_format=pkcs8"
expect_eq "$(pubkey_of_key rc_p8.key)" "$(pubkey_of_cert rc_p8.pem)" "pkcs8 key matches the certificate"
expect_ok "$PKI" write -format=json rc/root/generate/exported common_name=derkey key_type=ec format=der ttl=10h
save rc_derkey.json
jf rc_derkey.json private_key | base64 -d > rc_derkey.der 2>/dev/null || true
if openssl pkey -inform der -in rc_derkey.der -noout 2>/dev/null; then ok; else fail "format=der private_key is not base64 DER"; fi
# format=pem_bundle: the exported key and the certificate together.
expect_ok "$PKI" write -format=json rc/root/generate/exported common_name=bundle key_type=ec format=pem_bundle ttl=10h
save rc_bundle.json
b=$(jf rc_bundle.json certificate)
has "$b" "PRIVATE KEY-----" "pem_bundle certificate"
has "$b" "-----BEGIN CERTIFICATE-----" "pem_bundle certificate"
# existing: a second root on the key of the first (key_ref by name and by id).
expect_ok "$PKI" write -format=json rc/root/generate/existing common_name="Content Root" key_ref=content-key ttl=100h issuer_name=content-2
save rc_re.json; pem rc_re.json certificate rc_re.pem
expect_eq "$(jf rc_re.json key_id)" "$(jf rc.json key_id)" "existing root uses the referenced key"
expect_eq "$(pubkey_of_cert rc_re.pem)" "$(pubkey_of_cert rc.pem)" "existing root's public key"
hasnt "$(cat "$WORK/out")" "private_key" "existing generation"
expect_ok "$PKI" write -format=json rc/root/generate/existing common_name=by-id key_ref="$(jf rc.json key_id)" ttl=10h
expect_eq "$(jf "$WORK/out" key_id)" "$(jf rc.json key_id)" "key_ref by id"
expect_refused 1 "$PKI" write rc/root/generate/existing common_name=nokey key_ref=no-such-key
expect_refused 1 "$PKI" write rc/root/generate/kms common_name=kms
expect_refused 1 "$PKI" write rc/root/generate/bogus common_name=bogus
expect_refused 1 "$PKI" write rc/root/generate/internal key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x format=text key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x ip_sans=10.0.0.300 key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x other_sans=not-an-oid key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x issuer_name=content key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x issuer_name=default key_type=ec
expect_refused 1 "$PKI" write rc/root/generate/internal common_name=x key_name=content-key key_type=ec
# issuers/generate/root/:type is the same operation.
expect_ok "$PKI" write -format=json rc/issuers/generate/root/internal common_name=alias-root key_type=ec ttl=10h
save rc_alias.json; pem rc_alias.json certificate rc_alias.pem
has "$(x509 rc_alias.pem -subject)" "alias-root" "issuers/generate/root"
expect_ok test -n "$(jf rc_alias.json issuer_id)"
# The ergonomic twin: the same fields as flags.
expect_ok "$PKI" root generate exported -m rc --common-name ergo-root --key-type ec --ou Ops --organization "Ergo Org" \
  --alt-names ergo.example.com --max-path-length 1 --issuer-name ergo --key-name ergo-key --ttl 10h \
  --private-key-format pkcs8 -format=json
save rc_ergo.json; pem rc_ergo.json certificate rc_ergo.pem
expect_eq "$(jf rc_ergo.json issuer_name)" "ergo" "ergonomic --issuer-name"
expect_eq "$(jf rc_ergo.json key_name)" "ergo-key" "ergonomic --key-name"
has "$(jf rc_ergo.json private_key)" "-----BEGIN PRIVATE KEY-----" "ergonomic --private-key-format"
has "$(x509 rc_ergo.pem -subject -nameopt RFC2253)" "CN=ergo-root,OU=Ops,O=Ergo Org" "ergonomic subject"
has "$(ext rc_ergo.pem basicConstraints)" "pathlen:1" "ergonomic --max-path-length"
has "$(ext rc_ergo.pem subjectAltName)" "DNS:ergo.example.com" "ergonomic --alt-names"
expect_ok "$PKI" root generate internal -m rc --common-name ergo-der --key-type ec --encoding der --ttl 1h --field certificate
if base64 -d < "$WORK/out" 2>/dev/null | openssl x509 -inform der -noout 2>/dev/null; then ok; else fail "ergonomic --encoding der"; fi
expect_exit 2 "$PKI" root generate -m rc --common-name no-type
expect_refused 1 "$PKI" root generate internal -m rc --common-name dup --issuer-name ergo

# ---- sign-intermediate ----------------------------------------------------------------------
section "sign-intermediate"
mount si; mount si_int
expect_ok "$PKI" write si/config/urls issuing_certificates=http://ca.example.com/v1/si/ca \
  crl_distribution_points=http://ca.example.com/v1/si/crl ocsp_servers=http://ocsp.example.com
expect_ok "$PKI" write -field=certificate si/root/generate/internal common_name="SI Root" max_path_length=3 key_type=ec ttl=8760h issuer_name=si-root
save si_root.pem
# The root itself carries the URLs configured before it was generated.
has "$(ext si_root.pem authorityInfoAccess)" "CA Issuers - URI:http://ca.example.com/v1/si/ca" "root AIA"
expect_ok "$PKI" write -format=json si_int/intermediate/generate/internal common_name="SI CSR Name" key_type=ec key_name=si-int-key
save si_csr.json; pem si_csr.json csr si.csr
expect_eq "$(openssl req -in si.csr -noout -verify 2>&1 | grep -c 'verify OK')" "1" "CSR self-signature"
has "$(openssl req -in si.csr -noout -subject)" "SI CSR Name" "CSR subject"
expect_eq "$(jf si_csr.json key_name)" "si-int-key" "intermediate/generate key_name"
# No common_name: the CSR's is used; pathlen is the root's minus one.
expect_ok "$PKI" write -format=json si/root/sign-intermediate csr=@si.csr ttl=4000h
save si1.json; pem si1.json certificate si1.pem
has "$(x509 si1.pem -subject)" "CN = SI CSR Name" "CN taken from the CSR"
has "$(ext si1.pem basicConstraints)" "critical" "intermediate basic constraints critical"
has "$(ext si1.pem basicConstraints)" "CA:TRUE, pathlen:2" "pathlen = issuer's - 1"
has "$(ext si1.pem keyUsage)" "Certificate Sign, CRL Sign" "intermediate key usage"
expect_eq "$(akid si1.pem)" "$(skid si_root.pem)" "intermediate AKID = root SKID"
expect_ok test -n "$(skid si1.pem)"
expect_eq "$(pubkey_of_cert si1.pem)" "$(pubkey_of_csr si.csr)" "signed key is the CSR's"
has "$(ext si1.pem authorityInfoAccess)" "CA Issuers - URI:http://ca.example.com/v1/si/ca" "intermediate AIA"
has "$(ext si1.pem authorityInfoAccess)" "OCSP - URI:http://ocsp.example.com" "intermediate OCSP"
has "$(ext si1.pem crlDistributionPoints)" "URI:http://ca.example.com/v1/si/crl" "intermediate CRL DP"
expect_eq "$(jf si1.json issuing_ca)" "$(cat si_root.pem)" "issuing_ca"
expect_eq "$(jx si1.json 'len(d["ca_chain"])')" "1" "ca_chain of a root signer"
expect_eq "$(jf si1.json serial_number)" "$(x509 si1.pem -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/../&:/g; s/:$//')" "serial_number"
USAGE=3 verify_all si_root.pem si1.pem
# Given common_name and subject fields win over the CSR's; pathlen requests are capped.
expect_ok "$PKI" write -format=json si/root/sign-intermediate csr=@si.csr common_name="Given Name" organization="Given Org" \
  country=DE max_path_length=7 permitted_dns_domains=example.com ttl=1000h
save si2.json; pem si2.json certificate si2.pem
expect_err_contains "Warning: "
has "$(x509 si2.pem -subject -nameopt RFC2253)" "CN=Given Name,O=Given Org,C=DE" "given subject"
has "$(ext si2.pem basicConstraints)" "pathlen:2" "max_path_length above the issuer's limit is capped"
has "$(ext si2.pem nameConstraints)" "critical" "sign-intermediate name constraints"
has "$(ext si2.pem nameConstraints)" "DNS:example.com" "sign-intermediate name constraints"
now=$(date +%s)
near "$(not_after_of si2.pem)" $((now + 1000 * 3600)) 20 "sign-intermediate ttl"
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr max_path_length=1 ttl=1000h
save si3.pem
has "$(ext si3.pem basicConstraints)" "pathlen:1" "max_path_length below the limit"
na=$(date -u -d "+100 days" +%Y-%m-%dT12:00:00Z)
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr not_after="$na"
save si4.pem
expect_eq "$(not_after_of si4.pem)" "$(epoch "$na")" "sign-intermediate not_after"
# An unconstrained root gives an unconstrained intermediate unless asked.
expect_ok "$PKI" write -field=certificate rc/issuer/ergo/sign-intermediate csr=@si.csr ttl=1h
save si_ergo.pem
has "$(ext si_ergo.pem basicConstraints)" "pathlen:0" "under ergo (pathlen 1)"
expect_ok "$PKI" write -field=certificate "rc/issuer/$(jf rc_exp.json issuer_id)/sign-intermediate" csr=@si.csr ttl=1h
save si_free.pem
hasnt "$(ext si_free.pem basicConstraints)" "pathlen" "under an unconstrained root"
# An intermediate outliving its issuer is signed whatever leaf_not_after_behavior says, with
# Vault's warning (Vault 1.11 forces permit on sign-intermediate).
for behavior in err truncate permit; do
  expect_ok "$PKI" patch si/issuer/si-root leaf_not_after_behavior=$behavior
  expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr ttl=87000h
  save "si_$behavior.pem"
  expect_err_contains "The expiration time for the signed certificate is after the CA's expiration time."
  near "$(not_after_of "si_$behavior.pem")" $(($(date +%s) + 87000 * 3600)) 20 "$behavior: notAfter beyond the issuer's"
done
expect_ok "$PKI" patch si/issuer/si-root leaf_not_after_behavior=err
# A CSR without a common name: its subject as it is (the request gives none), with a warning; a
# CSR with an empty subject and no subject fields in the request is refused.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out nocn.key 2>/dev/null
openssl req -new -key nocn.key -subj "/O=Acme/OU=Intermediates" -out nocn.csr 2>/dev/null
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@nocn.csr ttl=1h
save si_nocn.pem
expect_eq "$(x509 si_nocn.pem -noout -subject -nameopt RFC2253)" "subject=OU=Intermediates,O=Acme" "no CN: the CSR's subject"
expect_err_contains "the CSR has no common name"
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@nocn.csr organization=Other ttl=1h
save si_nocn2.pem
expect_eq "$(x509 si_nocn2.pem -noout -subject -nameopt RFC2253)" "subject=O=Other" "no CN: the request's subject fields"
openssl req -new -key nocn.key -subj "/" -out empty.csr 2>/dev/null
expect_refused 1 "$PKI" write si/root/sign-intermediate csr=@empty.csr ttl=1h
expect_err_contains "empty subject"
# SANs on an intermediate; exclude_cn_from_sans.
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr common_name=int.example.com \
  alt_names=other.example.com ip_sans=192.0.2.7 uri_sans=urn:example:int exclude_cn_from_sans=true ttl=10h
save si_sans.pem
san=$(ext si_sans.pem subjectAltName)
has "$san" "DNS:other.example.com" "intermediate alt_names"
has "$san" "IP Address:192.0.2.7" "intermediate ip_sans"
has "$san" "URI:urn:example:int" "intermediate uri_sans"
hasnt "$san" "int.example.com" "exclude_cn_from_sans on sign-intermediate"
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr common_name=int.example.com ttl=10h
save si_cnsan.pem
has "$(ext si_cnsan.pem subjectAltName)" "DNS:int.example.com" "intermediate CN copied into SANs"
# format=der: base64 DER for the certificate, issuing_ca and ca_chain.
expect_ok "$PKI" write -format=json si/root/sign-intermediate csr=@si.csr format=der ttl=10h
save si_der.json
for e in 'd["certificate"]' 'd["issuing_ca"]' 'd["ca_chain"][0]'; do
  jx si_der.json "$e" | base64 -d > si_der.der 2>/dev/null || true
  if openssl x509 -inform der -in si_der.der -noout 2>/dev/null; then ok; else fail "sign-intermediate format=der: $e is not base64 DER"; fi
done
# A CSR without a CN and no common_name: signed with the CSR's subject (above). use_csr_values
# keeps the CSR's CA:FALSE out.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj "/CN=Claims Leaf" \
  -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" -out cafalse.csr 2>/dev/null
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@cafalse.csr use_csr_values=true ttl=1h
save cafalse.pem
has "$(ext cafalse.pem basicConstraints)" "CA:TRUE" "sign-intermediate always makes a CA"
hasnt "$(ext cafalse.pem basicConstraints)" "CA:FALSE" "sign-intermediate always makes a CA"
has "$(ext cafalse.pem extendedKeyUsage)" "TLS Web Server Authentication" "use_csr_values copies extensions"
expect_eq "$(x509 cafalse.pem -text | grep -c 'X509v3 Basic Constraints')" "1" "one basic constraints extension"
# use_csr_values: subject, SANs, key usages and extensions from the CSR as they are.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout csrv.key -subj "/O=CSR Org/CN=From CSR" \
  -addext "keyUsage=critical,digitalSignature,keyCertSign" -addext "subjectAltName=DNS:csr.example.com" -out csrv.csr 2>/dev/null
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@csrv.csr use_csr_values=true common_name=ignored ttl=100h
save csrv.pem
has "$(x509 csrv.pem -subject -nameopt RFC2253)" "CN=From CSR,O=CSR Org" "use_csr_values subject"
hasnt "$(x509 csrv.pem -subject)" "ignored" "use_csr_values subject"
has "$(ext csrv.pem subjectAltName)" "DNS:csr.example.com" "use_csr_values SANs"
ku=$(ext csrv.pem keyUsage)
has "$ku" "Digital Signature" "use_csr_values key usages"
has "$ku" "Certificate Sign" "use_csr_values key usages"
has "$ku" "CRL Sign" "use_csr_values key usages"
has "$(ext csrv.pem basicConstraints)" "CA:TRUE, pathlen:2" "use_csr_values basic constraints"
USAGE=3 verify_all si_root.pem csrv.pem
# Without use_csr_values the CSR's key usages and SANs are not copied.
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@csrv.csr ttl=100h
save csrv_no.pem
hasnt "$(ext csrv_no.pem keyUsage)" "Digital Signature" "sign-intermediate without use_csr_values"
hasnt "$(x509 csrv_no.pem -text)" "csr.example.com" "sign-intermediate without use_csr_values"
has "$(x509 csrv_no.pem -subject)" "From CSR" "CN from the CSR"
hasnt "$(x509 csrv_no.pem -subject)" "CSR Org" "without use_csr_values only the CN is taken"
# The ergonomic twin with --csr @file.
expect_ok "$PKI" root sign-intermediate -m si --csr @si.csr --common-name "Ergo Intermediate" --ttl 100h --field certificate
save si_erg.pem
has "$(x509 si_erg.pem -subject)" "Ergo Intermediate" "ergonomic sign-intermediate"
USAGE=3 verify_all si_root.pem si_erg.pem
expect_ok "$PKI" issuer sign-intermediate -m si si-root --csr @si.csr --ttl 100h --encoding pem_bundle --field certificate
save si_bundle.pem
expect_eq "$(count_certs si_bundle.pem)" "2" "pem_bundle: the certificate and the issuer's chain"
# Broken CSRs.
expect_refused 1 "$PKI" write si/root/sign-intermediate csr=@si_root.pem ttl=1h
echo "not a csr" > junk.csr
expect_refused 1 "$PKI" write si/root/sign-intermediate csr=@junk.csr ttl=1h
expect_refused 1 "$PKI" write si/root/sign-intermediate ttl=1h
python3 - si.csr tampered.csr <<'EOF'
import base64, sys
t = open(sys.argv[1]).read().strip().split("\n")
body = base64.b64decode("".join(t[1:-1]))
i = body.find(b"SI CSR Name")
body = body[:i] + b"XX CSR Name" + body[i + 11:]
b = base64.b64encode(body).decode()
open(sys.argv[2], "w").write(t[0] + "\n" + "\n".join(b[j:j + 64] for j in range(0, len(b), 64)) + "\n" + t[-1] + "\n")
EOF
expect_refused 1 "$PKI" write si/root/sign-intermediate csr=@tampered.csr ttl=1h
# Subject fields and SANs go into the CSR.
expect_ok "$PKI" write -field=csr si_int/intermediate/generate/internal common_name=csr.example.com ou=Unit organization=Org \
  country=NL alt_names=alt.example.com ip_sans=192.0.2.9 uri_sans=urn:example:csr key_type=ec
save subj.csr
csrtxt=$(openssl req -in subj.csr -noout -text -nameopt RFC2253)
has "$csrtxt" "CN=csr.example.com,OU=Unit,O=Org,C=NL" "CSR subject"
has "$csrtxt" "DNS:csr.example.com" "CSR SANs"
has "$csrtxt" "DNS:alt.example.com" "CSR SANs"
has "$csrtxt" "IP Address:192.0.2.9" "CSR SANs"
has "$csrtxt" "URI:urn:example:csr" "CSR SANs"
expect_ok "$PKI" write -format=json si_int/intermediate/generate/internal common_name=der-csr format=der key_type=ec
jf "$WORK/out" csr | base64 -d > der.csr 2>/dev/null || true
if openssl req -inform der -in der.csr -noout 2>/dev/null; then ok; else fail "intermediate/generate format=der CSR"; fi
expect_ok "$PKI" write si_int/intermediate/generate/internal common_name=ttl-ignored ttl=43800h key_type=ec
expect_err_contains "Warning: "
expect_refused 1 "$PKI" write si_int/intermediate/generate/kms common_name=kms
expect_refused 1 "$PKI" write si_int/intermediate/generate/existing common_name=x key_ref=no-such-key
# add_basic_constraints puts CA:TRUE into the CSR.
expect_ok "$PKI" write -field=csr si_int/intermediate/generate/existing key_ref=si-int-key common_name=bc add_basic_constraints=true
save bc.csr
has "$(openssl req -in bc.csr -noout -text)" "CA:TRUE" "add_basic_constraints"
expect_eq "$(pubkey_of_csr bc.csr)" "$(pubkey_of_csr si.csr)" "intermediate/generate/existing uses key_ref"
expect_ok "$PKI" write -field=csr si_int/intermediate/generate/internal common_name=nobc key_type=ec
save nobc.csr
hasnt "$(openssl req -in nobc.csr -noout -text)" "CA:TRUE" "no basic constraints unless asked"
# exported intermediate: the key comes back once and matches the CSR.
expect_ok "$PKI" write -format=json si_int/intermediate/generate/exported common_name=exp-int key_type=rsa private_key_format=pkcs8
save si_exp.json; pem si_exp.json csr si_exp.csr; pem si_exp.json private_key si_exp.key
has "$(cat si_exp.key)" "-----BEGIN PRIVATE KEY-----" "exported intermediate key (pkcs8)"
expect_eq "$(pubkey_of_key si_exp.key)" "$(pubkey_of_csr si_exp.csr)" "exported key matches the CSR"
# issuers/generate/intermediate/:type is the same operation.
expect_ok "$PKI" write -field=csr si_int/issuers/generate/intermediate/internal common_name=alias-int key_type=ec
save alias.csr
has "$(openssl req -in alias.csr -noout -subject)" "alias-int" "issuers/generate/intermediate"
# An issuer whose path length is 0 cannot sign an intermediate.
mount si_pl0
expect_ok "$PKI" write -field=certificate si/root/sign-intermediate csr=@si.csr max_path_length=0 ttl=1000h
save si_pl0.pem
expect_ok "$PKI" write si_int/intermediate/set-signed certificate=@si_pl0.pem
expect_ok "$PKI" write -field=csr si_pl0/intermediate/generate/internal common_name="Too Deep" key_type=ec
save deep.csr
expect_refused 1 "$PKI" write si_int/root/sign-intermediate csr=@deep.csr ttl=1h
expect_err_contains "path length"
expect_refused 1 "$PKI" write si_int/issuer/default/sign-intermediate csr=@deep.csr ttl=1h
expect_refused 1 "$PKI" issuer sign-intermediate -m si_int default --csr @deep.csr --ttl 1h
# It still issues leaves, which verify through it.
role si_int
expect_ok "$PKI" write -field=certificate si_int/issue/web common_name=www.example.com ttl=1h
save si_leaf.pem
verify_all si_root.pem si_leaf.pem si_pl0.pem

# ---- cross-signing and reissued roots --------------------------------------------------------
section "cross-signing and reissued roots"
# Root A, root B, intermediate I signed by A; I's key cross-signed by B; B's key cross-signed by A.
mount xa; mount xb; mount xi
expect_ok "$PKI" write -field=certificate xa/root/generate/internal common_name="Root A" key_type=ec ttl=8760h
save xa.pem
expect_ok "$PKI" write -field=certificate xb/root/generate/internal common_name="Root B" key_type=ec ttl=8760h key_name=b-key
save xb.pem
expect_ok "$PKI" write -field=csr xi/intermediate/generate/internal common_name="Cross Int" key_type=ec key_name=i-key
save xi.csr
expect_ok "$PKI" write -field=certificate xa/root/sign-intermediate csr=@xi.csr format=pem_bundle ttl=4000h
save xi_a_bundle.pem
expect_eq "$(count_certs xi_a_bundle.pem)" "2" "pem_bundle from a root: certificate + root"
expect_ok "$PKI" write -format=json xi/intermediate/set-signed certificate=@xi_a_bundle.pem
save xi_set1.json
expect_eq "$(jx xi_set1.json 'len(d["imported_issuers"])')" "2" "set-signed imports the certificate and its chain"
ia=$(jx xi_set1.json '[i for i,k in d["mapping"].items() if k][0]')
expect_ok "$PKI" read -format=json "xi/issuer/$ia"
save xi_ia.json; pem xi_ia.json certificate xi_ia.pem
has "$(x509 xi_ia.pem -issuer)" "Root A" "the issuer with the key is the intermediate"
expect_ok "$PKI" read -format=json xi/key/i-key
expect_eq "$(jf xi_ia.json key_id)" "$(jf "$WORK/out" key_id)" "set-signed links the CSR's key"
expect_ok "$PKI" read -format=json xi/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$ia" "the first issuer (the signed intermediate) becomes the default"
# cross-sign: a CSR from I's existing key, for B to sign as it is.
expect_ok "$PKI" write -format=json xi/intermediate/cross-sign key_ref=i-key common_name="Cross Int"
save xi_x.json; pem xi_x.json csr xi_x.csr
expect_eq "$(pubkey_of_csr xi_x.csr)" "$(pubkey_of_cert xi_ia.pem)" "cross-sign CSR carries I's key"
expect_eq "$(jf xi_x.json key_id)" "$(jf xi_ia.json key_id)" "cross-sign key_id"
expect_ok "$PKI" write -field=certificate xb/root/sign-intermediate csr=@xi_x.csr use_csr_values=true format=pem_bundle ttl=4000h
save xi_b_bundle.pem
expect_ok "$PKI" intermediate set-signed -m xi --certificate @xi_b_bundle.pem -format=json
save xi_set2.json
expect_eq "$(jx xi_set2.json 'len(d["imported_issuers"])')" "2" "cross-signed I and root B imported"
ib=$(jx xi_set2.json '[i for i,k in d["mapping"].items() if k][0]')
expect_ok "$PKI" read -field=certificate "xi/issuer/$ib"
save xi_ib.pem
has "$(x509 xi_ib.pem -issuer)" "Root B" "cross-signed I is issued by B"
expect_eq "$(x509 xi_ib.pem -subject)" "$(x509 xi_ia.pem -subject)" "cross-signed I has I's subject"
expect_eq "$(pubkey_of_cert xi_ib.pem)" "$(pubkey_of_cert xi_ia.pem)" "cross-signed I has I's key"
# B's key cross-signed by A, imported as a certificate only.
expect_ok "$PKI" write -field=csr xb/intermediate/cross-sign key_ref=b-key common_name="Root B"
save xb_x.csr
expect_ok "$PKI" write -field=certificate xa/root/sign-intermediate csr=@xb_x.csr use_csr_values=true ttl=4000h
save xb_a.pem
expect_ok "$PKI" write -format=json xi/issuers/import/cert pem_bundle=@xb_a.pem
save xi_imp.json
expect_eq "$(jx xi_imp.json 'len(d["imported_issuers"])')" "1" "cross-signed B imported"
# Each issuer's chain: itself, then every parent path; self-signed roots before cross-signed ones.
expect_eq "$(chain_of xi "$ia" cn)" "Cross_Int<Root_A Root_A<Root_A" "chain of I (signed by A)"
expect_eq "$(chain_of xi "$ib" cn)" "Cross_Int<Root_B Root_B<Root_B Root_B<Root_A Root_A<Root_A" "chain of I (cross-signed by B)"
load_chains xi
expect_eq "${#CID[@]}" "5" "issuers in the cross-signing mount"
ra="" rb=""
for id in "${!CID[@]}"; do
  c=${CID[$id]}
  expect_eq "${c%% *}" "$id" "a chain starts with the issuer itself"
  expect_eq "$(tr ' ' '\n' <<<"$c" | sort | uniq -d)" "" "no duplicates in the chain of $id"
  hasnt "$c" "?" "chain entries are issuers of the mount"
  case ${CCN[$id]} in
    "Root_A<Root_A"*) expect_eq "${CCN[$id]}" "Root_A<Root_A" "root A's chain"; ra=$id ;;
    "Root_B<Root_B"*) expect_eq "${CCN[$id]}" "Root_B<Root_B Root_B<Root_A Root_A<Root_A" "root B's chain includes its cross-signed path"; rb=$id ;;
    "Root_B<Root_A"*) expect_eq "${CCN[$id]}" "Root_B<Root_A Root_A<Root_A" "cross-signed B's chain" ;;
  esac
done
# The same order after rebuilds (a rename, a no-op patch, a reimport).
before=$(for id in $(issuer_ids xi); do echo "${CID[$id]}"; done)
expect_ok "$PKI" patch "xi/issuer/$ib" issuer_name=int-by-b
expect_ok "$PKI" issuer patch -m xi "$ia" --issuer-name int-by-a
expect_ok "$PKI" write xi/issuers/import/cert pem_bundle=@xi_b_bundle.pem
load_chains xi
after=$(for id in $(issuer_ids xi); do echo "${CID[$id]}"; done)
expect_eq "$after" "$before" "chains are stable across rebuilds"
# A leaf issued by I verifies against A and against B (through either cross-signed certificate).
role xi
expect_ok "$PKI" write -format=json xi/issuer/int-by-a/issue/web common_name=cross.example.com ttl=1h
save xi_leaf.json; pem xi_leaf.json certificate xi_leaf.pem
verify_all xa.pem xi_leaf.pem xi_ia.pem
verify_all xb.pem xi_leaf.pem xi_ib.pem
verify_all xa.pem xi_leaf.pem xi_ib.pem xb_a.pem
USAGE=3 verify_all xa.pem xb_a.pem
# Signing by the cross-signed issuer uses the same key: the leaf is the same story.
expect_ok "$PKI" write -field=certificate xi/issuer/int-by-b/issue/web common_name=cross2.example.com ttl=1h
save xi_leaf2.pem
verify_all xb.pem xi_leaf2.pem xi_ib.pem
verify_all xa.pem xi_leaf2.pem xi_ia.pem
# The issued leaf's ca_chain is the chain of its issuer.
expect_eq "$(jx xi_leaf.json 'len(d["ca_chain"])')" "2" "leaf ca_chain (I, A)"

# Reissued roots: same subject and key, both self-signed.
mount xr; mount xr_int
expect_ok "$PKI" write -format=json xr/root/generate/internal common_name="Reissued Root" key_type=ec key_name=r-key ttl=8760h issuer_name=r1
save xr1.json; pem xr1.json certificate xr1.pem
r1=$(jf xr1.json issuer_id)
expect_ok "$PKI" write -format=json xr/root/generate/existing common_name="Reissued Root" key_ref=r-key ttl=9000h issuer_name=r2
save xr2.json; pem xr2.json certificate xr2.pem
r2=$(jf xr2.json issuer_id)
expect_eq "$(x509 xr2.pem -subject)" "$(x509 xr1.pem -subject)" "reissued root subject"
expect_eq "$(pubkey_of_cert xr2.pem)" "$(pubkey_of_cert xr1.pem)" "reissued root key"
expect_eq "$(chain_of xr r1 ids)" "$r1 $r2" "reissued root r1's chain names its twin"
expect_eq "$(chain_of xr r2 ids)" "$r2 $r1" "reissued root r2's chain names its twin"
expect_ok "$PKI" write -field=csr xr_int/intermediate/generate/internal common_name="Under Reissued" key_type=ec
save xr_int.csr
expect_ok "$PKI" write -field=certificate xr/issuer/r2/sign-intermediate csr=@xr_int.csr ttl=1000h
save xr_int.pem
expect_ok "$PKI" write -format=json xr/issuers/import/cert pem_bundle=@xr_int.pem
save xr_imp.json
c1=$(jx xr_imp.json 'd["imported_issuers"][0]')
c=$(chain_of xr "$c1" ids)
expect_eq "$(wc -w <<<"$c")" "3" "intermediate under reissued roots: itself and both roots"
has "$c" "$r1" "chain under reissued roots"
has "$c" "$r2" "chain under reissued roots"
expect_ok "$PKI" patch xr/issuer/r1 issuer_name=r1-renamed
expect_eq "$(chain_of xr "$c1" ids)" "$c" "reissued chain stable after a rebuild"
USAGE=3 verify_all xr1.pem xr_int.pem
USAGE=3 verify_all xr2.pem xr_int.pem
# A root reissued and also cross-signed: the self-signed twin comes before the cross-signed one.
expect_ok "$PKI" write -field=csr xr/intermediate/cross-sign key_ref=r-key common_name="Reissued Root"
save xr_x.csr
expect_ok "$PKI" write -field=certificate xa/root/sign-intermediate csr=@xr_x.csr use_csr_values=true ttl=1000h
save xr_xa.pem
expect_ok "$PKI" write xr/issuers/import/cert pem_bundle=@xr_xa.pem
expect_ok "$PKI" write xr/issuers/import/cert pem_bundle=@xa.pem
c=$(chain_of xr "$c1" cn)
expect_eq "$c" "Under_Reissued<Reissued_Root Reissued_Root<Reissued_Root Reissued_Root<Reissued_Root Reissued_Root<Root_A Root_A<Root_A" \
  "intermediate under reissued and cross-signed roots"

# ---- manual_chain ---------------------------------------------------------------------------
section "manual_chain"
expect_refused 1 "$PKI" patch xi/issuer/int-by-a manual_chain="$ra"
expect_err_contains "manual_chain"
expect_refused 1 "$PKI" patch xi/issuer/int-by-a manual_chain="int-by-a,no-such-issuer"
expect_ok "$PKI" patch -format=json xi/issuer/int-by-a manual_chain="self,int-by-b,$rb"
expect_eq "$(jx "$WORK/out" 'len(d["manual_chain"])')" "3" "manual_chain stored"
expect_eq "$(chain_of xi int-by-a ids)" "$ia $ib $rb" "manual_chain overrides the automatic chain"
expect_ok "$PKI" write -format=json xi/issuer/int-by-a/issue/web common_name=manual.example.com ttl=1h
expect_eq "$(jx "$WORK/out" 'len(d["ca_chain"])')" "3" "issuance serves the manual chain"
# Deleting an issuer named in a manual chain drops it from that chain.
expect_ok "$PKI" delete "xi/issuer/$rb"
expect_ok "$PKI" read -format=json xi/issuer/int-by-a
expect_eq "$(jx "$WORK/out" 'd["manual_chain"]')" "['$ia', '$ib']" "manual_chain after deleting a member"
expect_eq "$(chain_of xi int-by-a ids)" "$ia $ib" "chain after deleting a manual_chain member"
# The cross-signed B is now the only parent of I(B).
expect_eq "$(chain_of xi int-by-b cn)" "Cross_Int<Root_B Root_B<Root_A Root_A<Root_A" "chain after deleting root B"
# An empty manual_chain returns to automatic building.
expect_ok "$PKI" patch xi/issuer/int-by-a manual_chain=
expect_eq "$(chain_of xi int-by-a ids)" "$ia $ra" "automatic chain again"
expect_ok "$PKI" read -format=json xi/issuer/int-by-a
expect_eq "$(jx "$WORK/out" 'd["manual_chain"]')" "None" "manual_chain cleared"

# ---- import ---------------------------------------------------------------------------------
section "import"
mount im; mount im_src; mount im_int
expect_ok "$PKI" write -format=json im_src/root/generate/exported common_name="Import Root" key_type=ec ttl=8760h
save im_root.json; pem im_root.json certificate im_root.pem; pem im_root.json private_key im_root.key
expect_ok "$PKI" write -format=json im_int/intermediate/generate/exported common_name="Import Int" key_type=rsa
save im_int.json; pem im_int.json csr im_int.csr; pem im_int.json private_key im_int.key
expect_ok "$PKI" write -field=certificate im_src/root/sign-intermediate csr=@im_int.csr ttl=4000h
save im_int.pem
# Key first, certificates in any order, text around the blocks.
{ echo "intermediate key:"; cat im_int.key; echo; cat im_root.pem; echo "comment"; cat im_int.pem; echo; cat im_root.key; } > im_bundle.pem
expect_ok "$PKI" write -format=json im/issuers/import/bundle pem_bundle=@im_bundle.pem
save im1.json
expect_eq "$(jx im1.json 'len(d["imported_issuers"])')" "2" "imported_issuers"
expect_eq "$(jx im1.json 'len(d["imported_keys"])')" "2" "imported_keys"
expect_eq "$(jx im1.json 'sorted(d["mapping"]) == sorted(d["imported_issuers"])')" "True" "mapping names every issuer"
expect_eq "$(jx im1.json 'sorted(d["mapping"].values()) == sorted(d["imported_keys"])')" "True" "mapping gives each issuer its key"
for id in $(jx im1.json '" ".join(d["imported_issuers"])'); do
  expect_ok "$PKI" read -format=json "im/issuer/$id"
  save "im_iss_$id.json"
  expect_eq "$(jf "im_iss_$id.json" key_id)" "$(jx im1.json "d['mapping']['$id']")" "issuer read shows the imported key"
done
load_chains im
iint=""
for id in "${!CCN[@]}"; do [ "${CCN[$id]}" != "Import_Int<Import_Root Import_Root<Import_Root" ] || iint=$id; done
expect_ok test -n "$iint"
expect_eq "$(jf "im_iss_$iint.json" key_id)" "$(jx im1.json "d['mapping']['$iint']")" "intermediate linked to its key"
# The imported intermediate can sign, and what it signs verifies.
role im
expect_ok "$PKI" write -field=certificate "im/issuer/$iint/issue/web" common_name=imported.example.com ttl=1h
save im_leaf.pem
verify_all im_root.pem im_leaf.pem im_int.pem
USAGE=3 verify_all im_root.pem im_int.pem
# Duplicates are ignored: the same bundle, and the same certificates encoded differently.
n_before=$(issuer_ids im | wc -w)
expect_ok "$PKI" write -format=json im/issuers/import/bundle pem_bundle=@im_bundle.pem
save im2.json
expect_eq "$(jx im2.json 'd["imported_issuers"]')" "None" "duplicate bundle imports no issuer"
expect_eq "$(jx im2.json 'd["imported_keys"]')" "None" "duplicate bundle imports no key"
expect_eq "$(jx im2.json 'len(d["mapping"])')" "2" "duplicate bundle still maps its issuers"
{ openssl x509 -in im_root.pem -outform der | openssl x509 -inform der -out im_root_reenc.pem; } 2>/dev/null || fail "re-encoding the imported root"
python3 - im_int.pem im_int_wrapped.pem <<'EOF'
import sys
lines = open(sys.argv[1]).read().strip().split("\n")
b = "".join(lines[1:-1])
open(sys.argv[2], "w").write("\r\n".join([lines[0]] + [b[i:i + 76] for i in range(0, len(b), 76)] + [lines[-1]]) + "\r\n")
EOF
expect_ok test "$(md5sum < im_int_wrapped.pem)" != "$(md5sum < im_int.pem)"
expect_ok "$PKI" write -format=json im/issuers/import/cert pem_bundle=@im_root_reenc.pem
expect_eq "$(jx "$WORK/out" 'd["imported_issuers"]')" "None" "DER->PEM re-encoded duplicate ignored"
expect_ok "$PKI" write -format=json im/issuers/import/cert pem_bundle=@im_int_wrapped.pem
expect_eq "$(jx "$WORK/out" 'd["imported_issuers"]')" "None" "re-wrapped (76 columns, CRLF) duplicate ignored"
expect_eq "$(issuer_ids im | wc -w)" "$n_before" "no issuer added by duplicates"
# issuers/import/cert refuses keys; non-CA certificates and garbage are refused, state unchanged.
expect_refused 1 "$PKI" write im/issuers/import/cert pem_bundle=@im_bundle.pem
expect_refused 1 "$PKI" issuer import-cert -m im --pem-bundle @im_root.key
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leafca.key -subj "/CN=not a ca" \
  -addext basicConstraints=critical,CA:FALSE -out notca.pem -days 10 2>/dev/null
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@notca.pem
expect_err_contains "not a CA"
expect_refused 1 "$PKI" write im/issuers/import/cert pem_bundle=@im_leaf.pem
openssl x509 -req -in im_int.csr -signkey im_int.key -days 1 -out v1.pem 2>/dev/null
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@v1.pem
{ cat xa.pem; echo; cat notca.pem; } > mixed.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@mixed.pem
echo "garbage" > garbage.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@garbage.pem
printf -- '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n' > bad_der.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@bad_der.pem
head -5 xa.pem > truncated.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@truncated.pem
openssl pkey -in im_root.key -pubout > pub.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@pub.pem
printf -- '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' > badkey.pem
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@badkey.pem
openssl pkcs8 -topk8 -in im_root.key -v2 aes-256-cbc -passout pass:secret -out enckey.pem 2>/dev/null
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=@enckey.pem
# CRLs in a bundle are ignored; the certificates in it are imported.
mount im_crl
{ printf -- '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'; cat im_root.pem; } > with_crl.pem
expect_ok "$PKI" write -format=json im_crl/issuers/import/bundle pem_bundle=@with_crl.pem
expect_eq "$(jx "$WORK/out" 'len(d["imported_issuers"])')" "1" "bundle with a CRL"
expect_refused 1 "$PKI" write im/issuers/import/bundle pem_bundle=
expect_refused 1 "$PKI" write im/issuers/import/bundle
# A certificate imported before its key links up when the key arrives (keys/import).
mount im_late
expect_ok "$PKI" write -format=json im_late/issuers/import/cert pem_bundle=@im_int.pem
save late.json
late=$(jx late.json 'd["imported_issuers"][0]')
expect_eq "$(jx late.json "d['mapping']['$late']")" "" "no key yet"
expect_ok "$PKI" read -format=json "im_late/issuer/$late"
expect_eq "$(jf "$WORK/out" key_id)" "" "issuer without key"
expect_eq "$(jf "$WORK/out" certificate)" "$(cat im_int.pem)" "key-less issuer is readable"
role im_late
expect_refused 1 "$PKI" write im_late/issue/web common_name=nokey.example.com ttl=1h
expect_err_contains "key"
expect_refused 1 "$PKI" write im_late/root/sign-intermediate csr=@xi.csr ttl=1h
expect_ok "$PKI" write -format=json im_late/keys/import pem_bundle=@im_int.key
save late_key.json
expect_ok "$PKI" read -format=json "im_late/issuer/$late"
expect_eq "$(jf "$WORK/out" key_id)" "$(jf late_key.json key_id)" "issuer linked to the key imported after it"
expect_ok "$PKI" write -field=certificate im_late/issue/web common_name=late.example.com ttl=1h
save late_leaf.pem
verify_all im_root.pem late_leaf.pem im_int.pem
# config/ca works like issuers/import/bundle.
mount im_cfg
expect_ok "$PKI" write -format=json im_cfg/config/ca pem_bundle=@im_bundle.pem
save cfg.json
expect_eq "$(jx cfg.json 'len(d["imported_issuers"])')" "2" "config/ca imported_issuers"
expect_eq "$(jx cfg.json 'len(d["imported_keys"])')" "2" "config/ca imported_keys"
expect_eq "$(jx cfg.json 'all(d["mapping"].values())')" "True" "config/ca mapping"
expect_refused 1 "$PKI" write im_cfg/config/ca pem_bundle=@notca.pem
# The ergonomic import, keys after certificates.
mount im_erg
{ cat im_root.pem; echo; cat im_root.key; } > im_root_bundle.pem
expect_ok "$PKI" issuer import-bundle -m im_erg --pem-bundle @im_root_bundle.pem -format=json
expect_eq "$(jx "$WORK/out" 'len(d["imported_issuers"]), len(d["imported_keys"])')" "(1, 1)" "ergonomic import-bundle"
expect_ok "$PKI" read -format=json im_erg/config/issuers
expect_ok test -n "$(jf "$WORK/out" default)"

# ---- issuers: read, update, patch, delete, default, usage -----------------------------------
section "issuers"
mount is
expect_ok "$PKI" write -format=json is/root/generate/internal common_name="First" key_type=ec ttl=8760h issuer_name=first
save is1.json
i1=$(jf is1.json issuer_id)
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$i1" "the first issuer becomes the default"
expect_ok "$PKI" write -format=json is/root/generate/internal common_name="Second" key_type=ec ttl=8760h issuer_name=second
save is2.json
i2=$(jf is2.json issuer_id)
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$i1" "a later issuer does not take the default"
expect_ok "$PKI" list -format=json is/issuers
expect_eq "$(jx "$WORK/out" 'sorted(d["keys"])')" "$(python3 -c "print(sorted(['$i1', '$i2']))")" "list issuers"
expect_eq "$(jx "$WORK/out" "d['key_info']['$i1']['issuer_name']")" "first" "list key_info issuer_name"
expect_ok "$PKI" issuer list -m is
expect_out_contains "second"
# read by id, name and "default"; the reply's fields.
for ref in "$i1" first default; do
  expect_ok "$PKI" read -format=json "is/issuer/$ref"
  expect_eq "$(jf "$WORK/out" issuer_id)" "$i1" "issuer read by $ref"
done
expect_eq "$(jf "$WORK/out" issuer_name)" "first" "issuer_name"
expect_eq "$(jf "$WORK/out" leaf_not_after_behavior)" "err" "default leaf_not_after_behavior"
expect_eq "$(jf "$WORK/out" usage)" "read-only,issuing-certificates,crl-signing,ocsp-signing" "default usage"
expect_eq "$(jx "$WORK/out" 'd["manual_chain"]')" "None" "no manual chain"
expect_eq "$(jf "$WORK/out" key_id)" "$(jf is1.json key_id)" "issuer key_id"
expect_eq "$(jx "$WORK/out" 'len(d["ca_chain"])')" "1" "a root's chain is itself"
# PATCH changes only the given fields.
expect_ok "$PKI" patch -format=json is/issuer/first usage=read-only,crl-signing leaf_not_after_behavior=truncate
expect_ok "$PKI" patch -format=json is/issuer/first issuer_name=first-renamed
expect_eq "$(jf "$WORK/out" issuer_name)" "first-renamed" "patch issuer_name"
expect_eq "$(jf "$WORK/out" usage)" "read-only,crl-signing" "patch keeps usage"
expect_eq "$(jf "$WORK/out" leaf_not_after_behavior)" "truncate" "patch keeps leaf_not_after_behavior"
expect_ok "$PKI" issuer patch -m is first-renamed --leaf-not-after-behavior permit -format=json
expect_eq "$(jf "$WORK/out" leaf_not_after_behavior)" "permit" "ergonomic patch"
expect_eq "$(jf "$WORK/out" usage)" "read-only,crl-signing" "ergonomic patch keeps usage (no flag defaults sent)"
expect_eq "$(jf "$WORK/out" issuer_name)" "first-renamed" "ergonomic patch keeps issuer_name"
expect_refused 1 "$PKI" read is/issuer/first
# usage without issuing-certificates: no issuance, no signing; crl-signing kept.
role is
expect_refused 1 "$PKI" write is/issuer/first-renamed/issue/web common_name=x.example.com ttl=1h
expect_err_contains "issuing-certificates"
expect_refused 1 "$PKI" write is/issue/web common_name=x.example.com ttl=1h
expect_refused 1 "$PKI" write is/root/sign-intermediate csr=@xi.csr ttl=1h
expect_refused 1 "$PKI" write is/root/sign-self-issued certificate=@xa.pem
expect_ok "$PKI" write -field=certificate is/issuer/second/issue/web common_name=y.example.com ttl=1h
# POST (write) overwrites: omitted fields return to their defaults.
expect_ok "$PKI" write -format=json is/issuer/first-renamed leaf_not_after_behavior=truncate
expect_eq "$(jf "$WORK/out" issuer_name)" "" "write resets issuer_name"
expect_eq "$(jf "$WORK/out" usage)" "read-only,issuing-certificates,crl-signing,ocsp-signing" "write resets usage"
expect_eq "$(jf "$WORK/out" leaf_not_after_behavior)" "truncate" "write sets the given field"
expect_ok "$PKI" issuer write -m is "$i1" --issuer-name first --usage read-only,issuing-certificates -format=json
expect_eq "$(jf "$WORK/out" leaf_not_after_behavior)" "err" "ergonomic write resets leaf_not_after_behavior"
expect_eq "$(jf "$WORK/out" usage)" "read-only,issuing-certificates" "ergonomic write usage"
expect_ok "$PKI" write -format=json is/issuer/first issuer_name=first usage=issuing-certificates
expect_eq "$(jf "$WORK/out" usage)" "read-only,issuing-certificates" "read-only is implicit"
expect_refused 1 "$PKI" write is/issuer/first usage=everything
expect_refused 1 "$PKI" patch is/issuer/first leaf_not_after_behavior=sometimes
# Names: reserved and duplicate names refused; unknown references refused.
expect_refused 1 "$PKI" patch is/issuer/first issuer_name=default
expect_refused 1 "$PKI" write is/issuer/first issuer_name=second
expect_refused 1 "$PKI" patch is/issuer/first issuer_name=second
expect_refused 1 "$PKI" patch is/issuer/first "issuer_name=bad name"
expect_refused 1 "$PKI" write is/root/generate/internal common_name=dup issuer_name=second key_type=ec
expect_refused 1 "$PKI" write is/root/generate/internal common_name=dup issuer_name=default key_type=ec
expect_ok "$PKI" patch is/issuer/first issuer_name=first
for cmd in "read is/issuer/nope" "patch is/issuer/nope issuer_name=x" "write is/issuer/nope issuer_name=x" \
  "read is/issuer/nope/json" "read is/issuer/nope/der" "read is/issuer/nope/pem" \
  "write is/config/issuers default=nope" "write is/issuer/nope/sign-intermediate csr=@xi.csr" \
  "write is/root/sign-intermediate issuer_ref=nope csr=@xi.csr"; do
  # shellcheck disable=SC2086
  expect_refused 1 "$PKI" $cmd
done
expect_refused 1 "$PKI" issuer read -m is nope
# Deleting an issuer that is not there succeeds (idempotent, as in Vault), warns, changes nothing.
before=$(state_dump)
expect_ok "$PKI" delete is/issuer/nope
expect_err_contains 'there is no issuer "nope" in mount is; nothing was deleted'
expect_eq "$(state_dump)" "$before" "state after deleting a missing issuer"
expect_refused 1 "$PKI" write is/config/issuers default=
# config/issuers: read and write, by id or name, both styles.
expect_ok "$PKI" write -format=json is/config/issuers default=second
expect_eq "$(jf "$WORK/out" default)" "$i2" "config/issuers by name"
expect_ok "$PKI" read -field=certificate is/issuer/default
expect_eq "$(cat "$WORK/out")" "$(jf is2.json certificate)" "default issuer changed"
expect_ok "$PKI" config issuers write -m is --default "$i1"
expect_ok "$PKI" config issuers read -m is -format=json
expect_eq "$(jf "$WORK/out" default)" "$i1" "ergonomic config issuers"
# Deleting the default issuer clears the default, with a warning; the key stays.
expect_ok "$PKI" delete is/issuer/first
expect_err_contains "Warning: "
expect_err_contains "default"
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "" "no default after deleting it"
expect_refused 1 "$PKI" read is/ca
expect_refused 1 "$PKI" read is/cert/ca
expect_refused 1 "$PKI" write is/issue/web common_name=z.example.com ttl=1h
expect_ok "$PKI" read -format=json "is/key/$(jf is1.json key_id)"
# A deleted issuer whose key remains can be re-imported: a new id, linked to the same key.
jf is1.json certificate > is1.pem
expect_ok "$PKI" write -format=json is/issuers/import/cert pem_bundle=@is1.pem
save reimp.json
reimp=$(jx reimp.json 'd["imported_issuers"][0]')
expect_ok test -n "$reimp" -a "$reimp" != "$i1"
expect_eq "$(jx reimp.json "d['mapping']['$reimp']")" "$(jf is1.json key_id)" "re-imported issuer finds its key"
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$reimp" "a re-imported issuer in a mount without default becomes the default"
expect_ok "$PKI" write -field=certificate "is/issuer/$reimp/issue/web" common_name=again.example.com ttl=1h
save is_again.pem
verify_all is1.pem is_again.pem
expect_ok "$PKI" delete "is/issuer/$reimp"
expect_err_contains "Warning: "
expect_ok "$PKI" issuer delete -m is second
expect_ok "$PKI" list -format=json is/issuers
expect_eq "$(jx "$WORK/out" 'd["keys"]')" "[]" "all issuers deleted one by one"
# A new first issuer becomes the default again.
expect_ok "$PKI" write -format=json is/root/generate/existing common_name=Third key_ref="$(jf is1.json key_id)" ttl=10h
expect_eq "$(jf "$WORK/out" key_id)" "$(jf is1.json key_id)" "the deleted issuer's key remains"
i3=$(jf "$WORK/out" issuer_id)
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "$i3" "new first issuer becomes the default"
# DELETE root: every issuer and every key of the mount, nothing of other mounts.
expect_ok "$PKI" write is/root/generate/internal common_name=Fourth key_type=ec ttl=10h
expect_ok "$PKI" write is/keys/generate/internal key_type=ec
expect_ok "$PKI" delete is/root
expect_err_contains "Warning: "
expect_ok "$PKI" list -format=json is/issuers
expect_eq "$(jx "$WORK/out" 'd["keys"]')" "[]" "DELETE root removes every issuer"
expect_ok "$PKI" list -format=json is/keys
expect_eq "$(jx "$WORK/out" 'd["keys"]')" "[]" "DELETE root removes every key"
expect_ok "$PKI" read -format=json is/config/issuers
expect_eq "$(jf "$WORK/out" default)" "" "DELETE root clears the default issuer"
expect_ok "$PKI" list -format=json xi/issuers
expect_eq "$(jx "$WORK/out" 'len(d["keys"])')" "4" "other mounts untouched"
expect_ok "$PKI" write is/root/generate/internal common_name=Again key_type=ec ttl=10h
expect_ok "$PKI" root delete -m is
expect_ok "$PKI" list -format=json is/issuers
expect_eq "$(jx "$WORK/out" 'd["keys"]')" "[]" "ergonomic root delete"

# ---- CA and certificate reads -----------------------------------------------------------------
section "CA and certificate reads"
mount rd; mount rd_int
expect_ok "$PKI" write -format=json rd/root/generate/internal common_name="Read Root" key_type=ec ttl=8760h
save rd_root.json; pem rd_root.json certificate rd_root.pem
expect_ok "$PKI" write -field=csr rd_int/intermediate/generate/internal common_name="Read Int" key_type=ec
save rd_int.csr
expect_ok "$PKI" write -format=json rd/root/sign-intermediate csr=@rd_int.csr format=pem_bundle ttl=4000h
save rd_signed.json; jf rd_signed.json certificate > rd_bundle.pem
openssl x509 -in rd_bundle.pem -out rd_int.pem 2>/dev/null || fail "sign-intermediate pem_bundle holds no certificate"
expect_ok "$PKI" write rd_int/intermediate/set-signed certificate=@rd_bundle.pem
# cert/ca (JSON), ca (DER), ca/pem: the default issuer, exactly.
expect_ok "$PKI" read -format=json rd/cert/ca
expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_root.pem)" "cert/ca"
"$PKI" read rd/ca > rd_ca.der 2>/dev/null || fail "read rd/ca"
openssl x509 -in rd_root.pem -outform der -out rd_root.der 2>/dev/null || fail "root.pem unreadable"
if cmp -s rd_ca.der rd_root.der; then ok; else fail "ca is not the root's DER"; fi
expect_eq "$(openssl x509 -inform der -in rd_ca.der -noout -subject 2>&1)" "subject=CN = Read Root" "ca DER parses"
"$PKI" read rd/ca/pem > rd_ca.pem 2>/dev/null || fail "read rd/ca/pem"
openssl x509 -inform der -in rd_root.der -out rd_root_conv.pem 2>/dev/null || fail "root.der unreadable"
if cmp -s rd_ca.pem rd_root_conv.pem; then ok; else fail "ca/pem differs from the openssl conversion: $(diff rd_ca.pem rd_root_conv.pem | head -5)"; fi
"$PKI" ca der -m rd > rd_ca2.der 2>/dev/null || fail "ca der"
if cmp -s rd_ca2.der rd_root.der; then ok; else fail "ergonomic ca der"; fi
"$PKI" ca pem -m rd > rd_ca2.pem 2>/dev/null || fail "ca pem"
if cmp -s rd_ca2.pem rd_root_conv.pem; then ok; else fail "ergonomic ca pem"; fi
# ca_chain (PEM) and cert/ca_chain (JSON) on the intermediate mount.
"$PKI" read rd_int/ca_chain > rd_chain.pem 2>/dev/null || fail "read rd_int/ca_chain"
{ openssl x509 -in rd_int.pem; openssl x509 -in rd_root.pem; } > rd_chain_expect.pem 2>/dev/null || fail "chain files unreadable"
if cmp -s rd_chain.pem rd_chain_expect.pem; then ok; else fail "ca_chain is not intermediate + root: $(diff rd_chain.pem rd_chain_expect.pem | head -5)"; fi
"$PKI" ca chain -m rd_int > rd_chain2.pem 2>/dev/null || fail "ca chain"
if cmp -s rd_chain2.pem rd_chain_expect.pem; then ok; else fail "ergonomic ca chain"; fi
expect_ok "$PKI" read -format=json rd_int/cert/ca_chain
expect_eq "$(jx "$WORK/out" 'len(d["ca_chain"])')" "2" "cert/ca_chain ca_chain"
expect_eq "$(jx "$WORK/out" 'd["ca_chain"][0].strip()')" "$(cat rd_int.pem)" "cert/ca_chain starts with the intermediate"
expect_eq "$(jx "$WORK/out" 'd["certificate"].count("BEGIN CERTIFICATE")')" "2" "cert/ca_chain certificate is the chain"
"$PKI" read rd/ca_chain > rd_root_chain.pem 2>/dev/null || fail "read rd/ca_chain"
if cmp -s rd_root_chain.pem rd_root_conv.pem; then ok; else fail "a root's ca_chain is itself"; fi
# issuer/:ref/json|der|pem
rid=$(jf rd_root.json issuer_id)
expect_ok "$PKI" read -format=json "rd/issuer/$rid/json"
expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_root.pem)" "issuer json certificate"
expect_eq "$(jx "$WORK/out" 'len(d["ca_chain"])')" "1" "issuer json ca_chain"
expect_eq "$(jf "$WORK/out" issuer_id)" "$rid" "issuer json issuer_id"
"$PKI" read "rd/issuer/$rid/der" > rd_iss.der 2>/dev/null || fail "issuer der"
if cmp -s rd_iss.der rd_root.der; then ok; else fail "issuer/:ref/der differs from openssl's DER"; fi
"$PKI" read rd/issuer/default/pem > rd_iss.pem 2>/dev/null || fail "issuer pem"
if cmp -s rd_iss.pem rd_root_conv.pem; then ok; else fail "issuer/:ref/pem differs from openssl's PEM"; fi
"$PKI" issuer der -m rd_int default > rd_int_iss.der 2>/dev/null || fail "ergonomic issuer der"
if cmp -s rd_int_iss.der <(openssl x509 -in rd_int.pem -outform der); then ok; else fail "ergonomic issuer der differs"; fi
expect_ok "$PKI" issuer json -m rd_int default -format=json
expect_eq "$(jx "$WORK/out" 'len(d["ca_chain"])')" "2" "ergonomic issuer json"
# cert/:serial, cert/:serial/raw, cert/:serial/raw/pem; serials in any accepted spelling.
role rd
expect_ok "$PKI" write -format=json rd/issue/web common_name=read.example.com ttl=1h
save rd_leaf.json; pem rd_leaf.json certificate rd_leaf.pem
serial=$(jf rd_leaf.json serial_number)
for s in "$serial" "$(tr 'a-f:' 'A-F-' <<<"$serial")" "$(tr -d ':' <<<"$serial")"; do
  expect_ok "$PKI" read -format=json "rd/cert/$s"
  expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_leaf.pem)" "cert/$s"
done
expect_eq "$(jf "$WORK/out" revocation_time)" "0" "not revoked"
"$PKI" read "rd/cert/$serial/raw" > rd_leaf.der 2>/dev/null || fail "cert raw"
if cmp -s rd_leaf.der <(openssl x509 -in rd_leaf.pem -outform der); then ok; else fail "cert/:serial/raw differs from openssl's DER"; fi
"$PKI" read "rd/cert/$serial/raw/pem" > rd_leaf_raw.pem 2>/dev/null || fail "cert raw pem"
if cmp -s rd_leaf_raw.pem <(openssl x509 -in rd_leaf.pem); then ok; else fail "cert/:serial/raw/pem differs from openssl's PEM"; fi
expect_ok "$PKI" cert read -m rd "$serial" -format=json
expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_leaf.pem)" "ergonomic cert read"
expect_ok "$PKI" read -format=json "rd/cert/$(jf rd_root.json serial_number)"
expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_root.pem)" "the root is in the store"
expect_ok "$PKI" read -format=json "rd/cert/$(jf rd_signed.json serial_number)"
expect_eq "$(jf "$WORK/out" certificate)" "$(cat rd_int.pem)" "the signed intermediate is in the store"
expect_ok "$PKI" list -format=json rd/certs
for s in "$serial" "$(jf rd_root.json serial_number)" "$(jf rd_signed.json serial_number)"; do
  expect_eq "$(jx "$WORK/out" "'$s' in d['keys']")" "True" "list certs has $s"
done
expect_eq "$(jx "$WORK/out" 'len(d["keys"])')" "3" "list certs"
expect_ok "$PKI" cert serials -m rd
expect_out_contains "$serial"
expect_refused 1 "$PKI" read rd/cert/00:11:22
expect_refused 1 "$PKI" read rd/cert/not-hex
expect_refused 1 "$PKI" read rd/cert/00:11:22/raw
expect_ok "$PKI" secrets enable -path=rd_empty pki
expect_refused 1 "$PKI" read rd_empty/ca
expect_refused 1 "$PKI" read rd_empty/ca/pem
expect_refused 1 "$PKI" read rd_empty/ca_chain
expect_refused 1 "$PKI" read rd_empty/cert/ca_chain

# ---- sign-self-issued -----------------------------------------------------------------------
section "sign-self-issued"
mount ss
expect_ok "$PKI" write -format=json ss/root/generate/internal common_name="SS Root" key_type=ec ttl=8760h issuer_name=ss-root
save ss_root.json; pem ss_root.json certificate ss_root.pem
expect_ok "$PKI" write ss/config/urls issuing_certificates=http://ss.example.com/ca
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout selfca.key -subj "/CN=Old Self CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -days 100 -out selfca.pem 2>/dev/null
expect_ok "$PKI" write -format=json ss/root/sign-self-issued certificate=@selfca.pem
save ss1.json; pem ss1.json certificate ss_resigned.pem
expect_eq "$(x509 ss_resigned.pem -subject)" "$(x509 selfca.pem -subject)" "re-signed keeps the subject"
expect_eq "$(x509 ss_resigned.pem -issuer)" "issuer=CN = SS Root" "re-signed issuer is the pki root"
expect_eq "$(pubkey_of_cert ss_resigned.pem)" "$(pubkey_of_cert selfca.pem)" "re-signed keeps the key"
expect_eq "$(akid ss_resigned.pem)" "$(skid ss_root.pem)" "re-signed AKID = issuer SKID"
expect_eq "$(jf ss1.json issuing_ca)" "$(cat ss_root.pem)" "sign-self-issued issuing_ca"
USAGE=3 verify_all ss_root.pem ss_resigned.pem
# Something the old CA signed now verifies through the re-signed certificate.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout old_leaf.key -subj "/CN=old.example.com" -out old_leaf.csr 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:old.example.com\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n' > old_leaf.ext
openssl x509 -req -in old_leaf.csr -CA selfca.pem -CAkey selfca.key -set_serial 7 -days 5 -extfile old_leaf.ext -out old_leaf.pem 2>/dev/null
verify_all ss_root.pem old_leaf.pem ss_resigned.pem
# Per-issuer form and the ergonomic twin.
expect_ok "$PKI" write -field=certificate ss/issuer/ss-root/sign-self-issued certificate=@selfca.pem
save ss2.pem
has "$(x509 ss2.pem -issuer)" "SS Root" "issuer/:ref/sign-self-issued"
expect_ok "$PKI" root sign-self-issued -m ss --certificate @selfca.pem --field certificate
save ss3.pem
USAGE=3 verify_all ss_root.pem ss3.pem
# Refused: a leaf, a certificate that is not self-issued, garbage, mismatched algorithms on request.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout sleaf.key -subj "/CN=self leaf" \
  -addext basicConstraints=critical,CA:FALSE -days 10 -out selfleaf.pem 2>/dev/null
expect_refused 1 "$PKI" write ss/root/sign-self-issued certificate=@selfleaf.pem
expect_refused 1 "$PKI" write ss/root/sign-self-issued certificate=@xi_ia.pem
expect_err_contains "self-issued"
expect_refused 1 "$PKI" write ss/root/sign-self-issued certificate=@garbage.pem
expect_refused 1 "$PKI" write ss/root/sign-self-issued
openssl req -x509 -newkey rsa:2048 -nodes -keyout selfrsa.key -subj "/CN=Old RSA CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -days 100 -out selfrsa.pem 2>/dev/null
expect_refused 1 "$PKI" write ss/root/sign-self-issued certificate=@selfrsa.pem require_matching_certificate_algorithms=true
expect_ok "$PKI" write -field=certificate ss/root/sign-self-issued certificate=@selfrsa.pem require_matching_certificate_algorithms=false
save ss_rsa.pem
USAGE=3 verify_all ss_root.pem ss_rsa.pem
expect_ok "$PKI" write ss/root/sign-self-issued certificate=@selfca.pem require_matching_certificate_algorithms=true

# ---- both command styles side by side ---------------------------------------------------------
section "both command styles side by side"
expect_ok "$PKI" secrets enable -path=sty_g pki
expect_ok "$PKI" secrets enable -path=sty_e pki
expect_ok "$PKI" write -format=json sty_g/root/generate/internal common_name=Style key_type=ec ttl=100h issuer_name=s
save sty_g.json
expect_ok "$PKI" root generate internal -m sty_e --common-name Style --key-type ec --ttl 100h --issuer-name s -format=json
save sty_e.json
for f in issuer_name key_name; do expect_eq "$(jf sty_e.json $f)" "$(jf sty_g.json $f)" "styles agree on $f"; done
pem sty_g.json certificate sty_g.pem; pem sty_e.json certificate sty_e.pem
expect_eq "$(x509 sty_e.pem -subject -ext basicConstraints,keyUsage)" "$(x509 sty_g.pem -subject -ext basicConstraints,keyUsage)" "styles agree on the certificate"
expect_ok "$PKI" read -format=json sty_g/issuer/s
save sty_gr.json
expect_ok "$PKI" issuer read -m sty_e s -format=json
save sty_er.json
expect_eq "$(jx sty_er.json 'sorted(d)')" "$(jx sty_gr.json 'sorted(d)')" "issuer read fields, both styles"
expect_ok "$PKI" write -field=csr sty_g/intermediate/generate/internal common_name=StyleInt key_type=ec
save sty.csr
expect_ok "$PKI" intermediate generate internal -m sty_e --common-name StyleInt --key-type ec --field csr
save sty_e.csr
expect_eq "$(openssl req -in sty_e.csr -noout -subject)" "$(openssl req -in sty.csr -noout -subject)" "intermediate generate, both styles"

finish
