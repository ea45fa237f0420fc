package io.drover.cluster.worker;

import io.drover.core.process.Cancellation;

/** An attempt this worker holds, as an {@link AttemptExecutor} sees it. */
public interface HeldAttempt {
    AttemptInput input();

    /** Fired when the attempt must stop: a cancel, the worker handing it back, or its lease lost. */
    Cancellation cancellation();

    /**
     * Whether the cancellation is someone's request to cancel the task (then the attempt's execution is cancelled
     * wherever it runs), not this worker letting the attempt go (handed back, or its lease lost: then another
     * worker carries it on).
     */
    boolean cancelRequested();

    /** Runs the attempt in this process, with its own log lines and cancellation (what the local executor does). */
    Executed runHere();
}
