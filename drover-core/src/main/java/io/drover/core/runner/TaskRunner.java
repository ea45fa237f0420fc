package io.drover.core.runner;

import io.drover.core.Deadlines;
import io.drover.core.Errors;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaConvert;
import io.drover.core.lua.LuaErrors;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.lua.LuaRuntime;
import io.drover.core.lua.TaskScope;
import io.drover.core.model.Command;
import io.drover.core.model.Durations;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.process.Cancellation;
import io.drover.core.process.Commands;
import io.drover.core.state.StateHandle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Runs one attempt of a task and blocks until it ends: checks {@code run_if} on the first attempt, runs the
 * command (shell, Lua function or plugin kind), enforces the timeout and honours cancellation. The only code that
 * runs user work, whichever dispatcher sent the task. Thread-safe: one runner serves every attempt of a workflow.
 *
 * <p>What a task sees: parameters ({@code params.k} in Lua, {@code $DROVER_PARAM_K} in shell), its dependencies'
 * outputs ({@code deps.task.key} or {@code deps["group.task"].key}; {@code $DROVER_DEP_TASK_KEY}), and
 * {@code $DROVER_OUTPUT}, a file where a shell task appends {@code key=value} lines. Values always reach a
 * command as data (environment variables), never spliced into its text.
 */
public final class TaskRunner {
    private final LuaRuntime lua;
    private final TaskKinds kinds;
    private final StateHandle state;
    private final Deadlines deadlines;

    /**
     * @param lua the workflow's Lua, or null for workflows without Lua functions
     * @param kinds plugin task kinds
     * @param state the store of {@code state.scope(...)} and tasks' {@code memory}
     * @param deadlines what tasks' timeouts are measured on
     */
    public TaskRunner(LuaRuntime lua, TaskKinds kinds, StateHandle state, Deadlines deadlines) {
        this.lua = lua;
        this.kinds = kinds;
        this.state = state;
        this.deadlines = deadlines;
    }

    /** A runner whose timeouts are measured on the machine's clock ({@link Deadlines#SYSTEM}). */
    public TaskRunner(LuaRuntime lua, TaskKinds kinds, StateHandle state) {
        this(lua, kinds, state, Deadlines.SYSTEM);
    }

    /** A runner whose tasks have no state store ({@code state} and {@code memory} fail, saying how to give one). */
    public TaskRunner(LuaRuntime lua, TaskKinds kinds) {
        this(lua, kinds, StateHandle.none());
    }

    /** The workflow's name, as the {@code "workflow"} scope of the state store knows it. */
    private String workflowName() {
        return lua == null ? "" : lua.source().name();
    }

    /** Runs the attempt. Never throws: every failure becomes a FAILED outcome with a message. */
    public TaskOutcome run(TaskRequest request, TaskContext context) {
        TaskSpec task = request.task();
        Cancellation cancel = context.cancellation();
        Runnable timeout = null;
        if (task.timeout() != null) {
            String why = "timed out after " + Durations.format(task.timeout());
            timeout = deadlines.after(task.timeout(), () -> cancel.cancel(Cancellation.Cause.TIMED_OUT, why));
        }
        TaskOutcome outcome;
        try {
            if (cancel.isCancelled()) {
                outcome = TaskOutcome.cancelled(cancel.reason());
            } else {
                outcome = runAttempt(request, context);
            }
        } catch (LuaError e) {
            outcome = TaskOutcome.failed(LuaErrors.message(e));
        } catch (Exception e) {
            outcome = TaskOutcome.failed(Errors.describe(e));
        } catch (VirtualMachineError e) { // out of memory or stack: the attempt fails, the process goes on
            outcome = TaskOutcome.failed(TaskOutcome.describe(e));
        } finally {
            if (timeout != null) timeout.run();
        }
        if (cancel.isCancelled()) {
            return cancel.cause() == Cancellation.Cause.TIMED_OUT
                    ? TaskOutcome.failed(cancel.reason())
                    : TaskOutcome.cancelled(cancel.reason());
        }
        return outcome;
    }

    private TaskOutcome runAttempt(TaskRequest request, TaskContext context) throws Exception {
        Memories memory = Memories.load(request, state, workflowName());
        if (memory == null) return runAttempt(request, context, null);
        Map<String, Object> params = new LinkedHashMap<>(request.params());
        params.put("memory", memory.loaded());
        TaskRequest withMemory = new TaskRequest(
                request.runId(), request.task(), request.attempt(), params, request.dependencyOutputs());
        TaskOutcome outcome;
        try {
            outcome = runAttempt(withMemory, context, memory);
        } catch (Exception | Error e) {
            try {
                memory.save();
            } catch (RuntimeException lost) {
                context.log().line("[warn] memory of " + request.task().id() + " not saved: " + Errors.describe(lost));
            }
            throw e;
        }
        try {
            memory.save(); // on every outcome: what a failed attempt learned is kept too
        } catch (RuntimeException e) {
            String why = "memory of " + request.task().id() + " not saved: " + Errors.describe(e);
            if (outcome.status() == TaskOutcome.Status.SUCCEEDED) return TaskOutcome.failed(why);
            context.log().line("[warn] " + why);
        }
        return outcome;
    }

