#!/usr/bin/env bash
# Foundation end to end: help on every command, version, mounts (secrets enable/tune/list/disable
# and their ergonomic twins), Vault flag spellings, output formats and the JSON envelope, the
# state directory (precedence, permissions, errors) and what disabling a mount leaves behind.
source "$(dirname "$0")/lib.sh"

# The system python starts in a few ms; a pyenv shim takes ~100 ms.
PY=python3
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi
# json EXPR: evaluate a Python expression over the JSON document on stdin, bound to `d`; prints it.
json() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The keys of an LMDB state directory, one a line.
state_keys() {
  mdb_dump -p "$1" | awk '/^HEADER=END/{d=1;n=0;next} /^DATA=END/{d=0} d{ if (n%2==0) print substr($0,2); n++ }'
}
mode_of() { stat -c %a "$1"; }

# ---- help on every command -------------------------------------------------------------------
# Walk the tree from `pki --help`: every name listed in a "...commands:" section is a subcommand.
HELP_VISITED=0
HELP_SEEN=""
help_walk() {
  local out
  if ! out=$("$PKI" "$@" --help 2>"$WORK/help-err"); then
    fail "help exits non-zero: pki $* --help :: $(head -c 300 "$WORK/help-err")"
    return
  fi
  ok
  HELP_VISITED=$((HELP_VISITED + 1))
  HELP_SEEN="$HELP_SEEN|$*"
  if [ -s "$WORK/help-err" ]; then fail "help wrote to stderr: pki $* --help"; fi
  if ! grep -q '^Usage: pki' <<<"$out"; then fail "no usage line in: pki $* --help"; fi
  # name<TAB>description for each subcommand listed.
  local listing
  listing=$(awk '/^[A-Za-z][A-Za-z -]*:$/ && /[Cc]ommands:$/ {s=1; next}
                 /^[^ ]/ {s=0}
                 s && /^  [a-z][a-z0-9-]*( |$)/ {name=$1; $1=""; sub(/^ +/, ""); print name "\t" $0}' <<<"$out")
  local name desc
  while IFS=$'\t' read -r name desc; do
    [ -n "$name" ] || continue
    if [ -z "$desc" ]; then fail "command 'pki $* $name' has no description in 'pki $* --help'"; fi
    help_walk "$@" "$name"
  done <<<"$listing"
}
help_walk
expect_ok test "$HELP_VISITED" -ge 20
for cmd in "secrets enable" "secrets tune" "secrets list" "secrets disable" "read" "write" "list" "delete" "patch" \
  "mount create" "mount list" "mount tune" "key generate" "key import" "key list" "key read" "key update" "key delete" \
  "config keys read" "config keys write"; do
  case "$HELP_SEEN|" in *"|$cmd|"*) ok ;; *) fail "help walk did not reach: pki $cmd" ;; esac
done
# -h too, and help for a command whose arguments are missing.
expect_ok "$PKI" -h
expect_ok "$PKI" key generate -h
expect_out_contains "--key-type"
expect_out_contains "--key-bits"
expect_out_contains "--key-name"
expect_out_contains "-m,--mount"

# ---- version and usage -------------------------------------------------------------------------
expect_ok "$PKI" --version
if grep -Eq '^pki [0-9]+\.[0-9]+\.[0-9]+' "$WORK/out"; then ok; else fail "version: $(cat "$WORK/out")"; fi
expect_exit 2 "$PKI"
expect_exit 2 "$PKI" frobnicate
expect_exit 2 "$PKI" secrets
expect_exit 2 "$PKI" secrets enable

# ---- reads on a state directory that does not exist create nothing -----------------------------
expect_exit 1 "$PKI" read pki/config/keys
expect_err_contains "secrets enable"
expect_ok "$PKI" secrets list
expect_ok "$PKI" list sys/mounts
if [ -e "$PKI_STATE_DIR" ]; then fail "a read created the state directory"; else ok; fi

