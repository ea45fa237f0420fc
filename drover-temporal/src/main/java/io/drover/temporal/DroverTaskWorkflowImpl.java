package io.drover.temporal;

import io.drover.cluster.worker.AttemptInput;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * The workflow's code: runs the activity once (its retries per the plan) and turns how it ended into a result;
 * the workflow itself never fails, so a result is always there for the worker that waits. Deterministic: it reads
 * nothing but its arguments and signals.
 */
public final class DroverTaskWorkflowImpl implements DroverTaskWorkflow {
    private AttemptInput holder;

    @Override
    public TaskResult run(AttemptInput input, ActivityPlan plan) {
        if (holder == null) holder = input;
        RetryOptions.Builder retry = RetryOptions.newBuilder()
                .setMaximumAttempts(plan.maxAttempts())
                .setInitialInterval(Duration.ofMillis(Math.max(1, plan.initialIntervalMillis())))
                .setBackoffCoefficient(Math.max(1.0, plan.backoffFactor()))
                .setMaximumInterval(
                        Duration.ofMillis(Math.max(plan.initialIntervalMillis(), plan.maxIntervalMillis())));
        ActivityOptions options = ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMillis(plan.startToCloseMillis()))
                .setHeartbeatTimeout(Duration.ofMillis(plan.heartbeatMillis()))
                .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
                .setRetryOptions(retry.build())
                .build();
        DroverTaskActivity activity = Workflow.newActivityStub(DroverTaskActivity.class, options);
        try {
            return activity.run(input, plan.temporalRetries());
        } catch (ActivityFailure f) {
            Throwable cause = f.getCause();
            if (cause instanceof CanceledFailure) return TaskResult.cancelled("cancelled on request");
            if (cause instanceof ApplicationFailure a && DroverTaskActivity.TASK_FAILED.equals(a.getType())) {
                return TaskResult.failed(a.getOriginalMessage(), true);
            }
            if (cause instanceof TimeoutFailure t) {
                return TaskResult.failed(
                        "Temporal: the task's activity timed out ("
                                + t.getTimeoutType()
                                        .name()
                                        .replace("TIMEOUT_TYPE_", "")
                                        .toLowerCase(java.util.Locale.ROOT)
                                + ") on attempt " + plan.maxAttempts() + " of " + plan.maxAttempts(),
                        plan.temporalRetries());
            }
            String why = cause instanceof ApplicationFailure a ? a.getOriginalMessage() : String.valueOf(cause);
            return TaskResult.failed("Temporal: the task's activity failed: " + why, plan.temporalRetries());
        } catch (CanceledFailure e) {
            return TaskResult.cancelled("cancelled on request");
        }
    }

    @Override
    public void attach(AttemptInput h) {
        holder = h;
    }

    @Override
    public AttemptInput holder() {
        return holder;
    }
}
