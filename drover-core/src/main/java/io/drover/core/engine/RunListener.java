package io.drover.core.engine;

import io.drover.core.model.TaskSpec;
import io.drover.core.runner.TaskOutcome;
import java.util.List;
import java.util.Map;

/**
 * Observes a run. State changes arrive on the scheduler's thread, in order, and must return quickly; log lines
 * arrive on the threads that produce them, so implementations must be thread-safe.
 */
public interface RunListener {
    RunListener NOOP = new RunListener() {};

    default void onRunStarted(String runId, int taskCount) {}

    default void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {}

    default void onTaskLog(TaskSpec task, int attempt, String line) {}

    /** An attempt started on a worker (or agent) {@code on}; on the dispatcher's thread, like log lines. */
    default void onAttemptStarted(TaskSpec task, int attempt, String on) {}

    /**
     * How an attempt ended, on the scheduler's thread just before the state change it causes ({@link
     * TaskOutcome#ran()} says where it ran and when it ended there, when the dispatcher knows).
     */
    default void onAttemptEnded(TaskSpec task, int attempt, TaskOutcome outcome) {}

    /** The outputs of an attempt that succeeded, on the scheduler's thread just before its SUCCEEDED change. */
    default void onTaskOutputs(TaskSpec task, int attempt, Map<String, Object> outputs) {}

    default void onRunFinished(RunResult result) {}

    /** All of them, in order. */
    static RunListener of(List<RunListener> listeners) {
        List<RunListener> ls = List.copyOf(listeners);
        if (ls.isEmpty()) return NOOP;
        if (ls.size() == 1) return ls.get(0);
        return new RunListener() {
            @Override
            public void onRunStarted(String runId, int taskCount) {
                for (RunListener l : ls) l.onRunStarted(runId, taskCount);
            }

            @Override
            public void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {
                for (RunListener l : ls) l.onTaskStateChanged(task, from, to, attempt, message);
            }

            @Override
            public void onTaskLog(TaskSpec task, int attempt, String line) {
                for (RunListener l : ls) l.onTaskLog(task, attempt, line);
            }

            @Override
            public void onAttemptStarted(TaskSpec task, int attempt, String on) {
                for (RunListener l : ls) l.onAttemptStarted(task, attempt, on);
            }

            @Override
            public void onAttemptEnded(TaskSpec task, int attempt, TaskOutcome outcome) {
                for (RunListener l : ls) l.onAttemptEnded(task, attempt, outcome);
            }

            @Override
            public void onTaskOutputs(TaskSpec task, int attempt, Map<String, Object> outputs) {
                for (RunListener l : ls) l.onTaskOutputs(task, attempt, outputs);
            }

            @Override
            public void onRunFinished(RunResult result) {
                for (RunListener l : ls) l.onRunFinished(result);
            }
        };
    }
}