# ---- secrets enable / tune / list / disable ----------------------------------------------------
expect_ok "$PKI" secrets enable pki
expect_out_contains "Success! Enabled the pki secrets engine at: pki/"
expect_ok "$PKI" read -format=json sys/mounts/pki
expect_eq "$(json 'd["data"]["type"]' <"$WORK/out")" "pki" "mount type"
expect_eq "$(json 'd["data"]["config"]["default_lease_ttl"]' <"$WORK/out")" "2764800" "default lease ttl is 768h"
expect_eq "$(json 'd["data"]["config"]["max_lease_ttl"]' <"$WORK/out")" "2764800" "max lease ttl is 768h"
expect_eq "$(json 'd["data"]["description"]' <"$WORK/out")" "" "no description"
expect_eq "$(json 'bool(d["data"]["accessor"])' <"$WORK/out")" "True" "an accessor"
expect_ok "$PKI" read -format=json sys/mounts/pki/tune
expect_eq "$(json 'd["data"]["default_lease_ttl"], d["data"]["max_lease_ttl"]' <"$WORK/out")" "2764800 2764800" "tune read"

# Vault's single-dash spellings and the two-dash ones.
expect_ok "$PKI" secrets enable -path=pki_int -description="Intermediate CA" -max-lease-ttl=43800h pki
expect_out_contains "Success! Enabled the pki secrets engine at: pki_int/"
expect_ok "$PKI" read -format=json sys/mounts/pki_int
expect_eq "$(json 'd["data"]["description"]' <"$WORK/out")" "Intermediate CA" "description"
expect_eq "$(json 'd["data"]["config"]["max_lease_ttl"]' <"$WORK/out")" "157680000" "max lease ttl 43800h"
expect_eq "$(json 'd["data"]["config"]["default_lease_ttl"]' <"$WORK/out")" "2764800" "default lease ttl unchanged"
expect_ok "$PKI" secrets enable --path pki2 --default-lease-ttl 1h --description two pki
expect_ok "$PKI" --format json read sys/mounts/pki2
expect_eq "$(json 'd["data"]["config"]["default_lease_ttl"], d["data"]["description"]' <"$WORK/out")" "3600 two" "two-dash flags"
expect_ok "$PKI" secrets enable -path=trailing/ pki
expect_out_contains "at: trailing/"

expect_ok "$PKI" secrets tune -default-lease-ttl=1h -max-lease-ttl=8760h pki_int
expect_out_contains "Success! Tuned the secrets engine at: pki_int/"
expect_ok "$PKI" read -format=json sys/mounts/pki_int
expect_eq "$(json 'd["data"]["config"]["default_lease_ttl"], d["data"]["config"]["max_lease_ttl"]' <"$WORK/out")" "3600 31536000" "tuned ttls"
expect_eq "$(json 'd["data"]["description"]' <"$WORK/out")" "Intermediate CA" "tune keeps the description"
expect_ok "$PKI" secrets tune -max-lease-ttl=9000h pki_int
expect_ok "$PKI" read -field=default_lease_ttl sys/mounts/pki_int/tune
expect_eq "$(cat "$WORK/out")" "3600" "tuning one ttl leaves the other"

expect_ok "$PKI" secrets list
for m in pki/ pki_int/ pki2/ trailing/; do
  if grep -q "^$m " "$WORK/out"; then ok; else fail "secrets list lacks $m: $(cat "$WORK/out")"; fi
done
expect_out_contains "Intermediate CA"
expect_out_contains "768h"
expect_ok "$PKI" secrets list -format=json
expect_eq "$(json 'sorted(d["data"].keys())' <"$WORK/out")" "['pki/', 'pki2/', 'pki_int/', 'trailing/']" "secrets list json"
expect_eq "$(json 'd["data"]["pki_int/"]["config"]["max_lease_ttl"]' <"$WORK/out")" "32400000" "list shows tuned ttl"
expect_ok "$PKI" list -format=json sys/mounts
expect_eq "$(json 'sorted(d["data"]["keys"])' <"$WORK/out")" "['pki/', 'pki2/', 'pki_int/', 'trailing/']" "list sys/mounts"
expect_ok "$PKI" mount list -field=keys
expect_eq "$(sort "$WORK/out" | tr '\n' ' ')" "pki/ pki2/ pki_int/ trailing/ " "mount list -field=keys"

expect_ok "$PKI" secrets disable trailing/
expect_out_contains "Success! Disabled the secrets engine (if it existed) at: trailing/"
expect_ok "$PKI" secrets disable pki2
expect_exit 1 "$PKI" read sys/mounts/pki2
expect_ok "$PKI" mount list -field=keys
expect_eq "$(sort "$WORK/out" | tr '\n' ' ')" "pki/ pki_int/ " "after disable"

