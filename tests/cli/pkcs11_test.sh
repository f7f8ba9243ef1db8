#!/usr/bin/env bash
# CA keys on a PKCS#11 token (SoftHSM2), from the command line: managed keys in both command
# styles, type kms on every path that makes a CA key, everything the token keys sign checked by
# OpenSSL, GnuTLS and NSS, the key objects checked on the token with OpenSC's pkcs11-tool, and
# every error (PIN, module, slot, key, mount, fields) refused in one line with the state unchanged.
source "$(dirname "$0")/lib.sh"

LIB=/usr/lib/softhsm/libsofthsm2.so
for tool in softhsm2-util:softhsm2 pkcs11-tool:opensc certtool:gnutls-bin vfychain:libnss3-tools; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    fail "${tool%%:*} is missing: install the Debian package ${tool#*:} (apt-get install ${tool#*:})"; finish; exit 1; fi
done
if [ ! -f "$LIB" ]; then fail "SoftHSM's module $LIB is missing: install the Debian package softhsm2"; finish; exit 1; fi

PIN=482913
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" > "$WORK/softhsm2.conf"
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
softhsm2-util --init-token --free --label ca-token --pin "$PIN" --so-pin 5678 >/dev/null
p11() { pkcs11-tool --module "$LIB" --token-label ca-token --login --pin "$PIN" "$@" 2>/dev/null; }
"$PKI" secrets enable pki >/dev/null
"$PKI" secrets enable -path=pki_int pki >/dev/null

section "managed keys: write, read, list in both command styles"
expect_ok "$PKI" write sys/managed-keys/pkcs11/root-hsm library="$LIB" token_label=ca-token pin="$PIN" key_label=root-key \
  mechanism=0x1041 curve=P-384 allow_generate_key=true any_mount=true
expect_ok "$PKI" managed-key write pkcs11 int-hsm --library "$LIB" --token-label ca-token --pin "$PIN" --key-label int-key \
  --key-id 0x0b --mechanism 0x0001
expect_ok "$PKI" read -format=json sys/managed-keys/pkcs11/root-hsm; save "$WORK/mk.json"
expect_eq "$(jf "$WORK/mk.json" library)" "$LIB" "managed key library"
expect_eq "$(jx "$WORK/mk.json" "d['pin_set']")" "True" "pin_set"
expect_eq "$(jx "$WORK/mk.json" "'pin' in d")" "False" "read shows no pin field"
if grep -q "$PIN" "$WORK/mk.json"; then fail "managed key read shows the PIN"; else ok; fi
ROOT_MK_ID=$(jf "$WORK/mk.json" uuid)
expect_ok "$PKI" managed-key read pkcs11 int-hsm
if grep -q "$PIN" "$WORK/out"; then fail "managed-key read shows the PIN"; else ok; fi
expect_ok "$PKI" managed-key list pkcs11
expect_eq "$(tr '\n' ' ' < "$WORK/out" | tr -s ' ')" "Keys ---- int-hsm root-hsm " "managed key list"
expect_ok "$PKI" list -format=json sys/managed-keys/pkcs11; save "$WORK/l.json"
expect_eq "$(jx "$WORK/l.json" "sorted(d['keys'])")" "['int-hsm', 'root-hsm']" "LIST sys/managed-keys/pkcs11"
# A write changes only what it names.
expect_ok "$PKI" write sys/managed-keys/pkcs11/int-hsm key_bits=3072
expect_ok "$PKI" read -format=json sys/managed-keys/pkcs11/int-hsm; save "$WORK/mk2.json"
expect_eq "$(jf "$WORK/mk2.json" key_label)/$(jf "$WORK/mk2.json" key_bits)/$(jf "$WORK/mk2.json" mechanism)" "int-key/3072/0x0001" "partial update"

