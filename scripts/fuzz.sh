#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (in build-fuzz, or $BEAT_FUZZ_BUILD_DIR)
# and runs each one for SECONDS (default 60) from its seed corpus, as many at once as there are
# cores (each fuzzer is one process on one core, so each gets the runs it would alone). Inputs the
# fuzzer finds interesting go to a temporary directory, never into the repository's corpus.
# Prints each target's number of executions; exits 1 when any target finds a crash, a leak, a
# timeout or a broken invariant, after printing the input that caused it (also kept as
# <build>/findings/<target>-crash-...; tests/fuzz/README.md says how to replay it).
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${BEAT_FUZZ_BUILD_DIR:-build-fuzz}

# The longest input each target is given: a datagram's limit with room to go over it, HTTP's
# target and header limits with room to go over them, else a few KiB, enough for any /proc file
# or config of the corpus (fuzz_ingest reads at most 256 ops, a few bytes each).
declare -A max_len=(
  [fuzz_datagram]=1500
  [fuzz_datagram_auth]=1500
  [fuzz_control]=400
  [fuzz_binary_frame]=4096
  [fuzz_protocol]=4096
  [fuzz_proc]=4096
  [fuzz_config]=4096
  [fuzz_server_config]=4096
  [fuzz_plans]=4096
  [fuzz_http]=20000
  [fuzz_process_stat]=4096
  [fuzz_ingest]=2048
  [fuzz_chunk]=4096
)
targets=(fuzz_datagram fuzz_datagram_auth fuzz_control fuzz_binary_frame fuzz_protocol fuzz_proc fuzz_config
  fuzz_server_config fuzz_plans fuzz_http fuzz_process_stat fuzz_ingest fuzz_chunk)

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBEAT_FUZZ=ON -DBEAT_WERROR=ON -DBEAT_TESTS=OFF -DBEAT_BENCH=OFF >/dev/null
cmake --build "$build" --target beat_fuzz -j"$(nproc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
findings="$build/findings"
mkdir -p "$findings"
# run_target T: target T for $seconds, its output in $work/T.log and its exit status in
# $work/T.status.
run_target() {
  local t=$1 status=0
  mkdir "$work/$t"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$t-" \
    "$work/$t" "tests/fuzz/corpus/$t" >"$work/$t.log" 2>&1 || status=$?
  echo "$status" >"$work/$t.status"
}
parallel=$(nproc)
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  run_target "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  log="$work/$t.log"
  status=$(cat "$work/$t.status" 2>/dev/null || echo 99)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(sed -n 's/^#[0-9]*[[:space:]]*DONE .* corp: \([0-9]*\).*/\1/p' "$log")
  if ((status == 0)); then
    printf '%-20s %10s runs in %ss, corpus %s inputs\n' "$t" "${runs:-?}" "$seconds" "${corpus:-?}"
    continue
  fi
  failed+=("$t")
  printf '%-20s FAILED after %s runs (exit %d):\n' "$t" "${runs:-?}" "$status"
  grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|RELOAD)' "$log" | tail -n 60
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if [[ -n "$artifact" && -f "$artifact" ]]; then
    echo "input ($artifact), in hex:"
    od -An -tx1 -v "$artifact" | head -n 100
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing found problems in: ${failed[*]}"
  exit 1
fi
