#!/usr/bin/env bash
# Put throughput of beat_server per durability mode, as a ratio to the memory-only server
# (--durability off) measured by the same load generator in the same run.
#
#   tests/bench/storage_bench.sh        # about a minute; the table goes to stdout
#
# Each round starts a fresh server per mode on 127.0.0.1 with its own temporary --data-dir and
# drives it with tcp_load (pipelined puts on several connections); the modes alternate within a
# round so that a disturbance hits them alike, and the table shows each mode's median over the
# rounds. Nothing is pinned: the storage writer is a thread of its own, and where it runs is part
# of what is measured. Environment knobs:
#   BEAT_BENCH_BUILD (build-bench)  BENCH_ROUNDS (3)  BENCH_SECONDS (4)  BENCH_CONNS (4)
#   BENCH_DEPTH (64)  BENCH_KEYS (4000)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=storage-bench
# shellcheck source=tests/bench/bench_lib.sh
source "$root/tests/bench/bench_lib.sh"
rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-4}
conns=${BENCH_CONNS:-4}
depth=${BENCH_DEPTH:-64}
keys=${BENCH_KEYS:-4000}
modes=(off batch sync)

build_targets beat_server tcp_load
tcp_load=$build/tests/bench/tcp_load

# Runs one trial of mode $1; prints tcp_load's rate and the seconds SIGTERM took.
trial() {
    local mode=$1 log=$work/server-$1.log rate t0 t1
    rm -rf "$work/data"
    start_server "$log" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http off --data-dir "$work/data" \
        --durability "$mode"
    rate=$("$tcp_load" --port "$(listening_port tcp)" --conns "$conns" --depth "$depth" \
        --keys "$keys" --duration "$seconds" --warmup 0.5 | sed -E 's/.*rate=([0-9.]+).*/\1/')
    t0=$(date +%s.%N)
    stop_server
    t1=$(date +%s.%N)
    grep -q "storage_failures=0" "$log" || [[ $mode == off ]] ||
        die "storage failures in $mode: $(grep stopped "$log")"
    echo "$rate $(echo "$t1 - $t0" | bc)"
}

declare -A rates=() stops=()
for ((r = 1; r <= rounds; r++)); do
    for mode in "${modes[@]}"; do
        read -r rate stop < <(trial "$mode")
        say "round $r $mode: rate=$rate puts/s stop=${stop}s"
        rates[$mode]+="$rate "
        stops[$mode]+="$stop "
    done
done

base=$(median "${rates[off]}")
printf '%-8s %14s %8s %12s\n' mode "puts/s" ratio "max_stop_s"
for mode in "${modes[@]}"; do
    m=$(median "${rates[$mode]}")
    max_stop=$(tr ' ' '\n' <<<"${stops[$mode]}" | grep -v '^$' | sort -g | tail -1)
    printf '%-8s %14.0f %8.2f %12.2f\n' "$mode" "$m" "$(echo "$m / $base" | bc -l)" "$max_stop"
done
echo "($rounds rounds of ${seconds}s, $conns connections x $depth puts in flight, $keys keys; median)"
