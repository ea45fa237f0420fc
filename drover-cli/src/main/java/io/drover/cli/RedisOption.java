package io.drover.cli;

import picocli.CommandLine.Option;

/** {@code --redis-url}, else {@code DROVER_REDIS_URL}, else the local default. */
final class RedisOption {
  static final String DEFAULT = "redis://127.0.0.1:6379";

  @Option(names = "--redis-url", paramLabel = "URL", description = "redis:// or rediss:// (user:password@ allowed). Default: $DROVER_REDIS_URL, else " + DEFAULT + ".")
  String url;

  String url() {
    if (url != null) return url;
    String env = System.getenv("DROVER_REDIS_URL");
    return env != null && !env.isBlank() ? env : DEFAULT;
  }
}
