#!/usr/bin/env bash
# Bash completion on words bash splits at COMP_WORDBREAKS: --opt=value and serial numbers (':').
# The generated bash function is driven for real, the way readline calls it: COMP_LINE and
# COMP_POINT, with COMP_WORDS split the way bash splits them (at '=' and ':'). What it puts in
# COMPREPLY replaces only the text after the last '=' or ':' of the current word.
source "$(dirname "$0")/lib.sh"

"$PKI" secrets enable -max-lease-ttl=87600h pki >/dev/null
"$PKI" secrets enable -path=pki_int pki >/dev/null
"$PKI" role write web --allow-any-name >/dev/null
"$PKI" role write -m pki_int int-a --allow-any-name >/dev/null
"$PKI" role write -m pki_int int-b --allow-any-name >/dev/null
"$PKI" write pki/root/generate/internal common_name="Completion Root" ttl=8760h >/dev/null
"$PKI" issue web --common-name a.example.com --ttl 1h --field certificate > a.pem
SERIAL=$(serial_of a.pem)

"$PKI" completion bash > pki.bash
# complete LINE: what the bash function offers with the cursor at the end of LINE, one a line, sorted.
complete() {
  PATH="$(dirname "$PKI"):$PATH" bash -c '
    source "$1"
    COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
    # COMP_WORDS as bash makes them: split at blanks and at the = and : of COMP_WORDBREAKS.
    read -ra COMP_WORDS <<<"$(sed "s/[=:]/ & /g" <<<"$COMP_LINE")"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _pki_complete
    printf "%s\n" "${COMPREPLY[@]}"' _ "$WORK/pki.bash" "$1" | sort | tr '\n' ' '
}

# --format=<TAB>, -format=<TAB>, --format=j<TAB>: the formats, without the "--format=" bash keeps.
expect_eq "$(complete 'pki --format=')" "der json pem table yaml " "pki --format=<TAB>"
expect_eq "$(complete 'pki read -format=')" "der json pem table yaml " "pki read -format=<TAB>"
expect_eq "$(complete 'pki --format=j')" "json " "pki --format=j<TAB>"
expect_eq "$(complete 'pki --format=json ')" "$(complete 'pki ')" "pki --format=json <TAB>: the commands"

# --mount=pki_int: the option has its value; the roles offered are pki_int's.
expect_eq "$(complete 'pki issue --mount=pki_int ')" "int-a int-b " "pki issue --mount=pki_int <TAB>"
expect_eq "$(complete 'pki issue -mount=pki_int int-')" "int-a int-b " "pki issue -mount=pki_int int-<TAB>"
expect_eq "$(complete 'pki issue -m pki_int ')" "int-a int-b " "pki issue -m pki_int <TAB>"
expect_eq "$(complete 'pki issue --mount pki_int ')" "int-a int-b " "pki issue --mount pki_int <TAB>"
expect_eq "$(complete 'pki issue ')" "web " "pki issue <TAB>: the default mount"
expect_eq "$(complete 'pki issue --mount=pki')" "pki pki_int " "pki issue --mount=pki<TAB>: the mounts"

# A field's fixed values after --opt=.
expect_eq "$(complete 'pki role write x --key-type=')" "any ec ed25519 rsa " "pki role write x --key-type=<TAB>"
expect_eq "$(complete 'pki role write x --key-type=e')" "ec ed25519 " "pki role write x --key-type=e<TAB>"
expect_eq "$(complete 'pki role write x --key-type ')" "any ec ed25519 rsa " "pki role write x --key-type <TAB>"
expect_eq "$(complete 'pki role write x --allow-any-name=')" "false true " "a bool flag's values after ="
expect_eq "$(complete 'pki role write x --key-type=ec --key-')" "--key-bits --key-type --key-usage " "the next flag after --key-type=ec"

# Serial numbers: bash replaces only what follows the last ':', so that is what is offered.
FIRST2=${SERIAL:0:2}
AFTER2=${SERIAL:3}
FIRST5=${SERIAL:0:5}
AFTER5=${SERIAL:6}
expect_eq "$(complete "pki cert read $FIRST2")" "$SERIAL " "pki cert read XX<TAB>: no ':' yet, the whole serial"
expect_eq "$(complete "pki cert read $FIRST2:")" "$AFTER2 " "pki cert read XX:<TAB>"
expect_eq "$(complete "pki cert read $FIRST5")" "$AFTER2 " "pki cert read XX:Y<TAB>: the prefix is not repeated"
expect_eq "$(complete "pki revoke --serial-number $FIRST5")" "$AFTER2 " "pki revoke --serial-number XX:Y<TAB>"
expect_eq "$(complete "pki revoke --serial-number=$FIRST2")" "$SERIAL " "pki revoke --serial-number=XX<TAB>"
expect_eq "$(complete "pki revoke --serial-number=${SERIAL:0:8}")" "$AFTER5 " "pki revoke --serial-number=XX:YY:Z<TAB>"

# What bash would make of each candidate: the line with the replaced word is the whole serial.
line="pki cert read $FIRST5"
got=$(complete "$line" | tr -d ' ')
expect_eq "${line%"${line##*:}"}$got" "pki cert read $SERIAL" "the completed line"

# zsh and fish pass whole words: pki __complete answers --opt=partial with whole --opt=value words,
# and an empty current word is a word.
expect_ok "$PKI" __complete --format=y
expect_eq "$(cat "$WORK/out")" "--format=yaml" "__complete --format=y"
expect_ok "$PKI" __complete issue --mount=pki_int ''
expect_eq "$(sort "$WORK/out" | tr '\n' ' ')" "int-a int-b " "__complete issue --mount=pki_int ''"
expect_ok "$PKI" __complete revoke "--serial-number=$FIRST5"
expect_eq "$(cat "$WORK/out")" "--serial-number=$SERIAL" "__complete revoke --serial-number=XX:Y"
"$PKI" completion zsh > _pki
if grep -qF '"${(@)words[2,CURRENT]}"' _pki; then ok; else fail "zsh glue drops an empty current word"; fi
"$PKI" completion fish > pki.fish
if grep -qF '"$cur"' pki.fish; then ok; else fail "fish glue drops an empty current word"; fi

finish
