#!/usr/bin/env bash
# The README's topology for many servers, on this machine: a PostgreSQL 15 of its own in a
# temporary directory (unix socket only), two beat_servers A and B writing to it (--postgres), and
# two agents each beating both servers. Agent web2 is stopped (SIGSTOP) until 3 s after both servers
# report it silent, then resumed, and one put goes to A. Then it prints what the database holds:
# points by key with the count of rows per (key, second) (1 everywhere: each point stored once,
# although both servers wrote it), the host events of both servers, and beat.hosts.
#
#   scripts/postgres_two_servers.sh      # about 30 s after the build; everything removed at exit
#
# BEAT_BUILD (build) is the build directory; the script builds beat_server and beat_client there.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BEAT_BUILD:-$root/build}
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/beat-two-servers.XXXXXX)
pids=()
as_pg=()
((EUID == 0)) && as_pg=(runuser -u postgres --)
cleanup() {
    for p in "${pids[@]}"; do
        kill -CONT "$p" 2>/dev/null || true
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "[two-servers] $*" >&2; }
die() {
    say "error: $*"
    exit 1
}
# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for() {
    local i
    for ((i = 0; i < $3 * 20; ++i)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    die "no '$2' in $1 after $3 s: $(tail -3 "$1")"
}

[[ -x $pgbin/initdb ]] || "$root/scripts/install-deps.sh" --test >&2
cmake -S "$root" -B "$build" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; die cmake; }
cmake --build "$build" -j"$(nproc)" --target beat_server beat_client >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; die "build failed"; }

((EUID == 0)) && chown postgres "$work"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres -A trust --no-sync --no-instructions \
    -E UTF8 --locale C >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die initdb; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
    "-c listen_addresses='' -c unix_socket_directories=$work -c port=5432" start >/dev/null ||
    die "PostgreSQL did not start: $(tail -5 "$work/pg.log")"
conninfo="host=$work port=5432 user=postgres dbname=postgres"

declare -A udp=() tcp=()
for s in A B; do
    "$build/beat_server/beat_server" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http off \
        --data-dir "$work/data-$s" --postgres "$conninfo" --postgres-batch 0.2 \
        2>"$work/server-$s.log" &
    pids+=($!)
    wait_for "$work/server-$s.log" listening 10
    line=$(grep listening "$work/server-$s.log")
    udp[$s]=$(sed -E 's/.*udp=([^ ]*).*/\1/' <<<"$line")
    tcp[$s]=$(sed -E 's/.*tcp=([^ ]*).*/\1/' <<<"$line")
    say "server $s: udp=${udp[$s]} tcp=${tcp[$s]}"
done

declare -A agent=()
for h in web1 web2; do
    "$build/beat_client/beat_client" run --server "${udp[A]}" --server "${udp[B]}" \
        --interval 1 --host "$h" 2>"$work/agent-$h.log" &
    agent[$h]=$!
    pids+=($!)
done
for s in A B; do
    for h in web1 web2; do wait_for "$work/server-$s.log" "host new host=$h" 10; done
done
"$build/beat_client/beat_client" put demo.deploys 1 --server "${tcp[A]}" >/dev/null

say "web2 stopped (SIGSTOP) until 3 s after both servers report it silent"
sleep 2
kill -STOP "${agent[web2]}"
for s in A B; do wait_for "$work/server-$s.log" "host silent host=web2" 20; done
sleep 3
kill -CONT "${agent[web2]}"
for s in A B; do wait_for "$work/server-$s.log" "host back host=web2" 10; done
sleep 2
# Stopping the servers flushes what they still hold to PostgreSQL.
for s in 0 1; do kill -TERM "${pids[$s]}"; done
for s in 0 1; do wait "${pids[$s]}" || die "a server exited with $?"; done
grep -h stopped "$work"/server-?.log | sed 's/^/[two-servers] /' >&2

q() {
    echo
    echo "=> $1"
    psql -X -P pager=off -v ON_ERROR_STOP=1 -d "$conninfo" -c "$1"
}
q "SELECT key, count(*) AS points, min(time)::time(0) AS first, max(time)::time(0) AS last,
     max(n) AS rows_per_second
   FROM (SELECT key, time, count(*) OVER (PARTITION BY key, time) AS n FROM beat.points) p
   WHERE key LIKE 'web%.cpu' OR key LIKE 'web%.mem.used_pct' OR key LIKE 'demo.%'
   GROUP BY key ORDER BY key"
q "SELECT time::time(3), server, host, event, detail FROM beat.host_events ORDER BY time, server"
q "SELECT s.host, s.server, s.time::time(3) AS silent_at, b.time::time(3) AS back_at,
     (b.detail->>'away_for_ms')::bigint / 1000.0 AS away_s
   FROM beat.host_events s JOIN LATERAL (SELECT time, detail FROM beat.host_events b
     WHERE b.host = s.host AND b.server = s.server AND b.event = 'back' AND b.time > s.time
     ORDER BY b.time LIMIT 1) b ON true
   WHERE s.event = 'silent' ORDER BY s.time"
q "SELECT server, host, state, last_seen::time(3), detail FROM beat.hosts ORDER BY host, server"
