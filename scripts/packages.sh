#!/usr/bin/env bash
# Makes the Debian packages beat-server and beat-client (systemd/packages.cmake) in
# BUILD_DIR/packages and prints their paths. A BUILD_DIR that is already configured is reused as
# it is (scripts/test.sh's build stage leaves build-test): its target deb brings only beat_server
# and beat_client up to date, which builds nothing after that stage, and CPack installs them
# stripped into the packages. An unconfigured BUILD_DIR is configured as the build stage does.
# Usage: scripts/packages.sh [BUILD_DIR]   (default: $BEAT_BUILD_DIR, else build-test)
# Needs dpkg-dev (dpkg-shlibdeps, for Depends:) and file: scripts/install-deps.sh --test.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${BEAT_BUILD_DIR:-build-test}}
if [[ -f "$build/CMakeCache.txt" ]]; then
  cmake -S . -B "$build" >/dev/null  # With its own cache; regenerated, so that it has the target.
else
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEAT_WERROR=ON >/dev/null
fi
rm -rf "$build/packages"
if ! log="$(cmake --build "$build" -j"$(nproc)" --target deb 2>&1)"; then
  echo "$log" >&2
  exit 1
fi
ls -1 "$build"/packages/*.deb
