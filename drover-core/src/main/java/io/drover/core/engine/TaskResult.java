package io.drover.core.engine;

import io.drover.core.model.TaskId;
import java.util.Map;

/**
 * How a task ended in a run.
 *
 * @param attempts attempts started (0 if it never ran)
 * @param durationMillis from the start of its first attempt to its end; 0 if it never ran
 * @param ranOn the worker its last attempt ran on, when it ran on one; else empty
 */
public record TaskResult(
        TaskId id,
        TaskState state,
        int attempts,
        long durationMillis,
        String message,
        Map<String, Object> outputs,
        String ranOn) {
    public TaskResult {
        ranOn = ranOn == null ? "" : ranOn;
    }

    public TaskResult(
            TaskId id,
            TaskState state,
            int attempts,
            long durationMillis,
            String message,
            Map<String, Object> outputs) {
        this(id, state, attempts, durationMillis, message, outputs, "");
    }
}
