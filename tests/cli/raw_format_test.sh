#!/usr/bin/env bash
# Endpoints that serve bytes (pki/crl, pki/ca, pki/cert/SERIAL/raw, issuer/REF/der ...) print
# exactly those bytes by default, also with PKI_FORMAT set; an explicit -format=pem|der converts
# them, and -format=json|yaml or -field on them is a usage error (exit 2) naming the JSON path.
source "$(dirname "$0")/lib.sh"

"$PKI" secrets enable -max-lease-ttl=87600h pki >/dev/null
"$PKI" write pki/root/generate/internal common_name="Raw Root" issuer_name=root-a ttl=8760h >/dev/null
"$PKI" role write web --allow-any-name >/dev/null
"$PKI" issue web --common-name leaf.example.com --ttl 24h --field certificate > leaf.pem
SERIAL=$(serial_of leaf.pem)

der_of_pem() { openssl "$1" -in "$2" -outform der; }
pem_body() { grep -v '^-----' "$1" | tr -d '\n'; }

# ---- default: the bytes as served --------------------------------------------------------------
"$PKI" read pki/crl > crl.der
"$PKI" read pki/crl/pem > crl.pem
"$PKI" read pki/ca > ca.der
"$PKI" read pki/ca/pem > ca.pem
"$PKI" read "pki/cert/$SERIAL/raw" > leaf.der
expect_eq "$(head -c 10 crl.pem)" "-----BEGIN" "crl/pem is PEM"
expect_eq "$(der_of_pem crl crl.pem | md5sum)" "$(md5sum < crl.der)" "crl is the DER of crl/pem"
expect_eq "$(der_of_pem x509 ca.pem | md5sum)" "$(md5sum < ca.der)" "ca is the DER of ca/pem"
PKI_FORMAT=json "$PKI" read pki/crl > env.der
expect_eq "$(md5sum < env.der)" "$(md5sum < crl.der)" "PKI_FORMAT=json leaves raw DER alone"
PKI_FORMAT=pem "$PKI" read pki/crl > env.der
expect_eq "$(md5sum < env.der)" "$(md5sum < crl.der)" "PKI_FORMAT=pem leaves raw DER alone"
expect_ok "$PKI" read -format=table pki/crl
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < crl.der)" "-format=table prints the bytes"

# ---- -format=pem: DER becomes PEM --------------------------------------------------------------
expect_ok "$PKI" read -format=pem pki/crl
expect_eq "$(head -1 "$WORK/out")" "-----BEGIN X509 CRL-----" "pki/crl -format=pem label"
expect_eq "$(openssl crl -in "$WORK/out" -outform der | md5sum)" "$(md5sum < crl.der)" "pki/crl -format=pem is the same CRL"
expect_eq "$(pem_body "$WORK/out")" "$(pem_body crl.pem)" "pki/crl -format=pem matches crl/pem"
expect_ok "$PKI" read --format pem pki/ca
expect_eq "$(head -1 "$WORK/out")" "-----BEGIN CERTIFICATE-----" "pki/ca -format=pem label"
expect_eq "$(pem_body "$WORK/out")" "$(pem_body ca.pem)" "pki/ca -format=pem matches ca/pem"
expect_ok "$PKI" read -format=pem "pki/cert/$SERIAL/raw"
expect_eq "$(pem_body "$WORK/out")" "$(pem_body leaf.pem)" "cert/SERIAL/raw -format=pem is the leaf"
expect_ok "$PKI" read -format=pem pki/issuer/root-a/der
expect_eq "$(pem_body "$WORK/out")" "$(pem_body ca.pem)" "issuer/REF/der -format=pem"
expect_ok "$PKI" read -format=pem pki/issuer/default/crl/der
expect_eq "$(head -1 "$WORK/out")" "-----BEGIN X509 CRL-----" "issuer/REF/crl/der -format=pem label"
expect_ok "$PKI" crl der -format=pem
expect_eq "$(head -1 "$WORK/out")" "-----BEGIN X509 CRL-----" "pki crl der -format=pem"
expect_ok "$PKI" read -format=pem pki/ca/pem
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < ca.pem)" "PEM with -format=pem is unchanged"

# ---- -format=der: PEM becomes DER --------------------------------------------------------------
expect_ok "$PKI" read -format=der pki/crl/pem
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < crl.der)" "crl/pem -format=der"
expect_ok "$PKI" read -format=der pki/ca/pem
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < ca.der)" "ca/pem -format=der"
expect_ok "$PKI" read -format=der "pki/cert/$SERIAL/raw/pem"
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < leaf.der)" "cert/SERIAL/raw/pem -format=der"
expect_ok "$PKI" read -format=der pki/ca_chain
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < ca.der)" "ca_chain -format=der: the first certificate"
expect_ok "$PKI" read -format=der pki/issuer/root-a/crl/pem
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < crl.der)" "issuer/REF/crl/pem -format=der"
expect_ok "$PKI" read -format=der pki/crl
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < crl.der)" "DER with -format=der is unchanged"

# ---- json, yaml, -field: usage errors naming the JSON form -------------------------------------
expect_exit 2 "$PKI" read -format=json pki/crl
expect_err_contains "pki/crl returns raw bytes (application/pkix-crl)"
expect_err_contains "use -format=pem or -format=der"
expect_err_contains "pki read -format=json pki/cert/crl"
expect_eq "$(wc -c < "$WORK/out" | tr -d ' ')" "0" "nothing on stdout after a usage error"
expect_exit 2 "$PKI" read -format=yaml pki/ca/pem
expect_err_contains "pki read -format=yaml pki/cert/ca"
expect_exit 2 "$PKI" read -field=certificate pki/ca
expect_err_contains "pki read pki/cert/ca"
expect_exit 2 "$PKI" read -format=json pki/ca_chain
expect_err_contains "pki/cert/ca_chain"
expect_exit 2 "$PKI" read -format=json "pki/cert/$SERIAL/raw"
expect_err_contains "pki read -format=json pki/cert/$SERIAL"
expect_exit 2 "$PKI" read -field=certificate "pki/cert/$SERIAL/raw/pem"
expect_err_contains "pki read pki/cert/$SERIAL"
expect_exit 2 "$PKI" read -format=json pki/issuer/root-a/pem
expect_err_contains "pki/issuer/root-a/json"
expect_exit 2 "$PKI" read -format=json pki/issuer/default/crl/der
expect_err_contains "pki/issuer/default/crl"
expect_exit 2 "$PKI" crl pem --format json
expect_err_contains "pki/cert/crl"
# The JSON twins the messages name answer what was asked.
expect_ok "$PKI" read -field=certificate pki/cert/crl
expect_eq "$(pem_body "$WORK/out")" "$(pem_body crl.pem)" "cert/crl -field=certificate"
expect_ok "$PKI" read -format=json "pki/cert/$SERIAL"
expect_out_contains '"certificate"'

finish
