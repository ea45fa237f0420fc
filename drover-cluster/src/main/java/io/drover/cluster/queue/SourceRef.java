package io.drover.cluster.queue;

import io.drover.core.model.WorkflowSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The content address of a workflow's source on the fleet: SHA-256 of its name and text. A run stores its source
 * once under this reference ({@link Client#storeSource}); each attempt it puts on a queue carries the reference,
 * and workers fetch the source once and keep it by reference. Immutable.
 *
 * @param hex 64 lower-case hex digits
 */
public record SourceRef(String hex) {
    public SourceRef {
        if (!Keys.isHash(hex))
            throw new IllegalArgumentException("bad source reference '" + hex + "': 64 hex digits expected");
    }

    /** The reference of a source. */
    public static SourceRef of(WorkflowSource source) {
        return new SourceRef(digest(source.name(), source.text()));
    }

    /** Reads a reference written by {@link #toString}. */
    public static SourceRef parse(String s) {
        return new SourceRef(s);
    }

    /** Whether {@code source} is what this reference names (what a worker checks of a source it fetched). */
    public boolean names(WorkflowSource source) {
        return hex.equals(digest(source.name(), source.text()));
    }

    @Override
    public String toString() {
        return hex;
    }

    private static String digest(String name, String text) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(name.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
