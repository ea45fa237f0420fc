package io.drover.cluster.worker;

import io.drover.cluster.queue.WorkerId;
import io.drover.core.model.Backoff;
import io.drover.core.process.Cancellation;
import java.util.List;
import java.util.function.Consumer;

/**
 * A worker's way of running an attempt in its own process, for an {@link AttemptExecutor} that runs attempts of
 * other workers too (a Temporal activity runs on whichever worker polls for it). Thread-safe.
 */
public interface ExecutorHost {
    /**
     * Runs an attempt here, as a local attempt runs: its spec read from the task's record, a private directory, the
     * task's runner, its files collected. Log lines go to the task's event stream, fenced by the lease {@code input}
     * names; when the fence refuses them (another worker took the task over, or is about to), they are written for
     * whoever holds the task's lease then, or dropped when nobody takes it within a while. Never throws.
     *
     * @param tap sees every log line (masked) as it goes
     * @param preface lines written to the task's log before the attempt's own (where and why it runs here)
     */
    Executed run(AttemptInput input, Cancellation cancellation, Consumer<String> tap, List<String> preface);

    /** A task's attempts at most and the backoff between them, as its record says (for an executor that retries). */
    Retries retries(AttemptInput input);

    /** @param maxAttempts the task's attempts at most (1: no retries) */
    record Retries(int maxAttempts, Backoff backoff) {}

    /** This worker's id. */
    WorkerId workerId();

    /** How many attempts this worker runs at once. */
    int concurrency();
}
