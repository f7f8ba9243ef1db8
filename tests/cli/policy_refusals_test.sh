#!/usr/bin/env bash
# The role's name policy end to end through the binary (issue 4): refused requests exit 1 with ONE
# stderr line that names the refused name or field and the role, and leave the state unchanged;
# one refused name refuses the whole request; and the allowed forms (glob, bare and sub-domains,
# wildcards, localhost, e-mail, IDNA, IP, URI, other SANs, subject serial numbers) really issue,
# with the names in the certificate. The policy function itself has its table test
# (tests/core/policy/names_test.cpp); this checks the wiring: issue, sign and both command styles.
source "$(dirname "$0")/lib.sh"

san_of() { { openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null || true; } | sed -n 2p | xargs; }

# refuse ROLE NEEDLE ARGS...: `pki issue ROLE ARGS...` is refused (exit 1, one stderr line,
# state unchanged) and the line names NEEDLE and the role.
refuse() {
  local role=$1 needle=$2; shift 2
  expect_refused 1 "$PKI" issue "$role" "$@"
  expect_err_contains "$needle"
  expect_err_contains "\"$role\""
}
# refuse_v ROLE NEEDLE FIELD=VALUE...: the same through `pki write pki/issue/ROLE`.
refuse_v() {
  local role=$1 needle=$2; shift 2
  expect_refused 1 "$PKI" write "pki/issue/$role" "$@"
  expect_err_contains "$needle"
  expect_err_contains "\"$role\""
}
# allow NAME ROLE ARGS...: `pki issue ROLE ARGS...` succeeds; the certificate is NAME.pem.
allow() {
  local name=$1 role=$2; shift 2
  expect_ok "$PKI" issue "$role" "$@" --field certificate
  cp "$WORK/out" "$name.pem"
}

expect_ok "$PKI" secrets enable pki
expect_ok "$PKI" secrets tune -max-lease-ttl=87600h pki
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Policy Root" key_type=ec ttl=8760h
jf "$WORK/out" certificate > root.pem
# Roles with EC keys (fast to generate).
role() { local n=$1; shift; expect_ok "$PKI" role write "$n" --key-type ec "$@"; }
role web --allowed-domains example.com --allow-subdomains true
role bare --allowed-domains example.com --allow-bare-domains true
role glob --allowed-domains 'ftp*.example.com,*.svc.example.net' --allow-glob-domains true
role fooglob --allowed-domains 'foo.*.example.com' --allow-glob-domains true --allow-subdomains true
role nowild --allowed-domains example.com --allow-subdomains true --allow-wildcard-certificates false
role anyname --allow-any-name true
role anynowild --allow-any-name true --allow-wildcard-certificates false
role anyloose --allow-any-name true --enforce-hostnames false
role noip --allowed-domains example.com --allow-subdomains true --allow-ip-sans false
role uri --allowed-domains example.com --allow-subdomains true --allowed-uri-sans 'spiffe://example.com/*,https://exact.example.com/path'
role other --allowed-domains example.com --allow-subdomains true --allowed-other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:*@example.com,1.2.3.4;UTF8:fixed'
role otherany --allowed-domains example.com --allow-subdomains true --allowed-other-sans '*'
role serial --allowed-domains example.com --allow-subdomains true --allowed-serial-numbers 'SN-*,42'
role nolocal --allowed-domains example.com --allow-subdomains true --allow-localhost false
role optcn --allowed-domains example.com --allow-subdomains true --require-cn false

