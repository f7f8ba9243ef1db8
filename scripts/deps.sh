#!/usr/bin/env bash
# Install the Debian 12 packages pki needs to build and test, when any is missing.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libssl-dev libcli11-dev libfmt-dev libyaml-cpp-dev
      liblmdb-dev lmdb-utils zlib1g-dev doctest-dev nlohmann-json3-dev openssl gnutls-bin libnss3-tools groff-base
      libboost-dev curl python3-hvac wrk clang libp11-kit-dev softhsm2 opensc
      ansible-core)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
