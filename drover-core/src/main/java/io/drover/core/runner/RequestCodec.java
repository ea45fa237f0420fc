package io.drover.core.runner;

import com.fasterxml.jackson.core.JsonGenerator;
import io.drover.core.lua.Json;
import io.drover.core.model.Command;
import io.drover.core.model.Memory;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.state.StateLimits;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task attempt as JSON: what another process needs to run it with a {@link TaskRunner} (the command, run_if,
 * dependencies, environment, timeout, parameters and dependency outputs), nothing about where the run keeps it.
 * Agents receive it in {@code Start.request_json}; workers in a {@code workflow} task's configuration.
 */
public final class RequestCodec {
    private RequestCodec() {}

    /** The request as a JSON object, written field by field (a controller writes one per attempt it dispatches). */
    public static String write(TaskRequest r) {
        return Json.write(g -> {
            TaskSpec t = r.task();
            g.writeStartObject();
            g.writeStringField("run_id", r.runId());
            g.writeNumberField("attempt", r.attempt());
            g.writeObjectFieldStart("task");
            g.writeStringField("id", t.id().toString());
            g.writeFieldName("command");
            command(g, t.command());
            if (t.runIf() != null) {
                g.writeFieldName("run_if");
                command(g, t.runIf());
            }
            g.writeArrayFieldStart("depends_on");
            for (TaskId d : t.dependsOn()) g.writeString(d.toString());
            g.writeEndArray();
            g.writeFieldName("env");
            Json.value(g, t.env());
            if (!t.workdir().isEmpty()) g.writeStringField("workdir", t.workdir()); // relative to the run's workspace
            if (!t.artifacts().isEmpty()) {
                g.writeFieldName("artifacts");
                Json.value(g, t.artifacts());
            }
            if (t.memory() != null) {
                g.writeFieldName("memory");
                Json.value(g, memory(t.memory()));
            }
            g.writeNumberField(
                    "timeout_ms", t.timeout() == null ? 0 : t.timeout().toMillis());
            g.writeEndObject();
            g.writeFieldName("params");
            Json.value(g, r.params());
            g.writeObjectFieldStart("deps");
            for (Map.Entry<TaskId, Map<String, Object>> d :
                    r.dependencyOutputs().entrySet()) {
                g.writeFieldName(d.getKey().toString());
                Json.value(g, d.getValue());
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static void command(JsonGenerator g, Command c) throws IOException {
        g.writeStartObject();
        switch (c) {
            case Command.Shell s -> {
                g.writeStringField("type", "shell");
                g.writeStringField("script", s.script());
            }
            case Command.LuaFunction f -> {
                g.writeStringField("type", "lua");
                g.writeStringField("group", f.group());
                g.writeNumberField("index", f.taskIndex());
                g.writeStringField("field", f.field());
            }
            case Command.Plugin p -> {
                g.writeStringField("type", "plugin");
                g.writeStringField("kind", p.kind());
                g.writeFieldName("config");
                Json.value(g, p.config());
            }
        }
        g.writeEndObject();
    }

    /** Reads a request; anything missing or of the wrong type is an {@link IllegalArgumentException}. */
    public static TaskRequest read(String json) {
        return fromMap(Json.read(json));
    }

    /**
     * Reads a request from the parsed JSON of what {@link #write} writes; anything missing or mistyped is an {@link
     * IllegalArgumentException}.
     */
    public static TaskRequest fromMap(Object json) {
        Map<String, Object> m = map(json, "request");
        Map<String, Object> task = map(m.get("task"), "task");
        TaskId id = TaskId.parse(string(task.get("id"), "task.id"));
        List<TaskId> deps = new ArrayList<>();
        if (task.get("depends_on") instanceof List<?> l)
            for (Object o : l) deps.add(TaskId.parse(string(o, "depends_on")));
        Map<String, String> env = new LinkedHashMap<>();
        if (task.get("env") instanceof Map<?, ?> e) e.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        long timeoutMs = task.get("timeout_ms") instanceof Number n ? n.longValue() : 0;
        Command runIf = task.get("run_if") == null ? null : command(map(task.get("run_if"), "run_if"));
        List<String> artifacts = new ArrayList<>();
        if (task.get("artifacts") instanceof List<?> al) for (Object o : al) artifacts.add(String.valueOf(o));
        TaskSpec spec = new TaskSpec(
                id,
                "",
                command(map(task.get("command"), "command")),
                deps,
                Map.of(),
                env,
                task.get("workdir") instanceof String w ? w : "",
                0,
                null,
                timeoutMs > 0 ? Duration.ofMillis(timeoutMs) : null,
                runIf,
                null,
                null,
                Map.of(),
                artifacts,
                task.get("memory") == null ? null : memory(map(task.get("memory"), "memory")),
                null);
        Map<TaskId, Map<String, Object>> outputs = new LinkedHashMap<>();
        map(m.getOrDefault("deps", Map.of()), "deps")
                .forEach((k, v) -> outputs.put(TaskId.parse(k), map(v, "deps." + k)));
        int attempt = m.get("attempt") instanceof Number n ? n.intValue() : 1;
        return new TaskRequest(
                string(m.get("run_id"), "run_id"),
                spec,
                attempt,
                map(m.getOrDefault("params", Map.of()), "params"),
                outputs);
    }

    private static Map<String, Object> memory(Memory mem) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (mem.scope() != null) m.put("scope", mem.scope());
        Map<String, Object> fields = new LinkedHashMap<>();
        mem.fields().forEach((k, f) -> fields.put(k, f.param() != null ? Map.of("param", f.param()) : f.literal()));
        if (!fields.isEmpty()) m.put("fields", fields);
        m.put("key", mem.key());
        m.put("max", mem.max());
        return m;
    }

    private static Memory memory(Map<String, Object> m) {
        Map<String, Memory.Field> fields = new LinkedHashMap<>();
        map(m.getOrDefault("fields", Map.of()), "memory.fields")
                .forEach((k, v) -> fields.put(
                        k,
                        v instanceof Map<?, ?> ref
                                ? Memory.Field.param(string(ref.get("param"), "memory.fields." + k))
                                : Memory.Field.text(string(v, "memory.fields." + k))));
        return new Memory(
                m.get("scope") instanceof String sc ? sc : null,
                fields,
                string(m.get("key"), "memory.key"),
                m.get("max") instanceof Number n ? n.intValue() : StateLimits.DEFAULT_LIST_MAX);
    }

    private static Command command(Map<String, Object> m) {
        return switch (string(m.get("type"), "command.type")) {
            case "shell" -> new Command.Shell(string(m.get("script"), "command.script"));
            case "lua" ->
                new Command.LuaFunction(
                        string(m.get("group"), "command.group"),
                        m.get("index") instanceof Number n ? n.intValue() : 0,
                        string(m.get("field"), "command.field"));
            case "plugin" ->
                new Command.Plugin(
                        string(m.get("kind"), "command.kind"), map(m.getOrDefault("config", Map.of()), "config"));
            default -> throw new IllegalArgumentException("unknown command type '" + m.get("type") + "'");
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String what) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(what + " must be an object");
    }

    private static String string(Object o, String what) {
        if (o instanceof String s) return s;
        throw new IllegalArgumentException(what + " must be a string");
    }
}
