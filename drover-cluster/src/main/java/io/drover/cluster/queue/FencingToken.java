package io.drover.cluster.queue;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The fencing token of an attempt's lease: its stream entry's delivery count when the holder took it (1 for the
 * first delivery, one more for each take-over). A write about the attempt lands only while the entry is pending for
 * the holder with this count ({@code complete.lua}, {@code log.lua}), so a holder that lost the lease writes
 * nothing. {@link #toString} is the number as the scripts read it; {@link #parse} reads it back.
 */
public record FencingToken(long value) implements Comparable<FencingToken> {
    public FencingToken {
        if (value < 1) throw new IllegalArgumentException("not a fencing token: " + value);
    }

    /** A token of this value; less than 1 is an {@link IllegalArgumentException}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static FencingToken of(long value) {
        return new FencingToken(value);
    }

    /** Reads a token; anything else is an {@link IllegalArgumentException} that names it. */
    public static FencingToken parse(String s) {
        try {
            return new FencingToken(Long.parseLong(s));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a fencing token: '" + s + "'", e);
        }
    }

    /** Whether this token is at least {@code n}: an entry delivered that many times or more. */
    public boolean atLeast(long n) {
        return value >= n;
    }

    @Override
    public int compareTo(FencingToken o) {
        return Long.compare(value, o.value);
    }

    /** The token as a number, as it travels in JSON. */
    @Override
    @JsonValue
    public long value() {
        return value;
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
