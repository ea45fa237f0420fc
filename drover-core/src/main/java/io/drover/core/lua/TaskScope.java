package io.drover.core.lua;

import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import java.nio.file.Path;
import java.util.Map;

/**
 * What Lua code of one task sees: its log, its working directory (which {@code fs} and {@code exec} are confined
 * to), its environment ({@code env.set} changes only this map), and its stop signal.
 *
 * @param env the task's environment on top of the process's (mutable, private to the task)
 */
public record TaskScope(TaskLog log, Path workdir, Map<String, String> env, Cancellation cancellation) {}