section "a root on the token (generated there)"
# A refused request makes no key on the token.
expect_refused 1 "$PKI" write pki/root/generate/kms managed_key_name=root-hsm common_name="Token Root" key_usage=DigitalSignature
if p11 --list-objects --type privkey | grep -q "label: *root-key"; then fail "a refused root/generate left a key on the token"; else ok; fi
expect_ok "$PKI" write -format=json pki/root/generate/kms managed_key_name=root-hsm common_name="Token Root" ttl=8760h
save "$WORK/root.json"
expect_err_contains "a new key was generated on the token of managed key \"root-hsm\""
jf "$WORK/root.json" certificate > "$WORK/root.pem"
ROOT_KEY=$(jf "$WORK/root.json" key_id)
expect_eq "$(openssl x509 -in "$WORK/root.pem" -noout -text | grep -c 'ecdsa-with-SHA384')" 2 "root signed with ECDSA SHA-384"
expect_eq "$(openssl x509 -in "$WORK/root.pem" -noout -text | sed -n 's/.*ASN1 OID: //p')" "secp384r1" "root key on P-384"
if openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/root.pem" "$WORK/root.pem" >/dev/null 2>&1; then ok; else fail "root self-signature does not verify"; fi
expect_ok "$PKI" write -format=json sys/managed-keys/pkcs11/root-hsm/test/sign; save "$WORK/t.json"
expect_eq "$(jf "$WORK/t.json" key_type)/$(jf "$WORK/t.json" key_bits)" "ec/384" "test/sign"
expect_ok "$PKI" managed-key test pkcs11 root-hsm
expect_ok "$PKI" read -format=json "pki/key/$ROOT_KEY"; save "$WORK/k.json"
expect_eq "$(jf "$WORK/k.json" managed_key_name)/$(jf "$WORK/k.json" managed_key_id)/$(jf "$WORK/k.json" key_type)" \
  "root-hsm/$ROOT_MK_ID/ec" "key read names its managed key"
# The key lives on the token: a sensitive, never extractable signing key.
p11 --list-objects --type privkey > "$WORK/objs"
if grep -A3 "label: *root-key" "$WORK/objs" | grep -q "never extractable"; then ok; else fail "root-key is not marked never extractable: $(cat "$WORK/objs")"; fi
if grep -A3 "label: *root-key" "$WORK/objs" | grep -q "Access: *sensitive"; then ok; else fail "root-key is not sensitive: $(cat "$WORK/objs")"; fi
if grep -A3 "label: *root-key" "$WORK/objs" | grep -q "Usage: *sign$"; then ok; else fail "root-key may do more than sign: $(cat "$WORK/objs")"; fi
# Nothing reads it off the token.
p11 --read-object --type privkey --label root-key -o "$WORK/stolen.der" >/dev/null || true
if [ -s "$WORK/stolen.der" ]; then fail "pkcs11-tool read the private key off the token"; else ok; fi
# ... and the state holds no private key of it: its record keeps only the managed key's id.
mdb_dump -p "$PKI_STATE_DIR" > "$WORK/dump"
if grep -q "PRIVATE KEY" "$WORK/dump"; then fail "the state holds a PEM private key"; else ok; fi
# A second kms request on the same managed key reuses the mount's key.
expect_ok "$PKI" write -format=json pki/keys/generate/kms managed_key_name=root-hsm; save "$WORK/k2.json"
expect_eq "$(jf "$WORK/k2.json" key_id)" "$ROOT_KEY" "the same token key is one mount key"
expect_err_contains "already key $ROOT_KEY"

