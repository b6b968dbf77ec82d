#!/usr/bin/env bash
# Installs the Debian 12 packages beat needs to build and test. A no-op when all are present.
# Usage: scripts/install-deps.sh [--test]   (--test adds what the tests and benchmarks use)
set -euo pipefail
pkgs=(build-essential cmake pkg-config libuv1-dev libfmt-dev libcli11-dev libtomlplusplus-dev libsqlite3-dev libsodium-dev libpq-dev libhttp-parser-dev nlohmann-json3-dev catch2)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(postgresql-15 redis-server systemd clang libclang-rt-14-dev prometheus chromium lintian file dpkg-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y "${missing[@]}"
fi
