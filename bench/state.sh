#!/usr/bin/env bash
# State store benchmark (issue 18): set, get, incr, compare-and-set and lock round trips per second on SQLite (a
# file in a directory of its own), PostgreSQL (the machine's, in a schema of its own, dropped after) and Redis (a
# redis-server of its own on a free port), from one thread and from --threads threads; and raw SET through the same
# Redis client, the baseline of the Redis store's set. See docs/benchmarks.md.
#   bench/state.sh [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--threads 50] [--seconds 2] [--reps 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pg="postgres://postgres@127.0.0.1:5432/test"
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres-url) pg="$2"; shift 2 ;;
    --threads|--seconds|--reps) rest+=("$1" "$2"); shift 2 ;;
    *) echo "bench/state.sh: unknown option '$1' (--postgres-url URL, --threads N, --seconds S, --reps N)" >&2; exit 2 ;;
  esac
done
. "$root/bench/lib.sh"
bench_build
bench_work
bench_redis
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -cp "$bench_jar" io.drover.bench.StateBench \
  --redis-url "$url" --postgres-url "$pg" --sqlite-dir "$work" "${rest[@]}"
