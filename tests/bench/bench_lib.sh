# Sourced by the benchmark scripts that drive beat_server alone: a work directory removed on exit
# together with the server still running, messages, the Release build, and starting and stopping
# the server. Before sourcing, set `bench` (the name messages start with) and `root`.

build=${BEAT_BENCH_BUILD:-$root/build-bench}
work=$(mktemp -d "/tmp/beat-$bench.XXXXXX")
server_pid=
# On exit, also of a subshell that started a server: the server is stopped, and the work
# directory removed by the main shell.
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
    if [[ $BASHPID == "$$" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "[$bench] $*" >&2; }
die() {
    say "error: $*"
    exit 1
}

# Installs what is missing and builds the targets $@ in the Release tree (warnings do not stop a
# benchmark run; CI is where they are errors).
build_targets() {
    "$root/scripts/install-deps.sh" >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEAT_WERROR=OFF >"$work/cmake.log" 2>&1 ||
        { cat "$work/cmake.log" >&2; die "cmake configure failed"; }
    cmake --build "$build" -j"$(nproc)" --target "$@" >"$work/build.log" 2>&1 ||
        { tail -30 "$work/build.log" >&2; die "build failed"; }
}

# Starts beat_server with its log in $1 and the arguments after it, and waits for its listening
# line (a minute at most: opening the database waits for a disk that other work keeps busy),
# which it leaves in `listening`; the server's PID is in `server_pid`.
start_server() {
    local log=$1
    shift
    # Its stdout is not the caller's: a trial run as `< <(trial)` must not leave the reader
    # waiting on a server it could not stop.
    "$build/beat_server/beat_server" "$@" >/dev/null 2>"$log" &
    server_pid=$!
    trap cleanup EXIT
    for _ in $(seq 1200); do
        grep -qs "listening" "$log" && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    if ! listening=$(grep -s "listening" "$log"); then
        local status="running, waiting in $(cat "/proc/$server_pid/wchan" 2>/dev/null)"
        kill -0 "$server_pid" 2>/dev/null || { wait "$server_pid" && status=0 || status=$?; }
        die "beat_server (pid $server_pid, $status) did not start: $(tail -3 "$log")"
    fi
}

# The port of listener $1 ("tcp", "binary") in the listening line.
listening_port() {
    sed -E "s/.* $1=[^ ]*:([0-9]+).*/\\1/" <<<"$listening"
}

# CPU seconds the server has used so far, all its threads (user and system).
server_cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print ($12 + $13) / hz}' "/proc/$server_pid/stat"
}

# Stops the server with SIGTERM and waits for it; dies unless it exits 0.
stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || die "beat_server exited with $?"
    server_pid=
}

# The median of the numbers in $1, separated by spaces.
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
