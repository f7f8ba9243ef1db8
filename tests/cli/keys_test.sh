#!/usr/bin/env bash
# Keys end to end: every key operation in both command styles gives the same result. The generic
# form (pki write pki/keys/generate/internal ...) runs against one state directory and the
# ergonomic form (pki key generate internal ...) against another; after each step the outputs,
# exit codes and messages must match once key ids (random) are mapped to key names.
source "$(dirname "$0")/lib.sh"

# The system python starts in a few ms; a pyenv shim takes ~100 ms, and this test runs it often.
PY=python3
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi
GEN="$WORK/generic"
ERG="$WORK/ergonomic"
IDS="$WORK/ids"  # "uuid name" lines, from both directories
: >"$IDS"

cat >"$WORK/norm.py" <<'EOF'
# Normalise one command's output so both styles compare: key ids become <name>, private keys
# become their PEM type, the request id goes, JSON is re-dumped with sorted keys.
import json, re, sys
ids = {}
for line in open(sys.argv[1]):
    parts = line.split(" ", 1)
    if len(parts) == 2:
        ids[parts[0]] = "<" + parts[1].strip() + ">"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
def text(s):
    s = UUID.sub(lambda m: ids.get(m.group(0), "<unknown-id>"), s)
    s = re.sub(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----.*?-----END [A-Z ]*PRIVATE KEY-----", r"<\1>", s, flags=re.S)
    return s
def walk(v):
    if isinstance(v, dict):
        return {text(k): walk(x) for k, x in v.items() if k != "request_id"}
    if isinstance(v, list):
        return sorted((walk(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(v, str):
        return text(v)
    return v
raw = sys.stdin.read()
try:
    print(json.dumps(walk(json.loads(raw)), indent=1, sort_keys=True))
except ValueError:
    # Listings are ordered by id; compare them as sets of lines.
    print("\n".join(sorted(text(raw).splitlines())))
EOF

refresh_ids() {
  local dir
  for dir in "$GEN" "$ERG"; do
    [ -e "$dir/data.mdb" ] || continue
    local mounts
    mounts=$(PKI_STATE_DIR="$dir" "$PKI" mount list -field=keys 2>/dev/null) || continue
    local m
    for m in $mounts; do
      PKI_STATE_DIR="$dir" "$PKI" list -format=json "${m}keys" 2>/dev/null |
        $PY -c 'import json,sys; [print(k, v["key_name"]) for k, v in json.load(sys.stdin)["data"]["key_info"].items()]' >>"$IDS" || true
    done
  done
}
norm() { $PY "$WORK/norm.py" "$IDS" <"$1"; }

# same LABEL [STDIN-FILE] -- GENERIC ARGS... -- ERGONOMIC ARGS...
# Runs both, each in its own state directory, and compares exit code, stdout and stderr.
LAST_EXIT=0
same() {
  local label=$1; shift
  local input=/dev/null
  if [ "$1" != "--" ]; then input=$1; shift; fi
  shift  # --
  local g=() e=()
  while [ "$1" != "--" ]; do g+=("$1"); shift; done
  shift
  e=("$@")
  local gx=0 ex=0
  PKI_STATE_DIR="$GEN" "$PKI" "${g[@]}" <"$input" >"$WORK/g.out" 2>"$WORK/g.err" || gx=$?
  PKI_STATE_DIR="$ERG" "$PKI" "${e[@]}" <"$input" >"$WORK/e.out" 2>"$WORK/e.err" || ex=$?
  refresh_ids
  LAST_EXIT=$gx
  cp "$WORK/g.out" "$WORK/out"
  cp "$WORK/g.err" "$WORK/err"
  if [ "$gx" != "$ex" ]; then
    fail "$label: exit $gx (generic) vs $ex (ergonomic): $(head -c 300 "$WORK/g.err") | $(head -c 300 "$WORK/e.err")"
    return
  fi
  ok
  if [ "$(norm "$WORK/g.out")" == "$(norm "$WORK/e.out")" ]; then ok; else
    fail "$label: stdout differs:
$(diff <(norm "$WORK/g.out") <(norm "$WORK/e.out") | head -20)"
  fi
  if [ "$(norm "$WORK/g.err")" == "$(norm "$WORK/e.err")" ]; then ok; else
    fail "$label: stderr differs: $(norm "$WORK/g.err") | $(norm "$WORK/e.err")"
  fi
}
# The exit code of the last `same`, checked.
want_exit() { if [ "$LAST_EXIT" == "$1" ]; then ok; else fail "expected exit $1, got $LAST_EXIT: $(head -c 300 "$WORK/err")"; fi; }
json() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)" <"$WORK/out"; }
# The exported private key of the last output parses with openssl, as the given algorithm.
openssl_parses() {
  local want=$1
  local f=$2
  if openssl pkey -in "$f" -noout -text >"$WORK/pkey.txt" 2>&1; then ok; else fail "openssl pkey cannot read: $(head -c 300 "$f")"; return; fi
  if grep -q "$want" "$WORK/pkey.txt"; then ok; else fail "openssl pkey: expected '$want' in $(head -2 "$WORK/pkey.txt")"; fi
}

same "enable" -- write sys/mounts/pki type=pki -- mount create pki
want_exit 0
same "enable json" -- write -format=json sys/mounts/other -- mount create other -format=json
want_exit 0

# ---- generate --------------------------------------------------------------------------------
same "generate internal ec" -- write pki/keys/generate/internal key_type=ec key_name=a -- key generate internal --key-type ec --key-name a
want_exit 0
expect_out_contains "key_type    ec"
expect_out_contains "key_bits    256"
same "generate internal ec json" -- write -format=json pki/keys/generate/internal key_type=ec key_bits=384 key_name=a384 \
  -- key generate internal --key-type ec --key-bits 384 --key-name a384 -format=json
want_exit 0
expect_eq "$(json 'd["data"]["key_bits"], "private_key" in d["data"]')" "384 False" "internal keys return no private key"
same "generate rsa default" -- write -format=json pki/keys/generate/internal key_name=r -- key generate internal --key-name r -format=json
expect_eq "$(json 'd["data"]["key_type"], d["data"]["key_bits"]')" "rsa 2048" "default key type"
same "generate mixed flags and key=value" -- write pki/keys/generate/internal key_type=ed25519 key_name=ed \
  -- key generate internal key_type=ed25519 --key-name ed
want_exit 0

for spec in "rsa 2048" "rsa 3072" "ec 224" "ec 256" "ec 384" "ec 521" "ed25519 0"; do
  set -- $spec
  name="x-$1-$2"
  same "generate exported $spec" -- write -format=json pki/keys/generate/exported key_type=$1 key_bits=$2 key_name=$name \
    -- key generate exported --key-type $1 --key-bits $2 --key-name $name -format=json
  want_exit 0
  json 'd["data"]["private_key"]' >"$WORK/g.pem"
  $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["private_key"])' <"$WORK/e.out" >"$WORK/e.pem"
  expect_eq "$(json 'd["data"]["private_key_type"]')" "$1" "private_key_type"
  case $1 in
    rsa) want="Private-Key: ($2 bit" ;;
    ec) want="Private-Key: ($2 bit" ;;
    ed25519) want="ED25519 Private-Key" ;;
  esac
  openssl_parses "$want" "$WORK/g.pem"
  openssl_parses "$want" "$WORK/e.pem"
  # The exported key is the stored key: its public half matches what the state holds.
  if cmp -s "$WORK/g.pem" "$WORK/e.pem"; then fail "two generated keys are equal"; else ok; fi
