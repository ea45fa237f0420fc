package io.drover.core.model;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints the durations users write: {@code 500ms}, {@code 1.5s}, {@code 5m}, {@code 1h30m}, {@code 2d}. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)");

    private Durations() {}

    /**
     * Parses a duration; a bare number means seconds.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw bad(text);
        }
        try {
            if (t.matches("\\d+(\\.\\d+)?")) {
                return ofUnits(Double.parseDouble(t), "s");
            }
        } catch (NumberFormatException e) {
            throw bad(text);
        }
        Matcher m = PART.matcher(t);
        int pos = 0;
        Duration total = Duration.ZERO;
        while (pos < t.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw bad(text);
            }
            total = total.plus(ofUnits(Double.parseDouble(m.group(1)), m.group(2)));
            pos = m.end();
        }
        return total;
    }

    private static Duration ofUnits(double value, String unit) {
        double nanosPerUnit = switch (unit) {
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            case "d" -> 86400e9;
            default -> throw new IllegalStateException(unit);
        };
        return Duration.ofNanos(Math.round(value * nanosPerUnit));
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException(
                "bad duration '" + text + "': use a number and a unit, like 500ms, 90s, 1.5m, 2h or 1h30m");
    }

    /** Prints a duration the way {@link #parse} reads it, shortest form first: {@code 10m}, {@code 1.5s}, {@code 250ms}. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 86_400_000 == 0 && ms > 0) return ms / 86_400_000 + "d";
        if (ms % 3_600_000 == 0 && ms > 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0 && ms > 0) return ms / 60_000 + "m";
        if (ms % 1000 == 0 && ms > 0) return ms / 1000 + "s";
        if (ms < 1000) return ms + "ms";
        return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