section "an intermediate on an existing RSA key of the token, in another mount"
p11 --keypairgen --key-type rsa:3072 --id 0b --label int-key >/dev/null
expect_refused 1 "$PKI" write pki_int/intermediate/generate/kms managed_key_name=int-hsm common_name="Token Int"
expect_err_contains "managed key \"int-hsm\" is not allowed in mount pki_int"
expect_ok "$PKI" write sys/mounts/pki_int/tune allowed_managed_keys=int-hsm
expect_ok "$PKI" read -format=json sys/mounts/pki_int/tune; save "$WORK/tune.json"
expect_eq "$(jx "$WORK/tune.json" "d['allowed_managed_keys']")" "['int-hsm']" "tune shows allowed_managed_keys"
INT_MK_ID=$(field_of "$WORK/mk2.json" uuid)
expect_ok "$PKI" write -format=json pki_int/intermediate/generate/kms managed_key_id="$INT_MK_ID" common_name="Token Int"; save "$WORK/csr.json"
if grep -q "generated" "$WORK/err"; then fail "an existing token key was generated anew: $(cat "$WORK/err")"; else ok; fi
jf "$WORK/csr.json" csr > "$WORK/int.csr"
if openssl req -in "$WORK/int.csr" -noout -verify >/dev/null 2>&1; then ok; else fail "the CSR's signature does not verify"; fi
p11 --read-object --type pubkey --label int-key -o "$WORK/int-pub.der" >/dev/null
expect_eq "$(openssl req -in "$WORK/int.csr" -noout -pubkey | openssl pkey -pubin -outform der | md5sum)" \
  "$(openssl pkey -pubin -inform DER -in "$WORK/int-pub.der" -outform der | md5sum)" "the CSR carries the token's RSA key"
expect_ok "$PKI" write -field=certificate pki/root/sign-intermediate csr=@"$WORK/int.csr" ttl=4000h
save "$WORK/int.pem"
expect_ok "$PKI" write pki_int/intermediate/set-signed certificate=@"$WORK/int.pem"
USAGE=3 verify_all "$WORK/root.pem" "$WORK/int.pem"

section "leaves, CSRs and verbatim signing with the token keys"
expect_ok "$PKI" write pki_int/roles/web allowed_domains=example.com allow_subdomains=true max_ttl=72h
expect_ok "$PKI" write pki_int/roles/csr allowed_domains=example.com allow_subdomains=true max_ttl=72h key_type=any
expect_ok "$PKI" write -format=json pki_int/issue/web common_name=www.example.com; save "$WORK/leaf.json"
jf "$WORK/leaf.json" certificate > "$WORK/leaf.pem"
LEAF_SERIAL=$(jf "$WORK/leaf.json" serial_number)
expect_eq "$(openssl x509 -in "$WORK/leaf.pem" -noout -text | grep -c 'sha256WithRSAEncryption')" 2 "leaf signed with RSA PKCS#1 v1.5 SHA-256"
verify_all "$WORK/root.pem" "$WORK/leaf.pem" "$WORK/int.pem"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/csr.key" -subj "/CN=api.example.com" -out "$WORK/leaf.csr" 2>/dev/null
expect_ok "$PKI" write -field=certificate pki_int/sign/csr csr=@"$WORK/leaf.csr"; save "$WORK/signed.pem"
verify_all "$WORK/root.pem" "$WORK/signed.pem" "$WORK/int.pem"
expect_ok "$PKI" write -field=certificate pki/sign-verbatim csr=@"$WORK/leaf.csr" ttl=24h; save "$WORK/verbatim.pem"
verify_all "$WORK/root.pem" "$WORK/verbatim.pem"

section "Vault's other spellings of the kms paths"
"$PKI" secrets enable -path=alias pki >/dev/null
expect_ok "$PKI" write -format=json alias/issuers/generate/root/kms managed_key_name=root-hsm common_name="Alias Root" issuer_name=alias-root
save "$WORK/alias.json"
expect_eq "$(pubkey_of_cert <(jf "$WORK/alias.json" certificate))" "$(pubkey_of_cert "$WORK/root.pem")" "issuers/generate/root/kms uses the token key"
expect_ok "$PKI" write -field=csr alias/issuers/generate/intermediate/kms managed_key_name=root-hsm common_name="Alias Int"; save "$WORK/alias1.csr"
expect_ok "$PKI" write -field=csr alias/generate/intermediate/kms managed_key_name=root-hsm common_name="Alias Int"; save "$WORK/alias2.csr"
for c in "$WORK/alias1.csr" "$WORK/alias2.csr"; do
  expect_eq "$(openssl req -in "$c" -noout -pubkey | openssl pkey -pubin -outform der | md5sum)" \
    "$(openssl x509 -in "$WORK/root.pem" -noout -pubkey | openssl pkey -pubin -outform der | md5sum)" "$(basename "$c") carries the token key"
