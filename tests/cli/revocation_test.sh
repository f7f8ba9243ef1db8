#!/usr/bin/env bash
# Revocation and CRLs end to end (issue 5): revoke by serial (every spelling) and by PEM, what is
# refused, the CRL each issuer signs (version, AKI, number, dates, disable, usage, shared groups),
# every CRL read, cert/:serial and the LISTs. Revocation is judged by three verifiers nobody here
# wrote: a revoked certificate must be refused by OpenSSL, GnuTLS certtool and NSS vfychain with
# the CRLs pki serves, and an unrevoked one of the same issuer must pass all three with the same CRLs.
source "$(dirname "$0")/lib.sh"

# ---- helpers ------------------------------------------------------------------------------------

skid() { openssl x509 -in "$1" -noout -ext subjectKeyIdentifier 2>/dev/null | sed -n '2p' | tr -d ' :'; }
crl_akid() { crl_text "$1" | grep -A1 'Authority Key Identifier' | sed -n '2p' | tr -d ' :' | sed 's/^keyid//'; }
# grew OLD NEW WHAT: NEW is OLD + 1 (every build adds one).
grew() { if [ -n "$1" ] && [ -n "$2" ] && [ "$2" -eq $(($1 + 1)) ]; then ok; else fail "${3:-CRL number} did not grow by one: '$1' -> '$2'"; fi; }
# crl_of MOUNT OUT_PEM: the default issuer's CRL, PEM (via crl/pem).
crl_of() { "$PKI" read "$1/crl/pem" > "$2" 2>"$WORK/err" || fail "pki read $1/crl/pem: $(cat "$WORK/err")"; }
in_list() { if grep -qx -- "$2" <<<"$1"; then ok; else fail "${3:-list} lacks $2: $(tr '\n' ' ' <<<"$1" | head -c 600)"; fi; }
not_in_list() { if grep -qx -- "$2" <<<"$1"; then fail "${3:-list} has $2"; else ok; fi; }
list_of() { "$PKI" list -format=json "$1" 2>/dev/null | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["data"]["keys"]))' 2>/dev/null || true; }

