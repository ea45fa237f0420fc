package io.drover.core.runner;

import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import java.nio.file.Path;

/**
 * Where and how one attempt runs.
 *
 * @param baseDir the directory a task's relative {@code workdir} is resolved against
 * @param scratchDir a private directory for Drover's own files of the attempt (the {@code DROVER_OUTPUT} file)
 * @param log the attempt's log
 * @param cancellation the attempt's stop signal
 */
public record TaskContext(Path baseDir, Path scratchDir, TaskLog log, Cancellation cancellation) {}
