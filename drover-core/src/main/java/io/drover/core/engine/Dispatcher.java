package io.drover.core.engine;

import io.drover.core.runner.TaskRequest;

/**
 * Runs task attempts somewhere: in this process, on an agent, on a worker. The scheduler calls it only from its
 * own thread, never more than the run's concurrency at a time.
 */
public interface Dispatcher extends AutoCloseable {
    /**
     * Starts one attempt without blocking. The dispatcher must report through {@code sink} exactly once, also when
     * the attempt cannot start (report FAILED with the reason) or is cancelled.
     */
    AttemptHandle dispatch(TaskRequest request, TaskSink sink);

    /** Releases what the dispatcher holds (threads, connections). Running attempts are cancelled. */
    @Override
    default void close() {}
}
