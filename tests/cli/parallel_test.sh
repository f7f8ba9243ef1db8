#!/usr/bin/env bash
# Parallel pki processes on one state directory lose nothing: LMDB serialises the writers.
source "$(dirname "$0")/lib.sh"

N=8

# run_parallel NAME CMD...: start N copies of CMD at once (each with its index in $I), wait for
# all, and check every one exited 0.
run_parallel() {
  local name=$1; shift
  local pids=() i
  for i in $(seq 1 $N); do
    I=$i "$@" >"$WORK/$name.$i.out" 2>"$WORK/$name.$i.err" &
    pids+=($!)
  done
  for i in $(seq 1 $N); do
    if wait "${pids[$((i - 1))]}"; then ok; else fail "$name #$i exited $?: $(head -c 300 "$WORK/$name.$i.err")"; fi
  done
}

# 8 parallel mount creations on a state directory that does not exist yet: they also race to
# create the directory and the environment.
enable_one() { "$PKI" secrets enable -path="m$I" pki; }
run_parallel enable enable_one
expect_ok "$PKI" list -format=json sys/mounts
expect_eq "$(python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["data"]["keys"])))' <"$WORK/out")" \
  "m1/ m2/ m3/ m4/ m5/ m6/ m7/ m8/" "every mount enabled"
expect_eq "$(stat -c %a "$PKI_STATE_DIR")" "700" "state dir mode after the race"

# 8 parallel key generations in one mount.
expect_ok "$PKI" secrets enable pki
generate_one() { "$PKI" key generate internal --key-type ec -format=json; }
run_parallel generate generate_one
expect_ok "$PKI" list -format=json pki/keys
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))' <"$WORK/out")" "$N" "exactly $N keys"
# Every process got its own key id, and each id is in the list.
ids=$(for i in $(seq 1 $N); do python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["key_id"])' <"$WORK/generate.$i.out"; done | sort -u)
expect_eq "$(wc -l <<<"$ids")" "$N" "$N distinct key ids"
listed=$(python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin)["data"]["keys"])))' <"$WORK/out")
expect_eq "$listed" "$ids" "the listed keys are the generated ones"
# Exactly one of them became the default key.
expect_ok "$PKI" read -field=default pki/config/keys
if grep -qxF "$(cat "$WORK/out")" <<<"$ids"; then ok; else fail "default key $(cat "$WORK/out") is not one of the generated keys"; fi

# 8 parallel named keys in 8 mounts, and readers running alongside writers.
named_one() { "$PKI" key generate internal -m "m$I" --key-type ed25519 --key-name "k$I" && "$PKI" key read -m "m$I" "k$I"; }
reader() { for _ in 1 2 3 4 5; do "$PKI" list pki/keys >/dev/null || return 1; done; }
readers=()
for i in $(seq 1 4); do reader >"$WORK/reader.$i.out" 2>"$WORK/reader.$i.err" & readers+=($!); done
run_parallel named named_one
for i in $(seq 1 4); do
  if wait "${readers[$((i - 1))]}"; then ok; else fail "reader #$i failed: $(head -c 300 "$WORK/reader.$i.err")"; fi
done
for i in $(seq 1 $N); do
  expect_ok "$PKI" key read -m "m$i" "k$i" -field=key_type
  expect_eq "$(cat "$WORK/out")" "ed25519" "key k$i in m$i"
done

# 8 processes racing for one name: exactly one wins, the others are refused cleanly.
pids=()
for i in $(seq 1 $N); do
  "$PKI" key generate internal --key-type ec --key-name contested >"$WORK/race.$i.out" 2>"$WORK/race.$i.err" &
  pids+=($!)
done
wins=0
for i in $(seq 1 $N); do
  code=0
  wait "${pids[$((i - 1))]}" || code=$?
  if [ "$code" == 0 ]; then wins=$((wins + 1)); elif [ "$code" == 1 ] && grep -q 'already used' "$WORK/race.$i.err"; then ok; else
    fail "race #$i exited $code: $(cat "$WORK/race.$i.err")"
  fi
done
expect_eq "$wins" "1" "one process gets the name"
expect_ok "$PKI" list -format=json pki/keys
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["keys"]))' <"$WORK/out")" "$((N + 1))" "one more key"

# Parallel disables and enables do not disturb each other's records.
churn_one() { "$PKI" secrets disable "m$I" && "$PKI" secrets enable -path="n$I" pki && "$PKI" key generate internal -m "n$I" --key-type ec; }
run_parallel churn churn_one
expect_ok "$PKI" mount list -field=keys
expect_eq "$(sort "$WORK/out" | tr '\n' ' ')" "n1/ n2/ n3/ n4/ n5/ n6/ n7/ n8/ pki/ " "mounts after churn"
if mdb_dump -p "$PKI_STATE_DIR" | grep -q '^ m[0-9]/'; then fail "records of disabled mounts remain"; else ok; fi
for i in $(seq 1 $N); do
  expect_ok "$PKI" key list -m "n$i" -field=keys
  expect_eq "$(wc -l <"$WORK/out")" "1" "one key in n$i"
done

finish
