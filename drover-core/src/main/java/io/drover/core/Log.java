package io.drover.core;

import io.drover.core.lua.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The one way Drover's long-running parts (worker, controller, agent, the fleet dispatcher, the engine) say what
 * they do: a line per message on standard error, at a level, in one of two formats. Plain lines read
 * {@code 2026-12-07T10:00:00.123Z worker w1: draining: no new tasks}; JSON lines are one object each,
 * {@code {"ts":"...","level":"info","component":"worker","id":"w1","message":"..."}}, for a fleet's log
 * collector. The level and format are the process's ({@link #configure}; the CLI's {@code --log-level} and
 * {@code --log-format}, else the system properties {@code drover.log.level} and {@code drover.log.format}, else
 * info and plain). What a user reads from a command (tables, results) is printed by the CLI, not logged.
 * Thread-safe.
 */
public final class Log {
    /** How much is said: each level includes the ones after it. */
    public enum Level {
        DEBUG,
        INFO,
        WARN,
        ERROR;

        /** {@code debug}, {@code info}, {@code warn} or {@code error}, in any case. */
        public static Level parse(String s) {
            for (Level l : values()) if (l.name().equalsIgnoreCase(s.strip())) return l;
            throw new IllegalArgumentException("the log level must be error, warn, info or debug, not '" + s + "'");
        }
    }

    /** How a line is written. */
    public enum Format {
        PLAIN,
        JSON;

        /** {@code plain} or {@code json}. */
        public static Format parse(String s) {
            for (Format f : values()) if (f.name().equalsIgnoreCase(s.strip())) return f;
            throw new IllegalArgumentException("the log format must be plain or json, not '" + s + "'");
        }
    }

    private static volatile Level threshold = orDefault(System.getProperty("drover.log.level"), Level.INFO);
    private static volatile Format format = formatOrDefault(System.getProperty("drover.log.format"));

    private final String component;
    private final String id;

    private Log(String component, String id) {
        this.component = component;
        this.id = id;
    }

    /** The log of one part: {@code component} (worker, controller, agent, dispatcher, engine) and its id. */
    public static Log of(String component, String id) {
        return new Log(component, id);
    }

    /** Sets the process's level and format. */
    public static void configure(Level level, Format f) {
        threshold = level;
        format = f;
    }

    public static Level level() {
        return threshold;
    }

    public boolean isEnabled(Level level) {
        return level.ordinal() >= threshold.ordinal();
    }

    public void debug(String message) {
        log(Level.DEBUG, message);
    }

    public void info(String message) {
        log(Level.INFO, message);
    }

    public void warn(String message) {
        log(Level.WARN, message);
    }

    public void error(String message) {
        log(Level.ERROR, message);
    }

    private void log(Level level, String message) {
        if (!isEnabled(level)) return;
        PrintStream err = System.err; // the stream of the moment, so a test or an embedder that swaps it gets the lines
        err.println(line(Instant.now(), level, component, id, message, format));
    }

    /**
     * Writes what the libraries log through java.util.logging (Lettuce, Netty, gRPC) in this process's format too:
     * component {@code library}, id the logger's name. Plain lines keep the JDK's one-line format; with JSON every
     * handler of the root logger gets this.
     */
    public static void formatLibraries() {
        if (format != Format.JSON) return;
        Formatter f = new Formatter() {
            @Override
            public String format(LogRecord r) {
                int v = r.getLevel().intValue();
                Level level = v >= 1000 ? Level.ERROR : v >= 900 ? Level.WARN : v >= 800 ? Level.INFO : Level.DEBUG;
                String message = formatMessage(r);
                if (r.getThrown() != null) message += " (" + r.getThrown() + ")";
                return line(r.getInstant(), level, "library", String.valueOf(r.getLoggerName()), message, Format.JSON)
                        + System.lineSeparator();
            }
        };
        for (Handler h : Logger.getLogger("").getHandlers()) h.setFormatter(f);
    }

    /** One line as it is written. */
    static String line(Instant at, Level level, String component, String id, String message, Format f) {
        if (f == Format.PLAIN) return at + " " + component + " " + id + ": " + message;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("ts", at.toString());
        m.put("level", level.name().toLowerCase(Locale.ROOT));
        m.put("component", component);
        m.put("id", id);
        m.put("message", message);
        return Json.write(m); // the one JSON writer: one line, control characters escaped
    }

    private static Level orDefault(String s, Level fallback) {
        try {
            return s == null ? fallback : Level.parse(s);
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    private static Format formatOrDefault(String s) {
        try {
            return s == null ? Format.PLAIN : Format.parse(s);
        } catch (IllegalArgumentException e) {
            return Format.PLAIN;
        }
    }
}
