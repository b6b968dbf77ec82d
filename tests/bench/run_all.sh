#!/usr/bin/env bash
# Runs every beat benchmark on 127.0.0.1 and prints the results as a markdown table.
#
# Usage: tests/bench/run_all.sh
# Builds a Release tree in build-bench/ (BEAT_BENCH_BUILD overrides it), starts its own
# receivers, beat_server and redis-server instances on free loopback ports, and stops every
# process it started when it exits, however it exits. Takes a few minutes on an idle machine.
# Knobs (environment):
#   BENCH_HOSTS=10000 BENCH_METRICS=8          UDP load shape
#   BENCH_UDP_SECONDS=3 BENCH_UDP_STEPS=6      length of one UDP trial, bisection steps
#   BENCH_TCP_SECONDS=2 BENCH_TCP_REPEATS=5    measured seconds per TCP run, runs per figure
#   BENCH_MEM_HOSTS=100000 BENCH_MEM_POINTS=1000000
# Progress and every individual run go to stderr; the table goes to stdout.
# See tests/bench/README.md for the method.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BEAT_BENCH_BUILD:-$root/build-bench}
hosts=${BENCH_HOSTS:-10000}
metrics=${BENCH_METRICS:-8}
udp_seconds=${BENCH_UDP_SECONDS:-3}
udp_steps=${BENCH_UDP_STEPS:-6}
tcp_seconds=${BENCH_TCP_SECONDS:-2}
tcp_repeats=${BENCH_TCP_REPEATS:-5}
mem_hosts=${BENCH_MEM_HOSTS:-100000}
mem_points=${BENCH_MEM_POINTS:-1000000}
hz=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/beat-bench.XXXXXX)
declare -A live=()  # PIDs of the processes this script started and has not reaped yet.
starts=0            # Processes started so far; numbers their logs.

cleanup() {
    local pid
    for pid in "${!live[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${!live[@]}"; do
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
# Build (warnings do not stop a benchmark run; CI is where they are errors), then run the
# measurements in a session of their own. A session is its own scheduler autogroup, and as root
# the script gives that group the weight of nice -19, so that compilers and test runs sharing the
# machine yield the CPU while a benchmark runs and get it back when it ends. This process waits
# for the session and passes Ctrl-C on to it.

udp_load=$build/tests/bench/udp_load
udp_sink=$build/tests/bench/udp_sink
tcp_load=$build/tests/bench/tcp_load
beat_server=$build/beat_server/beat_server

if [[ -z ${BEAT_BENCH_SESSION:-} ]]; then
    "$root/scripts/install-deps.sh" --test >&2
    command -v redis-server >/dev/null || die "redis-server is not installed"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEAT_WERROR=OFF \
        >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; die "cmake configure failed"; }
    cmake --build "$build" -j"$(nproc)" --target udp_load udp_sink tcp_load \
        >"$work/build.log" 2>&1 ||
        { tail -30 "$work/build.log" >&2; die "building the load generators failed"; }
    have_server=1
    if ! cmake --build "$build" -j"$(nproc)" --target beat_server >"$work/build-server.log" 2>&1 ||
        [[ ! -x $beat_server ]]; then
        tail -15 "$work/build-server.log" >&2
        say "beat_server does not build; its column will read n/a"
        have_server=0
    fi
    BEAT_BENCH_SESSION=1 BEAT_BENCH_HAVE_SERVER=$have_server setsid "$0" "$@" &
    session=$!
    trap 'kill -TERM "$session" 2>/dev/null || true; wait "$session"; exit 130' INT TERM
    status=0
    wait "$session" || status=$?
    exit "$status"
fi

have_server=$BEAT_BENCH_HAVE_SERVER
echo -19 2>/dev/null >/proc/self/autogroup ||
    say "cannot raise the autogroup's weight; expect more noise"
# The load generator runs on CPU 0 and the process under test on CPU 1: neither waits for the
# other's CPU, and the scheduler cannot stack them on one core.
gen_cpu=() rx_cpu=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    gen_cpu=(taskset -c 0) rx_cpu=(taskset -c 1)
fi

# ---------------------------------------------------------------------------------------------
# Processes. Each one runs in the background with stderr in a log, is remembered in live[] for
# the exit trap, and is stopped with SIGTERM by stop_proc.

