#!/usr/bin/env bash
# docs/prometheus/beat-rules.yml as Prometheus loads it: `promtool check rules` (syntax, PromQL,
# templates), then `promtool test rules` on beat-rules.test.yml beside this script, where each
# alert fires on a series that should fire it and stays quiet on one that should not.
# Usage: tests/prometheus/rules_test.sh
# Exit codes: 0 pass, 1 fail, 77 skipped (no promtool: scripts/install-deps.sh --test installs
# Debian's prometheus, which has it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v promtool >/dev/null; then
    echo "SKIP: promtool is not installed (scripts/install-deps.sh --test installs prometheus)"
    exit 77
fi
promtool check rules "$here/../../docs/prometheus/beat-rules.yml"
cd "$here"
promtool test rules beat-rules.test.yml
