#!/usr/bin/env bash
# Engine benchmarks (issue: core speed targets). Builds drover-bench and runs it in a 1 GiB heap.
#   bench/engine.sh [--reps N] [--nodes N] [--lua-tasks N] [--shell-tasks N] [--only scheduler|lua|shell]
# Prints a table and, last, one JSON line with every figure. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
bench_build
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -Xms1g -Xmx1g -XX:+UseParallelGC -jar "$bench_jar" "$@"
