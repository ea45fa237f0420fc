package io.drover.cli;

import io.drover.core.Log;
import picocli.CommandLine.Option;

/**
 * {@code --log-level} and {@code --log-format} of the long-running commands (worker, controller, node start,
 * agent): how much their parts say and in which shape ({@link Log}). A bad value is invalid input (exit 2).
 */
final class LogOptions {
    /**
     * Temporal's SDK ({@code --executor temporal}) says at INFO what its workers do at every start and stop, and at
     * WARNING every failed activity attempt with its stack trace (a task's failure is in its events already): it
     * follows the chosen level, its activity reports only at debug. Held here: java.util.logging keeps loggers weakly.
     */
    private static final java.util.logging.Logger TEMPORAL = java.util.logging.Logger.getLogger("io.temporal");

    private static final java.util.logging.Logger TEMPORAL_ACTIVITIES =
            java.util.logging.Logger.getLogger("io.temporal.internal.activity");

    /** Its pollers warn with a stack trace each when the worker stops (their channel closes under them). */
    private static final java.util.logging.Logger TEMPORAL_POLLERS =
            java.util.logging.Logger.getLogger("io.temporal.internal.worker.BasePoller");

    @Option(
            names = "--log-level",
            paramLabel = "LEVEL",
            description = "error, warn, info or debug (the default depends on" + " the command: see its description).")
    String level;

    @Option(
            names = "--log-format",
            paramLabel = "FORMAT",
            description = "plain (default: a line of time, part, id and"
                    + " message) or json (one object a line, for a log collector).")
    String format;

    /** Sets the process's logging from these flags, {@code fallback} when no level was given; returns the level. */
    Log.Level apply(Log.Level fallback) {
        try {
            Log.Level l = level == null ? fallback : Log.Level.parse(level);
            Log.configure(l, format == null ? Log.Format.PLAIN : Log.Format.parse(format));
            Log.formatLibraries();
            boolean debug = l == Log.Level.DEBUG;
            TEMPORAL.setLevel(
                    debug
                            ? java.util.logging.Level.FINE
                            : l == Log.Level.INFO ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
            TEMPORAL_ACTIVITIES.setLevel(debug ? java.util.logging.Level.FINE : java.util.logging.Level.SEVERE);
            TEMPORAL_POLLERS.setLevel(debug ? java.util.logging.Level.FINE : java.util.logging.Level.SEVERE);
            return l;
        } catch (IllegalArgumentException e) {
            throw new Main.UserException("--" + (e.getMessage().contains("format") ? "log-format" : "log-level") + ": "
                    + e.getMessage().replaceFirst("^the log (level|format) ", ""));
        }
    }
}