# Starts "$@" with stderr in $1; sets $proc.
start_proc() {
    local log=$1
    shift
    "$@" >/dev/null 2>"$log" &
    proc=$!
    live[$proc]=1
}

# Sends SIGTERM to $1, waits up to 10 s for it to exit and reaps it; returns its exit status.
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
    unset "live[$pid]"
    return "$status"
}

# Waits until log $1 of process $2 holds a "listening" line; sets $udp_port and $tcp_port from
# its "udp=ADDR:PORT tcp=ADDR:PORT".
wait_listening() {
    local log=$1 pid=$2 i line=
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

# Starts a UDP receiver, "sink", "decoder" (the sink running the decoder on every datagram) or
# "server", on port 0; sets $rx_pid, $rx_log, $udp_port and $tcp_port. Every start gets a new
# log, so that no line from an earlier process is read.
start_receiver() {
    rx_log=$work/$1.$((++starts)).log
    if [[ $1 == sink ]]; then
        start_proc "$rx_log" "${rx_cpu[@]}" "$udp_sink" --port 0
    elif [[ $1 == decoder ]]; then
        start_proc "$rx_log" "${rx_cpu[@]}" "$udp_sink" --decode --port 0
    else
        start_proc "$rx_log" "${rx_cpu[@]}" "$beat_server" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http off \
            --data-dir "$work/data.$starts"
    fi
    rx_pid=$proc
    wait_listening "$rx_log" "$rx_pid"
}

# Stops the receiver; sets $received and $accepted from its "stopped datagrams=N accepted=N".
stop_receiver() {
    local status=0 line
    stop_proc "$rx_pid" || status=$?
    line=$(grep 'stopped' "$rx_log" | tail -1 || true)
    received=$(grep -o 'datagrams=[0-9]*' <<<"$line" | cut -d= -f2 || true)
    accepted=$(grep -o 'accepted=[0-9]*' <<<"$line" | cut -d= -f2 || true)
    [[ $status -eq 0 && -n $received ]] ||
        { tail -5 "$rx_log" >&2; die "receiver exited with $status without a 'stopped' line"; }
}

# Waits (at most 5 s) until UDP port $1 has nothing left in its receive queue.
wait_drained() {
    local i q
    for ((i = 0; i < 100; i++)); do
        q=$(udp_backlog "$1")
        [[ -z $q || $q == 0 ]] && break
        sleep 0.05
    done
    sleep 0.1  # The last batch read may still be in hand.
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
        redis_log=$work/redis.$((++starts)).log
        start_proc "$redis_log" "${rx_cpu[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 \
            --save '' --appendonly no --daemonize no
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

# Starts a fresh put/get target, "beat" or "redis"; sets $target_pid, $target_port, $target_log.
start_target() {
    if [[ $1 == redis ]]; then
        start_redis
        target_pid=$redis_pid target_port=$redis_port target_log=$redis_log
    else
        start_receiver server
        target_pid=$rx_pid target_port=$tcp_port target_log=$rx_log
    fi
}

# Resident set size of process $1 in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# CPU ticks (user + system) used so far by process $1.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Value of "NAME=VALUE" field $1 in line $2.
field() { grep -o "\b$1=[0-9.]*" <<<"$2" | head -1 | cut -d= -f2 || true; }

# ---------------------------------------------------------------------------------------------
# Noise. Even with the raised weight, other processes can delay the benchmark's own. Each run
# measures how long the process under test and the load generator sat runnable but waiting for a
# CPU (/proc/PID/schedstat); a run where either waited more than $max_wait of the time is
# "disturbed" (see udp_passes, udp_search and tcp_run).

max_wait=0.05
disturbed_runs=0

# Nanoseconds process $1 has spent runnable but waiting for a CPU.
wait_ns() { awk '{print $2}' "/proc/$1/schedstat"; }

# Starts measuring a run whose process under test is $1.
noise_start() { noise_w0=$(wait_ns "$1") noise_t0=$EPOCHREALTIME; }

# Sets $waited ("target/generator", the fraction of the run each waited for a CPU) given the
# process under test $1 and the generator's own wait in seconds $2; succeeds when the run counts.
noise_end() {
    local w1 t1
    w1=$(wait_ns "$1") t1=$EPOCHREALTIME
    waited=$(awk -v w=$((w1 - noise_w0)) -v g="${2:-0}" -v t0="$noise_t0" -v t1="$t1" \
        'BEGIN {printf "%.3f/%.3f", w / 1e9 / (t1 - t0), g / (t1 - t0)}')
    holds 'a < max && b < max' -v a="${waited%/*}" -v b="${waited#*/}" -v max="$max_wait" &&
        return
    disturbed_runs=$((disturbed_runs + 1))
    return 1
}

# Succeeds when awk expression $1 over the variables given as -v options holds.
holds() {
    local expr=$1
    shift
    awk "$@" "BEGIN {exit !($expr)}"
}

# ---------------------------------------------------------------------------------------------
# UDP: the highest rate at which each receiver loses nothing for $udp_seconds.

top_rate=0          # The sender's unpaced speed into the sink, datagrams/s.
declare -A bound_by=()  # Receivers whose first trial passed: "sender" or "reference".

# Receive-queue bytes above which a receiver is falling behind: a quarter of the 64 MiB the
# kernel grants for the 32 MiB both receivers ask for. Without this bound the buffer would hide
# a deficit of about 80,000 datagrams per trial (some 3% of a 3 s trial at 600,000/s).
backlog_limit=$((16 << 20))

# Bytes waiting in the receive queue of UDP port $1.
udp_backlog() { ss -Hunl "sport = :$1" | awk '{print $2; exit}'; }

# One trial of receiver $1 at rate $2 (0: as fast as the sender goes). Sets $sent_rate,
# $trial_quiet (1 unless disturbed) and $trial: "pass" when every datagram sent was received and
# accepted and the receive queue was below $backlog_limit when the sender stopped, "fail"
# otherwise, or "disturbed" for a failure while other processes took CPU, which proves nothing.
udp_trial() {
    local kind=$1 rate=$2 out sent backlog quiet=1
    start_receiver "$kind"
    noise_start "$rx_pid"
    out=$("${gen_cpu[@]}" "$udp_load" --port "$udp_port" --hosts "$hosts" --metrics "$metrics" \
        --rate "$rate" --duration "$udp_seconds")
    backlog=$(udp_backlog "$udp_port")
    wait_drained "$udp_port"
    noise_end "$rx_pid" "$(field wait_s "$out")" || quiet=0
    stop_receiver
    sent=$(field sent "$out")
    sent_rate=$(field rate "$out")
    trial_quiet=$quiet
    if ((received == sent && accepted == sent && ${backlog:-0} < backlog_limit)); then
        trial=pass
    elif ((quiet)); then
        trial=fail
    else
        trial=disturbed
    fi
    say "udp $kind target=$rate sent=$sent rate=$sent_rate received=$received" \
        "accepted=$accepted backlog=$backlog waited=$waited: $trial"
}

# A rate passes when a trial loses nothing, and fails after two undisturbed trials lost
# datagrams (four trials at most). Both receivers get the same allowance.
udp_passes() {
    local attempt fails=0
    for ((attempt = 0; attempt < 4; attempt++)); do
        udp_trial "$1" "$2"
        [[ $trial == pass ]] && return 0
        [[ $trial == fail ]] && ((++fails == 2)) && return 1
    done
    return 1
}

# Finds receiver $1's zero-loss rate at or below $2 datagrams/s (0: the sender's top speed);
# sets $best. The first trial runs at $2 itself: a receiver that keeps up with it is "bound" by
# the sender or by the reference. Otherwise bisect below it.
udp_search() {
    local kind=$1 lo=0 hi=$2 mid i
    best=0
    # An unpaced trial measures the sender, so it only counts when undisturbed; at a fixed rate
    # only a disturbed failure is repeated.
    for ((i = 0; i < 3; i++)); do
        udp_trial "$kind" "$hi"
        ((trial_quiet)) || [[ $trial == pass && $hi != 0 ]] && break
    done
    ((hi == 0)) && top_rate=$sent_rate hi=$sent_rate
    if [[ $trial == pass ]]; then
        best=$sent_rate
        bound_by[$kind]=$([[ $2 == 0 ]] && echo sender || echo reference)
        return
    fi
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

# The zero-loss rate can only show that a receiver keeps up with the sender, and on loopback the
# sender pays for delivery, so a single sender may not outrun either receiver. The drain test
# measures capacity directly: the receiver is stopped (SIGSTOP) while the queue fills with
# $drain_count datagrams, then resumed; the CPU time it spends emptying the queue, with nothing
# else to do and full batches on every call, divided by the datagrams is its cost per datagram.
drain_count=50000

# CPU nanoseconds process $1 has run.
run_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

# Sets $drain_ns to receiver $1's CPU nanoseconds per datagram, the median of five drains.
udp_drain() {
    local kind=$1 r c0 c1 backlog costs=()
    for ((r = 0; r < 5; r++)); do
        start_receiver "$kind"
        # One round first, so that every host is known before the measured datagrams arrive.
        "${gen_cpu[@]}" "$udp_load" --port "$udp_port" --hosts "$hosts" --metrics "$metrics" \
            --count "$hosts" --rate 100000 --duration 10 >/dev/null
        wait_drained "$udp_port"
        kill -STOP "$rx_pid"
        "${gen_cpu[@]}" "$udp_load" --port "$udp_port" --hosts "$hosts" --metrics "$metrics" \
            --count "$drain_count" --first-sequence 2 --rate 200000 --duration 10 >/dev/null
        backlog=$(udp_backlog "$udp_port")
        c0=$(run_ns "$rx_pid")
        kill -CONT "$rx_pid"
        wait_drained "$udp_port"
        c1=$(run_ns "$rx_pid")
        stop_receiver
        ((received == hosts + drain_count && accepted == received)) ||
            die "$kind drain: $received of $((hosts + drain_count)) datagrams received" \
                "(queue held $backlog bytes)"
        costs+=($(((c1 - c0) / drain_count)))
        say "udp drain $kind: $drain_count datagrams ($backlog bytes) in $(((c1 - c0) / 1000)) us" \
            "of CPU, ${costs[-1]} ns each"
    done
    drain_ns=$(median "${costs[@]}")
}

# ---------------------------------------------------------------------------------------------
# TCP: put throughput and latency against beat_server and redis-server.

# Runs tcp_load against a fresh target $1 ("beat" or "redis") with $2 connections, $3 requests
# deep. Sets $tcp_out (tcp_load's line) and $tcp_cpu (cores the target used). A disturbed run is
# counted but kept: on a busy machine the noise is steady rather than a burst, so a repeat would
# not be quieter, and alternating targets spreads it over both.
tcp_run() {
    local target=$1 conns=$2 depth=$3 c0 c1 t0 t1 note=
    start_target "$target"
    noise_start "$target_pid"
    c0=$(cpu_ticks "$target_pid") t0=$EPOCHREALTIME
    tcp_out=$("${gen_cpu[@]}" "$tcp_load" --port "$target_port" --protocol "$target" \
        --conns "$conns" --depth "$depth" --duration "$tcp_seconds" --warmup 0.5) ||
        { tail -n 5 "$target_log" >&2; die "tcp_load against $target failed"; }
    c1=$(cpu_ticks "$target_pid") t1=$EPOCHREALTIME
    noise_end "$target_pid" "$(field wait_s "$tcp_out")" || note=": disturbed"
    stop_proc "$target_pid" || true
    tcp_cpu=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
        'BEGIN {printf "%.2f", c / hz / (t1 - t0)}')
    say "tcp $target conns=$conns depth=$depth $tcp_out server_cores=$tcp_cpu waited=$waited$note"
    [[ $(field errors "$tcp_out") == 0 ]] || die "$target answered with errors"
}

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# Runs one scenario ($1 connections, $2 deep) $tcp_repeats times per target, alternating targets
# so that drift in the machine touches both. Sets, per target, the medians tcp_rate, tcp_p50,
# tcp_p99, tcp_cores and tcp_us (server CPU microseconds per request).
tcp_scenario() {
    local conns=$1 depth=$2 r target
    local -A rates=() p50s=() p99s=() cores=() us=()
    for ((r = 0; r < tcp_repeats; r++)); do
        for target in "${tcp_targets[@]}"; do
            tcp_run "$target" "$conns" "$depth"
            rates[$target]+=" $(field rate "$tcp_out")"
            p50s[$target]+=" $(field p50_us "$tcp_out")"
            p99s[$target]+=" $(field p99_us "$tcp_out")"
            cores[$target]+=" $tcp_cpu"
            us[$target]+=" $(awk -v c="$tcp_cpu" -v r="$(field rate "$tcp_out")" \
                'BEGIN {printf "%.2f", c / r * 1e6}')"
        done
    done
    for target in "${tcp_targets[@]}"; do
        # shellcheck disable=SC2086  # Word splitting of the collected figures is intended.
        tcp_rate[$target]=$(median ${rates[$target]}) tcp_p50[$target]=$(median ${p50s[$target]}) \
            tcp_p99[$target]=$(median ${p99s[$target]}) \
            tcp_cores[$target]=$(median ${cores[$target]}) tcp_us[$target]=$(median ${us[$target]})
    done
}

# ---------------------------------------------------------------------------------------------
# Memory: resident-set growth per tracked host and per stored point. These functions set $bytes
# rather than print it: a process started inside $(...) would escape the exit trap.

# Sends one beat from each of $mem_hosts hosts with $1 metrics to a fresh beat_server; sets
# $bytes to the RSS growth per accepted beat.
mem_per_host() {
    local rss0 rss1
    start_receiver server
    sleep 0.3
    rss0=$(rss_kib "$rx_pid")
    # A long interval keeps every host alive while RSS is read.
    "${gen_cpu[@]}" "$udp_load" --port "$udp_port" --hosts "$mem_hosts" --metrics "$1" \
        --interval-ms 600000 --count "$mem_hosts" --rate 100000 --duration 30 >/dev/null
    wait_drained "$udp_port"
    sleep 0.3
    rss1=$(rss_kib "$rx_pid")
    stop_receiver
    ((accepted == mem_hosts)) || say "memory: $accepted of $mem_hosts beats accepted"
    bytes=$(((rss1 - rss0) * 1024 / accepted))
    say "memory: $mem_hosts hosts x $1 metrics: RSS $rss0 KiB -> $rss1 KiB, $bytes bytes per host"
}

# Puts $mem_points points (1,000 keys) into a fresh target $1; sets $bytes to the RSS growth per
# point.
mem_per_point() {
    local rss0 rss1 out
    start_target "$1"
    sleep 0.3
    rss0=$(rss_kib "$target_pid")
    out=$("${gen_cpu[@]}" "$tcp_load" --port "$target_port" --protocol "$1" --conns 4 --depth 64 \
        --keys 1000 --requests "$mem_points" --duration 60)
    [[ $(field errors "$out") == 0 && $(field replies "$out") == "$mem_points" ]] ||
        die "$1 did not store every point: $out"
    sleep 0.3
    rss1=$(rss_kib "$target_pid")
    stop_proc "$target_pid" || true
    bytes=$(((rss1 - rss0) * 1024 / mem_points))
    say "memory: $mem_points points in $1: RSS $rss0 KiB -> $rss1 KiB, $bytes bytes per point"
}

# ---------------------------------------------------------------------------------------------
# Run.

say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), Linux $(uname -r)"
started=$SECONDS
declare -A tcp_rate=() tcp_p50=() tcp_p99=() tcp_cores=() tcp_us=()
tcp_targets=(redis)
((have_server)) && tcp_targets+=(beat)

say "UDP: $hosts hosts x $metrics metrics, ${udp_seconds} s trials"
# The sink's zero-loss rate is the reference; beat_server is tried at that rate first.
udp_search sink 0
sink_best=$best
udp_drain sink
sink_drain=$drain_ns
udp_drain decoder
decoder_drain=$drain_ns
server_best=n/a server_drain=n/a
if ((have_server)); then
    udp_search server "$sink_best"
    server_best=$best
    udp_drain server
    server_drain=$drain_ns
fi

say "TCP: 50 connections, ping-pong"
tcp_scenario 50 1
declare -A pp_rate pp_lat pp_cores pp_us
for t in redis beat; do
    pp_rate[$t]=${tcp_rate[$t]:-n/a} pp_lat[$t]="${tcp_p50[$t]:-n/a} / ${tcp_p99[$t]:-n/a}"
    pp_cores[$t]=${tcp_cores[$t]:-n/a} pp_us[$t]=${tcp_us[$t]:-n/a}
done

say "TCP: 50 connections, pipelined 16 deep"
tcp_scenario 50 16
declare -A pl_rate pl_lat pl_cores pl_us
for t in redis beat; do
    pl_rate[$t]=${tcp_rate[$t]:-n/a} pl_lat[$t]="${tcp_p50[$t]:-n/a} / ${tcp_p99[$t]:-n/a}"
    pl_cores[$t]=${tcp_cores[$t]:-n/a} pl_us[$t]=${tcp_us[$t]:-n/a}
done

say "memory"
mem_per_point redis
mem_point_redis=$bytes
mem_host0=n/a mem_hostm=n/a mem_point=n/a
if ((have_server)); then
    mem_per_host 0
    mem_host0=$bytes
    mem_per_host "$metrics"
    mem_hostm=$bytes
    mem_per_point beat
    mem_point=$bytes
fi

ratio() {
    if [[ $1 == n/a || $2 == n/a || $2 == 0 ]]; then
        echo n/a
    else
        awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'
    fi
}
bound() {
    case ${bound_by[$1]:-} in
        sender) echo " (the sender's top speed)" ;;
        reference) echo " (all of the sink's rate)" ;;
    esac
}

