package io.drover.core.engine;

import io.drover.core.model.TaskId;
import java.time.Instant;
import java.util.List;

/** How a run ended, with every task's result in the order written. */
public record RunResult(String runId, RunStatus status, Instant startedAt, Instant finishedAt, List<TaskResult> tasks) {
    public TaskResult task(TaskId id) {
        for (TaskResult t : tasks) if (t.id().equals(id)) return t;
        return null;
    }

    public long count(TaskState state) {
        return tasks.stream().filter(t -> t.state() == state).count();
    }
}