# check_revocation WANT ROOT LEAF CRL_DERS INTERMEDIATES...: WANT is good or revoked; CRL_DERS is a
# space-separated list of DER CRLs (the root's first). The leaf, with its chain, must be accepted
# (good) or refused (revoked) by all three verifiers with exactly those CRLs loaded.
check_revocation() {
  local want=$1 root=$2 leaf=$3 ders=$4; shift 4
  local crls="$WORK/crls.pem"; : > "$crls"
  for d in $ders; do openssl crl -inform der -in "$d" >> "$crls"; done
  local chain="$WORK/rchain.pem"; : > "$chain"
  for c in "$@"; do cat "$c" >> "$chain"; echo >> "$chain"; done
  local untrusted=(); [ $# -gt 0 ] && untrusted=(-untrusted "$chain")
  local what="$want: $(basename "$leaf")"
  # OpenSSL: -crl_check for a leaf right under the root, -crl_check_all along a chain.
  local mode=-crl_check; [ $# -gt 0 ] && mode=-crl_check_all
  local rc=0; openssl verify "$mode" -CAfile "$root" "${untrusted[@]}" -CRLfile "$crls" "$leaf" >"$WORK/v.out" 2>&1 || rc=$?
  if [ "$want" = good ]; then
    if [ $rc = 0 ]; then ok; else fail "openssl verify $mode ($what): $(cat "$WORK/v.out")"; fi
  else
    if [ $rc != 0 ] && grep -q 'certificate revoked' "$WORK/v.out"; then ok; else fail "openssl verify $mode accepted ($what): $(cat "$WORK/v.out")"; fi
  fi
  # GnuTLS.
  local bundle="$WORK/rbundle.pem"; cat "$leaf" > "$bundle"; echo >> "$bundle"; cat "$chain" >> "$bundle"
  rc=0; certtool --verify --load-ca-certificate "$root" --load-crl "$crls" --infile "$bundle" >"$WORK/v.out" 2>&1 || rc=$?
  if [ "$want" = good ]; then
    if [ $rc = 0 ]; then ok; else fail "certtool --verify --load-crl ($what): $(tail -3 "$WORK/v.out")"; fi
  else
    if [ $rc != 0 ] && grep -qi 'revoked' "$WORK/v.out"; then ok; else fail "certtool accepted ($what): $(tail -3 "$WORK/v.out")"; fi
  fi
  # NSS: the root trusted, intermediates known, each CRL imported (its signature checked by crlutil).
  local db="$WORK/nssdb.$RANDOM"; mkdir -p "$db"
  certutil -N -d "sql:$db" --empty-password >/dev/null 2>&1
  certutil -A -d "sql:$db" -n root -t "CT,C,C" -a -i "$root" >/dev/null 2>&1
  local i=0
  for c in "$@"; do i=$((i + 1)); certutil -A -d "sql:$db" -n "int$i" -t ",," -a -i "$c" >/dev/null 2>&1; done
  for d in $ders; do
    if crlutil -I -d "sql:$db" -i "$d" >"$WORK/v.out" 2>&1; then ok; else fail "crlutil -I $(basename "$d"): $(cat "$WORK/v.out")"; fi
  done
  local args=(-a "$leaf")
  for c in "$@"; do args+=(-a "$c"); done
  rc=0; vfychain -d "sql:$db" -pp -g leaf -m crl -g chain -m crl -u "${USAGE:-1}" "${args[@]}" >"$WORK/v.out" 2>&1 || rc=$?
  if [ "$want" = good ]; then
    if [ $rc = 0 ]; then ok; else fail "vfychain -m crl ($what): $(tail -3 "$WORK/v.out")"; fi
  else
    if [ $rc != 0 ] && grep -q 'revoked' "$WORK/v.out"; then ok; else fail "vfychain accepted ($what): $(tail -3 "$WORK/v.out")"; fi
  fi
  rm -rf "$db"
}

# ---- an RSA root: revoke by serial in every spelling ---------------------------------------------
section "RSA root, revoke by serial"

expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write -format=json pki/root/generate/internal common_name="Revocation Root" key_type=rsa key_bits=2048 ttl=8760h issuer_name=rsa-root
save root.json
jf root.json certificate > root.pem
ROOT_ID=$(jf root.json issuer_id)
expect_ok "$PKI" write pki/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=100h
expect_ok "$PKI" write pki/roles/nostore allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=100h no_store=true

# A 2-second certificate, revoked once it has expired (further down, after other work).
expect_ok "$PKI" write -field=certificate pki/issue/web common_name=expiring.example.com ttl=2s
save expiring.pem
EXPIRED_AT=$(date +%s)

issue() { # issue NAME: pki/issue/web for NAME.example.com, certificate in NAME.pem
  if "$PKI" write -field=certificate pki/issue/web common_name="$1.example.com" ttl=1h >"$1.pem" 2>"$WORK/err"; then ok; else fail "issue $1: $(cat "$WORK/err")"; fi
}
for n in colon hyphen upper upperhyphen ergo good1 good2; do issue "$n"; done
crl_of pki crl0.pem
N0=$(crl_number crl0.pem)
is_int "$N0" "CRL number of a new root"
expect_eq "$(crl_count crl0.pem)" 0 "a new root's CRL is empty"

# Colon form, lower case.
S_COLON=$(serial_of colon.pem)
T0=$(date +%s)
expect_ok "$PKI" write -format=json pki/revoke serial_number="$S_COLON"
save rev_colon.json
RT_COLON=$(jf rev_colon.json revocation_time)
is_int "$RT_COLON" "revocation_time"
near "$RT_COLON" "$T0" 5 "revocation_time is now (Unix seconds)"
crl_of pki crl1.pem
grew "$N0" "$(crl_number crl1.pem)" "CRL number after a revocation"
crl_has crl1.pem "$S_COLON" "CRL after colon revoke"

# Hyphen form.
S_HYPHEN=$(serial_of hyphen.pem)
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(tr ':' '-' <<<"$S_HYPHEN")"
is_int "$(jf "$WORK/out" revocation_time)" "revocation_time (hyphen form)"
crl_of pki crl2.pem
grew "$(crl_number crl1.pem)" "$(crl_number crl2.pem)" "CRL number after a second revocation"
crl_has crl2.pem "$S_HYPHEN" "CRL after hyphen revoke"
crl_has crl2.pem "$S_COLON" "CRL keeps earlier revocations"

# Upper case, colons; upper case, hyphens.
S_UPPER=$(serial_of upper.pem)
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(tr 'a-f' 'A-F' <<<"$S_UPPER")"
S_UH=$(serial_of upperhyphen.pem)
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(tr 'a-f:' 'A-F-' <<<"$S_UH")"
# The ergonomic command.
S_ERGO=$(serial_of ergo.pem)
expect_ok "$PKI" revoke --serial-number "$S_ERGO" -format=json
RT_ERGO=$(jf "$WORK/out" revocation_time)
is_int "$RT_ERGO" "revocation_time (pki revoke)"
crl_of pki crl3.pem
for s in "$S_COLON" "$S_HYPHEN" "$S_UPPER" "$S_UH" "$S_ERGO"; do crl_has crl3.pem "$s" "CRL after five revocations"; done
expect_eq "$(crl_count crl3.pem)" 5 "CRL lists exactly the five revoked"
crl_lacks crl3.pem "$(serial_of good1.pem)" "CRL"
expect_eq "$(crl_number crl3.pem)" $(($(crl_number crl2.pem) + 3)) "three revocations, three builds"

# Revoking again answers the first revocation time (a second later, in another spelling).
sleep 1
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(tr 'a-f:' 'A-F-' <<<"$S_COLON")"
expect_eq "$(jf "$WORK/out" revocation_time)" "$RT_COLON" "revoking again answers the first time"
expect_ok "$PKI" revoke --serial-number "$S_COLON" -format=json
expect_eq "$(jf "$WORK/out" revocation_time)" "$RT_COLON" "pki revoke again answers the first time"
expect_eq "$(list_of pki/certs/revoked | grep -c .)" 5 "a second revocation adds no entry"

# ---- refused revocations -------------------------------------------------------------------------
section "refused revocations"

expect_refused 1 "$PKI" write pki/revoke serial_number=de:ad:be:ef:00:11:22:33
expect_err_contains "de:ad:be:ef"
expect_refused 1 "$PKI" revoke --serial-number 7f-00-00-01
expect_refused 1 "$PKI" write pki/revoke
expect_refused 1 "$PKI" write pki/revoke serial_number="not a serial"
# The issuer's own certificate: by serial and by PEM.
expect_refused 1 "$PKI" write pki/revoke serial_number="$(serial_of root.pem)"
expect_refused 1 "$PKI" write pki/revoke certificate=@root.pem
# serial_number and certificate that disagree.
expect_refused 1 "$PKI" write pki/revoke certificate=@good2.pem serial_number="$S_COLON"
# Not a certificate.
echo "-----BEGIN CERTIFICATE-----
bm90IGEgY2VydGlmaWNhdGU=
-----END CERTIFICATE-----" > junk.pem
expect_refused 1 "$PKI" write pki/revoke certificate=@junk.pem

# A certificate from another CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -subj "/CN=Other CA" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign -days 10 -out other.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout otherleaf.key -subj "/CN=x.example.com" -out otherleaf.csr 2>/dev/null
openssl x509 -req -in otherleaf.csr -CA other.pem -CAkey other.key -CAcreateserial -days 1 -out otherleaf.pem 2>/dev/null
expect_refused 1 "$PKI" write pki/revoke certificate=@otherleaf.pem
expect_refused 1 "$PKI" write pki/revoke certificate=@other.pem
# A forgery: the issuer name of the root, signed by another key. Its signature must be checked.
openssl req -x509 -newkey rsa:2048 -nodes -keyout fake.key -subj "/CN=Revocation Root" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign -days 10 -out fake.pem 2>/dev/null
openssl x509 -req -in otherleaf.csr -CA fake.pem -CAkey fake.key -CAcreateserial -days 1 -out forged.pem 2>/dev/null
expect_eq "$(openssl x509 -in forged.pem -noout -issuer)" "$(openssl x509 -in root.pem -noout -subject | sed 's/^subject/issuer/')" "the forgery names the root as issuer"
expect_refused 1 "$PKI" write pki/revoke certificate=@forged.pem
not_in_list "$(list_of pki/certs/revoked)" "$(serial_of forged.pem)" "certs/revoked"

# ---- no_store certificates: revoked by PEM ---------------------------------------------------------
section "no_store: revoke by PEM"

expect_ok "$PKI" write -field=certificate pki/issue/nostore common_name=unstored.example.com ttl=1h
save unstored.pem
S_NS=$(serial_of unstored.pem)
not_in_list "$(list_of pki/certs)" "$S_NS" "certs (no_store)"
expect_refused 1 "$PKI" write pki/revoke serial_number="$S_NS"
expect_err_contains "certificate="
N_BEFORE=$(crl_number crl3.pem)
T0=$(date +%s)
expect_ok "$PKI" write -format=json pki/revoke certificate=@unstored.pem
near "$(jf "$WORK/out" revocation_time)" "$T0" 5 "revocation_time (by PEM)"
in_list "$(list_of pki/certs/revoked)" "$S_NS" "certs/revoked after revoke by PEM"
crl_of pki crl4.pem
crl_has crl4.pem "$S_NS" "CRL after revoke by PEM"
grew "$N_BEFORE" "$(crl_number crl4.pem)" "CRL number after revoke by PEM"
# A stored certificate by PEM too, with the matching serial_number alongside.
expect_ok "$PKI" write -format=json pki/revoke certificate=@ergo.pem serial_number="$S_ERGO"
expect_eq "$(jf "$WORK/out" revocation_time)" "$RT_ERGO" "PEM revoke of a revoked certificate answers its time"

# ---- an expired certificate is not added -----------------------------------------------------------
section "expired certificate"

while [ $(($(date +%s) - EXPIRED_AT)) -lt 3 ]; do sleep 1; done
S_EXP=$(serial_of expiring.pem)
crl_of pki crl5a.pem
expect_ok "$PKI" write -format=json pki/revoke serial_number="$S_EXP"
expect_err_contains "Warning: "
expect_err_contains "$S_EXP"
expect_eq "$(jf "$WORK/out" revocation_time)" 0 "an expired certificate has no revocation time"
not_in_list "$(list_of pki/certs/revoked)" "$S_EXP" "certs/revoked (expired)"
expect_eq "$("$PKI" read -field=revocation_time pki/cert/"$S_EXP" 2>/dev/null)" 0 "cert/:serial of an expired, unrevoked certificate"
crl_of pki crl5.pem
crl_lacks crl5.pem "$S_EXP" "CRL (expired)"
expect_eq "$(crl_serials crl5.pem)" "$(crl_serials crl5a.pem)" "an expired certificate changes no CRL entry"
# By PEM as well.
expect_ok "$PKI" write -format=json pki/revoke certificate=@expiring.pem
expect_err_contains "Warning: "
not_in_list "$(list_of pki/certs/revoked)" "$S_EXP" "certs/revoked (expired, by PEM)"

# ---- three verifiers: revoked leaves refused, unrevoked ones pass, RSA root ------------------------
section "verifiers, RSA root"

expect_ok "$PKI" read pki/crl
save root.crl.der
for leaf in colon hyphen upper upperhyphen ergo unstored; do check_revocation revoked root.pem "$leaf.pem" root.crl.der; done
for leaf in good1 good2; do check_revocation good root.pem "$leaf.pem" root.crl.der; done

# ---- CRL contents ---------------------------------------------------------------------------------
section "CRL contents"

T0=$(date +%s)
expect_ok "$PKI" crl rotate
expect_out_contains "success"
expect_ok "$PKI" read -format=json pki/crl/rotate
expect_eq "$(jf "$WORK/out" success)" True "crl/rotate answers success: true"
crl_of pki crl6.pem
expect_eq "$(crl_number crl6.pem)" $(($(crl_number crl5.pem) + 2)) "two rotations, two builds"
txt=$(crl_text crl6.pem)
has "$txt" "Version 2 (0x1)" "CRL version"
has "$txt" "Issuer: CN = Revocation Root" "CRL issuer"
has "$txt" "sha256WithRSAEncryption" "CRL signature algorithm"
expect_eq "$(crl_akid crl6.pem)" "$(skid root.pem)" "CRL Authority Key Identifier = issuer SKID"
if openssl crl -in crl6.pem -CAfile root.pem -noout 2>&1 | grep -q "verify OK"; then ok; else fail "CRL signature does not verify"; fi
near "$(this_update crl6.pem)" "$T0" 5 "thisUpdate is now"
expect_eq "$(($(next_update crl6.pem) - $(this_update crl6.pem)))" $((72 * 3600)) "nextUpdate = thisUpdate + 72h (default)"
# Entries carry the revocation date the revoke answered.
rd=$(crl_text crl6.pem | grep -A1 "Serial Number: $(bare "$S_COLON")" | sed -n 's/^ *Revocation Date: *//p')
expect_eq "$(epoch "$rd")" "$RT_COLON" "CRL entry revocation date = revocation_time"
expect_eq "$(crl_count crl6.pem)" 6 "rotation keeps every revoked entry"

# config/crl: defaults, expiry, bad values.
expect_ok "$PKI" read -format=json pki/config/crl
expect_eq "$(jf "$WORK/out" expiry)" "72h" "config/crl expiry default"
expect_eq "$(jf "$WORK/out" disable)" "False" "config/crl disable default"
expect_refused 1 "$PKI" write pki/config/crl expiry=0
expect_refused 1 "$PKI" write pki/config/crl expiry=forever
expect_refused 1 "$PKI" write pki/config/crl disable=maybe
N_BEFORE=$(crl_number crl6.pem)
T0=$(date +%s)
expect_ok "$PKI" write -format=json pki/config/crl expiry=48h
expect_eq "$(jf "$WORK/out" expiry)" "48h" "config/crl write answers expiry"
expect_ok "$PKI" crl config -format=json
expect_eq "$(jf "$WORK/out" expiry)" "48h" "config/crl read after write"
crl_of pki crl7.pem
grew "$N_BEFORE" "$(crl_number crl7.pem)" "CRL number after config/crl"
near "$(this_update crl7.pem)" "$T0" 5 "thisUpdate after config/crl"
expect_eq "$(($(next_update crl7.pem) - $(this_update crl7.pem)))" $((48 * 3600)) "nextUpdate = thisUpdate + 48h"
expect_ok "$PKI" crl rotate
crl_of pki crl8.pem
expect_eq "$(($(next_update crl8.pem) - $(this_update crl8.pem)))" $((48 * 3600)) "nextUpdate after rotation keeps 48h"
expect_ok "$PKI" crl configure --expiry 30m
crl_of pki crl8b.pem
expect_eq "$(($(next_update crl8b.pem) - $(this_update crl8b.pem)))" 1800 "pki crl configure --expiry 30m"
expect_ok "$PKI" write pki/config/crl expiry=72h

# disable: a signed, empty CRL; revocations still recorded, and back when re-enabled.
N_BEFORE=$(crl_number crl8b.pem)
expect_ok "$PKI" write -format=json pki/config/crl disable=true
expect_eq "$(jf "$WORK/out" disable)" "True" "config/crl disable answer"
crl_of pki crl9.pem
expect_eq "$(crl_count crl9.pem)" 0 "a disabled CRL is empty"
has "$(crl_text crl9.pem)" "No Revoked Certificates" "disabled CRL"
if openssl crl -in crl9.pem -CAfile root.pem -noout 2>&1 | grep -q "verify OK"; then ok; else fail "the disabled CRL is not signed by the root"; fi
expect_eq "$(crl_akid crl9.pem)" "$(skid root.pem)" "disabled CRL AKID"
expect_eq "$(crl_number crl9.pem)" $((N_BEFORE + 2)) "disabled CRL number keeps growing"
expect_eq "$(list_of pki/certs/revoked | grep -c .)" 6 "revocations still recorded while disabled"
# A revocation while disabled is recorded, and the CRL stays empty.
expect_ok "$PKI" write -format=json pki/revoke serial_number="$(serial_of good2.pem)"
is_int "$(jf "$WORK/out" revocation_time)" "revocation_time while disabled"
in_list "$(list_of pki/certs/revoked)" "$(serial_of good2.pem)" "certs/revoked while disabled"
crl_of pki crl10.pem
expect_eq "$(crl_count crl10.pem)" 0 "CRL stays empty while disabled"
expect_ok "$PKI" crl rotate
crl_of pki crl10b.pem
expect_eq "$(crl_count crl10b.pem)" 0 "rotation while disabled gives an empty CRL"
# A verifier sees the revoked leaf as good with the empty CRL (it is empty, and signed).
expect_ok "$PKI" read pki/crl
save disabled.crl.der
check_revocation good root.pem colon.pem disabled.crl.der
# Re-enabled: everything comes back, the one revoked while disabled too.
expect_ok "$PKI" write pki/config/crl disable=false
crl_of pki crl11.pem
expect_eq "$(crl_count crl11.pem)" 7 "re-enabled CRL lists every recorded revocation"
crl_has crl11.pem "$(serial_of good2.pem)" "re-enabled CRL"
crl_has crl11.pem "$S_NS" "re-enabled CRL"
expect_eq "$(crl_number crl11.pem)" $(($(crl_number crl10b.pem) + 1)) "CRL number after re-enabling"
expect_ok "$PKI" read pki/crl
save reenabled.crl.der
check_revocation revoked root.pem good2.pem reenabled.crl.der
check_revocation good root.pem good1.pem reenabled.crl.der

# Tidy with nothing to remove keeps the CRL number from going backwards.
expect_ok "$PKI" write pki/tidy tidy_cert_store=true tidy_revoked_certs=true safety_buffer=1h
crl_of pki crl12.pem
if [ "$(crl_number crl12.pem)" -ge "$(crl_number crl11.pem)" ]; then ok; else fail "tidy moved the CRL number back"; fi
expect_eq "$(crl_count crl12.pem)" 7 "a tidy with nothing expired keeps every entry"
expect_ok "$PKI" crl rotate
crl_of pki crl13.pem
if [ "$(crl_number crl13.pem)" -gt "$(crl_number crl12.pem)" ]; then ok; else fail "CRL number after tidy + rotate did not grow"; fi

# ---- reads ----------------------------------------------------------------------------------------
section "reads"

crl_of pki cur.pem
# cert/crl: JSON, PEM in certificate.
expect_ok "$PKI" read -format=json pki/cert/crl
jf "$WORK/out" certificate > certcrl.pem
expect_eq "$(openssl crl -in certcrl.pem -outform der | md5sum)" "$(openssl crl -in cur.pem -outform der | md5sum)" "cert/crl certificate = crl/pem"
has "$(head -1 certcrl.pem)" "-----BEGIN X509 CRL-----" "cert/crl certificate"
expect_ok "$PKI" crl read -format=json
jf "$WORK/out" certificate > crlread.pem
expect_eq "$(openssl crl -in crlread.pem -outform der | md5sum)" "$(openssl crl -in cur.pem -outform der | md5sum)" "pki crl read"
# crl: DER.
expect_ok "$PKI" read pki/crl
save cur.der
expect_eq "$(md5sum < cur.der)" "$(openssl crl -in cur.pem -outform der | md5sum)" "crl (DER) = crl/pem"
expect_ok "$PKI" crl der
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < cur.der)" "pki crl der"
expect_ok "$PKI" crl pem
expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < cur.pem)" "pki crl pem"
has "$(head -1 cur.pem)" "-----BEGIN X509 CRL-----" "crl/pem"
# issuer/:ref/crl, /der, /pem by default, by name and by id.
for ref in default rsa-root "$ROOT_ID"; do
  expect_ok "$PKI" read -format=json "pki/issuer/$ref/crl"
  jf "$WORK/out" crl > icrl.pem
  expect_eq "$(openssl crl -in icrl.pem -outform der 2>/dev/null | md5sum)" "$(md5sum < cur.der)" "issuer/$ref/crl (crl field)"
  expect_ok "$PKI" read "pki/issuer/$ref/crl/der"
  expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < cur.der)" "issuer/$ref/crl/der"
  expect_ok "$PKI" read "pki/issuer/$ref/crl/pem"
  expect_eq "$(md5sum < "$WORK/out")" "$(md5sum < cur.pem)" "issuer/$ref/crl/pem"
