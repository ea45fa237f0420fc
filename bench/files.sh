#!/usr/bin/env bash
# Files between tasks (issue 17): a chain of TASKS tasks, each appending a line to one file of an MB MiB tree of
# FILES files, run here, delegated to one agent (--agent), and on the fleet (one worker; drover run --redis-url
# schedules it), interleaved, REPS rounds. Each mode keeps its own copy of the tree across rounds, so round 1 is the
# cold run (everything travels once) and the later rounds are warm (an agent keeps the workspace; the fleet has the
# contents and the worker its cache). Prints every run's wall time, then the median per-task overhead of the warm
# rounds against the local run: (mode - local) / tasks.
#   bench/files.sh [--mb 100] [--files 1000] [--tasks 10] [--reps 4]
# Starts a redis-server of its own on a free port, a worker and an agent; stops them when it exits.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
drover_pick_jdk
mb=100 files=1000 tasks=10 reps=4
while [ $# -gt 0 ]; do
  case "$1" in
    --mb) mb="$2"; shift 2 ;;
    --files) files="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "bench/files.sh: unknown option '$1' (--mb N, --files N, --tasks N, --reps N)" >&2; exit 2 ;;
  esac
done
"$root/drover" --version >/dev/null # builds on first use
. "$root/bench/lib.sh"
bench_work

# the tree: FILES files of random bytes in 10 directories, and the chain
mkdir -p "$work/tree"
each=$(( mb * 1024 * 1024 / files ))
for i in $(seq 1 "$files"); do
  d="$work/tree/d$(( i % 10 ))"; mkdir -p "$d"
  head -c "$each" /dev/urandom > "$d/f$i.bin"
done
{
  echo "TaskDefinitions = { chain = { tasks = {"
  for i in $(seq 1 "$tasks"); do
    if [ "$i" -gt 1 ]; then dep=", depends_on = \"t$(( i - 1 ))\""; else dep=""; fi
    echo "  { name = \"t$i\"$dep, command = \"echo t$i >> log.txt\" },"
  done
  echo "} } }"
} > "$work/tree/chain.lua"
for mode in local agent fleet; do cp -a "$work/tree" "$work/ws-$mode"; done

bench_redis
"$root/drover" worker --redis-url "$url" --workdir "$work/worker" --concurrency 2 >"$work/worker.log" 2>&1 &
pids+=($!)
token="bench-files-$RANDOM$RANDOM"
"$root/drover" agent -p 0 --bind 127.0.0.1 --token "$token" --workdir "$work/agent" >"$work/agent.log" 2>&1 &
pids+=($!)
until grep -q "drover worker" "$work/worker.log" 2>/dev/null; do sleep 0.1; done
until grep -q "listening on" "$work/agent.log" 2>/dev/null; do sleep 0.1; done
agent="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/agent.log" | head -1 | sed 's/listening on //')"

echo "bench/files.sh: $tasks tasks in a chain, each appending to a file of a $mb MiB tree of $files files; $reps rounds"
declare -A took
for rep in $(seq 1 "$reps"); do
  for mode in local agent fleet; do
    case "$mode" in
      local) extra=() ;;
      agent) extra=(--agent "$agent") ;;
      fleet) extra=(--redis-url "$url") ;;
    esac
    start=$(date +%s.%N)
    (cd "$work/ws-$mode" && DROVER_AGENT_TOKEN="$token" "$root/drover" run chain.lua "${extra[@]}" >"$work/run.log" 2>&1) \
      || { echo "the $mode run failed:"; cat "$work/run.log"; exit 1; }
    t=$(echo "$(date +%s.%N) - $start" | bc)
    took[$mode,$rep]=$t
    printf 'round %d %-5s %6.2f s\n' "$rep" "$mode" "$t"
  done
done
for mode in agent fleet; do
  vals=()
  for rep in $(seq 2 "$reps"); do
    vals+=("$(echo "(${took[$mode,$rep]} - ${took[local,$rep]}) * 1000 / $tasks" | bc -l)")
  done
  median="$(printf '%s\n' "${vals[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')"
  cold="$(echo "(${took[$mode,1]} - ${took[local,1]}) * 1000 / $tasks" | bc -l)"
  printf '%-5s per-task file overhead, warm rounds: median %.0f ms (cold round: %.0f ms)\n' "$mode" "$median" "$cold"
done