done
expect_ok "$PKI" key list -m alias
expect_eq "$(grep -c '^[0-9a-f]\{8\}-' "$WORK/out")" 1 "three kms requests, one mount key"

section "a key that asks for the PIN at every signature (CKA_ALWAYS_AUTHENTICATE, as PIV slot 9c)"
p11 --keypairgen --key-type EC:prime256v1 --id 0c --label always-key --always-auth >/dev/null
p11 --list-objects --type privkey > "$WORK/objs-always"
if grep -A4 "label: *always-key" "$WORK/objs-always" | grep -qi "always authenticate"; then ok
else fail "pkcs11-tool made no always-authenticate key: $(grep -A4 always-key "$WORK/objs-always")"; fi
expect_ok "$PKI" write sys/managed-keys/pkcs11/always library="$LIB" token_label=ca-token pin="$PIN" key_id=0x0c mechanism=0x1041 any_mount=true
expect_ok "$PKI" write -format=json sys/managed-keys/pkcs11/always/test/sign; save "$WORK/always.json"
expect_eq "$(jf "$WORK/always.json" key_type)/$(jf "$WORK/always.json" key_bits)" "ec/256" "always-authenticate key signs"
"$PKI" secrets enable -path=always pki >/dev/null
expect_ok "$PKI" write -field=certificate always/root/generate/kms managed_key_name=always common_name="Always Root"; save "$WORK/always.pem"
if openssl verify -x509_strict -check_ss_sig -CAfile "$WORK/always.pem" "$WORK/always.pem" >/dev/null 2>&1; then ok; else fail "the always-authenticate root does not verify"; fi

section "cross-signing the token intermediate's key by a software root"
"$PKI" secrets enable -path=other pki >/dev/null
expect_ok "$PKI" write -field=certificate other/root/generate/internal common_name="Software Root" key_type=ec ttl=8760h; save "$WORK/other.pem"
expect_ok "$PKI" write -field=csr pki_int/intermediate/cross-sign common_name="Token Int" key_ref=default; save "$WORK/cross.csr"
expect_eq "$(pubkey_of_csr "$WORK/cross.csr")" "$(pubkey_of_csr "$WORK/int.csr")" "cross-sign CSR has the token key"
expect_ok "$PKI" write -field=certificate other/root/sign-intermediate csr=@"$WORK/cross.csr" ttl=2000h; save "$WORK/cross.pem"
verify_all "$WORK/other.pem" "$WORK/leaf.pem" "$WORK/cross.pem"