    private TaskOutcome runAttempt(TaskRequest request, TaskContext context, Memories memory) throws Exception {
        TaskSpec task = request.task();
        Path workdir = workdirOf(task, context.baseDir());
        Path outputFile = context.scratchDir().resolve(fileName(task.id()) + "." + request.attempt() + ".out");
        // Directories only where something needs them: a shell command (or plugin) before it starts; a Lua function
        // when it first uses fs or exec. Creating them costs more than running a small function.
        if (!(task.command() instanceof Command.LuaFunction) || task.runIf() instanceof Command.Shell) {
            context.directoriesUsed().set(true);
            if (!Files.isDirectory(workdir)) Files.createDirectories(workdir);
            if (!Files.isDirectory(context.scratchDir())) Files.createDirectories(context.scratchDir());
        }
        Map<String, String> env = environment(request, workdir, outputFile);
        Path memoryFile = null;
        if (memory != null) {
            memoryFile = context.scratchDir().resolve(fileName(task.id()) + "." + request.attempt() + ".memory");
            env.put("DROVER_MEMORY", memoryFile.toString());
        }

        if (request.attempt() == 1
                && task.runIf() != null
                && !condition(task.runIf(), request, context, workdir, env)) {
            return TaskOutcome.skipped("run_if was false");
        }
        try {
            return switch (task.command()) {
                case Command.Shell shell -> shell(shell.script(), workdir, env, outputFile, context);
                case Command.LuaFunction fn -> luaTask(fn, request, context, workdir, env, memory);
                case Command.Plugin plugin -> plugin(plugin, request, context);
            };
        } finally {
            if (memoryFile != null) memory.appended(readMemory(memoryFile));
        }
    }

