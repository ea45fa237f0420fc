package io.drover.core.engine;

import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs attempts in this process through a {@link TaskRunner}, each on a virtual thread (busy Lua functions yield
 * their carrier regularly, see {@link io.drover.core.lua.LuaInterpreter}). Thread-safe.
 *
 * <p>Relative working directories resolve against {@code baseDir}; Drover's own per-attempt files go under
 * {@code scratchDir}.
 */
public final class LocalDispatcher implements Dispatcher {
    private final TaskRunner runner;
    private final Path baseDir;
    private final Path scratchDir;
    private final VirtualAttempts attempts = new VirtualAttempts("drover-task-");

    public LocalDispatcher(TaskRunner runner, Path baseDir, Path scratchDir) {
        this.runner = runner;
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.scratchDir = scratchDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.scratchDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + this.scratchDir, e);
        }
    }

    @Override
    public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
        return attempts.start(
                sink,
                cancellation -> runner.run(request, new TaskContext(baseDir, scratchDir, sink::log, cancellation)));
    }

    /** Cancels what still runs and stops taking work. */
    @Override
    public void close() {
        attempts.close();
    }
}
