#!/usr/bin/env bash
# Controller benchmark (issue: controllers). Builds drover-bench and runs ControllerBench.
#   bench/controller.sh [--redis-url URL] [--groups 100] [--width 100] [--workers 2] [--concurrency 50] [--rounds 3] [--failovers 10] [--files]
# Without --redis-url it starts a redis-server of its own on a free port. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
bench_build
# shellcheck disable=SC2086
exec "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -cp "$bench_jar" io.drover.bench.ControllerBench "$@"
