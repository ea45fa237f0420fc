package io.drover.core;

import java.time.Duration;

/**
 * The one lifecycle of Drover's long-running parts (worker, controller, agent server): started by a static
 * {@code start(options)} that fails fast (Redis pinged, port bound) and starts no thread before that; stopped by
 * {@link #shutdown()} (gracefully: running work may finish within the part's grace) or {@link #shutdownNow()}
 * (at once); both return at once and are idempotent, and {@link #awaitTermination} waits for the end.
 */
public interface Lifecycle extends AutoCloseable {
    /** Stops taking work; running work may finish within the grace period. Returns at once. Idempotent. */
    void shutdown();

    /** Stops at once: running work is handed back or cancelled. Returns at once. Idempotent. */
    void shutdownNow();

    /** Waits until everything stopped; false when {@code timeout} passed first. */
    boolean awaitTermination(Duration timeout) throws InterruptedException;

    /** Whether everything stopped. */
    boolean isTerminated();

    /** {@link #shutdown()}, then waits for the end. */
    @Override
    void close();
}
