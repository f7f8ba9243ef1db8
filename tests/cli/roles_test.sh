#!/usr/bin/env bash
# Roles end to end (issue 4): the defaults of a new role, every reference role parameter stored and
# returned by a read, POST overwrites with defaults, PATCH changes only what it is given, list,
# delete, and the refused roles (bad TTLs, usages, key types and sizes, OIDs, identity templates,
# names). Each check runs in both command styles: `pki role write web --flag v` and
# `pki write pki/roles/web key=value`.
source "$(dirname "$0")/lib.sh"

# save FILE: keep the last command's stdout.
# fields FILE PYDICT: every key of the Python dict literal equals the same field of the saved
# -format=json response's data (one check per key).
fields() {
  local file=$1 want=$2 line
  while IFS= read -r line; do
    case $line in OK*) ok ;; *) fail "$line" ;; esac
  done < <(python3 - "$file" "$want" <<'PY'
import ast, json, sys
try:
    d = json.load(open(sys.argv[1]))["data"]
except Exception as e:
    print(f"{sys.argv[1]}: not a JSON response ({e})"); sys.exit()
for k, v in ast.literal_eval(sys.argv[2]).items():
    if k not in d:
        print(f"{sys.argv[1]}: field {k} missing")
    elif d[k] != v:
        print(f"{sys.argv[1]}: field {k} is {d[k]!r}, expected {v!r}")
    else:
        print("OK")
PY
)
}
# jf FILE FIELD: one field of a saved response ("" when absent).

expect_ok "$PKI" secrets enable pki
expect_ok "$PKI" secrets enable -path=other pki

# ---- defaults ---------------------------------------------------------------------------------
# The defaults of a new role, as the reference lists them (key_bits 0 becomes 2048 for RSA, and
# signature_bits 0 becomes 256, as Vault 1.11 stores it).
DEFAULTS='{
 "issuer_ref": "default", "ttl": 0, "max_ttl": 0,
 "allow_localhost": True, "allowed_domains": [], "allowed_domains_template": False,
 "allow_bare_domains": False, "allow_subdomains": False, "allow_glob_domains": False,
 "allow_wildcard_certificates": True, "allow_any_name": False, "enforce_hostnames": True,
 "allow_ip_sans": True, "allowed_uri_sans": [], "allowed_uri_sans_template": False,
 "allowed_other_sans": [], "allowed_serial_numbers": [],
 "server_flag": True, "client_flag": True, "code_signing_flag": False, "email_protection_flag": False,
 "key_type": "rsa", "key_bits": 2048, "signature_bits": 256,
 "key_usage": ["DigitalSignature", "KeyAgreement", "KeyEncipherment"],
 "ext_key_usage": [], "ext_key_usage_oids": [],
 "use_csr_common_name": True, "use_csr_sans": True,
 "ou": [], "organization": [], "country": [], "locality": [], "province": [], "street_address": [], "postal_code": [],
 "generate_lease": False, "no_store": False, "require_cn": True, "policy_identifiers": [],
 "basic_constraints_valid_for_non_ca": False, "not_before_duration": 30, "not_after": "",
 "backend": "", "allow_token_displayname": False}'

expect_ok "$PKI" role write plain -format=json
save w_plain.json
fields w_plain.json "$DEFAULTS"
expect_ok "$PKI" role read plain -format=json
save r_plain.json
fields r_plain.json "$DEFAULTS"
# The same through the Vault-style commands.
expect_ok "$PKI" write pki/roles/plain2
expect_ok "$PKI" read -format=json pki/roles/plain2
save r_plain2.json
fields r_plain2.json "$DEFAULTS"
# Both styles give the same record.
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"] == json.load(open(sys.argv[2]))["data"])' r_plain.json r_plain2.json)" \
  True "role read: ergonomic and Vault-style records are the same"
# The table form shows the same defaults.
expect_ok "$PKI" role read plain
expect_out_contains "not_before_duration"
grep -E '^key_usage +\[DigitalSignature KeyAgreement KeyEncipherment\]$' "$WORK/out" >/dev/null && ok || fail "table read lacks the default key_usage: $(grep key_usage "$WORK/out")"