section "revocation: CRLs, delta CRLs and OCSP signed on the token"
expect_ok "$PKI" write pki_int/config/crl auto_rebuild=true enable_delta=true
expect_ok "$PKI" write pki_int/revoke serial_number="$LEAF_SERIAL"
expect_ok "$PKI" write pki_int/crl/rotate
expect_ok "$PKI" read -field=certificate pki_int/cert/crl; save "$WORK/crl.pem"
if openssl crl -in "$WORK/crl.pem" -CAfile "$WORK/int.pem" -noout 2>&1 | grep -q "verify OK"; then ok; else fail "the CRL does not verify with the intermediate"; fi
crl_has "$WORK/crl.pem" "$LEAF_SERIAL" "token-signed CRL"
expect_ok "$PKI" write -format=json pki_int/issue/web common_name=two.example.com; save "$WORK/leaf2.json"
jf "$WORK/leaf2.json" certificate > "$WORK/leaf2.pem"
expect_ok "$PKI" write pki_int/revoke serial_number="$(jf "$WORK/leaf2.json" serial_number)"
expect_ok "$PKI" write pki_int/crl/rotate-delta
expect_ok "$PKI" read -field=certificate pki_int/cert/delta-crl; save "$WORK/delta.pem"
if openssl crl -in "$WORK/delta.pem" -CAfile "$WORK/int.pem" -noout 2>&1 | grep -q "verify OK"; then ok; else fail "the delta CRL does not verify"; fi
crl_has "$WORK/delta.pem" "$(jf "$WORK/leaf2.json" serial_number)" "token-signed delta CRL"
cat "$WORK/int.pem" "$WORK/root.pem" > "$WORK/chain.pem"
openssl verify -crl_check -CRLfile "$WORK/crl.pem" -CAfile "$WORK/root.pem" -untrusted "$WORK/int.pem" "$WORK/leaf.pem" > "$WORK/crlv.out" 2>&1 || true
if grep -q "certificate revoked" "$WORK/crlv.out"; then ok; else fail "openssl verify -crl_check does not see the leaf revoked: $(cat "$WORK/crlv.out")"; fi
openssl ocsp -issuer "$WORK/int.pem" -cert "$WORK/leaf.pem" -no_nonce -reqout "$WORK/req.der" >/dev/null 2>&1
expect_ok "$PKI" ocsp -m pki_int --request "$WORK/req.der" -o "$WORK/resp.der"
openssl ocsp -respin "$WORK/resp.der" -CAfile "$WORK/chain.pem" -issuer "$WORK/int.pem" -cert "$WORK/leaf.pem" > "$WORK/ocsp.out" 2>&1 || true
if grep -q "Response verify OK" "$WORK/ocsp.out" && grep -q ": revoked" "$WORK/ocsp.out"; then ok; else fail "OCSP answer: $(cat "$WORK/ocsp.out")"; fi

