# Sourced by ./drover and scripts/*: picks a JDK >= 21 and exports JAVA_HOME and DROVER_JAVA_OPTS.
# Order: the directories given as arguments (a release's bundled runtime), then $JAVA_HOME if it is >= 21, then
# /usr/lib/jvm/temurin-25-jdk-amd64, then any JDK >= 21 under /usr/lib/jvm.

drover_java_major() { # $1 = JAVA_HOME candidate; prints the feature version or nothing
  local rel="$1/release"
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$rel" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel"
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
  fi
}

drover_pick_jdk() {
  local c v
  for c in "$@" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] || continue
    v=$(drover_java_major "$c")
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then
      export JAVA_HOME="$c"
      DROVER_JAVA_MAJOR="$v"
      DROVER_JAVA_OPTS=""
      # JDK 24+ warns about sun.misc.Unsafe use in protobuf/netty/guava, JDK 22+ about Netty loading its native
      # transport; keep users' terminals clean (the same flags as io.drover.core.Jvm).
      if [ "$v" -ge 24 ]; then DROVER_JAVA_OPTS="--sun-misc-unsafe-memory-access=allow"; fi
      if [ "$v" -ge 22 ]; then DROVER_JAVA_OPTS="$DROVER_JAVA_OPTS --enable-native-access=ALL-UNNAMED"; fi
      export DROVER_JAVA_OPTS DROVER_JAVA_MAJOR
      return 0
    fi
  done
  echo "drover: no JDK 21 or newer found: set JAVA_HOME to one (checked \$JAVA_HOME and /usr/lib/jvm)" >&2
  return 1
}
