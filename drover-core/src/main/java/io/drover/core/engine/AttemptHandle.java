package io.drover.core.engine;

/** A running attempt, as returned by a dispatcher. */
@FunctionalInterface
public interface AttemptHandle {
    /**
     * Asks the attempt to stop: a queued one never starts, a running one has its process tree killed. The attempt
     * still reports an outcome (normally CANCELLED) through its sink. Idempotent; never blocks for long.
     */
    void cancel(String reason);
}
