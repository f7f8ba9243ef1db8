#!/usr/bin/env bash
# Manual pages and completions are generated from the command tree and the operation table;
# the committed copies must be exactly what the binary generates, and must render cleanly.
source "$(dirname "$0")/lib.sh"
SRC=${PKI_SOURCE_DIR:?}

mkdir -p "$WORK/man"
expect_ok "$PKI" man --write "$WORK/man"
for page in "$WORK"/man/*.1; do
  name=$(basename "$page")
  if [ -f "$SRC/man/$name" ] && cmp -s "$page" "$SRC/man/$name"; then ok; else
    fail "man/$name is not what 'pki man --write' generates; regenerate with: build/pki man --write man"; fi
  warnings=$(groff -man -ww -z "$SRC/man/$name" 2>&1)
  expect_eq "$warnings" "" "groff -man -ww -z man/$name prints nothing"
done
for page in "$SRC"/man/*.1; do
  [ -f "$WORK/man/$(basename "$page")" ] && ok || fail "man/$(basename "$page") is not generated any more"
done
# Every top-level command has a page or is covered by pki(1).
expect_ok "$PKI" man pki
expect_out_contains "EXIT STATUS"
expect_out_contains "PKI_STATE_DIR"
expect_exit 1 "$PKI" man no-such-page

for shell in bash zsh fish; do
  file=$SRC/completions/$( [ $shell = bash ] && echo pki.bash || ([ $shell = zsh ] && echo _pki || echo pki.fish))
  "$PKI" completion $shell > "$WORK/c"
  if cmp -s "$WORK/c" "$file"; then ok; else fail "$file differs from 'pki completion $shell'"; fi
done

# bash: pki ro<TAB> offers role; pki issue <TAB> offers the roles of the state directory.
"$PKI" secrets enable pki >/dev/null
"$PKI" role write web --allow-any-name >/dev/null
"$PKI" role write db --allow-any-name >/dev/null
complete_bash() {
  PATH="$(dirname "$PKI"):$PATH" bash -c 'source "$1"; shift; COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _pki_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/completions/pki.bash" "$@"
}
got=$(complete_bash pki ro | sort | tr '\n' ' ')
expect_eq "$got" "role root " "pki ro<TAB>"
got=$(complete_bash pki issue '' | sort | tr '\n' ' ')
expect_eq "$got" "db web " "pki issue <TAB>"
got=$(complete_bash pki key generate internal --key-type '' | sort | tr '\n' ' ')
expect_eq "$got" "ec ed25519 rsa " "pki key generate internal --key-type <TAB>"
got=$(complete_bash pki read -format '' | sort | tr '\n' ' ')
expect_eq "$got" "der json pem table yaml " "pki read -format <TAB>"
got=$(complete_bash pki mount read '' | tr '\n' ' ')
expect_eq "$got" "pki " "pki mount read <TAB>"
got=$(complete_bash pki issuer patch default --usage '' | sort | tr '\n' ' ')
expect_eq "$got" "crl-signing issuing-certificates ocsp-signing read-only " "pki issuer patch REF --usage <TAB>"
finish
