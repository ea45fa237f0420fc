package io.drover.core;

import java.util.concurrent.locks.LockSupport;

/**
 * The time a loop measures and waits on, in nanoseconds, so that tests can run it on a fake one: the run loop's
 * retry backoff and durations ({@code RunOptions.ticker}). {@link #park} waits up to a number of this ticker's
 * nanoseconds, returning early when the thread is unparked; a fake ticker parks briefly in real time instead and lets
 * the caller look at its time again.
 */
@FunctionalInterface
public interface Ticker {
    /** The machine's monotonic clock ({@link System#nanoTime}), parking the thread in real time. */
    Ticker SYSTEM = System::nanoTime;

    long nanos();

    /** Parks the calling thread for up to {@code nanos} of this ticker's time, or until it is unparked. */
    default void park(Object blocker, long nanos) {
        LockSupport.parkNanos(blocker, nanos);
    }
}
