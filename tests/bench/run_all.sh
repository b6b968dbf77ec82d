#!/usr/bin/env bash
# Runs every beat benchmark on 127.0.0.1 and prints the results as a markdown table.
#
# Usage: tests/bench/run_all.sh
# Builds a Release tree in build-bench/ (BEAT_BENCH_BUILD overrides it), starts its own
# receivers, beat_server and redis-server instances on free loopback ports, and stops every
# process it started when it exits, however it exits. Takes a few minutes. Knobs (environment):
#   BENCH_HOSTS=10000 BENCH_METRICS=8   UDP load shape
#   BENCH_UDP_SECONDS=3                 length of one UDP trial
#   BENCH_UDP_STEPS=6                   bisection steps per receiver
#   BENCH_TCP_SECONDS=3 BENCH_TCP_REPEATS=3   measured seconds per TCP run, runs per figure
#   BENCH_MEM_HOSTS=100000 BENCH_MEM_POINTS=1000000
# See tests/bench/README.md for the method.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BEAT_BENCH_BUILD:-$root/build-bench}
hosts=${BENCH_HOSTS:-10000}
metrics=${BENCH_METRICS:-8}
udp_seconds=${BENCH_UDP_SECONDS:-3}
udp_steps=${BENCH_UDP_STEPS:-6}
tcp_seconds=${BENCH_TCP_SECONDS:-3}
tcp_repeats=${BENCH_TCP_REPEATS:-3}
mem_hosts=${BENCH_MEM_HOSTS:-100000}
mem_points=${BENCH_MEM_POINTS:-1000000}

work=$(mktemp -d /tmp/beat-bench.XXXXXX)
pids=()

cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "[bench] $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Build.

"$root/scripts/install-deps.sh" --test >&2
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
    { cat "$work/cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$build" -j"$(nproc)" --target udp_load udp_sink tcp_load >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; die "building the load generators failed"; }
udp_load=$build/tests/bench/udp_load
udp_sink=$build/tests/bench/udp_sink
tcp_load=$build/tests/bench/tcp_load
beat_server=$build/beat_server/beat_server
have_server=1
if ! cmake --build "$build" -j"$(nproc)" --target beat_server >"$work/build-server.log" 2>&1 ||
    [[ ! -x $beat_server ]]; then
    say "beat_server does not build; its columns will read n/a"
    tail -15 "$work/build-server.log" >&2
    have_server=0
fi

# ---------------------------------------------------------------------------------------------
# Processes. Every process is started in the background, remembered in pids[] for the trap, and
# stopped with SIGTERM by stop_proc.

# Starts "$@" with stderr in $log; sets $proc.
start_proc() {
    local log=$1
    shift
    "$@" >/dev/null 2>"$log" &
    proc=$!
    pids+=("$proc")
}

# Sends SIGTERM to $1 and waits up to 10 s for it to exit; returns its exit status.
stop_proc() {
    local pid=$1 i status=0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "process $pid ignored SIGTERM for 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || status=$?
    return "$status"
}

