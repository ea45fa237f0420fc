package io.drover.core.engine;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/** Run ids that sort by time and read well: {@code 20261122-191744-3f9a}. */
public final class RunIds {
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private RunIds() {}

    public static String next() {
        return FORMAT.format(ZonedDateTime.now(ZoneOffset.UTC)) + "-"
                + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
    }

    /** Whether a string could be a run id (safe as a directory name). */
    public static boolean isValid(String id) {
        return id != null && id.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}") && !id.contains("..");
    }
}
