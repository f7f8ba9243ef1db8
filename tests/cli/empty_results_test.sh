#!/usr/bin/env bash
# An empty result prints nothing on stdout in table format (so `| wc -l` counts 0); the human note
# saying so goes to stderr, and the exit status is 0. JSON output of an empty result is unchanged.
source "$(dirname "$0")/lib.sh"

# expect_empty_ok NOTE CMD...: exit 0, stdout empty, NOTE on stderr.
expect_empty_ok() {
  local note=$1; shift
  expect_ok "$@"
  expect_eq "$(wc -c < "$WORK/out" | tr -d ' ')" "0" "stdout of '$*' is empty"
  expect_err_contains "$note"
}

"$PKI" secrets enable pki >/dev/null
expect_empty_ok "No entries found at pki/issuers" "$PKI" list pki/issuers
expect_empty_ok "No entries found at pki/roles" "$PKI" list pki/roles
expect_empty_ok "No entries found at pki/keys" "$PKI" list pki/keys
expect_empty_ok "No entries found at pki/certs" "$PKI" list pki/certs
expect_empty_ok "No entries found at pki/issuers" "$PKI" issuer list
expect_empty_ok "No entries found at pki/roles" "$PKI" role list
expect_empty_ok "No certificates match." "$PKI" cert list
expect_eq "$("$PKI" list pki/issuers 2>/dev/null | wc -l | tr -d ' ')" "0" "pki list pki/issuers | wc -l"
expect_eq "$("$PKI" cert list 2>/dev/null | wc -l | tr -d ' ')" "0" "pki cert list | wc -l"

# JSON is the envelope with an empty list, as before; nothing on stderr.
expect_ok "$PKI" list -format=json pki/issuers
expect_eq "$(jx "$WORK/out" 'd["keys"]')" "[]" "list -format=json of an empty mount"
expect_eq "$(wc -c < "$WORK/err" | tr -d ' ')" "0" "no note with -format=json"
expect_ok "$PKI" cert list -format=json
expect_eq "$(jx "$WORK/out" '[d["count"], d["certificates"]]')" "[0, []]" "cert list -format=json with no certificates"
expect_eq "$(wc -c < "$WORK/err" | tr -d ' ')" "0" "no note with -format=json"

# Once there are entries, they are on stdout and there is no note.
"$PKI" write pki/root/generate/internal common_name="Empty Root" ttl=24h >/dev/null
"$PKI" role write web --allow-any-name >/dev/null
"$PKI" issue web --common-name a.example.com --ttl 1h >/dev/null
expect_ok "$PKI" list pki/roles
expect_eq "$(tail -n +3 "$WORK/out")" "web" "the role on stdout"
expect_eq "$(wc -c < "$WORK/err" | tr -d ' ')" "0" "no note when there are entries"
expect_eq "$("$PKI" cert list 2>/dev/null | tail -n +3 | wc -l | tr -d ' ')" "2" "a row each for the root and the leaf"
expect_empty_ok "No certificates match." "$PKI" cert list --name 'nothing.*'
expect_empty_ok "No certificates match." "$PKI" cert list --revoked
finish
