package io.drover.core.runner;

import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where and how one attempt runs.
 *
 * @param baseDir the directory a task's relative {@code workdir} is resolved against
 * @param scratchDir a private directory for Drover's own files of the attempt (the {@code DROVER_OUTPUT} file)
 * @param log the attempt's log
 * @param cancellation the attempt's stop signal
 * @param directoriesUsed set when the attempt made or used its directories (a shell command always does, a Lua
 *     function once it calls {@code fs} or {@code exec}): a caller that removes them afterwards need not look for
 *     directories that were never made (a lookup of a missing path per task cost a worker more CPU than running a
 *     small Lua task)
 */
public record TaskContext(
        Path baseDir, Path scratchDir, TaskLog log, Cancellation cancellation, AtomicBoolean directoriesUsed) {
    public TaskContext(Path baseDir, Path scratchDir, TaskLog log, Cancellation cancellation) {
        this(baseDir, scratchDir, log, cancellation, new AtomicBoolean());
    }
}
