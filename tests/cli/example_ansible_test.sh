#!/usr/bin/env bash
# examples/ansible: the playbook applies pki.yaml and issues a host certificate; a second run
# reports changed=0; an edit of pki.yaml changes exactly one task; a forced renewal re-issues.
source "$(dirname "$0")/lib.sh"
: "${PKI_SOURCE_DIR:?set PKI_SOURCE_DIR to the source tree}"
cp -r "$PKI_SOURCE_DIR/examples/ansible" "$WORK/ex"
cd "$WORK/ex"
export PKI CERT_DIR="$WORK/ex/certs"

# pki.yaml itself: apply is idempotent, with or without Ansible.
expect_ok "$PKI" apply -f pki.yaml --dry-run
expect_out_contains "would create intermediate CA in pki_int, signed by pki"
expect_eq "$(state_dump)" "none" "dry run on a fresh directory wrote nothing"
expect_ok "$PKI" apply -f pki.yaml
expect_ok "$PKI" apply -f pki.yaml
expect_out_contains "No changes"
rm -rf "$PKI_STATE_DIR"

if ! command -v ansible-playbook >/dev/null; then
  echo "ansible-playbook not found; installing ansible-core" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible-core ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible-core; }; } >"$WORK/apt.log" 2>&1 || true
fi
if ! command -v ansible-playbook >/dev/null; then
  echo "SKIPPED the playbook part: ansible-playbook is not installed and could not be installed: $(tail -2 "$WORK/apt.log")" >&2
  finish; exit $?
fi

export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp" ANSIBLE_REMOTE_TEMP="$WORK/ansible-tmp" \
       ANSIBLE_HOME="$WORK/ansible-home" ANSIBLE_RETRY_FILES_ENABLED=0
play() { ./run.sh "$@" >"$WORK/out" 2>"$WORK/err"; }
recap() { grep -E '^localhost +:' "$WORK/out" | grep -oE "$1=[0-9]+" | cut -d= -f2; }
CERT=certs/web1.example.com.pem

# 1. First run: the CA is created and the certificate issued.
if play; then ok; else fail "first ansible-playbook run failed: $(tail -25 "$WORK/out") $(tail -5 "$WORK/err")"; fi
expect_eq "$(recap failed)" "0" "failed tasks on the first run"
if [ "$(recap changed)" -gt 0 ]; then ok; else fail "first run changed nothing"; fi
expect_out_contains "create intermediate CA in pki_int, signed by pki"
if [ -s "$CERT" ] && [ -s certs/web1.example.com.key ]; then ok; else fail "no certificate or key written"; fi
expect_ok openssl verify -CAfile certs/root.pem -untrusted certs/web1.example.com-chain.pem "$CERT"
expect_eq "$(stat -c %a certs/web1.example.com.key)" "600" "key file mode"
expect_eq "$(openssl x509 -in "$CERT" -noout -subject -nameopt RFC2253)" "subject=CN=web1.example.com,O=Example Inc." "subject (role web sets O)"
if [ "$(openssl x509 -in "$CERT" -noout -pubkey)" = "$(openssl pkey -in certs/web1.example.com.key -pubout)" ]; then ok; else fail "key does not match the certificate"; fi
expect_eq "$("$PKI" read pki_int/roles/web -field=max_ttl)" "7776000" "role web from pki.yaml"
if [ "$(openssl x509 -in certs/root.pem -noout -subject -nameopt RFC2253 2>/dev/null)" = "subject=CN=Example Root CA" ]; then ok; else fail "root.pem is not the root of pki.yaml"; fi

# 2. Second run: changed=0, nothing issued, files untouched.
before=$(stat -c '%n %Y.%y' certs/*); n=$("$PKI" cert list -m pki_int -format=json | jq '.data.certificates | length')
sleep 1
if play; then ok; else fail "second run failed: $(tail -25 "$WORK/out")"; fi
expect_eq "$(recap changed)" "0" "changed on the second run"
expect_eq "$(recap failed)" "0" "failed on the second run"
expect_eq "$(stat -c '%n %Y.%y' certs/*)" "$before" "certificate files after the second run"
expect_eq "$("$PKI" cert list -m pki_int -format=json | jq '.data.certificates | length')" "$n" "certificates issued by the second run"

# 3. A changed role in pki.yaml: exactly one change (the apply task), which updates the role.
sed -i 's/max_ttl: 2160h/max_ttl: 1440h/' pki.yaml
if play; then ok; else fail "run after editing pki.yaml failed: $(tail -25 "$WORK/out")"; fi
expect_eq "$(recap changed)" "1" "changed after editing one role field"
expect_out_contains "update role web in pki_int (max_ttl)"
expect_eq "$("$PKI" read pki_int/roles/web -field=max_ttl)" "5184000" "role web max_ttl after the edit"
if play; then ok; else fail "run after the edit failed"; fi
expect_eq "$(recap changed)" "0" "changed on the run after the edit"

# 4. A certificate expiring within the threshold is re-issued; then it is current again.
old_serial=$(openssl x509 -in "$CERT" -noout -serial)
if play -e threshold=$((60 * 86400)); then ok; else fail "run with a large threshold failed: $(tail -25 "$WORK/out")"; fi
if [ "$(recap changed)" -ge 3 ]; then ok; else fail "expiring certificate not re-issued (changed=$(recap changed))"; fi
if [ "$(openssl x509 -in "$CERT" -noout -serial)" != "$old_serial" ]; then ok; else fail "same certificate after renewal"; fi
expect_ok openssl verify -CAfile certs/root.pem -untrusted certs/web1.example.com-chain.pem "$CERT"
if play; then ok; else fail "run after renewal failed"; fi
expect_eq "$(recap changed)" "0" "changed after renewal"

# 5. A missing key means a new certificate too.
rm certs/web1.example.com.key
if play; then ok; else fail "run without the key failed"; fi
if [ -s certs/web1.example.com.key ] && [ "$(openssl x509 -in "$CERT" -noout -pubkey)" = "$(openssl pkey -in certs/web1.example.com.key -pubout)" ]; then ok; else fail "key not restored with a matching certificate"; fi
if [ ! -e "$PKI_SOURCE_DIR/examples/ansible/certs" ] && [ ! -e "$PKI_SOURCE_DIR/examples/ansible/state" ]; then ok; else fail "files written into the source tree"; fi
finish
