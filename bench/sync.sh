#!/usr/bin/env bash
# Workspace sync benchmark (issue: remote agents). Builds drover-bench and runs SyncBench: first sync of a
# 10,000-file, 200 MiB tree to an agent process on loopback vs `tar c | tar x` through a pipe in the same run,
# a second sync after changing one file, and no-op delegated round trips.
#   bench/sync.sh [--files 10000] [--mb 200] [--calls 1000] [--repeats 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
bench_build
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -Xmx1g -cp "$bench_jar" io.drover.bench.SyncBench "$@"