section "refusals: one line, exit 1, state unchanged"
mk() { "$PKI" write sys/managed-keys/pkcs11/probe "$@" >/dev/null; }
probe() { expect_refused 1 "$PKI" write pki/keys/generate/kms managed_key_name=probe; expect_err_contains "$1"; }
mk library=/nonexistent/module.so token_label=ca-token pin="$PIN" key_label=nokey mechanism=0x1041 any_mount=true
probe "PKCS#11 module /nonexistent/module.so is not a file"
mk library=/usr/lib/x86_64-linux-gnu/libc.so.6
probe "is not a PKCS#11 module"
mk library="$WORK"
probe "PKCS#11 module $WORK is not a file"
printf 'not an ELF file' > "$WORK/fake.so"
mk library="$WORK/fake.so"
probe "PKCS#11 module $WORK/fake.so cannot be loaded"
expect_refused 1 "$PKI" write sys/managed-keys/pkcs11/probe library=relative/module.so
expect_err_contains "needs library: the absolute path"
mk library="$LIB" slot=4242
probe "module $LIB has no slot 4242"
mk token_label=no-such-token
probe "has no token labelled \"no-such-token\""
mk token_label=ca-token pin=000000
probe "CKR_PIN_INCORRECT"
if grep -q "000000" "$WORK/err"; then fail "the wrong PIN is in the message"; else ok; fi
mk pin="$PIN"
probe "key \"nokey\" on module $LIB"
expect_err_contains "does not exist; create it on the token (pkcs11-tool --keypairgen) or set allow_generate_key=true"
mk key_label=int-key
probe "is an RSA key but the managed key's mechanism is 0x1041"
mk key_label=root-key mechanism=0x0001
probe "is an EC key but the managed key's mechanism is 0x0001"
mk mechanism=0x1041 pin="" pin_env=PKI_TEST_NO_SUCH_PIN
probe "takes its PIN from \$PKI_TEST_NO_SUCH_PIN, which is not set"
mk pin_file="$WORK/no-such-pin-file"
probe "the PIN file $WORK/no-such-pin-file of managed key \"probe\" cannot be read"
mk any_mount=false pin="$PIN"
probe "managed key \"probe\" is not allowed in mount pki"
mk any_mount=true usages=verify
probe "does not have the sign usage"
mk usages=sign,verify
# The PIN from a file or the environment: the state then holds no PIN at all.
echo "$PIN" > "$WORK/pin"
expect_ok "$PKI" write sys/managed-keys/pkcs11/probe pin_file="$WORK/pin"
expect_ok "$PKI" write sys/managed-keys/pkcs11/probe/test/sign
expect_ok "$PKI" write sys/managed-keys/pkcs11/probe pin_env=PKI_TEST_PIN
PKI_TEST_PIN=$PIN expect_ok "$PKI" write sys/managed-keys/pkcs11/probe/test/sign
expect_ok "$PKI" read -format=json sys/managed-keys/pkcs11/probe; save "$WORK/probe.json"
expect_eq "$(jx "$WORK/probe.json" "(d['pin_set'], d['pin_file'], d['pin_env'])")" "(False, '', 'PKI_TEST_PIN')" "pin_env replaced pin_file"
# type kms with what the managed key decides, or without saying which managed key.
expect_refused 1 "$PKI" write pki/root/generate/kms managed_key_name=root-hsm common_name=X key_type=rsa
expect_err_contains "key_type cannot be given with type kms"
expect_refused 1 "$PKI" write pki/root/generate/kms managed_key_name=root-hsm common_name=X key_bits=4096
expect_err_contains "key_bits cannot be given with type kms"
expect_refused 1 "$PKI" write pki/keys/generate/kms managed_key_name=root-hsm key_type=ec
expect_err_contains "key_type cannot be given with type kms"
expect_refused 1 "$PKI" write pki/root/generate/kms common_name=X
expect_err_contains "type kms needs managed_key_name or managed_key_id"
expect_refused 1 "$PKI" write pki/root/generate/kms common_name=X managed_key_name=root-hsm managed_key_id="$ROOT_MK_ID"
expect_err_contains "give one of managed_key_name and managed_key_id"
expect_refused 1 "$PKI" write pki/intermediate/generate/kms common_name=X managed_key_name=nothing-here
expect_err_contains "no managed key named \"nothing-here\""
expect_refused 1 "$PKI" write pki/keys/generate/kms managed_key_id=00000000-0000-0000-0000-000000000000
expect_err_contains "no managed key with id \"00000000-0000-0000-0000-000000000000\""
# Managed keys that cannot work are refused when written.
w() { expect_refused 1 "$PKI" write sys/managed-keys/pkcs11/"$@"; }
w new-one token_label=ca-token pin=1 key_label=k mechanism=0x0001
expect_err_contains "needs library"
w new-one library="$LIB" pin=1 key_label=k mechanism=0x0001
expect_err_contains "needs exactly one of slot and token_label"
w new-one library="$LIB" slot=1 token_label=ca-token pin=1 key_label=k mechanism=0x0001
expect_err_contains "needs exactly one of slot and token_label"
w new-one library="$LIB" slot=one pin=1 key_label=k mechanism=0x0001
expect_err_contains "slot \"one\" is not a slot number"
w new-one library="$LIB" slot=1 key_label=k mechanism=0x0001
expect_err_contains "needs exactly one of pin, pin_file"
w new-one library="$LIB" slot=1 pin=1 pin_env=X key_label=k mechanism=0x0001
expect_err_contains "needs exactly one of pin, pin_file"
w new-one library="$LIB" slot=1 pin=1 mechanism=0x0001
expect_err_contains "needs key_label"
w new-one library="$LIB" slot=1 pin=1 key_label=k
expect_err_contains "needs mechanism"
w new-one library="$LIB" slot=1 pin=1 key_label=k mechanism=0x000d
expect_err_contains "RSA-PSS is not used for CA keys here"
w new-one library="$LIB" slot=1 pin=1 key_label=k mechanism=0x1234
expect_err_contains "mechanism \"0x1234\" is not supported"
w new-one library="$LIB" slot=1 pin=1 key_label=k mechanism=0x0001 key_bits=1024
expect_err_contains "key_bits 1024 is out of range for an RSA managed key"
w new-one library="$LIB" slot=1 pin=1 key_label=k mechanism=0x1041 curve=P-224
expect_err_contains "curve \"P-224\" is not supported"
w new-one library="$LIB" slot=1 pin=1 key_label=k mechanism=0x1041 usages=sign,fly
expect_err_contains "usage \"fly\" is unknown"
w new-one library="$LIB" slot=1 pin=1 key_id=0xzz mechanism=0x1041
expect_err_contains "key_id \"0xzz\" starts with 0x but is not an even number of hex digits"
w New-One library="$LIB" slot=1 pin=1 key_label=k mechanism=0x1041
expect_err_contains "managed key name \"New-One\" is not allowed"
expect_refused 1 "$PKI" write sys/managed-keys/awskms/k region=x
expect_err_contains "managed keys of type awskms are not available in pki"
expect_refused 1 "$PKI" read sys/managed-keys/pkcs11/nothing-here
expect_err_contains "no managed key \"nothing-here\" of type pkcs11"
# In use: the managed key stays until its mount keys go.
expect_refused 1 "$PKI" delete sys/managed-keys/pkcs11/root-hsm
expect_err_contains "managed key \"root-hsm\" is used by "
expect_err_contains "pki/key/$ROOT_KEY"