# key_bits 0 is 256 for EC; an explicit size is kept.
expect_ok "$PKI" role write ecd --key-type ec -format=json
save ecd.json
fields ecd.json '{"key_type": "ec", "key_bits": 256}'
expect_ok "$PKI" write -format=json pki/roles/ecd2 key_type=ec key_bits=0
save ecd2.json
fields ecd2.json '{"key_type": "ec", "key_bits": 256}'
for kb in rsa:2048 rsa:3072 rsa:4096 ec:224 ec:256 ec:384 ec:521; do
  t=${kb%%:*} b=${kb##*:}
  expect_ok "$PKI" role write "k_$t$b" --key-type "$t" --key-bits "$b" -format=json
  save "k_$t$b.json"
  fields "k_$t$b.json" "{\"key_type\": \"$t\", \"key_bits\": $b}"
done
expect_ok "$PKI" write -format=json pki/roles/k_ed key_type=ed25519
save k_ed.json
fields k_ed.json '{"key_type": "ed25519", "signature_bits": 0}'
expect_ok "$PKI" write -format=json pki/roles/k_ed384 key_type=ed25519 signature_bits=384
save k_ed384.json
fields k_ed384.json '{"key_type": "ed25519", "signature_bits": 0}'
fields ecd.json '{"signature_bits": 0}'
expect_ok "$PKI" role write k_any --key-type any -format=json
save k_any.json
fields k_any.json '{"key_type": "any", "key_bits": 0}'

# ---- every reference parameter is stored and returned ----------------------------------------
# Every parameter of "Create/Update Role" with a value other than its default. no_store is left
# false here (the reference: no_store implies generate_lease=false; checked below).
FULL='{
 "issuer_ref": "my-issuer", "ttl": 3600, "max_ttl": 7200,
 "allow_localhost": False, "allowed_domains": ["example.com", "example.org"], "allowed_domains_template": True,
 "allow_bare_domains": True, "allow_subdomains": True, "allow_glob_domains": True,
 "allow_wildcard_certificates": False, "allow_any_name": True, "enforce_hostnames": False,
 "allow_ip_sans": False, "allowed_uri_sans": ["spiffe://example.com/*", "https://a.example.com/x"],
 "allowed_uri_sans_template": True,
 "allowed_other_sans": ["1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com", "1.2.3.4;UTF8:foo"],
 "allowed_serial_numbers": ["SN-*", "42"],
 "server_flag": False, "client_flag": False, "code_signing_flag": True, "email_protection_flag": True,
 "key_type": "ec", "key_bits": 384, "signature_bits": 512,
 "key_usage": ["DigitalSignature", "ContentCommitment"],
 "ext_key_usage": ["IPSECUser", "OCSPSigning"], "ext_key_usage_oids": ["1.3.6.1.4.1.311.21.8", "1.2.3.4.5"],
 "use_csr_common_name": False, "use_csr_sans": False,
 "ou": ["Eng", "Ops"], "organization": ["Acme"], "country": ["NL", "BE"], "locality": ["Amsterdam"],
 "province": ["Noord-Holland"], "street_address": ["Dam 1"], "postal_code": ["1012 JS"],
 "generate_lease": True, "no_store": False, "require_cn": False, "policy_identifiers": ["1.2.3.4.5.6", "2.5.29.32.0"],
 "basic_constraints_valid_for_non_ca": True, "not_before_duration": 45, "not_after": "2031-01-02T03:04:05Z",
 "backend": "4f2c-uuid", "allow_token_displayname": True}'

