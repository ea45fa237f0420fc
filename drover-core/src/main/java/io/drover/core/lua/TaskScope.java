package io.drover.core.lua;

import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What Lua code of one task sees: its log, its working directory (which {@code fs} and {@code exec} are confined
 * to), its environment ({@code env.set} changes only this map), and its stop signal.
 *
 * @param env the task's environment on top of the process's (mutable, private to the task)
 * @param workdirUsed set once {@code fs} or {@code exec} touched the working directory (creating it if missing)
 */
public record TaskScope(
        TaskLog log, Path workdir, Map<String, String> env, Cancellation cancellation, AtomicBoolean workdirUsed) {
    public TaskScope(TaskLog log, Path workdir, Map<String, String> env, Cancellation cancellation) {
        this(log, workdir, env, cancellation, new AtomicBoolean());
    }
}