done
expect_ok "$PKI" issuer crl rsa-root -format=json
expect_out_contains "BEGIN X509 CRL"
expect_refused 1 "$PKI" read pki/issuer/no-such-issuer/crl
# cert/:serial: revocation_time 0 or the time.
expect_ok "$PKI" read -format=json pki/cert/"$S_COLON"
expect_eq "$(jf "$WORK/out" revocation_time)" "$RT_COLON" "cert/:serial revocation_time of a revoked certificate"
expect_eq "$(jf "$WORK/out" certificate | openssl x509 -noout -serial 2>/dev/null)" "$(openssl x509 -in colon.pem -noout -serial)" "cert/:serial certificate"
expect_ok "$PKI" read -format=json pki/cert/"$(tr 'a-f:' 'A-F-' <<<"$S_COLON")"
expect_eq "$(jf "$WORK/out" revocation_time)" "$RT_COLON" "cert/:serial in hyphen upper case"
expect_ok "$PKI" read -format=json pki/cert/"$(serial_of good1.pem)"
expect_eq "$(jf "$WORK/out" revocation_time)" 0 "cert/:serial revocation_time of a valid certificate"
expect_ok "$PKI" read -format=json pki/cert/ca
expect_eq "$(jf "$WORK/out" certificate | openssl x509 -noout -fingerprint -sha256 2>/dev/null)" "$(openssl x509 -in root.pem -noout -fingerprint -sha256)" "cert/ca"
# LIST certs and certs/revoked.
certs=$(list_of pki/certs)
for n in colon hyphen upper upperhyphen ergo good1 good2 expiring; do in_list "$certs" "$(serial_of "$n.pem")" "LIST certs"; done
not_in_list "$certs" "ca" "LIST certs"
not_in_list "$certs" "crl" "LIST certs"
revoked=$(list_of pki/certs/revoked)
expect_eq "$(sort <<<"$revoked")" "$(for n in colon hyphen upper upperhyphen ergo unstored good2; do serial_of "$n.pem"; done | sort)" "LIST certs/revoked is exactly the revoked"
expect_ok "$PKI" cert revoked
for n in colon unstored good2; do expect_out_contains "$(serial_of "$n.pem")"; done
expect_ok "$PKI" cert serials
expect_out_contains "$(serial_of good1.pem)"
# The LISTed serials are exactly what the CRL has.
expect_eq "$(for s in $revoked; do bare "$s"; done | sort)" "$(crl_serials cur.pem)" "certs/revoked = CRL entries"