done
# -format=pem and -field=private_key print the key itself.
same "generate exported pem" -- write -format=pem pki/keys/generate/exported key_type=ec key_name=p \
  -- key generate exported --key-type ec --key-name p -format=pem
openssl_parses "ASN1 OID: prime256v1" "$WORK/g.out"
openssl_parses "ASN1 OID: prime256v1" "$WORK/e.out"
same "generate exported field" -- write -field=private_key pki/keys/generate/exported key_type=rsa key_name=f \
  -- key generate exported --key-type rsa --key-name f -field=private_key
openssl_parses "Private-Key: (2048 bit" "$WORK/g.out"
openssl_parses "Private-Key: (2048 bit" "$WORK/e.out"

# ---- list, read ------------------------------------------------------------------------------
same "list" -- list pki/keys -- key list
want_exit 0
same "list json" -- list -format=json pki/keys -- key list -format=json
expect_eq "$(json 'len(d["data"]["keys"])')" "13" "13 keys"
expect_eq "$(json 'sorted(v["key_name"] for v in d["data"]["key_info"].values())[:4]')" "['a', 'a384', 'ed', 'f']" "key_info names"
same "list field" -- list -field=keys pki/keys -- key list -field=keys
same "list yaml" -- list -format=yaml pki/keys -- key list -format=yaml
same "read" -- read pki/key/a -- key read a
want_exit 0
same "read json" -- read -format=json pki/key/a384 -- key read a384 -format=json
expect_eq "$(json 'sorted(d["data"].keys())')" "['key_bits', 'key_id', 'key_name', 'key_type']" "read shows no private part"
same "read default" -- read -format=json pki/key/default -- key read default -format=json
expect_eq "$(json 'd["data"]["key_name"]')" "a" "the first key is the default"
# Ids differ between the two directories: each side uses its own.
GA=$(json 'd["data"]["key_id"]')
EA=$($PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["key_id"])' <"$WORK/e.out")
same "read by id" -- read -format=json "pki/key/$GA" -- key read "$EA" -format=json
want_exit 0
same "read by the other directory's id" -- read "pki/key/$EA" -- key read "$GA"
want_exit 1
for dir in "$GEN" "$ERG"; do
  if PKI_STATE_DIR="$dir" "$PKI" read -format=json pki/key/x-rsa-2048 | grep -q PRIVATE; then fail "read shows private material"; else ok; fi
