#!/usr/bin/env bash
# The agent's footprint next to Debian's prometheus-node-exporter and collectd, each collecting
# comparable metrics (CPU, memory, swap, load, context switches, uptime, filesystems, network
# interfaces) every second on this machine, for a bounded time, side by side. Reports resident
# memory and CPU seconds per hour, and each of the others as a ratio to beat_client.
#
# Usage: tests/bench/agent_footprint.sh [--seconds N]      (default 120 measured seconds)
#
# Everything runs on 127.0.0.1 only: beat_client beats at a beat_server on 127.0.0.1, node_exporter
# listens on 127.0.0.1 and is scraped from here every second (as Prometheus would; the scraper's
# CPU is not counted, as the server's is not), collectd sends with its network plugin to
# 127.0.0.1. Nothing is started as a system service: the packages' own services are kept from
# starting while they are installed.
#
# CPU time is the sum of every thread's run time from /proc/PID/task/*/schedstat (nanoseconds),
# taken over the measured window after a warm-up, so start-up costs are left out; memory is VmRSS
# at the end and VmHWM (the peak) from /proc/PID/status.
#
# Environment: BUILD (build tree, default build-footprint), WARMUP (seconds, default 10),
# NODE_EXPORTER_PORT (default 19100), COLLECTD_PORT (default 25826).
set -euo pipefail
source "$(dirname "$0")/agent_bench_lib.sh"

measure_s=120
while (($#)); do
    case "$1" in
    --seconds) measure_s="$2"; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
warmup_s="${WARMUP:-10}"
ne_port="${NODE_EXPORTER_PORT:-19100}"
cd_port="${COLLECTD_PORT:-25826}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD:-$repo/build-footprint}"

# --- what is needed -------------------------------------------------------------------------
"$repo/scripts/install-deps.sh"
missing=()
command -v prometheus-node-exporter >/dev/null || missing+=(prometheus-node-exporter)
[[ -x /usr/sbin/collectd ]] || missing+=(collectd-core)
if ((${#missing[@]})); then
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    # A policy-rc.d that says "no" keeps the packages from starting their services.
    policy=/usr/sbin/policy-rc.d
    added_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
        "${sudo_cmd[@]}" chmod +x "$policy"
        added_policy=1
    fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2
    ((added_policy)) && "${sudo_cmd[@]}" rm -f "$policy"
fi

cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEAT_TESTS=OFF -DBEAT_BENCH=OFF >&2
cmake --build "$build" -j"$(nproc)" --target beat_client beat_server >&2
client="$build/beat_client/beat_client"
server="$build/beat_server/beat_server"

# --- processes --------------------------------------------------------------------------------
make_work_dir

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_free "$ne_port" || { echo "127.0.0.1:$ne_port is taken; set NODE_EXPORTER_PORT" >&2; exit 1; }

start_beat_server "$server" "$work/server.log"

"$client" run --server "127.0.0.1:$udp_port" --interval 1 --host bench-agent \
    2>"$work/agent.log" &
agent_pid=$!
pids+=($agent_pid)

prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
    --collector.cpu --collector.meminfo --collector.loadavg --collector.stat \
    --collector.filesystem --collector.netdev --log.level=warn 2>"$work/node_exporter.log" &
ne_pid=$!
pids+=($ne_pid)

mkdir -p "$work/collectd"
cat >"$work/collectd.conf" <<EOF
Hostname "bench-collectd"
FQDNLookup false
Interval 1
BaseDir "$work/collectd"
PIDFile "$work/collectd/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel warning
  File "$work/collectd.log"
</Plugin>
LoadPlugin cpu
<Plugin cpu>
  ReportByCpu false
  ValuesPercentage true
</Plugin>
LoadPlugin memory
LoadPlugin swap
LoadPlugin load
LoadPlugin contextswitch
LoadPlugin uptime
LoadPlugin df
<Plugin df>
  ValuesPercentage true
</Plugin>
LoadPlugin interface
<Plugin interface>
  Interface "lo"
  IgnoreSelected true
</Plugin>
LoadPlugin network
<Plugin network>
  Server "127.0.0.1" "$cd_port"
</Plugin>
EOF
/usr/sbin/collectd -f -C "$work/collectd.conf" 2>"$work/collectd.stderr" &
cd_pid=$!
pids+=($cd_pid)

# Prometheus would scrape node_exporter; so does this loop, once a second.
(
    while :; do
        if exec 3<>"/dev/tcp/127.0.0.1/$ne_port"; then
            printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
            cat <&3 >/dev/null
            exec 3<&-
        fi 2>/dev/null
        sleep 1
    done
) &
pids+=($!)

# --- measurement ------------------------------------------------------------------------------

names=(beat_client node_exporter collectd)
procs=("$agent_pid" "$ne_pid" "$cd_pid")
echo "warming up for ${warmup_s}s, then measuring for ${measure_s}s" >&2
sleep "$warmup_s"
for p in "${procs[@]}"; do kill -0 "$p" || { echo "a process under test died" >&2; exit 1; }; done
start=()
for p in "${procs[@]}"; do start+=("$(cpu_ns "$p")"); done
t0=$(date +%s%N)
sleep "$measure_s"
t1=$(date +%s%N)
cpu=() rss=() hwm=()
for i in "${!procs[@]}"; do
    p="${procs[$i]}"
    kill -0 "$p" || { echo "${names[$i]} died during the run" >&2; exit 1; }
    cpu+=($(($(cpu_ns "$p") - start[i])))
    rss+=("$(status_kib "$p" VmRSS)")
    hwm+=("$(status_kib "$p" VmHWM)")
done

# CPU seconds per hour = run time in the window * 3600 / window length.
per_hour() { awk -v ns="$1" -v win="$(( t1 - t0 ))" 'BEGIN { printf "%.3f", ns * 3600 / win }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

echo
echo "Agent footprint, collecting every 1 s for ${measure_s}s on $(nproc) CPUs ($(uname -r))"
echo
printf '| %-14s | %9s | %9s | %14s | %12s | %12s |\n' agent "RSS KiB" "peak KiB" "CPU s/hour" \
    "RSS ratio" "CPU ratio"
printf '|%s|%s|%s|%s|%s|%s|\n' "----------------" "-----------" "-----------" "----------------" \
    "--------------" "--------------"
base_cpu="$(per_hour "${cpu[0]}")"
for i in "${!procs[@]}"; do
    c="$(per_hour "${cpu[$i]}")"
    printf '| %-14s | %9s | %9s | %14s | %12s | %12s |\n' "${names[$i]}" "${rss[$i]}" "${hwm[$i]}" \
        "$c" "$(ratio "${rss[$i]}" "${rss[0]}")" "$(ratio "$c" "$base_cpu")"
done
echo
echo "Ratios are each agent's figure over beat_client's (2.0x = twice beat_client's)."
echo "Versions: beat_client $("$client" --version | awk '{print $2}'), node_exporter" \
    "$(prometheus-node-exporter --version 2>&1 | awk 'NR==1 {print $3}'), collectd" \
    "$(/usr/sbin/collectd -h 2>&1 | awk '/^collectd/ {print $2; exit}')"
if grep -q 'WARN\|ERROR' "$work/agent.log"; then
    echo "beat_client logged warnings:" >&2
    cat "$work/agent.log" >&2
fi