# ---- an EC chain: the revoked intermediate is on its parent's CRL ----------------------------------
section "EC chain"

expect_ok "$PKI" secrets enable -path=ecroot -max-lease-ttl=87600h pki
expect_ok "$PKI" secrets enable -path=ecint -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=certificate ecroot/root/generate/internal common_name="EC Root" key_type=ec key_bits=384 ttl=8760h
save ecroot.pem
expect_ok "$PKI" write -field=csr ecint/intermediate/generate/internal common_name="EC Intermediate" key_type=ec key_bits=256
save ecint.csr
expect_ok "$PKI" write -field=certificate ecroot/root/sign-intermediate csr=@ecint.csr ttl=4000h
save ecint.pem
expect_ok "$PKI" write ecint/intermediate/set-signed certificate=@ecint.pem
expect_ok "$PKI" write ecint/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=100h
for n in ecrevoked ecgood; do
  if "$PKI" write -field=certificate ecint/issue/web common_name="$n.example.com" ttl=1h >"$n.pem" 2>"$WORK/err"; then ok; else fail "issue $n: $(cat "$WORK/err")"; fi
done
expect_ok "$PKI" revoke -m ecint --serial-number "$(serial_of ecrevoked.pem)"
expect_ok "$PKI" read ecroot/crl
save ecroot.crl.der
expect_ok "$PKI" read ecint/crl
save ecint.crl.der
openssl crl -inform der -in ecint.crl.der -out ecint.crl.pem
openssl crl -inform der -in ecroot.crl.der -out ecroot.crl.pem
has "$(crl_text ecint.crl.pem)" "ecdsa-with-SHA256" "EC intermediate CRL signature"
has "$(crl_text ecint.crl.pem)" "Version 2 (0x1)" "EC CRL version"
expect_eq "$(crl_akid ecint.crl.pem)" "$(skid ecint.pem)" "EC intermediate CRL AKID = intermediate SKID"
if openssl crl -in ecint.crl.pem -CAfile ecint.pem -noout 2>&1 | grep -q "verify OK"; then ok; else fail "EC intermediate CRL signature"; fi
crl_has ecint.crl.pem "$(serial_of ecrevoked.pem)" "EC intermediate CRL"
expect_eq "$(crl_count ecroot.crl.pem)" 0 "the root's CRL does not list the intermediate's leaves"
check_revocation revoked ecroot.pem ecrevoked.pem "ecroot.crl.der ecint.crl.der" ecint.pem
check_revocation good ecroot.pem ecgood.pem "ecroot.crl.der ecint.crl.der" ecint.pem