# The ergonomic twins.
expect_ok "$PKI" mount create m1 --max-lease-ttl 43800h --description "made by mount create"
expect_ok "$PKI" mount read m1 -format=json
expect_eq "$(json 'd["data"]["config"]["max_lease_ttl"], d["data"]["description"]' <"$WORK/out")" "157680000 made by mount create" "mount create"
# The issue's own example spells the option --max-ttl.
expect_ok "$PKI" mount create m2 --max-ttl 43800h
expect_ok "$PKI" mount tune m1 --default-lease-ttl 2h
expect_ok "$PKI" read -field=default_lease_ttl sys/mounts/m1/tune
expect_eq "$(cat "$WORK/out")" "7200" "mount tune"
expect_ok "$PKI" mount delete m1
expect_exit 1 "$PKI" mount read m1

# ---- output formats ----------------------------------------------------------------------------
expect_ok "$PKI" key generate internal --key-type ec --key-name first
expect_out_contains "key_type    ec"
expect_ok "$PKI" write pki/keys/generate/internal key_type=ec key_name=second

# The JSON envelope: exactly Vault's keys, with Vault's empty values.
expect_ok "$PKI" read -format=json pki/key/first
expect_eq "$(json 'sorted(d.keys())' <"$WORK/out")" \
  "['auth', 'data', 'lease_duration', 'lease_id', 'renewable', 'request_id', 'warnings', 'wrap_info']" "envelope keys"
expect_eq "$(json 'list(d.keys())' <"$WORK/out")" \
  "['request_id', 'lease_id', 'lease_duration', 'renewable', 'data', 'wrap_info', 'warnings', 'auth']" "envelope order"
expect_eq "$(json 'repr(d["lease_id"]), d["lease_duration"], d["renewable"], d["wrap_info"], d["warnings"], d["auth"]' <"$WORK/out")" \
  "'' 0 False None None None" "envelope values"
expect_eq "$(json 'len(d["request_id"]) == 36 and d["request_id"].count("-") == 4' <"$WORK/out")" "True" "request_id is a uuid"
expect_eq "$(json 'sorted(d["data"].keys())' <"$WORK/out")" "['key_bits', 'key_id', 'key_name', 'key_type']" "key data"
expect_eq "$(json 'd["data"]["key_name"], d["data"]["key_type"], d["data"]["key_bits"]' <"$WORK/out")" "first ec 256" "key values"
FIRST_ID=$(json 'd["data"]["key_id"]' <"$WORK/out")
# Two requests get two request ids.
R1=$("$PKI" read -format=json pki/key/first | json 'd["request_id"]')
R2=$("$PKI" read -format=json pki/key/first | json 'd["request_id"]')
if [ "$R1" != "$R2" ]; then ok; else fail "request_id repeats"; fi

# -format=json, --format json, --format=json and PKI_FORMAT all give JSON; the flag beats the variable.
for spelling in "-format=json" "--format=json" "--format json"; do
  # shellcheck disable=SC2086
  expect_ok "$PKI" $spelling read pki/config/keys
  expect_eq "$(json 'd["data"]["default"]' <"$WORK/out")" "$FIRST_ID" "default key via $spelling"
done
expect_ok env PKI_FORMAT=json "$PKI" read pki/config/keys
expect_eq "$(json 'd["data"]["default"]' <"$WORK/out")" "$FIRST_ID" "PKI_FORMAT=json"
expect_ok env PKI_FORMAT=json "$PKI" -format=table read pki/config/keys
expect_out_contains "default    $FIRST_ID"
expect_ok env PKI_FORMAT=yaml "$PKI" read pki/config/keys
expect_out_contains "default: $FIRST_ID"
expect_exit 2 env PKI_FORMAT=bogus "$PKI" read pki/config/keys
# The format flag after the subcommand and after the path works too.
expect_ok "$PKI" read pki/config/keys -format=json
expect_eq "$(json 'd["data"]["default"]' <"$WORK/out")" "$FIRST_ID" "-format after the path"

# YAML.
expect_ok "$PKI" --format yaml read pki/key/first
expect_out_contains "key_name: first"
if python3 -c 'import yaml' 2>/dev/null; then
  expect_eq "$(python3 -c 'import yaml,sys; d=yaml.safe_load(sys.stdin); print(d["data"]["key_id"], d["data"]["key_bits"], d["lease_id"] == "")' <"$WORK/out")" \
    "$FIRST_ID 256 True" "yaml parses"
fi

# Table: Vault's Key/Value.
expect_ok "$PKI" read pki/key/first
expect_eq "$(head -2 "$WORK/out" | tr -s ' ')" "$(printf 'Key Value\n--- -----')" "table header"
expect_out_contains "key_id      $FIRST_ID"

