package io.drover.cluster.worker;

import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.SourceRef;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaBody;
import io.drover.core.lua.LuaRuntime;
import io.drover.core.model.Backoff;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import io.drover.core.state.StateHandle;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What a delivered attempt runs: its spec (one JSON object, read once with its entry) as a {@link TaskRequest} and
 * the {@link TaskRunner} for it. A workflow task's source is fetched once by reference and kept with its
 * interpreters; a Lua task's body is kept the same way; shell and plugin tasks share one runner. Thread-safe.
 */
final class AttemptDecoder {
    /**
     * An attempt ready to run.
     *
     * @param files the version of its run's files it starts from (a workflow task on a run with files), else null
     */
    record Decoded(TaskRequest request, TaskRunner runner, String files) {
        Decoded(TaskRequest request, TaskRunner runner) {
            this(request, runner, null);
        }
    }

    private final WorkerStore store;
    private final TaskKinds kinds;
    private final TaskRunner shellRunner;
    private final StateHandle state;
    /** Runners of Lua sources: workflows by reference, Lua tasks by body. Emptied when it grows large. */
    private final Map<String, TaskRunner> runners = new ConcurrentHashMap<>();

    AttemptDecoder(WorkerStore store, TaskKinds kinds, StateHandle state) {
        this.store = store;
        this.kinds = kinds;
        this.state = state;
        this.shellRunner = new TaskRunner(null, kinds, state);
    }

    /**
     * The request and runner of an attempt of task {@code id}.
     *
     * @throws IllegalArgumentException when the spec cannot be run (unreadable, or its source is gone)
     */
    Decoded decode(QueueTaskId id, int attempt, Map<String, Object> s) {
        if (s.isEmpty()) throw new IllegalArgumentException("its spec is not a readable JSON object");
        if (TaskSubmission.WORKFLOW_KIND.equals(s.get("kind"))) { // a task of a workflow run on the fleet
            return new Decoded(
                    RequestCodec.fromMap(s.get("request")),
                    workflowRunner(SourceRef.parse(String.valueOf(s.get("source")))),
                    s.get("files") instanceof String f ? f : null);
        }
        TaskSpec spec = spec(id, s); // the runner creates the directories it needs
        // A task submitted alone is a run of one task: the run it belongs to is named by the task's own id
        // ($DROVER_RUN_ID), and its one task is task.main ($DROVER_TASK).
        TaskRequest request = new TaskRequest(id.toString(), spec, attempt, params(s), Map.of());
        return new Decoded(
                request,
                spec.command() instanceof Command.LuaFunction
                        ? luaRunner(String.valueOf(s.get("command")))
                        : shellRunner);
    }

    private static TaskSpec spec(QueueTaskId id, Map<String, Object> s) {
        String kind = String.valueOf(s.getOrDefault("kind", "shell"));
        String text = String.valueOf(s.getOrDefault("command", ""));
        Command command = switch (kind) {
            case "lua" -> LuaBody.FUNCTION;
            case "shell" -> new Command.Shell(text.isEmpty() ? "false" : text);
            default -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> config = Json.read(text.isEmpty() ? "{}" : text) instanceof Map<?, ?> m
                        ? (Map<String, Object>) m
                        : Map.of();
                yield new Command.Plugin(kind, config);
            }
        };
        long timeout = s.get("timeout_ms") instanceof Number n ? n.longValue() : 0;
        Map<String, String> env = new LinkedHashMap<>();
        if (s.get("env") instanceof Map<?, ?> m) m.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        return new TaskSpec(
                new TaskId("task", "main"),
                "",
                command,
                List.of(),
                Map.of(),
                env,
                "",
                0,
                Backoff.DEFAULT,
                timeout > 0 ? Duration.ofMillis(timeout) : null,
                null,
                null,
                id.queue(),
                Map.of(),
                List.of(),
                null,
                null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> params(Map<String, Object> s) {
        return s.get("params") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** A Lua task is the body of a function ({@link LuaBody}); it runs through the same runner as workflow functions. */
    private TaskRunner luaRunner(String body) {
        return runner("lua\0" + body, () -> new TaskRunner(new LuaRuntime(LuaBody.source(body)), kinds, state));
    }

    /**
     * The runner of a workflow's tasks: its source is fetched once by reference ({@link SourceRef}) and its
     * interpreters are kept with it, so a file is evaluated once per concurrent task, not per task.
     */
    private TaskRunner workflowRunner(SourceRef ref) {
        return runner("src\0" + ref, () -> {
            WorkflowSource source = store.source(ref)
                    .orElseThrow(() -> new IllegalArgumentException("the workflow's source " + ref
                            + " is not in Redis (its run ended longer ago than the retention?)"));
            return new TaskRunner(new LuaRuntime(source), kinds, state);
        });
    }

    private TaskRunner runner(String key, Supplier<TaskRunner> make) {
        TaskRunner r = runners.get(key);
        if (r != null) return r;
        if (runners.size() > 256) runners.clear(); // never inside compute
        return runners.computeIfAbsent(key, k -> make.get());
    }
}
