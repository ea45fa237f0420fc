#!/usr/bin/env bash
# Queue benchmark (issue: cluster workers). Builds drover-bench and runs QueueBench.
#   bench/queue.sh [--redis-url URL] [--tasks 100000] [--workers 2] [--concurrency 50] [--latency-tasks 5000]
#                  [--warmup 400000] [--latency-warmup 15000] [--baseline streams|records|outcomes]
# Without --redis-url it starts a redis-server of its own on a free port. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
bench_build
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -cp "$bench_jar" io.drover.bench.QueueBench "$@"