# The intermediate's own certificate: not revocable on its own mount, revocable on its parent's.
expect_refused 1 "$PKI" write ecint/revoke serial_number="$(serial_of ecint.pem)"
N_INT=$(crl_number ecint.crl.pem)
N_ROOT=$(crl_number ecroot.crl.pem)
expect_ok "$PKI" write -format=json ecroot/revoke serial_number="$(serial_of ecint.pem)"
is_int "$(jf "$WORK/out" revocation_time)" "revocation_time of the intermediate"
expect_ok "$PKI" read ecroot/crl
save ecroot2.crl.der
openssl crl -inform der -in ecroot2.crl.der -out ecroot2.crl.pem
crl_has ecroot2.crl.pem "$(serial_of ecint.pem)" "the parent's CRL"
grew "$N_ROOT" "$(crl_number ecroot2.crl.pem)" "the parent's CRL number"
crl_of ecint ecint2.crl.pem
expect_eq "$(crl_number ecint2.crl.pem)" "$N_INT" "the intermediate's CRL is untouched by its parent's revocation"
in_list "$(list_of ecroot/certs/revoked)" "$(serial_of ecint.pem)" "ecroot certs/revoked"
# The intermediate itself, against the root, is refused; and so is the once-good leaf under it.
USAGE=3 check_revocation revoked ecroot.pem ecint.pem ecroot2.crl.der
check_revocation revoked ecroot.pem ecgood.pem "ecroot2.crl.der ecint.crl.der" ecint.pem

