package io.drover.core.engine;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A run in progress. Thread-safe. */
public interface RunHandle {
    String runId();

    /**
     * Cancels the run: queued tasks never start, running ones have their process trees killed, and the run ends
     * CANCELLED. Idempotent.
     */
    void cancel(String reason);

    /**
     * Stops scheduling this run here without touching the attempts in flight, because another scheduler takes it
     * over (see {@link RunOptions.Builder#resume}). Listeners hear nothing more; {@link #result()} completes
     * exceptionally with a {@link java.util.concurrent.CancellationException}.
     */
    void detach();

    /** Completes when every task has ended. */
    CompletableFuture<RunResult> result();

    /** Waits for the run to end. */
    default RunResult await() {
        return result().join();
    }

    /** Waits at most {@code timeout}; returns null if the run is still going. */
    default RunResult await(Duration timeout) {
        try {
            return result().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }
}
