package io.drover.core.lua;

import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import io.drover.core.state.StateHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What Lua code of one task sees: its log, its working directory (which {@code fs} and {@code exec} are confined
 * to), its environment ({@code env.set} changes only this map), its stop signal, and the state store
 * ({@code state}) with the run it belongs to.
 *
 * @param env the task's environment on top of the process's (mutable, private to the task)
 * @param workdirUsed set once {@code fs} or {@code exec} touched the working directory (creating it if missing)
 * @param state the store {@code state.scope(...)} reaches
 * @param runId the run's id: the {@code "run"} scope
 */
public record TaskScope(
        TaskLog log,
        Path workdir,
        Map<String, String> env,
        Cancellation cancellation,
        AtomicBoolean workdirUsed,
        StateHandle state,
        String runId) {
    public TaskScope(TaskLog log, Path workdir, Map<String, String> env, Cancellation cancellation) {
        this(log, workdir, env, cancellation, new AtomicBoolean(), StateHandle.none(), "");
    }
}
