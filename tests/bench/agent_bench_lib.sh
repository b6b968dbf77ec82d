# What the agent benchmarks (agent_footprint.sh, agent_ab.sh) share; sourced, not run.

# Makes the temporary directory `work` and the list `pids` of the processes the script starts; on
# exit, including on Ctrl-C, each of those is stopped by its PID and the directory removed.
make_work_dir() {
    work="$(mktemp -d)"
    pids=()
    trap remove_work_dir EXIT INT TERM
}
remove_work_dir() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}

# Starts the beat_server $1 on 127.0.0.1 with ephemeral ports and no HTTP port, logging to $2,
# with the further arguments ${@:3}; adds its PID to the caller's `pids` and sets `udp_port` once
# it listens. Exits the script when it does not start.
start_beat_server() {
    local server=$1 log=$2
    shift 2
    "$server" --udp 127.0.0.1:0 --tcp 127.0.0.1:0 --http off "$@" 2>"$log" &
    pids+=($!)
    for _ in $(seq 100); do grep -q listening "$log" 2>/dev/null && break; sleep 0.1; done
    udp_port="$(grep -o -m1 "udp=127.0.0.1:[0-9]*" "$log" | cut -d: -f2 || true)"
    [[ -n $udp_port ]] || { echo "beat_server did not start:" >&2; cat "$log" >&2; exit 1; }
}

# The CPU time of process $1 so far, in nanoseconds: the sum of every thread's run time from
# /proc/PID/task/*/schedstat.
cpu_ns() {
    local sum=0 f t
    for f in /proc/"$1"/task/*/schedstat; do
        read -r t _ <"$f" 2>/dev/null || continue
        sum=$((sum + t))
    done
    echo "$sum"
}

# The figure $2 (VmRSS, VmHWM, RssAnon, ...) of process $1 in KiB, from /proc/PID/status.
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
