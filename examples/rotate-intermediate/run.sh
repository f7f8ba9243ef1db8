#!/usr/bin/env bash
# Rotate an intermediate CA: a new intermediate takes over issuance while the old one keeps
# signing its CRL (usage=read-only,crl-signing), then the old one retires (usage=read-only).
#
# Usage: PKI=/path/to/pki ./run.sh        (default: pki on PATH)
#        PKI_STATE_DIR=DIR ./run.sh       (default: ./work/state beside the files it writes)
# Files (root.pem, old.pem, new.pem, *.crl.pem, leaf certs) are written to WORK_DIR (default ./work).
set -euo pipefail
PKI=${PKI:-pki}
WORK_DIR=${WORK_DIR:-$PWD/work}
mkdir -p "$WORK_DIR"
export PKI_STATE_DIR=${PKI_STATE_DIR:-$WORK_DIR/state}
cd "$WORK_DIR"

step() { printf '\n==> %s\n' "$*"; }
die() { echo "run.sh: FAILED: $*" >&2; exit 1; }
# crl_of ISSUER FILE: the issuer's current CRL, PEM, into FILE.
crl_of() { "$PKI" read "pki_int/issuer/$1/crl" -field=crl > "$2"; }
crl_number() { openssl crl -in "$1" -noout -crlnumber | cut -d= -f2; }
# crl_lists CRL SERIAL: the CRL names SERIAL (openssl prints serials as uppercase hex without colons).
crl_lists() { openssl crl -in "$1" -noout -text | grep -q "Serial Number: $(echo "$2" | tr -d ':' | tr a-f A-F)$"; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

echo "state directory: $PKI_STATE_DIR"

step "A root in pki and a first intermediate (int-old) in pki_int"
"$PKI" secrets enable pki >/dev/null
"$PKI" secrets tune -max-lease-ttl=87600h pki >/dev/null
"$PKI" write pki/root/generate/internal common_name="Example Root" issuer_name=root ttl=87600h -field=certificate > root.pem
"$PKI" secrets enable -path=pki_int pki >/dev/null
"$PKI" secrets tune -max-lease-ttl=43800h pki_int >/dev/null

# new_intermediate NAME CN: generate a CSR in pki_int, sign it with the root, install it, name it.
new_intermediate() {
  "$PKI" write pki_int/intermediate/generate/internal common_name="$2" -field=csr > "$1.csr"
  "$PKI" write pki/root/sign-intermediate csr=@"$1.csr" format=pem ttl=43800h -field=certificate > "$1.pem"
  local id
  id=$("$PKI" write pki_int/intermediate/set-signed certificate=@"$1.pem" -format=json | jq -r '.data.imported_issuers[0]')
  "$PKI" patch "pki_int/issuer/$id" issuer_name="$1" >/dev/null
  openssl verify -CAfile root.pem "$1.pem" >/dev/null || die "$1 does not verify against the root"
}
new_intermediate int-old "Example Intermediate 1"
"$PKI" role write web --mount pki_int --allowed-domains example.com --allow-subdomains --max-ttl 72h >/dev/null
"$PKI" read pki_int/config/issuers

step "int-old issues two certificates and revokes one"
"$PKI" issue web -m pki_int --common-name a.example.com --ttl 24h --field certificate > a.pem
"$PKI" issue web -m pki_int --common-name b.example.com --ttl 24h --field certificate > b.pem
openssl verify -CAfile root.pem -untrusted int-old.pem a.pem
"$PKI" revoke -m pki_int --serial-number "$(serial_of a.pem)" >/dev/null
crl_of int-old old-1.crl.pem
crl_lists old-1.crl.pem "$(serial_of a.pem)" || die "int-old's CRL does not list a.example.com"
echo "int-old CRL #$(crl_number old-1.crl.pem) lists a.example.com"

step "A new intermediate (int-new) becomes the default issuer"
new_intermediate int-new "Example Intermediate 2"
"$PKI" write pki_int/config/issuers default=int-new
"$PKI" patch pki_int/issuer/int-old usage=read-only,crl-signing >/dev/null
echo "int-old usage: $("$PKI" read pki_int/issuer/int-old -field=usage)"
"$PKI" list pki_int/issuers

step "New certificates come from int-new"
"$PKI" issue web -m pki_int --common-name c.example.com --ttl 24h --field certificate > c.pem
openssl verify -CAfile root.pem -untrusted int-new.pem c.pem
[ "$(openssl x509 -in c.pem -noout -issuer)" = "$(openssl x509 -in int-new.pem -noout -subject | sed 's/^subject/issuer/')" ] \
  || die "c.example.com was not issued by int-new"
echo "c.example.com: $(openssl x509 -in c.pem -noout -issuer)"

step "int-old refuses to issue (its usage no longer has issuing-certificates)"
if "$PKI" write pki_int/issuer/int-old/issue/web common_name=d.example.com ttl=1h >/dev/null 2>refused.txt; then
  die "int-old still issues certificates"
fi
cat refused.txt

step "Revoking a certificate of int-old still updates int-old's CRL"
"$PKI" revoke -m pki_int --serial-number "$(serial_of b.pem)" >/dev/null
crl_of int-old old-2.crl.pem
crl_lists old-2.crl.pem "$(serial_of b.pem)" || die "int-old's CRL does not list b.example.com"
crl_lists old-2.crl.pem "$(serial_of a.pem)" || die "int-old's CRL lost a.example.com"
openssl crl -in old-2.crl.pem -noout -verify -CAfile int-old.pem 2>&1 | grep -q 'verify OK' || die "int-old's CRL is not signed by int-old"
[ "$(crl_number old-2.crl.pem)" != "$(crl_number old-1.crl.pem)" ] || die "int-old's CRL number did not move"
echo "int-old CRL #$(crl_number old-2.crl.pem), signed by int-old, lists a and b.example.com"
crl_of int-new new.crl.pem
! crl_lists new.crl.pem "$(serial_of b.pem)" || die "int-new's CRL lists a certificate it did not issue"

step "int-old retires: usage=read-only, its CRL no longer changes"
"$PKI" patch pki_int/issuer/int-old usage=read-only >/dev/null
echo "int-old usage: $("$PKI" read pki_int/issuer/int-old -field=usage)"
"$PKI" issue web -m pki_int --common-name e.example.com --ttl 24h --field certificate > e.pem
"$PKI" revoke -m pki_int --serial-number "$(serial_of e.pem)" >/dev/null
"$PKI" write pki_int/crl/rotate >/dev/null
crl_of int-old old-3.crl.pem
cmp -s old-2.crl.pem old-3.crl.pem || die "int-old's CRL changed after it retired"
echo "int-old CRL is still #$(crl_number old-3.crl.pem); delete the issuer once its certificates have expired:"
echo "  $PKI delete pki_int/issuer/int-old"
crl_of int-new new-2.crl.pem
crl_lists new-2.crl.pem "$(serial_of e.pem)" || die "int-new's CRL does not list e.example.com"
echo "int-new CRL #$(crl_number new-2.crl.pem) lists e.example.com"
echo
echo "rotate-intermediate: OK"
