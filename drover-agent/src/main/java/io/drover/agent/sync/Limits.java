package io.drover.agent.sync;

/**
 * How much one transfer may hold. Checked against the manifest before anything is written and again against the
 * bytes that actually arrive.
 *
 * @param maxFiles entries (files, directories, links) in one transfer
 * @param maxBytes bytes of file content in one transfer
 * @param filesSetting what sets {@code maxFiles} (a flag or variable), named when a transfer passes it
 * @param bytesSetting what sets {@code maxBytes}
 */
public record Limits(long maxFiles, long maxBytes, String filesSetting, String bytesSetting) {
    public static final Limits DEFAULT = new Limits(1_000_000, 64L << 30);

    public Limits {
        if (maxFiles < 1 || maxBytes < 0) throw new IllegalArgumentException("limits must be positive");
    }

    public Limits(long maxFiles, long maxBytes) {
        this(maxFiles, maxBytes, "the limit", "the limit");
    }

    /** Limits from the environment ({@code DROVER_SYNC_MAX_FILES}, {@code DROVER_SYNC_MAX_BYTES}), else the defaults. */
    public static Limits fromEnvironment() {
        return new Limits(
                number("DROVER_SYNC_MAX_FILES", DEFAULT.maxFiles),
                number("DROVER_SYNC_MAX_BYTES", DEFAULT.maxBytes),
                "DROVER_SYNC_MAX_FILES",
                "DROVER_SYNC_MAX_BYTES");
    }

    /** Refuses a transfer of more entries or content bytes than these limits, naming the setting it passes. */
    public void check(long entries, long bytes) {
        if (entries > maxFiles) {
            throw new TransferRejected(
                    entries + " entries exceed the limit of " + maxFiles + " (" + filesSetting + ")");
        }
        if (bytes > maxBytes) {
            throw new TransferRejected(
                    "the transfer holds more than " + Sizes.format(maxBytes) + " (" + bytesSetting + ")");
        }
    }

    private static long number(String name, long fallback) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            return Sizes.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
    }
}
