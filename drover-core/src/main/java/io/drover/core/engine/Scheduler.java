package io.drover.core.engine;

import io.drover.core.plan.Plan;

/**
 * Runs plans. Each run gets one scheduler thread that owns all of the run's state and moves tasks through
 * {@link TaskState}; attempts run wherever the {@link Dispatcher} sends them.
 *
 * <p>Semantics, the same for every dispatcher: a task becomes READY when all its dependencies SUCCEEDED; at most
 * {@code concurrency} attempts run at once; a failed attempt is retried after its backoff (RETRYING in between)
 * until its retries are used up, then the task is FAILED and everything that depends on it SKIPPED; a SKIPPED or
 * CANCELLED task skips its dependents too; with {@code failFast}, the first FAILED task cancels the rest.
 */
public final class Scheduler {
    private Scheduler() {}

    /** Starts a run and returns at once. The dispatcher is not closed by the run. */
    public static RunHandle start(Plan plan, Dispatcher dispatcher, RunOptions options) {
        RunLoop loop = new RunLoop(plan, dispatcher, options);
        loop.start();
        return loop;
    }

    /** Runs a plan to the end. */
    public static RunResult run(Plan plan, Dispatcher dispatcher, RunOptions options) {
        return start(plan, dispatcher, options).await();
    }
}
