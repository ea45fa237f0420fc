package io.drover.core.engine;

import io.drover.core.runner.TaskOutcome;

/**
 * Where a dispatcher reports one attempt: its log lines while it runs, then its outcome exactly once. Both methods
 * may be called from any thread.
 */
public interface TaskSink {
    void log(String line);

    /** The attempt started on {@code on} (a worker), for dispatchers that send attempts elsewhere. */
    default void started(String on) {}

    void completed(TaskOutcome outcome);
}
