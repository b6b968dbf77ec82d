#!/usr/bin/env bash
# Points per second written into PostgreSQL by beat_server (--postgres), against the same rows
# loaded into the same table by psql's \copy (text and binary), in the same run and database.
#
#   tests/bench/postgres_bench.sh        # a minute or two; the table goes to stdout
#
# Starts a PostgreSQL 15 of its own in a temporary directory (unix socket only; initdb as the
# postgres user when run as root), a memory-only beat_server writing to it, and drives the server
# with tcp_load: BENCH_POINTS puts over BENCH_KEYS keys, each a new point of the last hour. Two
# figures for beat, each BENCH_POINTS over a time:
#   end to end: from the first put to the moment the server's /metrics counts them all written
#     (beat_postgres_rows_written_total), tcp_load and the server sharing the machine with
#     PostgreSQL; the load generator's own rate is shown beside it, since beat cannot write faster
#     than it is fed;
#   writer: the table emptied, the same puts made while a psql session holds beat.point_rows
#     locked (LOCK TABLE ... IN ACCESS EXCLUSIVE MODE in an open transaction), so every point
#     waits in the writer's queue; timed from the COMMIT that releases the lock to the last row
#     written: the writer and PostgreSQL alone, as \copy is timed.
# Then the rows beat wrote are saved with \copy ... TO, the table is emptied, and \copy ... FROM
# loads them back, timed, in each format. Environment knobs:
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
    --data-dir '' --max-keys 1000000 --postgres "$conninfo" --postgres-queue $((points * 2)) \
    2>"$work/server.log" &
server_pid=$!
for _ in $(seq 400); do
    grep -q "listening" "$work/server.log" && break
    sleep 0.05
done
line=$(grep "listening" "$work/server.log") || die "beat_server did not start"
tcp_port=$(sed -E 's/.*tcp=[^ ]*:([0-9]+).*/\1/' <<<"$line")
http_port=$(sed -E 's/.*http=[^ ]*:([0-9]+).*/\1/' <<<"$line")
metric() {
    curl -s "http://127.0.0.1:$http_port/metrics" | sed -nE "s/^$1 ([0-9]+)\$/\\1/p"
}
# Waits (bounded) until `metric NAME` reaches at least WANT; fails the run otherwise.
wait_metric() {
    for _ in $(seq 6000); do
        [[ $(metric "$1") -ge $2 ]] && return 0
        sleep 0.02
    done
    die "$1 is $(metric "$1"), not $2"
}
# Sends the BENCH_POINTS puts (--duration only bounds the run) and prints tcp_load's line; fails
# the run when some were not answered.
load() {
    local out
    out=$("$build/tests/bench/tcp_load" --port "$tcp_port" --conns "$conns" --depth "$depth" \
        --keys "$keys" --requests "$points" --duration 120 --ts-base "$ts_base")
    [[ $out == "replies=$points errors=0 "* ]] || die "tcp_load: $out"
    echo "$out"
}
ts_base=$(($(date +%s) - 3600))

say "beat end to end: $points puts over $keys keys"
t0=$(now)
load_rate=$(load | sed -E 's/.*rate=([0-9.]+).*/\1/')
wait_metric beat_postgres_rows_written_total "$points"
t1=$(now)
e2e_rate=$(echo "$points / ($t1 - $t0)" | bc -l)
say "beat end to end: $(printf '%.0f' "$e2e_rate") points/s (tcp_load fed $(printf '%.0f' "$load_rate") puts/s)"
[[ $(psql_ -c "SELECT count(*) FROM beat.point_rows") == "$points" ]] || die "row count"

say "beat writer: the same puts queued behind a lock on beat.point_rows"
psql_ -c "TRUNCATE beat.point_rows" >/dev/null
mkfifo "$work/locker"
psql -X -A -t -v ON_ERROR_STOP=1 -d "$conninfo" <"$work/locker" >"$work/locker.log" 2>&1 &
exec 3>"$work/locker"
echo "BEGIN; LOCK TABLE beat.point_rows IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&3
for _ in $(seq 500); do
    grep -q locked "$work/locker.log" && break
    sleep 0.02
done
grep -q locked "$work/locker.log" || die "the lock was not taken: $(cat "$work/locker.log")"
load >/dev/null
wait_metric beat_postgres_waiting_points "$points"
t0=$(now)
echo "COMMIT;" >&3
wait_metric beat_postgres_rows_written_total $((2 * points))
t1=$(now)
exec 3>&-
writer_rate=$(echo "$points / ($t1 - $t0)" | bc -l)
say "beat writer: $(printf '%.0f' "$writer_rate") points/s"
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

ratio() { echo "$1 / ${copy_rate[text]}" | bc -l; }
printf '%-44s %12s %10s\n' "writer" "points/s" "vs_copy"
printf '%-44s %12.0f %10.2f\n' "beat --postgres, end to end" "$e2e_rate" "$(ratio "$e2e_rate")"
printf '%-44s %12.0f %10.2f\n' "beat --postgres, writer (queued, unlocked)" "$writer_rate" \
    "$(ratio "$writer_rate")"
for format in text binary; do
    printf '%-44s %12.0f %10.2f\n' "psql \\copy ($format)" "${copy_rate[$format]}" \
        "$(ratio "${copy_rate[$format]}")"
done
echo "($points points over $keys keys into beat.point_rows, daily partitions; tcp_load fed" \
    "$(printf '%.0f' "$load_rate") puts/s)"
