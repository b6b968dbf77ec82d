#!/usr/bin/env bash
# Takes docs/status_page.png and docs/host_page.png from a real beat_server with four agents on
# 127.0.0.1: cache-1 is stopped (SIGSTOP) for two minutes in the middle of the run, so its charts
# show a shaded silent period, and db-1 is stopped near the end, so the status page shows a
# silent host. About BEAT_SHOT_MINUTES (default 12) minutes; needs a built tree (BUILD, default
# build) and Debian's chromium.
#
#   scripts/screenshots.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
minutes=${BEAT_SHOT_MINUTES:-12}
server=$build/beat_server/beat_server
client=$build/beat_client/beat_client
[[ -x $server && -x $client ]] || { echo "build beat_server and beat_client in $build first" >&2; exit 1; }
command -v chromium >/dev/null || { echo "chromium is missing (apt-get install chromium)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

udp=127.0.0.1:47311 tcp=127.0.0.1:47312 http=127.0.0.1:47313
"$server" --udp $udp --tcp $tcp --http $http --data-dir "$work/data" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/server.log" 2>/dev/null && break; sleep 0.1; done

declare -A agent
for h in web-1 web-2 db-1 cache-1; do
    "$client" --server $udp --host $h --interval 2 2>>"$work/agents.log" &
    agent[$h]=$!
    pids+=($!)
done

step=$((minutes * 60 / 6))
sleep $((2 * step))
kill -STOP "${agent[cache-1]}"
sleep $((step * 12 / 10))
kill -CONT "${agent[cache-1]}"
sleep $((step * 18 / 10))
kill -STOP "${agent[db-1]}"
sleep $((step))

shoot() {
    local profile
    profile=$(mktemp -d)
    chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" \
        --hide-scrollbars --window-size=1200,900 --screenshot="$1" "$2" 2>/dev/null
    rm -rf "$profile"
}
shoot docs/status_page.png "http://$http/"
shoot docs/host_page.png "http://$http/host/cache-1"
grep -E "host (silent|back|new)" "$work/server.log" | cut -c1-160
ls -l docs/status_page.png docs/host_page.png
