#!/usr/bin/env bash
# The systemd units as `cmake --install` lays them out: installs the build tree into a temporary
# prefix, checks where everything went, then runs `systemd-analyze verify` (which must say nothing:
# it only warns about unknown or misspelt settings) and `systemd-analyze security --offline=true`
# on the installed units, whose ExecStart= names the installed binaries. Each unit's overall
# exposure must be 2.0 ("OK") or below.
#
# Usage: tests/integration/systemd_units_test.sh CMAKE BUILD_DIR
# Exit codes: 0 pass, 1 fail, 77 skipped (systemd-analyze missing: scripts/install-deps.sh --test
# installs the systemd package that has it).
set -euo pipefail

cmake_bin="$1"
build="$2"
max_exposure=2.0
units=(beat-server.service beat-client.service)

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is not installed (scripts/install-deps.sh --test installs systemd)"
    exit 77
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

"$cmake_bin" --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
    cat "$tmp/install.log"
    echo "FAIL: cmake --install"
    exit 1
}

for f in bin/beat_server bin/beat_client; do
    [[ -x "$prefix/$f" ]] || fail "$f is not installed"
done
for f in "${units[@]/#/lib/systemd/system/}" share/doc/beat/examples/beat-server.toml \
    share/doc/beat/examples/beat-client.toml share/doc/beat/README.md; do
    [[ -f "$prefix/$f" ]] || fail "$f is not installed"
done
((failed)) && exit 1

unit_dir="$prefix/lib/systemd/system"
for unit in "${units[@]}"; do
    grep -q "^ExecStart=$prefix/bin/beat_" "$unit_dir/$unit" ||
        fail "$unit: ExecStart= does not name the installed binary"
    grep -q "^Type=notify$" "$unit_dir/$unit" || fail "$unit: not Type=notify"
    grep -q "^WatchdogSec=" "$unit_dir/$unit" || fail "$unit: no WatchdogSec="
done
grep -q -- "--data-dir /var/lib/beat" "$unit_dir/beat-server.service" &&
    grep -q "^StateDirectory=beat$" "$unit_dir/beat-server.service" ||
    fail "beat-server.service: --data-dir /var/lib/beat without StateDirectory=beat"

if ! out="$(systemd-analyze verify --man=no "${units[@]/#/$unit_dir/}" 2>&1)"; then
    fail "systemd-analyze verify: $out"
elif [[ -n "$out" ]]; then
    fail "systemd-analyze verify warns: $out"
else
    echo "systemd-analyze verify: ${units[*]}: no findings"
fi

for unit in "${units[@]}"; do
    # --threshold is exposure x 10: the command itself fails above it.
    if ! out="$(systemd-analyze security --offline=true --no-pager --threshold=20 \
        "$unit_dir/$unit" 2>&1)"; then
        echo "$out" | grep '✗' || true
        fail "$unit: exposure above $max_exposure"
    fi
    exposure="$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
    if [[ -z "$exposure" ]]; then
        fail "$unit: no overall exposure level in: $out"
    elif awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
        fail "$unit: exposure $exposure above $max_exposure"
    else
        echo "systemd-analyze security --offline=true: $unit: exposure $exposure"
    fi
done
exit "$failed"
