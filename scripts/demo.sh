#!/usr/bin/env bash
# The main job on one machine: a beat_server and three beat_client agents on 127.0.0.1.
# Installs what is missing, builds, makes a fleet key, shows the signed hosts arriving and an
# unsigned one refused, stops one agent, shows it reported silent, shows the HTTP port (health,
# the host as JSON, Prometheus metrics), shows `get *` on the put/get port, then stops everything
# cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
build=${BEAT_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEAT_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target beat_server beat_client >/dev/null
server_bin="$build/beat_server/beat_server"
client_bin="$build/beat_client/beat_client"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Waits up to $2 seconds for a line matching $1 in the server log and prints it.
wait_for() {
  local pattern=$1 deadline=$((SECONDS + $2))
  until grep -qs -- "$pattern" "$work/server.log"; do
    if ((SECONDS >= deadline)); then echo "timed out waiting for: $pattern" >&2; exit 1; fi
    sleep 0.1
  done
  grep -- "$pattern" "$work/server.log" | tail -n 1
}

say "making a fleet key: every beat is signed with it, the server refuses anything else"
(umask 077 && "$client_bin" keygen >"$work/fleet.key")
ls -l "$work/fleet.key" | cut -d' ' -f1

say "starting beat_server on 127.0.0.1 (ports chosen by the kernel)"
"$server_bin" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 --report-interval 2 --data-dir "$work/data" \
  --key-file "$work/fleet.key" 2>"$work/server.log" &
server=$!
pids+=("$server")
line=$(wait_for "listening" 10)
echo "$line"
wait_for "heartbeat authentication" 10
udp=$(sed -E 's/.*udp=([^ ]+).*/\1/' <<<"$line")
tcp=$(sed -E 's/.*tcp=([^ ]+).*/\1/' <<<"$line")
http_port=$(sed -E 's/.*http=[^ ]+:([0-9]+).*/\1/' <<<"$line")
# GET $1 from the HTTP port with bash's /dev/tcp (no curl needed); prints the body.
http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$http_port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

say "starting three agents beating every second"
declare -A agent
for n in 1 2 3; do
  "$client_bin" run --server "$udp" --interval 1 --host "demo-node-$n" \
    --key-file "$work/fleet.key" 2>"$work/agent-$n.log" &
  agent[$n]=$!
  pids+=("${agent[$n]}")
done
for n in 1 2 3; do wait_for "host new host=demo-node-$n" 10; done

say "an agent without the key is refused"
"$client_bin" once --server "$udp" --host intruder --disable cpu,net 2>/dev/null
wait_for "host=intruder reason=auth_missing" 10

say "stopping demo-node-2: the server reports it silent after 3 missed beats"
kill -TERM "${agent[2]}"
wait "${agent[2]}" || true
wait_for "host silent host=demo-node-2" 10
wait_for "silent hosts: 1" 10

say "the HTTP port (127.0.0.1:$http_port): /healthz, /hosts/demo-node-2 and /metrics"
http_get /healthz
http_get /hosts/demo-node-2 | head -c 600
echo
http_get /metrics | grep -E '^beat_host_up|^beat_metric\{host="demo-node-1",name="(cpu|load\.1)"'
echo "(the status page for a browser: http://127.0.0.1:$http_port/)"

say "put a value and query everything on the put/get port ($tcp): get *"
"$client_bin" put demo.answer 42 --server "$tcp"
"$client_bin" get '*' --server "$tcp" >"$work/all.txt"
head -n 12 "$work/all.txt"
echo "... ($(wc -l <"$work/all.txt") points under $(cut -d' ' -f1 "$work/all.txt" | sort -u | wc -l) keys)"
echo "demo-node-1 CPU:"
"$client_bin" get demo-node-1.cpu --server "$tcp"

say "stopping cleanly"
for n in 1 3; do kill -TERM "${agent[$n]}"; wait "${agent[$n]}" || true; done
kill -TERM "$server"
rc=0
wait "$server" || rc=$?
grep -E "INFO stopped" "$work/server.log"
echo "beat_server exit code: $rc"
pids=()
exit "$rc"
