#!/usr/bin/env bash
# A state directory on a read-only file system (an offline root's state on write-protected
# media) is read without LMDB's lock file; every change is refused with exit 3 and a message that
# says why, and the state is left as it was. Needs root to mount a tmpfs (CI runs as root); the
# test fails, naming the reason, where it cannot.
source "$(dirname "$0")/lib.sh"

mnt="$WORK/media"
mkdir -p "$mnt"
if ! out=$(mount -t tmpfs -o size=64m tmpfs "$mnt" 2>&1); then
  fail "cannot mount a tmpfs for the read-only state (this test needs root): $out"
  finish; exit 1
fi
at_exit "umount '$mnt'"
export PKI_STATE_DIR="$mnt/state"

section "a state directory written, then its file system made read-only"
expect_ok "$PKI" secrets enable -max-lease-ttl=87600h pki
expect_ok "$PKI" write -field=certificate pki/root/generate/internal common_name="Offline Root" key_type=ec ttl=8760h
save root.pem
expect_ok "$PKI" role write web --allowed-domains example.com --allow-subdomains --key-type ec
expect_ok "$PKI" issue web --common-name a.example.com --field serial_number
serial=$(cat "$WORK/out")
expect_ok mount -o remount,ro "$mnt"
before=$(md5sum "$PKI_STATE_DIR/data.mdb")

section "reads work"
expect_ok "$PKI" role read web -format=json
expect_eq "$(jx "$WORK/out" 'd["allowed_domains"]')" "['example.com']" "the role reads"
expect_ok "$PKI" read -field=certificate pki/cert/ca
expect_eq "$(cat "$WORK/out")" "$(cat root.pem)" "the CA certificate reads"
expect_ok "$PKI" list -format=json pki/certs
has "$(cat "$WORK/out")" "$serial" "the issued certificate is listed"
expect_ok "$PKI" cert list -format=json
expect_ok "$PKI" read -format=pem pki/crl

section "changes are refused, naming the reason"
expect_exit 3 "$PKI" issue web --common-name b.example.com
expect_err_contains "read-only file system"
expect_exit 3 "$PKI" role write db --allowed-domains db.example.com
expect_err_contains "read-only file system"
expect_exit 3 "$PKI" revoke --serial-number "$serial"
expect_eq "$(md5sum "$PKI_STATE_DIR/data.mdb")" "$before" "the state is as it was"
expect_eq "$(ls -A "$PKI_STATE_DIR" | sort | tr '\n' ' ')" "data.mdb lock.mdb " "no file was added"

finish