# -field prints one value raw; a list one item a line.
expect_ok "$PKI" read -field=key_id pki/key/first
expect_eq "$(cat "$WORK/out")" "$FIRST_ID" "-field=key_id"
expect_ok "$PKI" read --field key_bits pki/key/first
expect_eq "$(cat "$WORK/out")" "256" "--field key_bits"
expect_ok "$PKI" list -field=keys pki/keys
expect_eq "$(wc -l <"$WORK/out")" "2" "-field=keys: one id a line"
expect_eq "$(grep -c '^[0-9a-f-]\{36\}$' "$WORK/out")" "2" "-field=keys: bare ids"
if grep -qx "$FIRST_ID" "$WORK/out"; then ok; else fail "-field=keys lacks $FIRST_ID"; fi
expect_exit 1 "$PKI" read -field=nope pki/key/first
expect_err_contains "nope"

# Warnings go to stderr, and into the JSON envelope.
expect_ok "$PKI" delete -format=json pki/key/first
expect_err_contains "Warning: "
expect_err_contains "default"
expect_eq "$(json 'len(d["warnings"])' <"$WORK/out")" "1" "warning in the envelope"
expect_eq "$(json 'd["data"]' <"$WORK/out")" "None" "delete has no data"
expect_ok "$PKI" delete pki/key/second
expect_out_contains "Success! Data deleted (if it existed) at: pki/key/second"
expect_ok "$PKI" list pki/keys
expect_err_contains "No entries found at pki/keys"
expect_eq "$(wc -c < "$WORK/out" | tr -d ' ')" "0" "an empty list prints nothing on stdout"
expect_ok "$PKI" list -format=json pki/keys
expect_eq "$(json 'd["data"]["keys"]' <"$WORK/out")" "[]" "empty list"

# ---- state directory ---------------------------------------------------------------------------
expect_eq "$(mode_of "$PKI_STATE_DIR")" "700" "state dir mode"
expect_eq "$(mode_of "$PKI_STATE_DIR/data.mdb")" "600" "data.mdb mode"
expect_eq "$(mode_of "$PKI_STATE_DIR/lock.mdb")" "600" "lock.mdb mode"
expect_eq "$(ls "$PKI_STATE_DIR" | sort | tr '\n' ' ')" "data.mdb lock.mdb " "the environment sits directly in the state dir"

# A permissive umask does not loosen them.
(umask 000 && "$PKI" --state-dir "$WORK/umask/state" secrets enable pki >/dev/null 2>&1) || fail "enable with umask 000"
expect_eq "$(mode_of "$WORK/umask/state")" "700" "state dir mode under umask 000"
expect_eq "$(mode_of "$WORK/umask/state/data.mdb")" "600" "data.mdb mode under umask 000"
expect_eq "$(mode_of "$WORK/umask/state/lock.mdb")" "600" "lock.mdb mode under umask 000"

# Precedence: --state-dir > PKI_STATE_DIR > XDG_DATA_HOME/pki > HOME/.local/share/pki.
P="$WORK/prec"
mkdir -p "$P/home" "$P/xdg"
expect_ok env HOME="$P/home" XDG_DATA_HOME="$P/xdg" PKI_STATE_DIR="$P/env" "$PKI" --state-dir "$P/flag" secrets enable -path=viaflag pki
expect_ok test -f "$P/flag/data.mdb"
expect_ok test ! -e "$P/env"
expect_ok test ! -e "$P/xdg/pki"
expect_ok test ! -e "$P/home/.local"
expect_ok env HOME="$P/home" XDG_DATA_HOME="$P/xdg" PKI_STATE_DIR="$P/env" "$PKI" secrets enable -path=viaenv pki
expect_ok test -f "$P/env/data.mdb"
expect_ok test ! -e "$P/xdg/pki"
expect_ok env -u PKI_STATE_DIR HOME="$P/home" XDG_DATA_HOME="$P/xdg" "$PKI" secrets enable -path=viaxdg pki
expect_ok test -f "$P/xdg/pki/data.mdb"
expect_ok test ! -e "$P/home/.local"
expect_ok env -u PKI_STATE_DIR -u XDG_DATA_HOME HOME="$P/home" "$PKI" secrets enable -path=viahome pki
expect_ok test -f "$P/home/.local/share/pki/data.mdb"
expect_eq "$(mode_of "$P/home/.local/share/pki")" "700" "home state dir mode"
# Each went where it should: read back through the same precedence.
expect_ok env -u PKI_STATE_DIR -u XDG_DATA_HOME HOME="$P/home" "$PKI" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viahome/" "home state"
expect_ok env -u PKI_STATE_DIR HOME="$P/home" XDG_DATA_HOME="$P/xdg" "$PKI" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viaxdg/" "xdg state"
expect_ok env HOME="$P/home" XDG_DATA_HOME="$P/xdg" PKI_STATE_DIR="$P/env" "$PKI" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viaenv/" "env state"
expect_ok env PKI_STATE_DIR="$P/env" "$PKI" --state-dir "$P/flag" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viaflag/" "flag state"
# Empty variables count as unset.
expect_ok env PKI_STATE_DIR= XDG_DATA_HOME="$P/xdg" HOME="$P/home" "$PKI" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viaxdg/" "empty PKI_STATE_DIR"
expect_ok env -u PKI_STATE_DIR XDG_DATA_HOME= HOME="$P/home" "$PKI" mount list -field=keys
expect_eq "$(cat "$WORK/out")" "viahome/" "empty XDG_DATA_HOME"
# Nothing at all to go on is a usage error.
expect_exit 2 env -u PKI_STATE_DIR -u XDG_DATA_HOME -u HOME "$PKI" secrets list