ERGO_FULL=(--issuer-ref my-issuer --ttl 1h --max-ttl 2h --allow-localhost false
  --allowed-domains example.com,example.org --allowed-domains-template true
  --allow-bare-domains true --allow-subdomains true --allow-glob-domains true
  --allow-wildcard-certificates false --allow-any-name true --enforce-hostnames false
  --allow-ip-sans false --allowed-uri-sans 'spiffe://example.com/*' --allowed-uri-sans https://a.example.com/x
  --allowed-uri-sans-template true
  --allowed-other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com,1.2.3.4;UTF8:foo'
  --allowed-serial-numbers 'SN-*,42'
  --server-flag false --client-flag false --code-signing-flag true --email-protection-flag true
  --key-type ec --key-bits 384 --signature-bits 512
  --key-usage DigitalSignature,ContentCommitment
  --ext-key-usage IPSECUser,OCSPSigning --ext-key-usage-oids 1.3.6.1.4.1.311.21.8,1.2.3.4.5
  --use-csr-common-name false --use-csr-sans false
  --ou Eng,Ops --organization Acme --country NL,BE --locality Amsterdam
  --province Noord-Holland --street-address 'Dam 1' --postal-code '1012 JS'
  --generate-lease true --no-store false --require-cn false --policy-identifiers 1.2.3.4.5.6,2.5.29.32.0
  --basic-constraints-valid-for-non-ca true --not-before-duration 45s --not-after 2031-01-02T03:04:05Z
  --backend 4f2c-uuid --allow-token-displayname true)
expect_ok "$PKI" role write full "${ERGO_FULL[@]}" -format=json
save w_full.json
fields w_full.json "$FULL"
expect_ok "$PKI" role read full -format=json
save r_full.json
fields r_full.json "$FULL"

# A repeated list flag keeps each value whole; one occurrence is comma-separated.
expect_ok "$PKI" role write orgs --organization "Acme, Inc" --organization Foo --ou Eng,Ops -format=json
expect_eq "$(jx "$WORK/out" 'd["organization"]')" "['Acme, Inc', 'Foo']" "repeated --organization keeps its boundaries"
expect_eq "$(jx "$WORK/out" 'd["ou"]')" "['Eng', 'Ops']" "one --ou with commas is two values"
expect_ok "$PKI" role delete orgs

# Vault style, with JSON lists for some lists and comma strings for others.
expect_ok "$PKI" write pki/roles/full2 issuer_ref=my-issuer ttl=1h max_ttl=7200 allow_localhost=false \
  allowed_domains='["example.com","example.org"]' allowed_domains_template=true \
  allow_bare_domains=true allow_subdomains=1 allow_glob_domains=true \
  allow_wildcard_certificates=false allow_any_name=true enforce_hostnames=0 \
  allow_ip_sans=false allowed_uri_sans='spiffe://example.com/*,https://a.example.com/x' allowed_uri_sans_template=true \
  allowed_other_sans='["1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com","1.2.3.4;UTF8:foo"]' \
  allowed_serial_numbers='SN-*,42' \
  server_flag=false client_flag=false code_signing_flag=true email_protection_flag=true \
  key_type=ec key_bits=384 signature_bits=512 key_usage=DigitalSignature,ContentCommitment \
  ext_key_usage='["IPSECUser","OCSPSigning"]' ext_key_usage_oids=1.3.6.1.4.1.311.21.8,1.2.3.4.5 \
  use_csr_common_name=false use_csr_sans=false \
  ou=Eng,Ops organization=Acme country='["NL","BE"]' locality=Amsterdam province=Noord-Holland \
  street_address='Dam 1' postal_code='1012 JS' generate_lease=true no_store=false require_cn=false \
  policy_identifiers=1.2.3.4.5.6,2.5.29.32.0 basic_constraints_valid_for_non_ca=true \
  not_before_duration=45 not_after=2031-01-02T03:04:05Z backend=4f2c-uuid allow_token_displayname=true
expect_ok "$PKI" read -format=json pki/roles/full2
save r_full2.json
fields r_full2.json "$FULL"
# The YAML form carries the same values.
expect_ok "$PKI" role read full -format=yaml
expect_out_contains "not_after: 2031-01-02T03:04:05Z"
expect_out_contains "signature_bits: 512"

# The reference: no_store implies a value of false for generate_lease.
expect_ok "$PKI" role write ns --no-store true --generate-lease true -format=json
save ns.json
fields ns.json '{"no_store": True, "generate_lease": False}'

