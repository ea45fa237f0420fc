package io.drover.core.model;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff between attempts: {@code initial * factor^(n-1)}, capped at {@code max}, with "equal jitter"
 * (a uniform draw in the upper half of the delay) when {@code jitter} is on.
 */
public record Backoff(Duration initial, Duration max, double factor, boolean jitter) {
    public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX = Duration.ofMinutes(5);
    public static final double DEFAULT_FACTOR = 2.0;
    public static final Backoff DEFAULT = new Backoff(DEFAULT_INITIAL, DEFAULT_MAX, DEFAULT_FACTOR, true);

    /** Starting at {@code initial}, doubling, with jitter, up to {@link #DEFAULT_MAX} (or initial when that is more). */
    public static Backoff startingAt(Duration initial) {
        return new Backoff(initial, initial.compareTo(DEFAULT_MAX) > 0 ? initial : DEFAULT_MAX, DEFAULT_FACTOR, true);
    }

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.isNegative()) {
            throw new IllegalArgumentException("backoff durations must not be negative");
        }
        if (!(factor >= 1.0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("backoff factor must be a number >= 1, got " + factor);
        }
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(
                    "backoff max (" + Durations.format(max) + ") is below initial (" + Durations.format(initial) + ")");
        }
    }

    /**
     * The wait before attempt {@code nextAttempt} (2 for the first retry).
     *
     * @param random the source of jitter; pass a seeded one in tests
     */
    public Duration delayBefore(int nextAttempt, RandomGenerator random) {
        int retry = Math.max(1, nextAttempt - 1);
        double nanos = initial.toNanos() * Math.pow(factor, retry - 1);
        long capped = (long) Math.min(nanos, (double) max.toNanos());
        if (jitter && capped > 1) {
            long half = capped / 2;
            capped = half + random.nextLong(capped - half + 1);
        }
        return Duration.ofNanos(capped);
    }
}