# ---- several issuers in a mount --------------------------------------------------------------------
section "issuers sharing subject and key share a CRL; others have their own"

expect_ok "$PKI" secrets enable -path=multi -max-lease-ttl=87600h pki
expect_ok "$PKI" write -format=json multi/root/generate/internal common_name="Shared Root" key_type=ec issuer_name=first key_name=shared ttl=8000h
save first.json
jf first.json certificate > first.pem
expect_ok "$PKI" write -format=json multi/root/generate/existing common_name="Shared Root" key_ref=shared issuer_name=second ttl=4000h
save second.json
jf second.json certificate > second.pem
# Same key, another subject: a CRL of its own.
expect_ok "$PKI" write -format=json multi/root/generate/existing common_name="Other Subject" key_ref=shared issuer_name=third ttl=4000h
jf "$WORK/out" certificate > third.pem
# Another key, same subject: a CRL of its own too.
expect_ok "$PKI" write -format=json multi/root/generate/internal common_name="Shared Root" key_type=ec issuer_name=fourth ttl=4000h
jf "$WORK/out" certificate > fourth.pem
expect_ok "$PKI" read multi/issuer/first/crl/der
save first0.der
expect_ok "$PKI" read multi/issuer/second/crl/der
save second0.der
expect_eq "$(md5sum < second0.der)" "$(md5sum < first0.der)" "issuers with one subject and key serve one CRL"
expect_ok "$PKI" read multi/issuer/third/crl/der
save third0.der
expect_ok "$PKI" read multi/issuer/fourth/crl/der
save fourth0.der
if [ "$(md5sum < third0.der)" != "$(md5sum < first0.der)" ]; then ok; else fail "another subject on the same key shares the CRL"; fi
if [ "$(md5sum < fourth0.der)" != "$(md5sum < first0.der)" ]; then ok; else fail "another key with the same subject shares the CRL"; fi
expect_ok "$PKI" write multi/roles/second allowed_domains=example.com allow_subdomains=true issuer_ref=second key_type=ec max_ttl=10h
expect_ok "$PKI" write multi/roles/third allowed_domains=example.com allow_subdomains=true issuer_ref=third key_type=ec max_ttl=10h
expect_ok "$PKI" write -field=certificate multi/issue/second common_name=s.example.com ttl=1h
save bysecond.pem
expect_ok "$PKI" write -field=certificate multi/issue/second common_name=s2.example.com ttl=1h
save bysecond2.pem
expect_ok "$PKI" write -field=certificate multi/issue/third common_name=t.example.com ttl=1h
save bythird.pem
expect_ok "$PKI" revoke -m multi --serial-number "$(serial_of bysecond.pem)"
expect_ok "$PKI" read multi/issuer/first/crl/pem
save first1.pem
expect_ok "$PKI" read multi/issuer/second/crl/pem
save second1.pem
expect_eq "$(md5sum < second1.pem)" "$(md5sum < first1.pem)" "one shared CRL after a revocation"
crl_has first1.pem "$(serial_of bysecond.pem)" "the shared CRL (read through the first issuer)"
for c in first second; do
  if openssl crl -in first1.pem -CAfile "$c.pem" -noout 2>&1 | grep -q "verify OK"; then ok; else fail "shared CRL does not verify with $c"; fi