# ---- refused: names outside the policy -------------------------------------------------------------
refuse web "x.evil.com" --common-name x.evil.com
refuse web "example.com.evil.com" --common-name example.com.evil.com
refuse web "notexample.com" --common-name notexample.com
# allow_subdomains does not allow the bare domain.
refuse web '"example.com"' --common-name example.com
# A refused alt name refuses the whole request, even with a good CN.
refuse web "b.evil.com" --common-name ok.example.com --alt-names a.example.com,b.evil.com
refuse web "me@evil.com" --common-name ok.example.com --alt-names me@evil.com
# An e-mail address whose domain is the bare domain needs allow_bare_domains.
refuse web "me@example.com" --common-name ok.example.com --alt-names me@example.com
refuse_v web "x.evil.com" common_name=x.evil.com
refuse_v web "b.evil.com" common_name=ok.example.com 'alt_names=["a.example.com","b.evil.com"]'
# allow_bare_domains alone does not allow subdomains.
refuse bare "www.example.com" --common-name www.example.com
# Globs: only matching names; a subdomain of a glob match is not allowed (the reference's example).
refuse glob "www.example.com" --common-name www.example.com
refuse glob "svc.example.net" --common-name svc.example.net
refuse fooglob "bar.foo.baz.example.com" --common-name bar.foo.baz.example.com
# Wildcards with allow_wildcard_certificates=false, also under allow_any_name.
refuse nowild '*.example.com' --common-name '*.example.com'
refuse nowild 'w*.example.com' --common-name ok.example.com --alt-names 'w*.example.com'
refuse anynowild '*.anything.org' --common-name '*.anything.org'
# Wildcards only in the left-most label, one '*' at most.
refuse web 'a.*.example.com' --common-name 'a.*.example.com'
refuse web '**.example.com' --common-name '**.example.com'
refuse web '*.*.example.com' --common-name '*.*.example.com'
refuse anyname 'a.*.org' --common-name 'a.*.org'
# enforce_hostnames: not valid host names, also under allow_any_name.
refuse web "bad_host.example.com" --common-name bad_host.example.com
# (an alt name that is not a host name is refused, not silently dropped)
refuse web "-lead.example.com" --common-name ok.example.com --alt-names=-lead.example.com
refuse web "bad_x.example.com" --common-name ok.example.com --alt-names a.example.com,bad_x.example.com
refuse web "a..example.com" --common-name a..example.com
refuse anyname "not a host" --common-name 'not a host'
refuse anyname "under_score.org" --common-name under_score.org
refuse anyname "me@bad_host.org" --common-name ok.org --alt-names me@bad_host.org
# localhost when allow_localhost=false (and not in allowed_domains).
refuse nolocal "localhost" --common-name localhost
refuse nolocal "localdomain" --common-name ok.example.com --alt-names localdomain
# IP SANs: not allowed by the role; and never an address that is not one.
refuse noip "10.0.0.1" --common-name ok.example.com --ip-sans 10.0.0.1
refuse noip "::1" --common-name ok.example.com --ip-sans ::1
refuse_v noip "10.0.0.1" common_name=ok.example.com ip_sans=10.0.0.1
refuse web "999.1.1.1" --common-name ok.example.com --ip-sans 999.1.1.1
refuse web "not-an-ip" --common-name ok.example.com --ip-sans not-an-ip
# URI SANs: only the allowed globs; none at all when allowed_uri_sans is empty.
refuse uri "https://evil.com/x" --common-name ok.example.com --uri-sans https://evil.com/x
refuse uri "spiffe://other.com/a" --common-name ok.example.com --uri-sans spiffe://example.com/a,spiffe://other.com/a
refuse uri "https://exact.example.com/path/more" --common-name ok.example.com --uri-sans https://exact.example.com/path/more
refuse web "spiffe://example.com/a" --common-name ok.example.com --uri-sans spiffe://example.com/a
refuse_v uri "https://evil.com/x" common_name=ok.example.com uri_sans=https://evil.com/x
# Other SANs: only what allowed_other_sans allows; none when it is empty.
refuse other "1.2.3.4;UTF8:other" --common-name ok.example.com --other-sans '1.2.3.4;UTF8:other'
refuse other "1.3.6.1.4.1.311.20.2.3;UTF8:eve@evil.com" --common-name ok.example.com --other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:eve@evil.com'
refuse other "1.2.3.5;UTF8:fixed" --common-name ok.example.com --other-sans '1.2.3.5;UTF8:fixed'
refuse web "1.2.3.4;UTF8:fixed" --common-name ok.example.com --other-sans '1.2.3.4;UTF8:fixed'
refuse_v other "1.2.3.4;UTF8:other" common_name=ok.example.com 'other_sans=1.2.3.4;UTF8:other'
# A malformed other SAN names the field.
expect_refused 1 "$PKI" issue otherany --common-name ok.example.com --other-sans 'no-semicolon'
expect_err_contains "other_sans"
expect_err_contains "no-semicolon"
# Subject serial numbers: only the allowed globs; none when allowed_serial_numbers is empty.
refuse serial "SX-1" --common-name ok.example.com --serial-number SX-1
refuse serial "421" --common-name ok.example.com --serial-number 421
refuse web "SN-1" --common-name ok.example.com --serial-number SN-1
refuse_v web "SN-1" common_name=ok.example.com serial_number=SN-1
# require_cn (the default): a common name is needed.
refuse web "common_name" --alt-names a.example.com
refuse_v web "common_name" alt_names=a.example.com
refuse web "common_name" --common-name ''
# The same policy applies to sign/:role: a CSR with a refused name.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj /CN=x.evil.com -out evil.csr 2>/dev/null
expect_refused 1 "$PKI" sign web --csr @evil.csr
expect_err_contains "x.evil.com"
expect_err_contains '"web"'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout k.pem -subj /CN=ok.example.com \
  -addext "subjectAltName=DNS:ok.example.com,IP:10.0.0.1" -out ip.csr 2>/dev/null
expect_refused 1 "$PKI" sign noip --csr @ip.csr
expect_err_contains "10.0.0.1"
expect_err_contains '"noip"'
# ...and through the per-issuer path.
expect_refused 1 "$PKI" issuer issue default web --common-name x.evil.com
expect_err_contains "x.evil.com"
expect_err_contains '"web"'

