package io.drover.temporal;

import io.drover.cluster.worker.Executed;
import io.drover.core.runner.TaskOutcome;
import java.util.Map;

/**
 * How a task's activity ended, as Temporal stores it: the workflow's result.
 *
 * @param status a {@link TaskOutcome.Status} name
 * @param message the outcome's message (masked where it ran)
 * @param outputs the task's outputs
 * @param files the reference of what it left in its run's files, or null
 * @param retried whether Temporal made the task's retries (the failure is then final)
 */
public record TaskResult(String status, String message, Map<String, Object> outputs, String files, boolean retried) {
    public TaskResult {
        outputs = outputs == null ? Map.of() : outputs;
        message = message == null ? "" : message;
    }

    static TaskResult of(Executed e) {
        TaskOutcome o = e.outcome();
        return new TaskResult(o.status().name(), o.message(), o.outputs(), e.files(), false);
    }

    static TaskResult failed(String message, boolean retried) {
        return new TaskResult(TaskOutcome.Status.FAILED.name(), message, Map.of(), null, retried);
    }

    static TaskResult cancelled(String message) {
        return new TaskResult(TaskOutcome.Status.CANCELLED.name(), message, Map.of(), null, false);
    }

    Executed executed() {
        TaskOutcome.Status s;
        try {
            s = TaskOutcome.Status.valueOf(status);
        } catch (IllegalArgumentException e) {
            return new Executed(TaskOutcome.failed("Temporal returned an unknown status '" + status + "'"), null);
        }
        return new Executed(new TaskOutcome(s, message, outputs), files, retried);
    }
}
