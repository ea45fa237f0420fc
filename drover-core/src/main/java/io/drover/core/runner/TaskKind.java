package io.drover.core.runner;

import java.util.Map;

/**
 * A kind of task added in Java, written in a workflow as {@code command = { kind = "name", ... }}. Found through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.drover.core.runner.TaskKind}) or registered with
 * {@link TaskKinds#with}. Implementations must be thread-safe: many attempts may run at once.
 */
public interface TaskKind {
    /** The name used in {@code kind = "..."}. */
    String name();

    /**
     * Runs one attempt. Block until done; watch {@code context.cancellation()} and stop promptly when it fires.
     *
     * @param config the command table without its {@code kind} key
     */
    TaskOutcome run(Map<String, Object> config, TaskRequest request, TaskContext context) throws Exception;
}