# Key usages are not case-sensitive (the reference); lower case is accepted.
expect_ok "$PKI" role write lc --key-usage digitalsignature,keyencipherment --ext-key-usage serverauth,clientauth
expect_ok "$PKI" write pki/roles/lc2 key_usage=DIGITALSIGNATURE ext_key_usage=codesigning
# An empty key_usage list is allowed ("to specify no key usage constraints, set this to an empty list").
expect_ok "$PKI" write -format=json pki/roles/noku key_usage=
save noku.json
fields noku.json '{"key_usage": []}'
expect_ok "$PKI" write -format=json pki/roles/noku2 'key_usage=[]'
save noku2.json
fields noku2.json '{"key_usage": []}'
# Non-identity templates are accepted with allowed_domains_template=true and stored as given.
expect_ok "$PKI" role write tmpl --allowed-domains-template true --allowed-domains 'example.com,*.example.net' -format=json
save tmpl.json
fields tmpl.json '{"allowed_domains_template": True, "allowed_domains": ["example.com", "*.example.net"]}'
# Without the template flag, braces are just characters: stored, never expanded.
expect_ok "$PKI" role write tmpl2 --allowed-domains '{{identity.entity.name}}.example.com' -format=json
save tmpl2.json
fields tmpl2.json '{"allowed_domains_template": False, "allowed_domains": ["{{identity.entity.name}}.example.com"]}'
# issuer_ref is stored as given, even when no such issuer exists (the reference: not resolved).
expect_ok "$PKI" role write ref --issuer-ref no-such-issuer -format=json
save ref.json
fields ref.json '{"issuer_ref": "no-such-issuer"}'
# Durations in all accepted forms.
for d in 90m:5400 1d:86400 300:300 2h30m:9000; do
  expect_ok "$PKI" write -format=json pki/roles/dur ttl="${d%%:*}"
  save dur.json
  fields dur.json "{\"ttl\": ${d##*:}}"
done

# ---- POST overwrites with defaults, PATCH changes only the given fields ------------------------
for style in ergo vault; do
  r="ow_$style"
  if [ $style = ergo ]; then
    expect_ok "$PKI" role write "$r" "${ERGO_FULL[@]}"
    expect_ok "$PKI" role write "$r" --allowed-domains example.net -format=json
  else
    expect_ok "$PKI" write "pki/roles/$r" ttl=1h max_ttl=2h key_type=ec key_bits=384 ou=Eng organization=Acme \
      allow_subdomains=true server_flag=false not_before_duration=45 require_cn=false generate_lease=true
    expect_ok "$PKI" write -format=json "pki/roles/$r" allowed_domains=example.net
  fi
  save "ow_$style.json"
  # Everything not given is back at its default.
  fields "ow_$style.json" "$(python3 -c 'import ast,sys; d=ast.literal_eval(sys.argv[1]); d["allowed_domains"]=["example.net"]; print(repr(d))' "$DEFAULTS")"
  expect_ok "$PKI" read -format=json "pki/roles/$r"
  save "ow_${style}_r.json"
  fields "ow_${style}_r.json" "$(python3 -c 'import ast,sys; d=ast.literal_eval(sys.argv[1]); d["allowed_domains"]=["example.net"]; print(repr(d))' "$DEFAULTS")"
done

for style in ergo vault; do
  r="pa_$style"
  expect_ok "$PKI" role write "$r" "${ERGO_FULL[@]}"
  if [ $style = ergo ]; then
    expect_ok "$PKI" role patch "$r" --ttl 30m --allowed-domains example.net --server-flag true --ou R-and-D -format=json
  else
    expect_ok "$PKI" patch -format=json "pki/roles/$r" ttl=30m allowed_domains=example.net server_flag=true ou=R-and-D
  fi
  save "pa_$style.json"
  want=$(python3 -c 'import ast,sys; d=ast.literal_eval(sys.argv[1]); d.update(ttl=1800, allowed_domains=["example.net"], server_flag=True, ou=["R-and-D"]); print(repr(d))' "$FULL")
  fields "pa_$style.json" "$want"
  expect_ok "$PKI" role read "$r" -format=json
  save "pa_${style}_r.json"
  fields "pa_${style}_r.json" "$want"