section "a token that is gone"
mv "$WORK/tokens" "$WORK/tokens.away"
expect_refused 1 "$PKI" write pki_int/issue/web common_name=gone.example.com
expect_err_contains "$LIB"
expect_refused 1 "$PKI" write pki_int/crl/rotate
mv "$WORK/tokens.away" "$WORK/tokens"
expect_ok "$PKI" write pki_int/issue/web common_name=back.example.com
# A key deleted from the token is not silently made again, even where generation is allowed.
p11 --delete-object --type privkey --label root-key >/dev/null
expect_refused 1 "$PKI" write -field=certificate pki/sign-verbatim csr=@"$WORK/leaf.csr" ttl=24h
expect_err_contains "is gone from the token"
p11 --list-objects --type privkey > "$WORK/objs2"
if grep -q "label: *root-key" "$WORK/objs2"; then fail "a deleted token key was generated again"; else ok; fi

section "test/sign generates a missing key where allowed"
expect_ok "$PKI" write sys/managed-keys/pkcs11/spare library="$LIB" token_label=ca-token pin="$PIN" key_label=spare-key \
  mechanism=0x0001 key_bits=2048 allow_generate_key=true
expect_ok "$PKI" write -format=json sys/managed-keys/pkcs11/spare/test/sign; save "$WORK/spare.json"
expect_err_contains "a new key was generated on the token of managed key \"spare\""
expect_eq "$(jf "$WORK/spare.json" key_type)/$(jf "$WORK/spare.json" key_bits)" "rsa/2048" "spare key"
expect_ok "$PKI" write sys/managed-keys/pkcs11/spare/test/sign
if grep -q generated "$WORK/err"; then fail "the second test generated again"; else ok; fi
# A mount that may use a managed key keeps it, as Vault.
expect_ok "$PKI" write sys/mounts/other/tune allowed_managed_keys=spare
expect_refused 1 "$PKI" delete sys/managed-keys/pkcs11/spare
expect_err_contains "is in the allowed_managed_keys of mount(s) other"
expect_ok "$PKI" write sys/mounts/other/tune allowed_managed_keys=
expect_ok "$PKI" delete sys/managed-keys/pkcs11/spare
# A PIN file must be a small regular file.
expect_ok "$PKI" write sys/managed-keys/pkcs11/probe pin_env= pin_file=/dev/zero
expect_refused 1 "$PKI" write sys/managed-keys/pkcs11/probe/test/sign
expect_err_contains "is not a regular file of at most 256 bytes"
expect_refused 1 "$PKI" write sys/managed-keys/pkcs11/probe pin_file=relative/pin
expect_err_contains "is not an absolute path"

section "delete"
expect_ok "$PKI" delete sys/managed-keys/pkcs11/probe
expect_ok "$PKI" managed-key list pkcs11
if grep -q probe "$WORK/out"; then fail "probe still listed"; else ok; fi
expect_ok "$PKI" delete sys/managed-keys/pkcs11/probe
expect_err_contains "there is no managed key \"probe\""

finish
