#!/usr/bin/env bash
# Start-up benchmark (issue: the CLI as an operator meets it). Checks BASE_REF (default: the commit before the
# start-up work) out beside this tree, lets both launchers build themselves, then times short commands
# interleaved, median of --runs. See docs/benchmarks.md.
#   bench/startup.sh [BASE_REF] [--runs 10]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_ref="${1:-c04f821}"
[ $# -gt 0 ] && shift
base="$(mktemp -d /tmp/drover-startup-base.XXXXXX)"
trap 'git -C "$root" worktree remove --force "$base" >/dev/null 2>&1 || rm -rf "$base"' EXIT
git -C "$root" worktree add --detach "$base" "$base_ref" >/dev/null
. "$root/bench/lib.sh"
bench_build
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" $DROVER_JAVA_OPTS -cp "$bench_jar" io.drover.bench.StartupBench \
  --base "$base" --new "$root" "$@"
