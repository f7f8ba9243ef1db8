#!/usr/bin/env bash
# pki path-help: every path, a mount's paths (as vault path-help pki), one path's operations and fields.
source "$(dirname "$0")/lib.sh"

expect_ok "$PKI" path-help
cp "$WORK/out" all.txt
expect_out_contains "sys/mounts/:path"
expect_out_contains ":mount/roles/:name"

# A mount name alone lists the paths a mount serves, under that name; existing or not (it is help).
"$PKI" secrets enable pki >/dev/null
expect_ok "$PKI" path-help pki
cp "$WORK/out" pki.txt
expect_eq "$(head -1 pki.txt | tr -s ' ')" "Path Operations Description" "header"
expect_out_contains "pki/roles/:name"
expect_out_contains "pki/issue/:role"
expect_out_contains "pki/crl/rotate"
if grep -q -e '^sys/' -e '^:mount/' pki.txt; then fail "path-help pki lists sys/ or :mount/ paths"; else ok; fi
expect_eq "$(grep -c '^pki/' pki.txt)" "$(grep -c '^:mount/' all.txt)" "one row per mount path"
expect_eq "$(sed 's/^pki\//:mount\//' pki.txt | tr -s ' ')" "$(grep -v -e '^sys/' -e '^auth/' all.txt | tr -s ' ')" "the same rows as pki path-help, with the mount"
expect_ok "$PKI" path-help pki/
expect_eq "$(cat "$WORK/out")" "$(cat pki.txt)" "pki/ is the mount too"
expect_ok "$PKI" path-help pki_other
expect_out_contains "pki_other/issuer/:issuer_ref/sign/:role"
expect_eq "$(wc -l < "$WORK/out")" "$(wc -l < pki.txt)" "a mount that does not exist yet"
expect_ok "$PKI" path-help sys
expect_out_contains "sys/mounts/:path/tune"
if grep -q '^:mount/' "$WORK/out"; then fail "path-help sys lists mount paths"; else ok; fi

# One path still shows its operations and fields; an unknown one is refused.
expect_ok "$PKI" path-help pki/roles/web
expect_out_contains ":mount/roles/:name"
expect_out_contains "Fields:"
expect_out_contains "allowed_domains"
expect_exit 1 "$PKI" path-help pki/no-such-path
expect_err_contains 'unknown path "pki/no-such-path"'
finish
