package io.drover.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --redis-url}, else {@code DROVER_REDIS_URL}, else the local default. */
final class RedisOption {
    static final String DEFAULT = "redis://127.0.0.1:6379";

    @Option(
            names = "--redis-url",
            paramLabel = "URL",
            description =
                    "redis:// or rediss:// (user:password@ allowed). Default: $DROVER_REDIS_URL, else " + DEFAULT + ".")
    String url;

    @picocli.CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    private boolean said;

    /** The URL to use; the default one is said on stderr (once), so nobody wonders which Redis answered. */
    String url() {
        if (url != null) return url;
        String env = System.getenv("DROVER_REDIS_URL");
        if (env != null && !env.isBlank()) return env;
        if (mixee != null && !said) {
            said = true;
            mixee.commandLine()
                    .getErr()
                    .println("drover: using Redis at " + DEFAULT
                            + " (the default: --redis-url or $DROVER_REDIS_URL to choose)");
            mixee.commandLine().getErr().flush();
        }
        return DEFAULT;
    }
}