cat <<EOF

## beat benchmarks

$(nproc) cores, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), \
$((SECONDS - started)) s, $disturbed_runs runs disturbed by other processes (see README.md).

| Benchmark | beat_server | Baseline | Ratio | Target |
|---|---|---|---|---|
| UDP ingest, zero loss, $hosts hosts x $metrics metrics (datagrams/s) | $server_best$(bound server) | udp_sink: $sink_best$(bound sink) | $(ratio "$server_best" "$sink_best") | >= 0.85 |
| ... receiver CPU per datagram, draining a full queue (ns; ratio sink/beat) | $server_drain | udp_sink: $sink_drain | $(ratio "$sink_drain" "$server_drain") | |
| ... the same for the sink running only the decoder (ns; ratio sink/decoder) | | udp_sink --decode: $decoder_drain | $(ratio "$sink_drain" "$decoder_drain") | |
| TCP put, 50 conns ping-pong (requests/s) | ${pp_rate[beat]} | redis HSET: ${pp_rate[redis]} | $(ratio "${pp_rate[beat]}" "${pp_rate[redis]}") | >= 1.2 |
| ... latency p50 / p99 (us) | ${pp_lat[beat]} | ${pp_lat[redis]} | | |
| ... server CPU (cores) | ${pp_cores[beat]} | ${pp_cores[redis]} | | |
| ... server CPU per request (us; ratio redis/beat) | ${pp_us[beat]} | ${pp_us[redis]} | $(ratio "${pp_us[redis]}" "${pp_us[beat]}") | |
| TCP put, 50 conns pipelined 16 deep (requests/s) | ${pl_rate[beat]} | redis HSET: ${pl_rate[redis]} | $(ratio "${pl_rate[beat]}" "${pl_rate[redis]}") | >= 1.5 |
| ... latency p50 / p99 (us) | ${pl_lat[beat]} | ${pl_lat[redis]} | | |
| ... server CPU (cores) | ${pl_cores[beat]} | ${pl_cores[redis]} | | |
| ... server CPU per request (us; ratio redis/beat) | ${pl_us[beat]} | ${pl_us[redis]} | $(ratio "${pl_us[redis]}" "${pl_us[beat]}") | |
| Memory per tracked host, no metrics (bytes of RSS) | $mem_host0 | | | |
| Memory per tracked host, $metrics metrics (bytes of RSS) | $mem_hostm | | | |
| Memory per stored point (bytes of RSS) | $mem_point | redis HSET: $mem_point_redis | | |

UDP sender top speed into the sink: $top_rate datagrams/s. TCP figures are medians of $tcp_repeats runs of \
${tcp_seconds} s after 0.5 s of warm-up.
EOF
