package io.drover.core.model;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One task of a workflow, with its group's defaults already applied.
 *
 * @param id group and name
 * @param description free text, may be empty
 * @param command what to run
 * @param dependsOn the tasks that must succeed first
 * @param params parameters from the file (the run's {@code --param}s override them)
 * @param env extra environment variables
 * @param workdir working directory, relative to the run's base directory; empty for the base itself
 * @param retries how many times a failed attempt is tried again (0: one attempt in all)
 * @param backoff the wait between attempts
 * @param timeout the limit of one attempt, or {@code null} for none
 * @param runIf a condition checked before the first attempt; false means SKIPPED; {@code null} for none
 * @param delegateTo where to run it, or {@code null} to run wherever the run's dispatcher runs tasks
 * @param queue the queue name in cluster mode, or {@code null} for the default
 * @param tags routing tags in cluster mode
 * @param artifacts gitignore-style patterns: on agents and the fleet only what the task changed under them travels
 *     on to its dependents and back (empty: everything it changed)
 * @param memory a capped list of the state store loaded into {@code params.memory} and saved after the task, or
 *     null
 * @param location where the task is written
 */
public record TaskSpec(
        TaskId id,
        String description,
        Command command,
        List<TaskId> dependsOn,
        Map<String, Object> params,
        Map<String, String> env,
        String workdir,
        int retries,
        Backoff backoff,
        Duration timeout,
        Command runIf,
        Delegation delegateTo,
        String queue,
        Map<String, String> tags,
        List<String> artifacts,
        Memory memory,
        SourceLocation location) {

    public TaskSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(command, "command of " + id);
        description = description == null ? "" : description;
        dependsOn = List.copyOf(dependsOn);
        params = params.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(params));
        env = env.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(env));
        workdir = workdir == null ? "" : workdir;
        if (retries < 0) throw new IllegalArgumentException("retries of " + id + " must be >= 0");
        backoff = backoff == null ? Backoff.DEFAULT : backoff;
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout of " + id + " must be positive");
        }
        tags = tags.isEmpty() ? Map.of() : Map.copyOf(tags);
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
        location = location == null ? SourceLocation.UNKNOWN : location;
    }

    /**
     * This task with another working directory (an agent's copy of the workspace is the task's working directory
     * itself: there it runs in {@code ""}).
     */
    public TaskSpec withWorkdir(String dir) {
        return new TaskSpec(
                id,
                description,
                command,
                dependsOn,
                params,
                env,
                dir,
                retries,
                backoff,
                timeout,
                runIf,
                delegateTo,
                queue,
                tags,
                artifacts,
                memory,
                location);
    }

    /** A task with only an id, a command and dependencies; everything else at its default. For Java callers. */
    public static TaskSpec of(TaskId id, Command command, List<TaskId> dependsOn) {
        return new TaskSpec(
                id,
                "",
                command,
                dependsOn,
                Map.of(),
                Map.of(),
                "",
                0,
                Backoff.DEFAULT,
                null,
                null,
                null,
                null,
                Map.of(),
                List.of(),
                null,
                SourceLocation.UNKNOWN);
    }

    /** Attempts in all: {@code retries + 1}. */
    public int maxAttempts() {
        return retries + 1;
    }
}
