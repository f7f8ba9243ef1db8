#!/usr/bin/env bash
# Quick start: a root CA, a role, an issued certificate, in a throwaway state directory.
# Usage: examples/quickstart/run.sh [path/to/pki]   (or PKI=path/to/pki)
set -euo pipefail
PKI=${1:-${PKI:-pki}}
export PKI_STATE_DIR=${PKI_STATE_DIR:-$(mktemp -d)/state}
echo "state directory: $PKI_STATE_DIR"
set -x
"$PKI" secrets enable pki
"$PKI" secrets tune -max-lease-ttl=87600h pki
"$PKI" write pki/root/generate/internal common_name=example.com ttl=87600h -field=certificate > root.pem
"$PKI" write pki/config/urls issuing_certificates=http://127.0.0.1:8200/v1/pki/ca crl_distribution_points=http://127.0.0.1:8200/v1/pki/crl
"$PKI" role write example-dot-com --allowed-domains example.com --allow-subdomains --max-ttl 72h
"$PKI" issue example-dot-com --common-name blah.example.com -format=json > issued.json
set +x
if command -v jq >/dev/null; then jq -r .data.certificate issued.json > blah.pem; else
  "$PKI" issue example-dot-com --common-name blah.example.com --field certificate > blah.pem; fi
openssl verify -CAfile root.pem blah.pem
openssl x509 -in blah.pem -noout -subject -issuer -enddate -ext subjectAltName
