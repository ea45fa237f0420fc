#!/usr/bin/env bash
# What the Temporal executor costs a task (issue 19): no-op shell tasks through one worker, --executor local and
# --executor temporal (Temporal's test service in the bench's JVM, on a loopback port), interleaved round by round:
# latency one task at a time and throughput of a batch. A redis-server of its own on a free port. See
# docs/benchmarks.md.
#   bench/temporal.sh [--tasks 200] [--latency 50] [--concurrency 8] [--rounds 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
bench_build
bench_work
bench_redis
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -cp "$bench_jar" io.drover.bench.TemporalBench \
  --redis-url "$url" "$@"