# ---- allowed ------------------------------------------------------------------------------------------
# Subdomains, deeper subdomains, wildcard subdomains (allow_subdomains includes them).
allow a1 web --common-name www.example.com --alt-names a.b.example.com,'*.example.com'
s=$(san_of a1.pem)
has "$s" "DNS:www.example.com" "subdomain"
has "$s" "DNS:a.b.example.com" "deeper subdomain"
has "$s" "DNS:*.example.com" "wildcard subdomain"
verify_all root.pem a1.pem
# The four wildcard forms in the left-most label.
allow a1w web --common-name 'foo*.example.com' --alt-names '*foo.example.com,f*o.example.com'
s=$(san_of a1w.pem)
for w in 'DNS:foo*.example.com' 'DNS:*foo.example.com' 'DNS:f*o.example.com'; do has "$s" "$w" "wildcard forms"; done
# Bare domains, case-insensitively; the requested case is kept.
allow a2 bare --common-name example.com --alt-names EXAMPLE.COM
has "$(san_of a2.pem)" "DNS:example.com" "bare domain"
allow a2b bare --common-name Example.Com
has "$(san_of a2b.pem)" "DNS:Example.Com" "bare domain, other case, kept as requested"
verify_all root.pem a2.pem
# E-mail SANs: domain checked like a host name.
allow a3 bare --common-name example.com --alt-names ops@example.com
has "$(san_of a3.pem)" "email:ops@example.com" "e-mail SAN under a bare domain"
allow a3b web --common-name ok.example.com --alt-names ops@mail.example.com
has "$(san_of a3b.pem)" "email:ops@mail.example.com" "e-mail SAN under a subdomain"
# Globs span dots.
allow a4 glob --common-name ftp1.example.com --alt-names ftp.a.b.example.com,x.svc.example.net,a.b.svc.example.net
s=$(san_of a4.pem)
for w in DNS:ftp1.example.com DNS:ftp.a.b.example.com DNS:x.svc.example.net DNS:a.b.svc.example.net; do has "$s" "$w" "glob"; done
verify_all root.pem a4.pem
allow a4b fooglob --common-name foo.baz.example.com
has "$(san_of a4b.pem)" "DNS:foo.baz.example.com" "glob foo.*.example.com"
# localhost and localdomain (allow_localhost, the default).
allow a5 web --common-name localhost --alt-names localdomain
s=$(san_of a5.pem)
has "$s" "DNS:localhost" "localhost"
has "$s" "DNS:localdomain" "localdomain"
# allow_localhost=false still allows names that allowed_domains allows.
role nolocal2 --allowed-domains localhost --allow-bare-domains true --allow-localhost false
allow a5b nolocal2 --common-name localhost
# allow_any_name; enforce_hostnames=false allows names that are not host names.
allow a6 anyname --common-name anything.org --alt-names '*.wild.org'
has "$(san_of a6.pem)" "DNS:*.wild.org" "allow_any_name wildcard"
allow a6b anyloose --common-name 'Human Readable Name' --exclude-cn-from-sans true
has "$(openssl x509 -in a6b.pem -noout -subject)" "CN = Human Readable Name" "enforce_hostnames=false CN"
# ...and an alt name that is not a host name goes into a DNS SAN as given (Vault: alt_names
# without '@' are DNS names; only the CN is left out of the SANs when it is not a host name).
allow a6c anyloose --common-name ok.org --alt-names under_score.org
has "$(san_of a6c.pem)" "DNS:under_score.org" "enforce_hostnames=false alt name"
# International names are checked and issued in their IDNA form.
allow a7 web --common-name 'bücher.example.com'
has "$(san_of a7.pem)" "DNS:xn--bcher-kva.example.com" "IDNA SAN"
# IP, URI, other SANs, subject serial numbers.
allow a8 web --common-name ok.example.com --ip-sans 10.0.0.1,2001:db8::5
has "$(san_of a8.pem)" "IP Address:10.0.0.1" "IPv4 SAN"
has "$(san_of a8.pem)" "IP Address:2001:DB8:0:0:0:0:0:5" "IPv6 SAN"
allow a9 uri --common-name ok.example.com --uri-sans spiffe://example.com/ns/a/sa/b,https://exact.example.com/path
has "$(san_of a9.pem)" "URI:spiffe://example.com/ns/a/sa/b" "URI glob"
has "$(san_of a9.pem)" "URI:https://exact.example.com/path" "URI exact"
allow a10 other --common-name ok.example.com --other-sans '1.3.6.1.4.1.311.20.2.3;UTF8:alice@example.com,1.2.3.4;UTF8:fixed'
has "$(san_of a10.pem)" "othername: UPN::alice@example.com" "other SAN glob"
has "$(san_of a10.pem)" "othername: 1.2.3.4::fixed" "other SAN exact"
allow a10b otherany --common-name ok.example.com --other-sans '1.9.9.9;UTF-8:anything goes'
has "$(san_of a10b.pem)" "anything goes" "other SAN under *"
allow a11 serial --common-name ok.example.com --serial-number SN-2024-7
has "$(openssl x509 -in a11.pem -noout -subject -nameopt sep_multiline,lname)" "serialNumber=SN-2024-7" "subject serial number"
allow a11b serial --common-name ok.example.com --serial-number 42
verify_all root.pem a11.pem
# require_cn=false: no common name at all.
allow a12 optcn --alt-names a.example.com
has "$(san_of a12.pem)" "DNS:a.example.com" "no CN, SANs only"
hasnt "$(openssl x509 -in a12.pem -noout -subject)" "CN" "no CN in the subject"
verify_all root.pem a12.pem

finish