done
# A patch is validated against the whole role: a ttl above the stored max_ttl is refused.
expect_refused 1 "$PKI" role patch pa_ergo --ttl 3h
expect_err_contains "max_ttl"
expect_refused 1 "$PKI" patch pki/roles/pa_vault key_bits=1000
expect_err_contains "key_bits"
# Patching a role that does not exist is refused (nothing is created).
expect_refused 1 "$PKI" role patch nosuch --ttl 1h
expect_err_contains '"nosuch"'
expect_refused 1 "$PKI" patch pki/roles/nosuch ttl=1h
expect_err_contains '"nosuch"'
expect_exit 1 "$PKI" role read nosuch
expect_err_contains '"nosuch"'

# ---- list and delete --------------------------------------------------------------------------
expect_ok "$PKI" role list -format=json
save list1.json
expect_eq "$(jf list1.json keys | tr '\n' ' ')" \
  "dur ecd ecd2 full full2 k_any k_ec224 k_ec256 k_ec384 k_ec521 k_ed k_ed384 k_rsa2048 k_rsa3072 k_rsa4096 lc lc2 noku noku2 ns ow_ergo ow_vault pa_ergo pa_vault plain plain2 ref tmpl tmpl2 " \
  "role list (sorted)"
expect_ok "$PKI" list -format=json pki/roles
save list2.json
expect_eq "$(jf list2.json keys | tr '\n' ' ')" "$(jf list1.json keys | tr '\n' ' ')" "role list: both styles"
expect_ok "$PKI" role list
expect_out_contains "full2"
# Roles belong to their mount.
expect_ok "$PKI" role write only-other -m other
expect_ok "$PKI" list -format=json other/roles
save list_other.json
expect_eq "$(jf list_other.json keys)" "only-other" "roles are per mount"
expect_exit 1 "$PKI" role read only-other
expect_ok "$PKI" read other/roles/only-other

expect_ok "$PKI" role delete full
expect_exit 1 "$PKI" role read full
expect_ok "$PKI" delete pki/roles/full2
expect_exit 1 "$PKI" read pki/roles/full2
expect_ok "$PKI" role list -format=json
save list3.json
hits=$(jf list3.json keys | grep -cE '^full2?$' || true)
expect_eq "$hits" 0 "deleted roles are not listed"
# Deleting a role that does not exist succeeds (idempotent, as in Vault), warns, and changes nothing.
before=$(state_dump)
expect_ok "$PKI" role delete full
expect_err_contains 'there is no role "full" in mount pki; nothing was deleted'
expect_eq "$(state_dump)" "$before" "state after deleting a missing role"
expect_ok "$PKI" delete pki/roles/full
# An empty mount lists no roles: an empty list, not an error.
expect_ok "$PKI" secrets enable -path=empty pki
expect_ok "$PKI" list -format=json empty/roles
save list_empty.json
expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"].get("keys"))' list_empty.json 2>/dev/null)" "[]" "empty role list"