done
same "read field" -- read -field=key_type pki/key/ed -- key read ed -field=key_type
expect_eq "$(cat "$WORK/out")" "ed25519" "read -field"

# ---- config/keys -------------------------------------------------------------------------------
same "config keys read" -- read pki/config/keys -- config keys read
want_exit 0
same "config keys write" -- write -format=json pki/config/keys default=r -- config keys write --default r -format=json
want_exit 0
same "config keys read json" -- read -format=json pki/config/keys -- config keys read -format=json
R_ID=$(PKI_STATE_DIR="$GEN" "$PKI" read -field=key_id pki/key/r)
expect_eq "$(json 'd["data"]["default"]')" "$R_ID" "default is r"
same "config keys write by id" -- write pki/config/keys default="$GA" -- config keys write --default "$EA"
want_exit 0
same "config keys write by name" -- write pki/config/keys default=a -- config keys write default=a
want_exit 0

# ---- update (rename) -----------------------------------------------------------------------------
same "rename" -- write pki/key/a key_name=a2 -- key update a --key-name a2
want_exit 0
expect_out_contains "key_name    a2"
same "read renamed" -- read pki/key/a -- key read a
want_exit 1
same "read new name" -- read -field=key_name pki/key/a2 -- key read a2 -field=key_name
want_exit 0
same "rename by default" -- write pki/key/default key_name=a3 -- key update default --key-name a3
want_exit 0
same "rename json" -- write -format=json pki/key/a3 key_name=a -- key update a3 --key-name a -format=json
want_exit 0