# Waits until $1 holds "listening"; sets $udp_port and $tcp_port from "udp=ADDR:PORT tcp=...".
wait_listening() {
    local log=$1 pid=$2 i line
    for ((i = 0; i < 100; i++)); do
        line=$(grep -m1 'listening' "$log" 2>/dev/null || true)
        [[ -n $line ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "a receiver exited at start-up"; }
        sleep 0.05
    done
    [[ -n $line ]] || { cat "$log" >&2; die "no 'listening' line in $log"; }
    udp_port=$(grep -o 'udp=[^ ]*' <<<"$line" | sed 's/.*://' || true)
    tcp_port=$(grep -o 'tcp=[^ ]*' <<<"$line" | sed 's/.*://' || true)
}

# Starts a UDP receiver ("sink" or "server"); sets $rx_pid, $rx_log, $udp_port, $tcp_port.
start_receiver() {
    rx_log=$work/$1.log
    if [[ $1 == sink ]]; then
        start_proc "$rx_log" "$udp_sink" --port 0
    else
        start_proc "$rx_log" "$beat_server" --udp 127.0.0.1:0 --tcp 127.0.0.1:0
    fi
    rx_pid=$proc
    wait_listening "$rx_log" "$rx_pid"
}

# Stops the receiver and sets $received and $accepted from its "stopped datagrams=N accepted=N"
# line.
stop_receiver() {
    local status=0 line
    stop_proc "$rx_pid" || status=$?
    line=$(grep 'stopped' "$rx_log" | tail -1 || true)
    received=$(grep -o 'datagrams=[0-9]*' <<<"$line" | cut -d= -f2 || true)
    accepted=$(grep -o 'accepted=[0-9]*' <<<"$line" | cut -d= -f2 || true)
    [[ $status -eq 0 && -n $received ]] ||
        { tail -5 "$rx_log" >&2; die "receiver exited with $status without a 'stopped' line"; }
}

# Waits until the receive queue of UDP port $1 is empty (at most 5 s).
wait_drained() {
    local i q
    for ((i = 0; i < 100; i++)); do
        q=$(ss -Hunl "sport = :$1" | awk '{print $2; exit}')
        [[ -z $q || $q == 0 ]] && break
        sleep 0.05
    done
    sleep 0.1  # The last batch read is still being handled.
}

# Resident set size of $1 in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# CPU seconds (user + system) used so far by $1.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# Picks a free loopback TCP port for redis-server, which has no "port 0".
free_port() {
    local p
    while true; do
        p=$((20000 + RANDOM % 40000))
        [[ -z $(ss -Htan "sport = :$p") ]] && { echo "$p"; return; }
    done
}

# Starts a private redis-server; sets $redis_pid and $redis_port.
start_redis() {
    local attempt i
    for ((attempt = 0; attempt < 5; attempt++)); do
        redis_port=$(free_port)
        start_proc "$work/redis.log" redis-server --port "$redis_port" --bind 127.0.0.1 \
            --save '' --appendonly no --daemonize no --protected-mode yes
        redis_pid=$proc
        for ((i = 0; i < 100; i++)); do
            [[ $(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null) == PONG ]] && return
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.05
        done
        stop_proc "$redis_pid" || true
    done
    die "redis-server did not start"
}

# ---------------------------------------------------------------------------------------------
# UDP: the highest rate each receiver takes for $udp_seconds with zero loss.

# Runs one trial of receiver $1 at rate $2 (0: as fast as the sender goes). Sets $sent and
# $sent_rate; succeeds when every datagram sent was received and accepted.
udp_trial() {
    local kind=$1 rate=$2 out
    start_receiver "$kind"
    out=$("$udp_load" --port "$udp_port" --hosts "$hosts" --metrics "$metrics" --rate "$rate" \
        --duration "$udp_seconds")
    sent=$(grep -o 'sent=[0-9]*' <<<"$out" | cut -d= -f2)
    sent_rate=$(grep -o ' rate=[0-9]*' <<<"$out" | cut -d= -f2)
    wait_drained "$udp_port"
    stop_receiver
    say "udp $kind target=$rate sent=$sent rate=$sent_rate received=$received accepted=$accepted"
    [[ $received -eq $sent && $accepted -eq $sent ]]
}

# A rate passes when one of two trials loses nothing: the second absorbs a burst of noise from
# other processes on a small machine, and both receivers get the same allowance.
udp_passes() {
    udp_trial "$1" "$2" || udp_trial "$1" "$2"
}

# Finds the zero-loss rate of receiver $1; sets $best. One unpaced trial first: a receiver that
# keeps up with the sender's top speed is sender-bound. Otherwise bisect below the fastest
# unpaced send seen so far in this run ($top_rate).
udp_search() {
    local kind=$1 lo=0 hi mid i
    best=0
    if udp_trial "$kind" 0; then
        best=$sent_rate
        udp_sender_bound[$kind]=1
        top_rate=$((sent_rate > top_rate ? sent_rate : top_rate))
        return
    fi
    top_rate=$((sent_rate > top_rate ? sent_rate : top_rate))
    hi=$top_rate
    for ((i = 0; i < udp_steps; i++)); do
        mid=$(((lo + hi) / 2))
        if udp_passes "$kind" "$mid"; then
            lo=$mid
            best=$sent_rate
        else
            hi=$mid
        fi
    done
}

# ---------------------------------------------------------------------------------------------
# TCP: put throughput and latency against beat_server and redis-server.

# Runs tcp_load against a fresh target $1 ("beat" or "redis") with $2 connections $3 deep; sets
# $tcp_out (tcp_load's summary line) and $tcp_cpu (the target's CPU seconds per second measured).
tcp_run() {
    local target=$1 conns=$2 depth=$3 port pid cpu0 cpu1 status=0
    if [[ $target == redis ]]; then
        start_redis
        port=$redis_port pid=$redis_pid
    else
        start_receiver server
        port=$tcp_port pid=$rx_pid
    fi
    cpu0=$(cpu_seconds "$pid")
    tcp_out=$("$tcp_load" --port "$port" --protocol "$target" --conns "$conns" --depth "$depth" \
        --duration "$tcp_seconds" --warmup 0.5) || status=$?
    cpu1=$(cpu_seconds "$pid")
    stop_proc "$pid" || true
    [[ $status -eq 0 ]] || die "tcp_load against $target failed"
    tcp_cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v s="$tcp_seconds" 'BEGIN {printf "%.2f", (b - a) / (s + 0.5)}')
    say "tcp $target conns=$conns depth=$depth $tcp_out server_cpu=$tcp_cpu"
    grep -q 'errors=0 ' <<<"$tcp_out" || die "$target answered with errors"
}

