#!/usr/bin/env bash
# SHA-1 (and MD5) signatures are refused wherever pki takes a signed object from outside: CSRs
# (sign, sign-verbatim, sign-intermediate) and CA certificates (import, set-signed, sign-self-issued).
# Each refusal is one line, exit 1, and the state is unchanged.
source "$(dirname "$0")/lib.sh"

expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write pki/root/generate/internal common_name="Test Root" key_type=ec ttl=87600h
expect_ok "$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type any

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -sha1 \
  -subj /CN=a.example.com -out sha1.csr 2>/dev/null
openssl req -in sha1.csr -noout -text | grep -qi "sha1" && ok || fail "openssl did not make a SHA-1 CSR"
openssl req -new -key k.pem -sha256 -subj /CN=a.example.com -out sha256.csr 2>/dev/null

expect_refused 1 "$PKI" sign web --csr @sha1.csr
expect_err_contains "SHA1"
expect_refused 1 "$PKI" write pki/sign-verbatim csr=@sha1.csr
expect_refused 1 "$PKI" write pki/root/sign-intermediate csr=@sha1.csr common_name=int
expect_ok "$PKI" sign web --csr @sha256.csr   # the same request signed with SHA-256 is fine

openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -sha1 -days 10 -subj "/CN=Old SHA1 CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out sha1-ca.pem 2>/dev/null
openssl x509 -in sha1-ca.pem -noout -text | grep -q "sha1WithRSAEncryption" && ok || fail "openssl did not make a SHA-1 CA"
expect_refused 1 "$PKI" write pki/issuers/import/cert pem_bundle=@sha1-ca.pem
expect_err_contains "Old SHA1 CA"
expect_refused 1 "$PKI" write pki/intermediate/set-signed certificate=@sha1-ca.pem
expect_refused 1 "$PKI" write pki/root/sign-self-issued certificate=@sha1-ca.pem

# Weak keys the same way: a CA certificate with an RSA-1024 key is refused by every import path.
openssl req -x509 -new -newkey rsa:1024 -nodes -keyout ca1024.key -sha256 -days 10 -subj "/CN=Old 1024 CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out ca1024.pem 2>/dev/null
openssl x509 -in ca1024.pem -noout -text | grep -q "(1024 bit)" && ok || fail "openssl did not make an RSA-1024 CA"
expect_refused 1 "$PKI" write pki/issuers/import/cert pem_bundle=@ca1024.pem
expect_err_contains 'certificate "Old 1024 CA" has an RSA key of 1024 bits'
expect_refused 1 "$PKI" write pki/intermediate/set-signed certificate=@ca1024.pem
expect_refused 1 "$PKI" write pki/root/sign-self-issued certificate=@ca1024.pem
expect_refused 1 "$PKI" write pki/keys/import pem_bundle=@ca1024.key
expect_err_contains 'RSA keys of 1024 bits are refused'
finish
