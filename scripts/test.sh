#!/usr/bin/env bash
# Installs what is missing, then runs the test stages, each timed:
#   build     build beat with warnings as errors and run every test
#   sanitize  build it again with AddressSanitizer and UndefinedBehaviorSanitizer, run every test
#   fuzz      run every fuzz target for 60 seconds (scripts/fuzz.sh)
#   package   make the Debian packages and install, check and purge them on this machine
#             (tests/packages/install_test.sh): needs root, so only CI and those who ask run it
# Usage: scripts/test.sh [STAGE...]   (default: build sanitize fuzz, in that order; .ci/run runs
#        build package sanitize fuzz)
# Build directories: $BEAT_BUILD_DIR (build-test), $BEAT_SANITIZE_BUILD_DIR (build-sanitize),
# $BEAT_FUZZ_BUILD_DIR (build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
((${#stages[@]})) || stages=(build sanitize fuzz)
for s in "${stages[@]}"; do
  [[ "$s" =~ ^(build|sanitize|fuzz|package)$ ]] || { echo "unknown stage: $s" >&2; exit 2; }
done
scripts/install-deps.sh --test

stage_build() {
  local build=${BEAT_BUILD_DIR:-build-test}
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBEAT_WERROR=ON >/dev/null
  cmake --build "$build" -j"$(nproc)"
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 120
}

stage_sanitize() {
  local build=${BEAT_SANITIZE_BUILD_DIR:-build-sanitize}
  # Built with clang: GCC 12 with -fsanitize=address stops -Werror with false
  # -Wmaybe-uninitialized warnings in libstdc++'s <regex> as Catch2 uses it (tests/catch_main.cpp),
  # and clang holds the code to a second compiler's warnings. The benchmarks have no tests.
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBEAT_SANITIZE=ON -DBEAT_WERROR=ON -DBEAT_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)"
  # Any finding ends the process that made it (the test, or a server or agent it started) with an
  # error, leaks included. Tests that measure what instrumentation distorts (resident memory,
  # tight timings) skip themselves when BEAT_SANITIZED is set.
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:check_initialization_order=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 BEAT_SANITIZED=1 \
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 300
}

stage_fuzz() {
  scripts/fuzz.sh 60
}

# Reuses the build stage's tree ($BEAT_BUILD_DIR, build-test) as it is: its beat_server and
# beat_client are up to date after that stage, so nothing is compiled again and CPack only
# installs them stripped into the packages. Run alone, it configures that tree and builds only
# the two binaries.
stage_package() {
  local build=${BEAT_BUILD_DIR:-build-test}
  scripts/packages.sh "$build"
  tests/packages/install_test.sh "$build"/packages/beat-server_*.deb \
    "$build"/packages/beat-client_*.deb
}

timings=()
current=""
trap '[[ -z "$current" ]] || printf "======== stage %s FAILED after %d s ========\n" "$current" $((SECONDS - start))' EXIT
for s in "${stages[@]}"; do
  printf '\n======== stage %s ========\n' "$s"
  current=$s
  start=$SECONDS
  "stage_$s"
  current=""
  timings+=("$(printf '%-9s %4d s' "$s" $((SECONDS - start)))")
  printf '======== stage %s passed in %d s ========\n' "$s" $((SECONDS - start))
done
printf '\nall stages passed:\n'
printf '  %s\n' "${timings[@]}"
