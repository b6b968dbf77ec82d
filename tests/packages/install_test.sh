#!/usr/bin/env bash
# The Debian packages installed for real, on the machine this runs on: needs root, and changes
# /usr/bin, /lib/systemd/system and /etc/beat until it ends, so scripts/test.sh's package stage
# runs it (in CI, a throw-away machine) and ctest never does. It refuses to run where beat-server
# or beat-client is installed already, and purges both when it ends, also on failure.
#
# Checks, in order: lintian finds no errors in either package (its warnings are listed); dpkg -i
# installs both; the binaries run (--version, once --dry-run on the installed configuration);
# systemd-analyze verify accepts the installed units; the maintainer scripts enabled and started
# nothing and created no file outside the packages; dpkg -r leaves only the conffiles; dpkg -P
# leaves the file system as it was before.
#
# Usage: tests/packages/install_test.sh SERVER_DEB CLIENT_DEB   (scripts/packages.sh makes them)
set -euo pipefail

server_deb="$(realpath "$1")"
client_deb="$(realpath "$2")"
packages=(beat-server beat-client)
units=(beat-server.service beat-client.service)
conffiles=(/etc/beat/beat-server.toml /etc/beat/beat-client.toml)

if [[ $(id -u) -ne 0 ]]; then
    echo "FAIL: installing packages needs root"
    exit 1
fi
for p in "${packages[@]}"; do
    if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
        echo "FAIL: $p is already on this machine; not touching it"
        exit 1
    fi
done

tmp="$(mktemp -d)"
cleanup() {
    dpkg -P "${packages[@]}" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

# The paths of the file system that packages own or maintainer scripts could write to; what
# builds, tests, logs and the databases the tests run change meanwhile is left out.
snapshot() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
        -o -path /var/tmp -o -path /var/cache -o -path /var/log -o -path /var/spool \
        -o -path /var/lib/postgresql -o -path /var/lib/redis -o -path /var/lib/prometheus \
        -o -path /root -o -path /home -o -path /work -o -path "$PWD" \
        -o -path '/var/lib/dpkg/*-old' \) -prune -o -print | sort >"$1"
}
# Paths in $2 that $1 lacks.
added() { comm -13 "$1" "$2"; }

echo "== lintian"
# Errors fail; warnings and the rest are listed for the reviewer (overrides are in
# systemd/debian/*.lintian-overrides, each with its reason).
if ! lintian --fail-on error --display-info "$server_deb" "$client_deb" >"$tmp/lintian" 2>&1; then
    fail "lintian reports errors"
fi
cat "$tmp/lintian"
echo "lintian: $(grep -c '^E:' "$tmp/lintian" || true) errors," \
    "$(grep -c '^W:' "$tmp/lintian" || true) warnings"

snapshot "$tmp/before"

echo "== dpkg -i"
dpkg -i "$server_deb" "$client_deb"
dpkg -L "${packages[@]}" | sort -u >"$tmp/owned"
for f in /usr/bin/beat_server /usr/bin/beat_client "${units[@]/#//lib/systemd/system/}" \
    "${conffiles[@]}" /usr/share/doc/beat-server/copyright /usr/share/doc/beat-client/copyright \
    /usr/share/doc/beat-server/changelog.gz /usr/share/doc/beat-client/README.md; do
    grep -qx "$f" "$tmp/owned" || fail "$f is not in the packages"
done
for f in "${conffiles[@]}"; do
    dpkg-query -W -f='${Conffiles}\n' "${packages[@]}" | grep -q "^ $f " ||
        fail "$f is not a conffile"
done
dpkg-query -W -f='${Package}: Depends: ${Depends}\n' "${packages[@]}"
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Depends}' "$p" | grep -q 'libc6' ||
        fail "$p: Depends: lacks libc6 (shlibdeps)"
done

echo "== the installed binaries"
version="$(dpkg-deb -f "$server_deb" Version)"
out="$(/usr/bin/beat_server --version)" || fail "beat_server --version exits $?"
echo "beat_server --version: $out"
[[ "$out" == *"$version"* ]] || fail "beat_server --version does not say $version"
/usr/bin/beat_client once --config /etc/beat/beat-client.toml --print --dry-run >"$tmp/once" ||
    fail "beat_client once --dry-run with /etc/beat/beat-client.toml exits $?"
head -n 3 "$tmp/once"
grep -q . "$tmp/once" || fail "beat_client once --print --dry-run printed nothing"

echo "== the installed units"
for unit in "${units[@]}"; do
    grep -q "^ExecStart=/usr/bin/beat_" "/lib/systemd/system/$unit" ||
        fail "$unit: ExecStart= does not name /usr/bin"
    grep -q "^Documentation=file:///usr/share/doc/beat-" "/lib/systemd/system/$unit" ||
        fail "$unit: Documentation= does not name the package's README"
done
if ! out="$(systemd-analyze verify --man=no "${units[@]/#//lib/systemd/system/}" 2>&1)"; then
    fail "systemd-analyze verify: $out"
elif [[ -n "$out" ]]; then
    fail "systemd-analyze verify warns: $out"
else
    echo "systemd-analyze verify: ${units[*]}: no findings"
fi

echo "== nothing enabled, started or left by the maintainer scripts"
snapshot "$tmp/installed"
added "$tmp/before" "$tmp/installed" | grep -v '^/var/lib/dpkg/' | grep -vxFf "$tmp/owned" \
    >"$tmp/strays" || true
# dpkg -L names /lib/... where the merged /usr keeps /usr/lib/...
sed -i '\#^/usr/lib/systemd\(/system\)\?\(/beat-[a-z]*\.service\)\?$#d' "$tmp/strays"
if [[ -s "$tmp/strays" ]]; then
    fail "installing made files the packages do not own: $(tr '\n' ' ' <"$tmp/strays")"
fi
if find /etc/systemd -name 'beat-*' | grep -q .; then
    fail "a unit was enabled: $(find /etc/systemd -name 'beat-*')"
fi
for exe in /proc/[0-9]*/exe; do
    case "$(readlink "$exe" 2>/dev/null)" in
    /usr/bin/beat_server | /usr/bin/beat_client) fail "running: $exe" ;;
    esac
done
echo "no unit enabled, no installed binary running"

echo "== dpkg -r"
dpkg -r "${packages[@]}"
snapshot "$tmp/removed"
added "$tmp/before" "$tmp/removed" | grep -v '^/var/lib/dpkg/' >"$tmp/kept" || true
printf '%s\n' /etc/beat "${conffiles[@]}" | sort >"$tmp/expected_kept"
if ! diff "$tmp/expected_kept" "$tmp/kept" >"$tmp/diff"; then
    fail "dpkg -r should keep only the conffiles: $(cat "$tmp/diff")"
else
    echo "dpkg -r kept: $(tr '\n' ' ' <"$tmp/kept")"
fi
for p in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$p")"
    [[ "$status" == config-files ]] || fail "$p after dpkg -r: $status, not config-files"
done

echo "== dpkg -P"
dpkg -P "${packages[@]}"
snapshot "$tmp/purged"
if ! diff "$tmp/before" "$tmp/purged" >"$tmp/diff"; then
    fail "dpkg -P did not leave the file system as before: $(cat "$tmp/diff")"
else
    echo "dpkg -P: the file system is as before the install"
fi

if ((failed)); then
    echo "package test FAILED"
else
    echo "package test passed"
fi
exit "$failed"
