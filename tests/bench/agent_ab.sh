#!/usr/bin/env bash
# Two beat_client binaries side by side: each beats every second at one beat_server on 127.0.0.1
# for the same measured window, so that a change to the agent is compared with the agent before
# it under the same load on the machine (agent_footprint.sh measures one build at a time, next to
# other agents). Reports, per binary and round, resident memory at the end (VmRSS, split into
# anonymous and file pages), its peak (VmHWM) and CPU seconds per hour.
#
# Usage: tests/bench/agent_ab.sh [--seconds N] [--rounds N] [--server PATH] CLIENT_A CLIENT_B
#                                [-- AGENT_ARGS...]
#   CLIENT_A, CLIENT_B: beat_client binaries (for example main's and a branch's, built with
#   -DCMAKE_BUILD_TYPE=Release); --server: the beat_server to beat at (default: the one beside
#   CLIENT_A, ../beat_server/beat_server); AGENT_ARGS go to both agents (a --config, say).
#   Default 120 measured seconds after WARMUP seconds (default 10), in 1 round.
#
# Most of the agent's resident memory is pages of its binary, mapped in runs of up to 64 KiB
# around each page it touches, and how many of them come in depends on what of the file the page
# cache holds, and in which sizes (a file the linker has just written is cached as it was
# written). Each round therefore first drops both binaries from the page cache, and starts both
# agents afresh; a difference of under 100 KiB of file pages between two binaries is within what
# one binary shows from round to round.
#
# CPU time is the sum of every thread's run time from /proc/PID/task/*/schedstat over the window.
set -euo pipefail
source "$(dirname "$0")/agent_bench_lib.sh"

measure_s=120
rounds=1
server=""
while (($#)); do
    case "$1" in
    --seconds) measure_s="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) break ;;
    esac
done
(($# >= 2)) || {
    echo "usage: $0 [--seconds N] [--rounds N] [--server PATH] CLIENT_A CLIENT_B [-- ARGS...]" >&2
    exit 2
}
clients=("$1" "$2")
shift 2
[[ ${1:-} == -- ]] && shift
agent_args=("$@")
warmup_s="${WARMUP:-10}"
[[ -n $server ]] || server="$(dirname "${clients[0]}")/../beat_server/beat_server"
for b in "${clients[@]}" "$server"; do
    [[ -x $b ]] || { echo "not an executable: $b" >&2; exit 2; }
done

make_work_dir

start_beat_server "$server" "$work/server.log" --data-dir "$work/data"

echo
echo "Two agents side by side, beating every 1 s for ${measure_s}s on $(nproc) CPUs ($(uname -r))"
echo "A: ${clients[0]} ($(stat -c %s "${clients[0]}") bytes)"
echo "B: ${clients[1]} ($(stat -c %s "${clients[1]}") bytes)"
echo
printf '| %5s | %-5s | %9s | %9s | %9s | %9s | %10s |\n' round agent "RSS KiB" "anon KiB" \
    "file KiB" "peak KiB" "CPU s/hour"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "-------" "-------" "-----------" "-----------" "-----------" \
    "-----------" "------------"
for round in $(seq "$rounds"); do
    for b in "${clients[@]}"; do dd if="$b" iflag=nocache count=0 status=none; done
    agents=()
    for i in 0 1; do
        "${clients[$i]}" run --server "127.0.0.1:$udp_port" --interval 1 --host "ab-agent-$i" \
            "${agent_args[@]}" 2>"$work/agent$i.log" &
        agents+=($!)
        pids+=($!)
    done
    echo "round $round: warming up for ${warmup_s}s, then measuring for ${measure_s}s" >&2
    sleep "$warmup_s"
    start=()
    for p in "${agents[@]}"; do
        kill -0 "$p" || { echo "an agent died:" >&2; cat "$work"/agent*.log >&2; exit 1; }
        start+=("$(cpu_ns "$p")")
    done
    t0=$(date +%s%N)
    sleep "$measure_s"
    t1=$(date +%s%N)
    for i in 0 1; do
        p="${agents[$i]}"
        kill -0 "$p" || { echo "agent $i died during the run" >&2; exit 1; }
        cpu=$(($(cpu_ns "$p") - start[i]))
        printf '| %5s | %-5s | %9s | %9s | %9s | %9s | %10s |\n' "$round" \
            "$([[ $i == 0 ]] && echo A || echo B)" "$(status_kib "$p" VmRSS)" \
            "$(status_kib "$p" RssAnon)" "$(status_kib "$p" RssFile)" "$(status_kib "$p" VmHWM)" \
            "$(awk -v ns="$cpu" -v win="$((t1 - t0))" 'BEGIN { printf "%.3f", ns * 3600 / win }')"
    done
    kill "${agents[@]}"
    wait "${agents[@]}" 2>/dev/null || true
done
