#!/usr/bin/env bash
# The cost of a task's log lines on the fleet: one worker runs one task that prints LINES lines, timed from submit
# to its end; each jar given is run in turn, REPS rounds (to compare builds interleaved).
#   bench/loglines.sh [--lines 200000] [--reps 3] [JAR...]     (default: this build's drover-cli/target/drover.jar)
# A redis-server of its own on a free port per run; everything it started is stopped when it exits.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
drover_pick_jdk
lines=200000 reps=3 jars=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lines) lines="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    -*) echo "bench/loglines.sh: unknown option '$1' (--lines N, --reps N, then jars)" >&2; exit 2 ;;
    *) jars+=("$1"); shift ;;
  esac
done
if [ ${#jars[@]} -eq 0 ]; then "$root/drover" --version >/dev/null; jars=("$root/drover-cli/target/drover.jar"); fi
. "$root/bench/lib.sh"
bench_work
# shellcheck disable=SC2086
drover() { "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -jar "$jar" "$@"; }

for rep in $(seq 1 "$reps"); do
  for jar in "${jars[@]}"; do
    pids=()
    bench_redis
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -jar "$jar" worker --redis-url "$url" --workdir "$work/w" \
      >"$work/worker.log" 2>&1 &
    pids+=($!) # the JVM itself, so stopping it stops the worker
    until grep -q "drover worker" "$work/worker.log" 2>/dev/null; do sleep 0.1; done
    start=$(date +%s.%N)
    id="$(drover task submit --redis-url "$url" -- "seq 1 $lines")"
    until [ "$(redis-cli -p "$port" hget "drover:{default}:task:$id" state)" = SUCCEEDED ]; do sleep 0.05; done
    took=$(echo "$(date +%s.%N) - $start" | bc)
    printf '%s: %d lines in %.2f s\n' "$jar" "$lines" "$took"
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
  done
done