# ---- delete ----------------------------------------------------------------------------------
same "delete" -- delete pki/key/p -- key delete p
want_exit 0
expect_out_contains "Success! Data deleted (if it existed) at: pki/key/p"
same "delete default" -- delete -format=json pki/key/a -- key delete a -format=json
want_exit 0
expect_err_contains "Warning: "
expect_eq "$(json 'len(d["warnings"])')" "1" "delete default warns"
same "no default now" -- read -field=default pki/config/keys -- config keys read -field=default
expect_eq "$(cat "$WORK/out")" "" "no default key"
# Deleting a key that is not there succeeds (idempotent, as in Vault), warns, and changes nothing.
before=$(PKI_STATE_DIR="$GEN" state_dump)
same "delete missing" -- delete pki/key/a -- key delete a
want_exit 0
expect_err_contains 'there is no key "a" in mount pki; nothing was deleted'
expect_eq "$(PKI_STATE_DIR="$GEN" state_dump)" "$before" "state after deleting a missing key"

# ---- import ----------------------------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$WORK/ec.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$WORK/ed.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa8.pem" 2>/dev/null
openssl pkey -in "$WORK/rsa8.pem" -traditional -out "$WORK/rsa1.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/sec1.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$WORK/rsa3072.pem" 2>/dev/null
grep -q "BEGIN RSA PRIVATE KEY" "$WORK/rsa1.pem" || fail "test setup: no PKCS#1 key"
grep -q "BEGIN EC PRIVATE KEY" "$WORK/sec1.pem" || fail "test setup: no SEC1 key"

same "import file" -- write pki/keys/import pem_bundle=@"$WORK/ec.pem" key_name=i-ec \
  -- key import --pem-bundle @"$WORK/ec.pem" --key-name i-ec
want_exit 0
expect_out_contains "key_bits    384"
same "import pkcs1" -- write -format=json pki/keys/import pem_bundle=@"$WORK/rsa1.pem" key_name=i-rsa1 \
  -- key import --pem-bundle @"$WORK/rsa1.pem" --key-name i-rsa1 -format=json
expect_eq "$(json 'd["data"]["key_type"], d["data"]["key_bits"]')" "rsa 2048" "PKCS#1 import"
same "import sec1" -- write -format=json pki/keys/import pem_bundle=@"$WORK/sec1.pem" key_name=i-sec1 \
  -- key import pem_bundle=@"$WORK/sec1.pem" --key-name i-sec1 -format=json
expect_eq "$(json 'd["data"]["key_type"], d["data"]["key_bits"]')" "ec 256" "SEC1 import"
same "import stdin" "$WORK/ed.pem" -- write pki/keys/import pem_bundle=- key_name=i-ed \
  -- key import --pem-bundle - --key-name i-ed
want_exit 0
expect_out_contains "key_type    ed25519"
$PY -c 'import json,sys; print(json.dumps({"pem_bundle": open(sys.argv[1]).read(), "key_name": "i-json"}))' "$WORK/rsa3072.pem" >"$WORK/body.json"
same "import json body on stdin" "$WORK/body.json" -- write -format=json pki/keys/import - -- key import - -format=json
want_exit 0
expect_eq "$(json 'd["data"]["key_name"], d["data"]["key_bits"]')" "i-json 3072" "JSON body import"
same "import duplicate" -- write -format=json pki/keys/import pem_bundle=@"$WORK/rsa8.pem" \
  -- key import --pem-bundle @"$WORK/rsa8.pem" -format=json
want_exit 0
expect_eq "$(json 'd["data"]["key_name"], len(d["warnings"])')" "i-rsa1 1" "PKCS#8 of an imported PKCS#1 key is a duplicate"
expect_err_contains "Warning: "
same "import an exported key" -- write pki/keys/import pem_bundle=@"$WORK/g.pem" -- key import --pem-bundle @"$WORK/e.pem"
want_exit 0
expect_out_contains "key_name    x-ed25519-0"
expect_err_contains "Warning: "

