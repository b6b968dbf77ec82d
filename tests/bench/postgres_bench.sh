#!/usr/bin/env bash
# Points per second written into PostgreSQL by beat_server (--postgres), against the same rows
# loaded into the same table by psql's \copy (text and binary), in the same run and database.
#
#   tests/bench/postgres_bench.sh        # a minute or two; the table goes to stdout
#
# Starts a PostgreSQL 15 of its own in a temporary directory (unix socket only; initdb as the
# postgres user when run as root), a memory-only beat_server writing to it, and drives the server
# with tcp_load: BENCH_POINTS puts over BENCH_KEYS keys, each a new point of the last hour. beat's
# figure is BENCH_POINTS over the time from the first put to the moment the server's /metrics
# counts them all written (beat_postgres_rows_written_total); the load generator's own rate is
# shown beside it, since beat cannot write faster than it is fed. Then the rows beat wrote are
# saved with \copy ... TO, the table is emptied, and \copy ... FROM loads them back, timed, in
# each format. Environment knobs:
#   BEAT_BENCH_BUILD (build-bench)  BENCH_POINTS (2000000)  BENCH_KEYS (2000)  BENCH_CONNS (4)
#   BENCH_DEPTH (64)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BEAT_BENCH_BUILD:-$root/build-bench}
points=${BENCH_POINTS:-2000000}
keys=${BENCH_KEYS:-2000}
conns=${BENCH_CONNS:-4}
depth=${BENCH_DEPTH:-64}
pgbin=/usr/lib/postgresql/15/bin

work=$(mktemp -d /tmp/beat-postgres-bench.XXXXXX)
server_pid=
as_pg=()
((EUID == 0)) && as_pg=(runuser -u postgres --)
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "[postgres-bench] $*" >&2; }
die() {
    say "error: $*"
    exit 1
}
now() { date +%s.%N; }

"$root/scripts/install-deps.sh" --test >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEAT_WERROR=OFF >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$build" -j"$(nproc)" --target beat_server tcp_load >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; die "build failed"; }

((EUID == 0)) && chown postgres "$work"
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres -A trust --no-sync --no-instructions \
    -E UTF8 --locale C >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb"; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w -o \
    "-c listen_addresses='' -c unix_socket_directories=$work -c port=5432" start >/dev/null ||
    die "PostgreSQL did not start: $(tail -5 "$work/pg.log")"
conninfo="host=$work port=5432 user=postgres dbname=postgres"
psql_() { psql -X -A -t -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }

"$build/beat_server/beat_server" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http 127.0.0.1:0 \
    --data-dir '' --max-keys 1000000 --postgres "$conninfo" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 400); do
    grep -q "listening" "$work/server.log" && break
    sleep 0.05
done
line=$(grep "listening" "$work/server.log") || die "beat_server did not start"
tcp_port=$(sed -E 's/.*tcp=[^ ]*:([0-9]+).*/\1/' <<<"$line")
http_port=$(sed -E 's/.*http=[^ ]*:([0-9]+).*/\1/' <<<"$line")
written() {
    curl -s "http://127.0.0.1:$http_port/metrics" |
        sed -nE 's/^beat_postgres_rows_written_total ([0-9]+)$/\1/p'
}

say "beat: $points puts over $keys keys"
t0=$(now)
load=$("$build/tests/bench/tcp_load" --port "$tcp_port" --conns "$conns" --depth "$depth" \
    --keys "$keys" --requests "$points" --ts-base $(($(date +%s) - 3600)))
load_rate=$(sed -E 's/.*rate=([0-9.]+).*/\1/' <<<"$load")
for _ in $(seq 6000); do
    [[ $(written) -ge $points ]] && break
    sleep 0.02
done
t1=$(now)
[[ $(written) -ge $points ]] || die "beat wrote $(written) of $points rows"
beat_rate=$(echo "$points / ($t1 - $t0)" | bc -l)
say "beat: $(printf '%.0f' "$beat_rate") points/s (tcp_load fed $(printf '%.0f' "$load_rate") puts/s)"
kill -TERM "$server_pid"
wait "$server_pid" || die "beat_server exited with $?"
server_pid=
[[ $(psql_ -c "SELECT count(*) FROM beat.point_rows") == "$points" ]] || die "row count"

declare -A copy_rate=()
for format in text binary; do
    rows="(SELECT series, time, value FROM beat.point_rows)"  # COPY TO refuses a partitioned table.
    psql_ -c "\\copy $rows TO '$work/rows.$format' WITH (FORMAT $format)" >/dev/null
    psql_ -c "TRUNCATE beat.point_rows" >/dev/null
    t0=$(now)
    psql_ -c "\\copy beat.point_rows FROM '$work/rows.$format' WITH (FORMAT $format)" >/dev/null
    t1=$(now)
    copy_rate[$format]=$(echo "$points / ($t1 - $t0)" | bc -l)
    say "psql \\copy $format: $(printf '%.0f' "${copy_rate[$format]}") points/s"
done

printf '%-32s %12s %10s\n' "writer" "points/s" "vs_copy"
printf '%-32s %12.0f %10.2f\n' "beat --postgres (unnest upsert)" "$beat_rate" \
    "$(echo "$beat_rate / ${copy_rate[text]}" | bc -l)"
for format in text binary; do
    printf '%-32s %12.0f %10.2f\n' "psql \\copy ($format)" "${copy_rate[$format]}" \
        "$(echo "${copy_rate[$format]} / ${copy_rate[text]}" | bc -l)"
done
echo "($points points over $keys keys into beat.point_rows, daily partitions; tcp_load fed" \
    "$(printf '%.0f' "$load_rate") puts/s)"
