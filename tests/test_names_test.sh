#!/usr/bin/env bash
# Fails when a Catch2 test name cannot be run by ctest: catch_discover_tests splits names at ';'
# (the halves then match no test and "pass" without running anything); a '[' or ']' makes CMake
# read the list of names as a bracketed element, so every later name of the binary is glued into
# one ctest test that runs none of them; and Catch2 reads a name that starts with '-' as an option.
# Usage: tests/test_names_test.sh TEST_BINARY...
set -euo pipefail
bad=0
for bin in "$@"; do
  while IFS= read -r name; do
    if [[ $name == *";"* || $name == *"["* || $name == *"]"* || $name == -* ]]; then
      echo "$(basename "$bin"): test name ctest cannot run: $name" >&2
      bad=1
    fi
  done < <("$bin" --list-test-names-only)
done
exit "$bad"