field() { grep -o "$1=[0-9.]*" <<<"$2" | cut -d= -f2; }

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Runs the scenario $tcp_repeats times per target, alternating targets so that drift in the
# machine's load touches both; sets tcp_rate[target], tcp_p50[target], tcp_p99[target] (medians)
# and tcp_cpu_of[target].
tcp_scenario() {
    local conns=$1 depth=$2 r target
    local -A rates p50s p99s cpus
    for ((r = 0; r < tcp_repeats; r++)); do
        for target in redis beat; do
            [[ $target == beat && $have_server -eq 0 ]] && continue
            tcp_run "$target" "$conns" "$depth"
            rates[$target]+=" $(field rate "$tcp_out")"
            p50s[$target]+=" $(field p50_us "$tcp_out")"
            p99s[$target]+=" $(field p99_us "$tcp_out")"
            cpus[$target]+=" $tcp_cpu"
        done
    done
    for target in redis beat; do
        [[ $target == beat && $have_server -eq 0 ]] && continue
        # shellcheck disable=SC2086
        {
            tcp_rate[$target]=$(median ${rates[$target]})
            tcp_p50[$target]=$(median ${p50s[$target]})
            tcp_p99[$target]=$(median ${p99s[$target]})
            tcp_cpu_of[$target]=$(median ${cpus[$target]})
        }
    done
}

# ---------------------------------------------------------------------------------------------
# Memory: resident-set growth per tracked host and per stored point.

# Sends one beat from each of $mem_hosts hosts with $1 metrics to a fresh beat_server; prints
# the RSS growth in bytes per host.
mem_per_host() {
    local m=$1 rss0 rss1
    start_receiver server
    sleep 0.3
    rss0=$(rss_kib "$rx_pid")
    "$udp_load" --port "$udp_port" --hosts "$mem_hosts" --metrics "$m" --interval-ms 600000 \
        --count "$mem_hosts" --rate 100000 --duration 30 >/dev/null
    wait_drained "$udp_port"
    sleep 0.3
    rss1=$(rss_kib "$rx_pid")
    stop_receiver
    [[ $accepted -eq $mem_hosts ]] || say "memory: only $accepted of $mem_hosts beats accepted"
    echo $(((rss1 - rss0) * 1024 / accepted))
}

# Puts $mem_points points into a fresh target $1; prints the RSS growth in bytes per point.
mem_per_point() {
    local target=$1 port pid rss0 rss1 out
    if [[ $target == redis ]]; then
        start_redis
        port=$redis_port pid=$redis_pid
    else
        start_receiver server
        port=$tcp_port pid=$rx_pid
    fi
    sleep 0.3
    rss0=$(rss_kib "$pid")
    out=$("$tcp_load" --port "$port" --protocol "$target" --conns 4 --depth 64 --keys 1000 \
        --requests "$mem_points" --duration 60)
    grep -q 'errors=0 ' <<<"$out" || die "$target answered with errors while filling"
    sleep 0.3
    rss1=$(rss_kib "$pid")
    stop_proc "$pid" || true
    echo $(((rss1 - rss0) * 1024 / mem_points))
}

