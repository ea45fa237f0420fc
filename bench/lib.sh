# Shared by the benches (sourced): the build of drover-bench (bench_build); and for those that start processes, a
# work directory of their own, removed on exit after every process whose pid is in $pids is stopped
# (bench_stop_more, when the script defines it, runs first), a free port, and a redis-server of their own.
bench_work() {
  work="$(mktemp -d)"
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  if declare -F bench_stop_more >/dev/null; then bench_stop_more; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# a redis-server of its own on a free port, without persistence, its pid added to $pids; sets $port, $url and
# $redis_pid
bench_redis() {
  port="$(free_port)"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!
  pids+=("$redis_pid")
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
  url="redis://127.0.0.1:$port"
}

# picks a JDK >= 21 (scripts/jdk.sh: JAVA_HOME first, then the machine's JDK 25) and builds drover-bench; sets
# $bench_jar. Needs $root, the repository.
bench_build() {
  . "$root/scripts/jdk.sh"
  drover_pick_jdk
  ( cd "$root" && MAVEN_OPTS="${MAVEN_OPTS:-} $DROVER_JAVA_OPTS" mvn -B -q -DskipTests -pl drover-bench -am package )
  bench_jar="$root/drover-bench/target/drover-bench.jar"
}