# ---- refusals are the same in both forms ------------------------------------------------------
same "rsa 1024" -- write pki/keys/generate/internal key_type=rsa key_bits=1024 -- key generate internal --key-type rsa --key-bits 1024
want_exit 1
same "ec 255" -- write pki/keys/generate/internal key_type=ec key_bits=255 -- key generate internal --key-type ec --key-bits 255
want_exit 1
same "dsa" -- write pki/keys/generate/internal key_type=dsa -- key generate internal --key-type dsa
want_exit 1
same "kms" -- write pki/keys/generate/kms key_type=ec -- key generate kms --key-type ec
want_exit 1
same "bad bits" -- write pki/keys/generate/internal key_bits=lots -- key generate internal --key-bits lots
want_exit 1
same "duplicate name" -- write pki/keys/generate/internal key_type=ec key_name=r -- key generate internal --key-type ec --key-name r
want_exit 1
same "reserved name" -- write pki/keys/generate/internal key_type=ec key_name=default -- key generate internal --key-type ec --key-name default
want_exit 1
same "rename to taken" -- write pki/key/r key_name=ed -- key update r --key-name ed
want_exit 1
same "rename to default" -- write pki/key/r key_name=default -- key update r --key-name default
want_exit 1
same "read missing" -- read pki/key/nope -- key read nope
want_exit 1
same "a refused request with an unknown field" -- write pki/keys/generate/internal key_type=ec key_bits=1 colour=blue -- key generate internal --key-type ec --key-bits 1 colour=blue
want_exit 1
same "key=value after a flag's value" -- write pki/keys/generate/internal key_type=ec key_name=kv -- key generate internal --key-type ec key_name=kv
want_exit 0
same "garbage import" -- write pki/keys/import pem_bundle=garbage -- key import --pem-bundle garbage
want_exit 1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$WORK/rsa1024.pem" 2>/dev/null
same "rsa 1024 import" -- write pki/keys/import pem_bundle=@"$WORK/rsa1024.pem" -- key import --pem-bundle @"$WORK/rsa1024.pem"
want_exit 1
same "missing file" -- write pki/keys/import pem_bundle=@"$WORK/missing.pem" -- key import --pem-bundle @"$WORK/missing.pem"
want_exit 1
same "unknown mount" -- list nomount/keys -- key list -m nomount
want_exit 1

# ---- -m and PKI_MOUNT select the mount -----------------------------------------------------------
same "other mount" -- write other/keys/generate/internal key_type=ec key_name=o -- key generate internal -m other --key-type ec --key-name o
want_exit 0
same "other mount by env" -- list -format=json other/keys -- key list -format=json --mount other
expect_eq "$(json 'len(d["data"]["keys"])')" "1" "one key in other"
expect_ok env PKI_STATE_DIR="$ERG" PKI_MOUNT=other "$PKI" key read o
expect_exit 1 env PKI_STATE_DIR="$ERG" PKI_MOUNT=other "$PKI" key read o -m pki
# The mount's key name space is its own.
same "same name, other mount" -- write other/keys/generate/internal key_type=ec key_name=r -- key generate internal -m other --key-type ec --key-name r
want_exit 0

# ---- in the end both directories hold the same keys ---------------------------------------------
for m in pki other; do
  gl=$(PKI_STATE_DIR="$GEN" "$PKI" list -format=json $m/keys | $PY -c 'import json,sys; print(sorted(v["key_name"] for v in json.load(sys.stdin)["data"]["key_info"].values()))')
  el=$(PKI_STATE_DIR="$ERG" "$PKI" list -format=json $m/keys | $PY -c 'import json,sys; print(sorted(v["key_name"] for v in json.load(sys.stdin)["data"]["key_info"].values()))')
  expect_eq "$gl" "$el" "keys of $m"
done
expect_eq "$(mdb_dump -p "$GEN" | grep -c '^ ')" "$(mdb_dump -p "$ERG" | grep -c '^ ')" "same number of records"

finish