# ---------------------------------------------------------------------------------------------
# Run.

command -v redis-server >/dev/null || die "redis-server is not installed"
say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
started=$SECONDS
declare -A udp_sender_bound=() tcp_rate=() tcp_p50=() tcp_p99=() tcp_cpu_of=()

say "UDP: $hosts hosts x $metrics metrics, ${udp_seconds} s trials"
top_rate=0
udp_search sink
sink_best=$best
server_best=n/a
if ((have_server)); then
    udp_search server
    server_best=$best
fi

say "TCP: 50 connections, ping-pong"
tcp_scenario 50 1
pp_redis=${tcp_rate[redis]} pp_redis_lat="${tcp_p50[redis]} / ${tcp_p99[redis]}"
pp_redis_cpu=${tcp_cpu_of[redis]}
pp_beat=${tcp_rate[beat]:-n/a} pp_beat_lat="${tcp_p50[beat]:-n/a} / ${tcp_p99[beat]:-n/a}"
pp_beat_cpu=${tcp_cpu_of[beat]:-n/a}

say "TCP: 50 connections, pipelined 16 deep"
tcp_scenario 50 16
pl_redis=${tcp_rate[redis]} pl_redis_lat="${tcp_p50[redis]} / ${tcp_p99[redis]}"
pl_redis_cpu=${tcp_cpu_of[redis]}
pl_beat=${tcp_rate[beat]:-n/a} pl_beat_lat="${tcp_p50[beat]:-n/a} / ${tcp_p99[beat]:-n/a}"
pl_beat_cpu=${tcp_cpu_of[beat]:-n/a}

say "memory"
mem_point_redis=$(mem_per_point redis)
mem_host0=n/a mem_host8=n/a mem_point=n/a
if ((have_server)); then
    mem_host0=$(mem_per_host 0)
    mem_host8=$(mem_per_host "$metrics")
    mem_point=$(mem_per_point beat)
fi

ratio() {
    [[ $1 == n/a || $2 == n/a || $2 == 0 ]] && { echo n/a; return; }
    awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'
}
bound_note() { if [[ -n ${udp_sender_bound[$1]:-} ]]; then echo " (sender-bound)"; fi; }

cat <<EOF

## beat benchmarks

$(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $((SECONDS - started)) s.

| Benchmark | beat_server | Baseline | Ratio | Target |
|---|---|---|---|---|
| UDP ingest with zero loss, $hosts hosts x $metrics metrics (datagrams/s) | $server_best$(bound_note server) | udp_sink: $sink_best$(bound_note sink) | $(ratio "$server_best" "$sink_best") | >= 0.85 |
| TCP put, 50 conns ping-pong (requests/s) | $pp_beat | redis HSET: $pp_redis | $(ratio "$pp_beat" "$pp_redis") | >= 1.2 |
| ... latency p50 / p99 (us) | $pp_beat_lat | $pp_redis_lat | | |
| ... server CPU (cores busy) | $pp_beat_cpu | $pp_redis_cpu | | |
| TCP put, 50 conns pipelined 16 deep (requests/s) | $pl_beat | redis HSET: $pl_redis | $(ratio "$pl_beat" "$pl_redis") | >= 1.5 |
| ... latency p50 / p99 (us) | $pl_beat_lat | $pl_redis_lat | | |
| ... server CPU (cores busy) | $pl_beat_cpu | $pl_redis_cpu | | |
| Memory per tracked host, no metrics (bytes RSS) | $mem_host0 | | | |
| Memory per tracked host, $metrics metrics (bytes RSS) | $mem_host8 | | | |
| Memory per stored point (bytes RSS) | $mem_point | redis: $mem_point_redis | | |

UDP sender top speed: $top_rate datagrams/s. TCP figures are medians of $tcp_repeats runs of ${tcp_seconds} s.
EOF