# An existing directory with looser permissions: it works, with a warning naming the fix.
mkdir -m 755 "$WORK/loose"
expect_ok "$PKI" --state-dir "$WORK/loose" secrets enable pki
expect_err_contains "Warning: "
expect_err_contains "$WORK/loose"
expect_err_contains "chmod 700"
expect_ok "$PKI" --state-dir "$WORK/loose" secrets list
expect_err_contains "chmod 700"
expect_eq "$(mode_of "$WORK/loose")" "755" "the mode is reported, not changed"

# A file where the state directory should be: exit 3, one line, for reads and writes.
echo "not a directory" >"$WORK/afile"
expect_exit 3 "$PKI" --state-dir "$WORK/afile" secrets enable pki
expect_err_contains "$WORK/afile"
expect_exit 3 "$PKI" --state-dir "$WORK/afile" read pki/config/keys
expect_exit 3 "$PKI" --state-dir "$WORK/afile" secrets list
expect_exit 3 env PKI_STATE_DIR="$WORK/afile" "$PKI" key list
expect_eq "$(cat "$WORK/afile")" "not a directory" "the file is untouched"
expect_exit 3 "$PKI" --state-dir "$WORK/afile/sub" secrets enable pki

# ---- disabling a mount removes every record of it, and only of it ------------------------------
D="$WORK/disable"
export PKI_STATE_DIR="$D"
for m in m1 m m1x; do "$PKI" secrets enable -path=$m pki >/dev/null || fail "enable $m"; done
for m in m1 m m1x; do
  for i in 1 2; do "$PKI" key generate internal -m $m --key-type ec --key-name k$i >/dev/null || fail "generate in $m"; done
done
"$PKI" key import -m m1 --pem-bundle @<("$PKI" key generate exported -m m1x --key-type ec -field=private_key) >/dev/null ||
  fail "import into m1"
if state_keys "$D" | grep -q '^m1/'; then ok; else fail "m1 records missing before disable"; fi
expect_ok "$PKI" secrets disable m1
KEYS=$(state_keys "$D")
if grep -q '^m1/' <<<"$KEYS"; then fail "records of m1 left: $(grep '^m1/' <<<"$KEYS" | head -3)"; else ok; fi
if grep -q 'sys/mount/m1$' <<<"$KEYS"; then fail "the mount record of m1 is left"; else ok; fi
if grep -q '^m1x/key/' <<<"$KEYS"; then ok; else fail "disabling m1 removed m1x's keys"; fi
if grep -q '^m/key/' <<<"$KEYS"; then ok; else fail "disabling m1 removed m's keys"; fi
expect_ok "$PKI" key list -m m1x -field=keys
expect_eq "$(wc -l <"$WORK/out")" "3" "m1x keeps its keys"
# The name can be enabled again, empty.
expect_ok "$PKI" secrets enable -path=m1 pki
expect_ok "$PKI" list -format=json m1/keys
expect_eq "$(json 'len(d["data"]["keys"])' <"$WORK/out")" "0" "a re-enabled mount starts empty"
expect_ok "$PKI" read -field=default m1/config/keys
expect_eq "$(cat "$WORK/out")" "" "a re-enabled mount has no default key"

finish
