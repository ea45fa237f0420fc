package io.drover.cli;

import io.drover.core.Log;
import picocli.CommandLine.Option;

/**
 * {@code --log-level} and {@code --log-format} of the long-running commands (worker, controller, node start,
 * agent): how much their parts say and in which shape ({@link Log}). A bad value is invalid input (exit 2).
 */
final class LogOptions {
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
            return l;
        } catch (IllegalArgumentException e) {
            throw new Main.UserException("--" + (e.getMessage().contains("format") ? "log-format" : "log-level") + ": "
                    + e.getMessage().replaceFirst("^the log (level|format) ", ""));
        }
    }
}
