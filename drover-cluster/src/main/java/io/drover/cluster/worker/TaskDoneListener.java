package io.drover.cluster.worker;

import io.drover.cluster.queue.QueueTaskId;
import io.drover.core.runner.TaskOutcome;

/** Called by a worker after each attempt it recorded. Exceptions thrown here are logged and never stop the worker. */
@FunctionalInterface
public interface TaskDoneListener {
    TaskDoneListener NONE = (id, attempt, outcome, accepted) -> {};

    /**
     * @param accepted false when the outcome was refused because another worker holds the task now
     */
    void onTaskDone(QueueTaskId taskId, int attempt, TaskOutcome outcome, boolean accepted);
}