# ---- refused roles: exit 1, one line naming the field, state unchanged -----------------------
# refused_both WHAT NEEDLE -- ERGO_ARGS... -- VAULT_ARGS...: the same bad role in both styles.
refused_both() {
  local needle=$1; shift; shift
  local ergo=() vault=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do ergo+=("$1"); shift; done; shift
  vault=("$@")
  expect_refused 1 "$PKI" role write bad "${ergo[@]}"
  expect_err_contains "$needle"
  expect_refused 1 "$PKI" write pki/roles/bad "${vault[@]}"
  expect_err_contains "$needle"
}
refused_both max_ttl -- --ttl 2h --max-ttl 1h -- ttl=2h max_ttl=1h
refused_both max_ttl -- --ttl 3601 --max-ttl 1h -- ttl=3601 max_ttl=3600
refused_both Foo -- --key-usage DigitalSignature,Foo -- key_usage=DigitalSignature,Foo
refused_both NotAnEKU -- --ext-key-usage ServerAuth,NotAnEKU -- ext_key_usage=NotAnEKU
refused_both dsa -- --key-type dsa -- key_type=dsa
refused_both 1024 -- --key-type rsa --key-bits 1024 -- key_bits=1024
refused_both 2047 -- --key-bits 2047 -- key_type=rsa key_bits=2047
refused_both 255 -- --key-type ec --key-bits 255 -- key_type=ec key_bits=255
refused_both 2048 -- --key-type ec --key-bits 2048 -- key_type=ec key_bits=2048
refused_both 384 -- --key-type rsa --key-bits 384 -- key_bits=384
refused_both key_bits -- --key-bits abc -- key_bits=abc
refused_both signature_bits -- --signature-bits 128 -- signature_bits=1
refused_both signature_bits -- --signature-bits 224 -- signature_bits=-256
refused_both 1.2.x -- --ext-key-usage-oids 1.2.x -- ext_key_usage_oids=1.3.6.1,1.2.x
refused_both serverAuth -- --ext-key-usage-oids serverAuth -- ext_key_usage_oids=serverAuth
refused_both foo -- --policy-identifiers foo -- policy_identifiers=1.2.3,foo
refused_both '1..2' -- --policy-identifiers 1..2 -- policy_identifiers=1..2
refused_both '{{identity.entity.name}}.example.com' -- --allowed-domains-template true --allowed-domains '{{identity.entity.name}}.example.com' \
  -- allowed_domains_template=true 'allowed_domains={{identity.entity.name}}.example.com'
refused_both '{{identity.entity.aliases.x.name}}' -- --allowed-domains-template true --allowed-domains 'ok.example.com,{{identity.entity.aliases.x.name}}' \
  -- allowed_domains_template=true 'allowed_domains=ok.example.com,{{identity.entity.aliases.x.name}}'
refused_both '{{identity.entity.id}}' -- --allowed-uri-sans-template true --allowed-uri-sans 'spiffe://example.com/{{identity.entity.id}}' \
  -- allowed_uri_sans_template=true 'allowed_uri_sans=spiffe://example.com/{{identity.entity.id}}'
refused_both allowed_other_sans -- --allowed-other-sans notanoid -- 'allowed_other_sans=x;UTF8:y'
refused_both ttl -- --ttl forever -- ttl=forever
refused_both max_ttl -- --max-ttl -1h -- max_ttl=soon
refused_both not_before_duration -- --not-before-duration abc -- not_before_duration=abc
refused_both not_after -- --not-after 2031-13-01 -- not_after=tomorrow
refused_both allow_localhost -- --allow-localhost maybe -- allow_localhost=maybe
refused_both key_type -- --key-type RSA2 -- key_type=
# Nothing of the refused role was written.
expect_exit 1 "$PKI" role read bad
expect_err_contains '"bad"'

# Role names: '/' and other characters outside letters, digits, '-', '_', '.' are refused.
expect_refused 1 "$PKI" role write a/b
expect_err_contains "a/b"
expect_refused 1 "$PKI" write pki/roles/a/b ttl=1h
expect_refused 1 "$PKI" role write 'a b'
expect_err_contains "a b"
expect_refused 1 "$PKI" write 'pki/roles/a b'
expect_refused 1 "$PKI" role write 'a%2Fb'
expect_refused 1 "$PKI" role write $'caf\xc3\xa9'
expect_refused 1 "$PKI" role write 'x:y'
expect_refused 1 "$PKI" role write "$(printf 'r%.0s' $(seq 1 129))"
expect_refused 1 "$PKI" role write 'a\b'
# Names that are fine: letters, digits, '-', '_', '.'.
expect_ok "$PKI" role write Web-Server_01.prod
expect_ok "$PKI" read pki/roles/Web-Server_01.prod
expect_ok "$PKI" role write "$(printf 'r%.0s' $(seq 1 128))"
# Role names are case-sensitive records.
expect_exit 1 "$PKI" role read web-server_01.prod

# A role in a mount that does not exist.
expect_refused 1 "$PKI" role write web -m nomount
expect_err_contains "nomount"
expect_refused 1 "$PKI" write nomount/roles/web ttl=1h

finish