done
expect_ok "$PKI" read multi/issuer/third/crl/pem
save third1.pem
expect_eq "$(crl_count third1.pem)" 0 "the other-subject issuer's CRL does not list it"
expect_eq "$(md5sum < "$WORK/out")" "$(openssl crl -inform der -in third0.der | md5sum)" "a revocation leaves other groups' CRLs alone"
expect_ok "$PKI" read multi/issuer/fourth/crl/pem
save fourth1.pem
expect_eq "$(crl_count fourth1.pem)" 0 "the other-key issuer's CRL does not list it"
openssl crl -in first1.pem -outform der -out shared.der
check_revocation revoked second.pem bysecond.pem shared.der
check_revocation good second.pem bysecond2.pem shared.der
# crl/rotate rebuilds every group.
nf=$(crl_number first1.pem); nt=$(crl_number third1.pem); n4=$(crl_number fourth1.pem)
expect_ok "$PKI" crl rotate -m multi
expect_ok "$PKI" read multi/issuer/first/crl/pem
save first2.pem
expect_ok "$PKI" read multi/issuer/third/crl/pem
save third2.pem
expect_ok "$PKI" read multi/issuer/fourth/crl/pem
save fourth2.pem
grew "$nf" "$(crl_number first2.pem)" "shared group CRL number on rotate"
grew "$nt" "$(crl_number third2.pem)" "third issuer CRL number on rotate"
grew "$n4" "$(crl_number fourth2.pem)" "fourth issuer CRL number on rotate"

