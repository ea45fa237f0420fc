package io.drover.core.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.SecretMasker;
import io.drover.core.engine.TaskResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of a run: {@code {"run_id", "status", "workflow", "started_at", "finished_at", "params", "tasks":
 * [{"group", "name", "status", "attempts", "duration_ms", "worker" (when it ran on one), "message", "outputs"}]}}.
 */
public final class RunJson {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunJson() {}

    /** The run as a tree of maps and lists, ready for any JSON writer. */
    public static Map<String, Object> toMap(RunResult r, String workflow, Map<String, ?> params) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run_id", r.runId());
        m.put("status", r.status().label());
        if (workflow != null) m.put("workflow", workflow);
        m.put("started_at", r.startedAt().toString());
        m.put("finished_at", r.finishedAt() == null ? null : r.finishedAt().toString());
        SecretMasker masker = params == null ? SecretMasker.ofMaps() : SecretMasker.ofMaps(params);
        if (params != null) m.put("params", masker.maskOutputs(params));
        List<Map<String, Object>> tasks = new ArrayList<>(r.tasks().size());
        for (TaskResult t : r.tasks()) tasks.add(task(t, masker));
        m.put("tasks", tasks);
        return m;
    }

    public static Map<String, Object> task(TaskResult t) {
        return task(t, SecretMasker.ofMaps());
    }

    /** A task's result as records show it: outputs masked ({@link SecretMasker#maskOutputs}). */
    public static Map<String, Object> task(TaskResult t, SecretMasker masker) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("group", t.id().group());
        m.put("name", t.id().name());
        m.put("status", t.state().label());
        m.put("attempts", t.attempts());
        m.put("duration_ms", t.durationMillis());
        if (!t.ranOn().isEmpty()) m.put("worker", t.ranOn());
        m.put("message", t.message());
        m.put("outputs", masker.maskOutputs(t.outputs()));
        return m;
    }

    public static String write(Object tree, boolean pretty) {
        try {
            return (pretty ? PRETTY : MAPPER).writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> read(String json) {
        try {
            return MAPPER.readValue(json, Map.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a run record: " + e.getOriginalMessage(), e);
        }
    }
}
