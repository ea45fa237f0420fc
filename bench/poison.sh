#!/usr/bin/env bash
# A poison task among healthy ones: is any healthy task dead-lettered because it shared a worker with the poison?
#   bench/poison.sh [--runs 5] [--tasks 200] [--workers 2] [--concurrency 4] [--sleep 0.2]
# Each run: a redis-server of its own on a free port, WORKERS `drover worker`s (lease 1 s, restarted whenever the
# poison kills one), TASKS healthy tasks (`sleep SLEEP`) and one poison (`kill -9 $PPID`: it kills its worker's JVM)
# submitted together. When every task has ended, it prints the run's figures: healthy tasks succeeded, healthy
# tasks dead-lettered (the figure that must be 0), the poison's state, worker deaths, and the time taken.
# Everything it started is stopped when it exits. See docs/benchmarks.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=5 tasks=200 workers=2 concurrency=4 sleep=0.2
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --sleep) sleep="$2"; shift 2 ;;
    *) echo "bench/poison.sh: unknown option '$1' (--runs N, --tasks N, --workers N, --concurrency N, --sleep S)" >&2
       exit 2 ;;
  esac
done
command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
  || { echo "bench/poison.sh: needs redis-server and redis-cli" >&2; exit 2; }
"$root/drover" --version >/dev/null # builds the distribution once, before anything is timed

. "$root/bench/lib.sh"
bench_work
# stops the worker loops, then the workers (they run with --workdir under $work: nothing else matches)
stop_workers() {
  touch "$work/stop"
  for p in "${pids[@]:1}"; do kill -KILL "$p" 2>/dev/null || true; done
  while pgrep -f -- "--workdir $work/" >/dev/null; do
    pkill -KILL -f -- "--workdir $work/" 2>/dev/null || true
    sleep 0.1
  done
}
bench_stop_more() { stop_workers; }

# keeps one worker NAME alive until the file $work/stop exists; counts its deaths in $work/deaths
keep_worker() {
  local name="$1" url="$2"
  while [ -d "$work" ] && [ ! -f "$work/stop" ]; do
    "$root/drover" worker --redis-url "$url" --worker-id "$name-$RANDOM" --lease 1s --grace 1s --ttl 2s \
      --concurrency "$concurrency" --workdir "$work/$name" >>"$work/$name.log" 2>&1 || true
    [ -f "$work/stop" ] || echo "$name" >>"$work/deaths"
  done
}

for run in $(seq 1 "$runs"); do
  rm -f "$work/stop" "$work/deaths"
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!
  pids=("$redis_pid")
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
  url="redis://127.0.0.1:$port"
  : >"$work/tasks.jsonl"
  for i in $(seq 1 "$tasks"); do echo "{\"command\": \"sleep $sleep\"}" >>"$work/tasks.jsonl"; done
  start=$(date +%s.%N)
  for w in $(seq 1 "$workers"); do
    keep_worker "w$w" "$url" 2>/dev/null & # no "Killed" notices when the poison kills a worker
    pids+=($!)
    disown $! # stopped with SIGKILL: no notice of it
  done
  poison="$("$root/drover" task submit --redis-url "$url" -- 'kill -9 $PPID')"
  "$root/drover" task submit --redis-url "$url" --from "$work/tasks.jsonl" >"$work/ids"
  # every task ended: SUCCEEDED, FAILED or CANCELLED in its record (the poison is FAILED and dead-lettered)
  while true; do
    ended=0
    for id in $poison $(cat "$work/ids"); do
      case "$(redis-cli -p "$port" hget "drover:{default}:task:$id" state)" in
        SUCCEEDED|FAILED|CANCELLED) ended=$((ended + 1)) ;;
      esac
    done
    [ "$ended" -eq $((tasks + 1)) ] && break
    sleep 0.5
  done
  took=$(echo "$(date +%s.%N) - $start" | bc)
  ok=0
  for id in $(cat "$work/ids"); do
    [ "$(redis-cli -p "$port" hget "drover:{default}:task:$id" state)" = SUCCEEDED ] && ok=$((ok + 1))
  done
  healthy_dead=$(redis-cli -p "$port" zrange "drover:{default}:dead" 0 -1 | grep -vcx "$poison" || true)
  poison_state="$(redis-cli -p "$port" hget "drover:{default}:task:$poison" state)"
  poison_dead=$(redis-cli -p "$port" zscore "drover:{default}:dead" "$poison" >/dev/null && echo dead || echo -)
  deaths=$( [ -f "$work/deaths" ] && wc -l <"$work/deaths" || echo 0)
  printf 'run %d: %d/%d healthy succeeded, %d healthy dead-lettered; poison %s (%s); worker deaths %d; %.1f s\n' \
    "$run" "$ok" "$tasks" "$healthy_dead" "$poison_state" "$poison_dead" "$deaths" "$took"
  stop_workers
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
done