# A revoked certificate whose issuer is gone goes on the default issuer's CRL.
expect_ok "$PKI" revoke -m multi --serial-number "$(serial_of bythird.pem)"
expect_ok "$PKI" read multi/issuer/third/crl/pem
save third3.pem
crl_has third3.pem "$(serial_of bythird.pem)" "the third issuer's CRL"
expect_ok "$PKI" delete multi/roles/third
expect_ok "$PKI" delete multi/issuer/third
expect_ok "$PKI" crl rotate -m multi
expect_ok "$PKI" read multi/crl/pem
save default_after_delete.pem
crl_has default_after_delete.pem "$(serial_of bythird.pem)" "the default issuer's CRL (revoked by a deleted issuer)"
crl_has default_after_delete.pem "$(serial_of bysecond.pem)" "the default issuer's CRL"

# ---- issuers that may not sign CRLs ----------------------------------------------------------------
section "issuers without crl-signing"

# Usage without crl-signing freezes the issuer's CRL (the reference's way to retire an issuer):
# the last one stays served, unchanged, and revocations under it warn that it does not list them.
expect_ok "$PKI" secrets enable -path=nocrl pki
expect_ok "$PKI" write -format=json nocrl/root/generate/internal common_name="No CRL Root" key_type=ec issuer_name=nc ttl=100h
jf "$WORK/out" certificate > nc.pem
expect_ok "$PKI" read nocrl/crl/pem
save nc_before.pem
expect_ok "$PKI" patch nocrl/issuer/nc usage=read-only,issuing-certificates
expect_ok "$PKI" crl rotate -m nocrl
expect_err_contains "Warning: "
expect_err_contains "nc"
expect_ok "$PKI" write nocrl/roles/web allowed_domains=example.com allow_subdomains=true key_type=ec max_ttl=10h
expect_ok "$PKI" write -field=certificate nocrl/issue/web common_name=n.example.com ttl=1h
save nc_leaf.pem
expect_ok "$PKI" revoke -m nocrl --serial-number "$(serial_of nc_leaf.pem)"
expect_err_contains "Warning: "
in_list "$(list_of nocrl/certs/revoked)" "$(serial_of nc_leaf.pem)" "nocrl certs/revoked"
expect_err_contains "frozen"
# It serves its frozen CRL: the same bytes as before, without the revocation just made.
expect_ok "$PKI" read nocrl/crl/pem
save nc_frozen.pem
if cmp -s nc_before.pem nc_frozen.pem; then ok; else fail "the frozen CRL changed"; fi
crl_lacks nc_frozen.pem "$(serial_of nc_leaf.pem)" "the frozen CRL"
expect_ok "$PKI" read nocrl/issuer/nc/crl
# Given crl-signing back, its CRL lists the revocation.
expect_ok "$PKI" patch nocrl/issuer/nc usage=read-only,issuing-certificates,crl-signing
expect_ok "$PKI" crl rotate -m nocrl
expect_ok "$PKI" read nocrl/crl/pem
save nc_crl.pem
crl_has nc_crl.pem "$(serial_of nc_leaf.pem)" "CRL after crl-signing is given back"

# A CA certificate without the cRLSign key usage: no CRL at all, and a warning.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout nk.key -subj "/CN=No cRLSign" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign -days 10 -out nk.pem 2>/dev/null
cat nk.pem nk.key > nk.bundle
expect_ok "$PKI" secrets enable -path=nokeyusage pki
expect_ok "$PKI" write nokeyusage/issuers/import/bundle pem_bundle=@nk.bundle
expect_exit 1 "$PKI" read nokeyusage/issuer/default/crl
expect_err_contains "CRL"
expect_ok "$PKI" crl rotate -m nokeyusage
expect_err_contains "Warning: "
expect_exit 1 "$PKI" read nokeyusage/crl/pem
# Certificate only (no key): no CRL either.
expect_ok "$PKI" secrets enable -path=certonly pki
expect_ok "$PKI" write certonly/issuers/import/cert pem_bundle=@ecroot.pem
expect_exit 1 "$PKI" read certonly/issuer/default/crl/der

finish
