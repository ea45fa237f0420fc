package io.drover.core.state;

import io.drover.core.model.Durations;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The checks every store applies before it writes, so that each refuses the same input with the same words. */
public final class StateLimits {
    /** The largest value or list entry, as JSON text. */
    public static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;
    /** The longest key, lock name or namespace. */
    public static final int MAX_KEY_CHARS = 512;
    /** The most entries a capped list keeps when the caller names no cap. */
    public static final int DEFAULT_LIST_MAX = 1000;

    private StateLimits() {}

    /** @throws StateException naming the key when it is empty, too long or holds a NUL */
    public static String key(String key) {
        if (key == null || key.isEmpty()) throw new StateException("state: a key must not be empty");
        if (key.length() > MAX_KEY_CHARS)
            throw new StateException(
                    "state: key '" + key.substring(0, 40) + "...' is longer than " + MAX_KEY_CHARS + " characters");
        if (key.indexOf('\0') >= 0) throw new StateException("state: key '" + key.replace("\0", "\\0") + "' holds NUL");
        return key;
    }

    /** @throws StateException naming the key when the value is larger than {@link #MAX_VALUE_BYTES} */
    public static String value(String key, String json) {
        // UTF-8 takes at most 3 bytes a char: count bytes only when the length says it might be too large
        if (json.length() * 3L > MAX_VALUE_BYTES && json.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
            throw new StateException("state: the value of key '" + key + "' is "
                    + json.getBytes(StandardCharsets.UTF_8).length / (1024 * 1024) + " MiB, over the limit of "
                    + MAX_VALUE_BYTES / (1024 * 1024) + " MiB");
        }
        return json;
    }

    /**
     * A time to live as written by a user ({@code "30d"}, {@code "10m"}), or null for none.
     *
     * @throws StateException naming the key when the text is not a positive duration
     */
    public static Duration ttl(String key, String text) {
        if (text == null) return null;
        Duration d;
        try {
            d = Durations.parse(text);
        } catch (RuntimeException e) {
            throw new StateException("state: bad ttl '" + text + "' for key '" + key + "': " + e.getMessage());
        }
        return positive(key, d);
    }

    /** @throws StateException naming the key when the duration is zero or negative */
    public static Duration positive(String key, Duration d) {
        if (d != null && (d.isZero() || d.isNegative()))
            throw new StateException("state: bad ttl for key '" + key + "': it must be positive");
        return d;
    }

    /** The checks of a write: its key, its value and its time to live (null: none). */
    public static void write(String key, String json, Duration ttl) {
        key(key);
        value(key, json);
        positive(key, ttl);
    }

    /** @throws StateException naming the key when a list's cap is below 1 */
    public static int max(String key, int max) {
        if (max < 1) throw new StateException("state: the cap of list '" + key + "' must be at least 1, not " + max);
        return max;
    }
}
