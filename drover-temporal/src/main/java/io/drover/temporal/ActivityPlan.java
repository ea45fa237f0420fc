package io.drover.temporal;

/**
 * How the workflow runs its activity, decided by the worker that starts it (a workflow's code must not read
 * settings): the workflow's second argument.
 *
 * @param startToCloseMillis the activity's start-to-close timeout: the task's timeout and the grace a timed-out
 *     process tree gets to die, or a day for a task without a timeout
 * @param heartbeatMillis the activity's heartbeat timeout
 * @param maxAttempts activity attempts at most
 * @param temporalRetries whether a failed task is an activity failure Temporal retries (else a result)
 * @param initialIntervalMillis the first retry's delay
 * @param backoffFactor the delay's growth per retry
 * @param maxIntervalMillis the longest delay
 */
public record ActivityPlan(
        long startToCloseMillis,
        long heartbeatMillis,
        int maxAttempts,
        boolean temporalRetries,
        long initialIntervalMillis,
        double backoffFactor,
        long maxIntervalMillis) {}
