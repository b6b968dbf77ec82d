#!/usr/bin/env bash
# Ingest rate of beat_server's --binary port (metric frames) against the put/get port (put lines)
# storing the same points, measured by the same load generator in the same run.
#
#   tests/bench/binary_bench.sh        # about a minute; the table goes to stdout
#
# Each round starts a fresh server (its own temporary --data-dir, --durability as given) per
# protocol and has tcp_load send it BENCH_POINTS points over BENCH_CONNS connections, walking
# BENCH_KEYS keys with increasing timestamps so that every point is new: as binary frames written
# as fast as the connections take them (the port has no replies; the run ends when the server
# has closed every connection after its end, so every frame has been handled), and as put lines
# with up to 1024 in flight per connection (the run ends with the last reply). Both rates are
# points over the whole run; the server's CPU time per point (all its threads, start-up
# included) says what each costs the server whatever else the machine runs. The server's stopped line must count every frame stored, and every
# put must be answered ok. The protocols alternate within a round, and the table shows each one's
# median over the rounds. Environment knobs:
#   BEAT_BENCH_BUILD (build-bench)  BENCH_ROUNDS (3)  BENCH_POINTS (2000000)  BENCH_CONNS (4)
#   BENCH_KEYS (4000)  BENCH_DURABILITY (batch)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=binary-bench
# shellcheck source=tests/bench/bench_lib.sh
source "$root/tests/bench/bench_lib.sh"
rounds=${BENCH_ROUNDS:-3}
points=${BENCH_POINTS:-2000000}
conns=${BENCH_CONNS:-4}
keys=${BENCH_KEYS:-4000}
durability=${BENCH_DURABILITY:-batch}
protocols=(binary put)

build_targets beat_server tcp_load
tcp_load=$build/tests/bench/tcp_load

# Runs one trial of protocol $1 (binary or put); prints tcp_load's rate and the server's CPU time
# per point in microseconds.
trial() {
    local protocol=$1 log=$work/server-$1.log out stored cpu
    rm -rf "$work/data"
    start_server "$log" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --binary 127.0.0.1:0 --http off \
        --data-dir "$work/data" --durability "$durability"
    if [[ $protocol == binary ]]; then
        out=$("$tcp_load" --port "$(listening_port binary)" --protocol binary --conns "$conns" \
            --keys "$keys" --requests "$points" --duration 120 --warmup 0)
    else
        out=$("$tcp_load" --port "$(listening_port tcp)" --protocol beat --conns "$conns" \
            --depth 1024 --keys "$keys" --requests "$points" --duration 120 --warmup 0)
    fi
    say "$protocol: $out"
    grep -q " errors=0 " <<<"$out" || die "$protocol: errors: $out"
    cpu=$(server_cpu_seconds)
    stop_server
    if [[ $protocol == binary ]]; then
        stored=$(grep -o ' binary_frames=[0-9]*' "$log" | cut -d= -f2)
    else
        stored=$(grep -o ' puts=[0-9]*' "$log" | cut -d= -f2)
    fi
    [[ $stored == "$points" ]] || die "$protocol: $stored of $points points stored"
    printf '%s %.3f\n' "$(sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$out")" \
        "$(echo "$cpu * 1000000 / $points" | bc -l)"
}

declare -A rates=() cpus=()
for ((r = 1; r <= rounds; r++)); do
    for protocol in "${protocols[@]}"; do
        read -r rate cpu < <(trial "$protocol")
        say "round $r $protocol: rate=$rate points/s server_cpu=${cpu}us/point"
        rates[$protocol]+="$rate "
        cpus[$protocol]+="$cpu "
    done
done

base=$(median "${rates[put]}")
base_cpu=$(median "${cpus[put]}")
printf '%-8s %14s %8s %18s %8s\n' protocol "points/s" ratio "server_us/point" ratio
for protocol in "${protocols[@]}"; do
    m=$(median "${rates[$protocol]}")
    c=$(median "${cpus[$protocol]}")
    printf '%-8s %14.0f %8.2f %18.3f %8.2f\n' "$protocol" "$m" "$(echo "$m / $base" | bc -l)" \
        "$c" "$(echo "$c / $base_cpu" | bc -l)"
done
echo "($rounds rounds of $points points, $conns connections, $keys keys, --durability $durability; median)"
