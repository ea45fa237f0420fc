package io.drover.cluster.worker;

import io.drover.core.runner.TaskOutcome;

/**
 * How an attempt ended wherever it ran.
 *
 * @param outcome its outcome (messages already masked)
 * @param files the reference of what it left in its run's files, or null
 * @param retried whether the task's retries were made where it ran (a failure is then final: the queue makes none)
 */
public record Executed(TaskOutcome outcome, String files, boolean retried) {
    public Executed(TaskOutcome outcome, String files) {
        this(outcome, files, false);
    }
}