    /** The entries a shell task appended to {@code $DROVER_MEMORY}, a line each (JSON, or else text). */
    private static List<Object> readMemory(Path file) throws IOException {
        if (!Files.exists(file)) return List.of();
        List<Object> entries = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            Object v;
            try {
                v = Json.read(line);
            } catch (IllegalArgumentException notJson) {
                v = line;
            }
            entries.add(v);
        }
        Files.deleteIfExists(file);
        return entries;
    }

    /** The task's working directory: its {@code workdir} against the base (absolute ones kept). */
    public static Path workdirOf(TaskSpec task, Path baseDir) {
        if (task.workdir().isEmpty()) return baseDir;
        return baseDir.resolve(task.workdir()).normalize();
    }

    private static String fileName(TaskId id) {
        return id.group() + "." + id.name();
    }

    // ---- environment ----

    /** The variables a task adds to the process environment. */
    static Map<String, String> environment(TaskRequest request, Path workdir, Path outputFile) {
        TaskSpec task = request.task();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DROVER_RUN_ID", request.runId());
        env.put("DROVER_TASK", task.id().toString());
        env.put("DROVER_GROUP", task.id().group());
        env.put("DROVER_ATTEMPT", Integer.toString(request.attempt()));
        env.put("DROVER_WORKDIR", workdir.toString());
        env.put("DROVER_OUTPUT", outputFile.toString());
        request.params().forEach((k, v) -> env.put("DROVER_PARAM_" + envName(k), LuaConvert.toEnvText(v)));
        request.dependencyOutputs()
                .forEach((dep, outputs) -> outputs.forEach((k, v) -> {
                    String text = LuaConvert.toEnvText(v);
                    env.put("DROVER_DEP_" + envName(dep.group()) + "_" + envName(dep.name()) + "_" + envName(k), text);
                    if (dep.group().equals(task.id().group()))
                        env.put("DROVER_DEP_" + envName(dep.name()) + "_" + envName(k), text);
                }));
        env.putAll(task.env());
        return env;
    }

    /** {@code release-tag} becomes {@code RELEASE_TAG}. */
    public static String envName(String key) {
        StringBuilder sb = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = Character.toUpperCase(key.charAt(i));
            sb.append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
        }
        return sb.toString();
    }

    // ---- shell ----

    private static TaskOutcome shell(
            String script, Path workdir, Map<String, String> env, Path outputFile, TaskContext context)
            throws IOException {
        Commands.Exit exit =
                Commands.logged(List.of("/bin/sh", "-c", script), workdir, env, context.log(), context.cancellation());
        Map<String, Object> outputs = readOutputs(outputFile, context);
        if (exit.stopped()) return TaskOutcome.cancelled(context.cancellation().reason());
        if (exit.code() != 0) {
            return TaskOutcome.failed(
                    "exit code " + exit.code() + (exit.lastLine().isEmpty() ? "" : ": " + clip(exit.lastLine())));
        }
        return TaskOutcome.succeeded(clip(exit.lastLine()), outputs);
    }

    /** Reads and removes the {@code key=value} lines a shell task appended to {@code $DROVER_OUTPUT}. */
    private static Map<String, Object> readOutputs(Path file, TaskContext context) throws IOException {
        if (!Files.exists(file)) return Map.of();
        Map<String, Object> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int eq = line.indexOf('=');
            if (eq <= 0) {
                context.log().line("[warn] ignored a line of $DROVER_OUTPUT without key=value: " + clip(line));
                continue;
            }
            out.put(line.substring(0, eq).strip(), line.substring(eq + 1));
        }
        Files.deleteIfExists(file);
        return out;
    }

    private static String clip(String s) {
        String t = s.strip();
        return t.length() <= 200 ? t : t.substring(0, 197) + "...";
    }

    // ---- Lua ----

    private LuaRuntime requireLua() {
        if (lua == null) throw new IllegalStateException("this workflow has no Lua source to run functions from");
        return lua;
    }

    private TaskOutcome luaTask(
            Command.LuaFunction ref,
            TaskRequest request,
            TaskContext context,
            Path workdir,
            Map<String, String> env,
            Memories memory) {
        LuaTable params = paramsTable(request);
        Varargs r;
        try {
            r = callLua(ref, request, params, context, workdir, env);
        } finally {
            if (memory != null)
                memory.appended(added(params.get("memory"), memory.loaded().size()));
        }
        if (r.narg() == 0) return TaskOutcome.succeeded("", Map.of());
        boolean ok = r.arg1().toboolean();
        String message = r.arg(2).isnil() ? "" : r.arg(2).tojstring();
        if (!ok) return TaskOutcome.failed(message.isEmpty() ? "the function returned false" : message);
        LuaValue out = r.arg(3);
        if (out.isnil()) return TaskOutcome.succeeded(message, Map.of());
        if (!out.istable()) {
            return TaskOutcome.failed(
                    "the function's third return value must be a table of outputs, not a " + out.typename());
        }
        Object converted = LuaConvert.toJava(out);
        if (!(converted instanceof Map<?, ?> map)) {
            return converted instanceof List<?> l && l.isEmpty()
                    ? TaskOutcome.succeeded(message, Map.of())
                    : TaskOutcome.failed("outputs must be a table with names as keys, like { version = \"1.4\" }");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> outputs = (Map<String, Object>) map;
        return TaskOutcome.succeeded(message, outputs);
    }

    /** What a Lua task appended to {@code params.memory}: the entries after the first {@code loaded}. */
    private static List<Object> added(LuaValue memory, int loaded) {
        if (!memory.istable()) return List.of();
        List<Object> out = new ArrayList<>();
        for (int i = loaded + 1; i <= memory.length(); i++) out.add(LuaConvert.toJava(memory.get(i)));
        return out;
    }

    private Varargs callLua(
            Command.LuaFunction ref,
            TaskRequest request,
            LuaTable params,
            TaskContext context,
            Path workdir,
            Map<String, String> env) {
        LuaRuntime rt = requireLua();
        LuaInterpreter in = rt.borrow();
        try {
            TaskScope scope = new TaskScope(
                    context.log(),
                    workdir,
                    env,
                    context.cancellation(),
                    context.directoriesUsed(),
                    state,
                    request.runId());
            return in.call(ref, scope, LuaValue.varargsOf(params, depsTable(request)));
        } finally {
            rt.release(in);
        }
    }

    private static LuaTable paramsTable(TaskRequest request) {
        return LuaConvert.table(request.params());
    }

    /** {@code deps.task} (same group) and {@code deps["group.task"]}: every direct dependency, outputs or not. */
    private static LuaTable depsTable(TaskRequest request) {
        TaskSpec task = request.task();
        LuaTable deps = new LuaTable();
        for (TaskId d : task.dependsOn()) {
            Map<String, Object> outputs = request.dependencyOutputs().getOrDefault(d, Map.of());
            LuaTable t = LuaConvert.table(outputs);
            deps.rawset(d.toString(), t);
            if (d.group().equals(task.id().group())) deps.rawset(d.name(), t);
        }
        return deps;
    }

    // ---- run_if and plugins ----

    private boolean condition(
            Command runIf, TaskRequest request, TaskContext context, Path workdir, Map<String, String> env)
            throws IOException {
        return switch (runIf) {
            case Command.Shell shell ->
                Commands.logged(
                                        List.of("/bin/sh", "-c", shell.script()),
                                        workdir,
                                        env,
                                        context.log(),
                                        context.cancellation())
                                .code()
                        == 0;
            case Command.LuaFunction fn ->
                callLua(fn, request, paramsTable(request), context, workdir, env)
                        .arg1()
                        .toboolean();
            case Command.Plugin p ->
                throw new IllegalArgumentException("run_if cannot be a plugin kind ('" + p.kind() + "')");
        };
    }

    private TaskOutcome plugin(Command.Plugin plugin, TaskRequest request, TaskContext context) throws Exception {
        TaskKind kind = kinds.get(plugin.kind());
        if (kind == null) {
            return TaskOutcome.failed("unknown task kind '" + plugin.kind() + "'"
                    + (kinds.names().isEmpty() ? "" : " (known: " + String.join(", ", kinds.names()) + ")"));
        }
        TaskOutcome o = kind.run(plugin.config(), request, context);
        return o == null ? TaskOutcome.failed("task kind '" + plugin.kind() + "' returned no outcome") : o;
    }
}
