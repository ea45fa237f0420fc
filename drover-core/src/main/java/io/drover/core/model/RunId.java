package io.drover.core.model;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The id of a run: letters, digits, '_', '.' and '-', 128 characters at most, never {@code ..} (a run id names a
 * directory and Redis keys). New ids sort by time and read well: {@code 20261122-191744-3f9a} ({@link #next}).
 * {@link #toString} is the id as written; {@link #parse} reads it back.
 */
public record RunId(String value) {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    public RunId {
        if (!isValid(value)) throw new IllegalArgumentException("not a run id: '" + value + "'");
    }

    /** A new id: the time now (UTC, to the second) and four random hex digits. */
    public static RunId next() {
        return new RunId(FORMAT.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-"
                + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000)));
    }

    /** Reads an id; anything else is an {@link IllegalArgumentException} that names it. */
    public static RunId parse(String id) {
        return new RunId(id);
    }

    /** An id, or empty when {@code id} is none. */
    public static Optional<RunId> tryParse(String id) {
        return isValid(id) ? Optional.of(new RunId(id)) : Optional.empty();
    }

    private static boolean isValid(String id) {
        if (id == null || id.isEmpty() || id.length() > 128 || id.contains("..")) return false;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return value;
    }
}
