package io.drover.cluster.queue;

import com.fasterxml.jackson.databind.util.RawValue;
import io.drover.core.lua.Json;
import io.drover.core.model.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one mapping between task records (Redis hashes of strings) and Java values. JSON for structured fields. */
public final class TaskCodec {
    private TaskCodec() {}

    /**
     * The hash fields written at submit (state, attempt and times are set by the script): the spec as one JSON
     * field, plus the few fields scripts read. Defaults are left out (no timeout, the default backoff, one attempt):
     * every process that handles the task writes, sends or parses less.
     */
    public static Map<String, String> fields(String id, TaskSubmission t) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("kind", t.kind());
        if (t.source() != null) { // a workflow task: its attempt as an object (written once, as it came) and its source
            spec.put("source", t.source().toString());
            if (t.files() != null) spec.put("files", t.files()); // the version of the run's files it starts from
            spec.put("request", new RawValue(t.command()));
        } else {
            spec.put("command", t.command());
        }
        if (t.timeout() != null) spec.put("timeout_ms", t.timeout().toMillis());
        if (!t.backoff().equals(Backoff.DEFAULT)) {
            spec.put("backoff_initial_ms", t.backoff().initial().toMillis());
            spec.put("backoff_max_ms", t.backoff().max().toMillis());
            spec.put("backoff_factor", t.backoff().factor());
            spec.put("backoff_jitter", t.backoff().jitter());
        }
        if (!t.params().isEmpty()) spec.put("params", t.params());
        if (!t.env().isEmpty()) spec.put("env", t.env());
        Map<String, String> m = new LinkedHashMap<>();
        m.put("id", id);
        if (t.retries() > 0) m.put("max_attempts", Integer.toString(t.retries() + 1)); // the scripts read none as 1
        m.put("spec", Json.write(spec));
        return m;
    }

    /** The retry backoff of a spec ({@link #spec}); the default when it has none or it is unreadable. */
    public static Backoff backoff(Map<String, Object> spec) {
        if (!(spec.get("backoff_initial_ms") instanceof Number initial)) return Backoff.DEFAULT;
        try {
            long max = spec.get("backoff_max_ms") instanceof Number n ? n.longValue() : initial.longValue();
            double factor = spec.get("backoff_factor") instanceof Number f ? f.doubleValue() : Backoff.DEFAULT_FACTOR;
            return new Backoff(
                    Duration.ofMillis(initial.longValue()),
                    Duration.ofMillis(Math.max(initial.longValue(), max)),
                    factor,
                    !Boolean.FALSE.equals(spec.get("backoff_jitter")));
        } catch (RuntimeException e) {
            return Backoff.DEFAULT;
        }
    }

    /**
     * The timeout of a spec ({@link #spec}): a task's own, or a workflow task's (inside its request); zero for none.
     */
    public static Duration timeout(Map<String, Object> spec) {
        Object at = spec.get("request") instanceof Map<?, ?> request && request.get("task") instanceof Map<?, ?> task
                ? task.get("timeout_ms")
                : spec.get("timeout_ms");
        return at instanceof Number n && n.longValue() > 0 ? Duration.ofMillis(n.longValue()) : Duration.ZERO;
    }

    /** The spec of a task record as a map of JSON values (empty if unreadable). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> spec(Map<String, String> h) {
        return spec(h.get("spec"));
    }

    /** A spec (JSON) as a map of JSON values (empty if missing or unreadable). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> spec(String json) {
        return parse(json) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /**
     * The version of the stream entry schema: {@code v}, id, spec, and max_attempts, notify, followed, failures,
     * attempts. The scripts get it from here ({@link Scripts}). 3: a workflow task's spec carries its attempt as an
     * object and its source by reference.
     */
    public static final String ENTRY_VERSION = "3";

    /**
     * The task of a stream entry of {@code queue} that may be one a worker can start: this schema version, a task
     * id of that queue, a spec ({@link #specObject} then tells whether that is a JSON object); empty for any other
     * entry. The claim script decides about the others, and sets aside those that are not tasks.
     */
    public static java.util.Optional<QueueTaskId> entryTask(Map<String, String> f, String queue) {
        if (!ENTRY_VERSION.equals(f.get("v")) || f.get("spec") == null) return java.util.Optional.empty();
        return QueueTaskId.tryParse(f.get("id")).filter(t -> t.queue().equals(queue));
    }

    /** A spec (JSON) as a map, or null when it is not a readable JSON object (an array, garbage, nesting too deep). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> specObject(String json) {
        return parse(json) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    /** Reads a task hash; bad or missing fields read as defaults, never as an exception. */
    @SuppressWarnings("unchecked")
    public static TaskStatus status(Map<String, String> h) {
        List<String> errors = new ArrayList<>();
        Object e = parse(h.get("errors"));
        if (e instanceof List<?> l) l.forEach(x -> errors.add(String.valueOf(x)));
        Object out = parse(h.get("outputs"));
        Map<String, Object> spec = spec(h);
        String id = h.getOrDefault("id", "");
        return new TaskStatus(
                id,
                QueueTaskId.tryParse(id).map(QueueTaskId::queue).orElse("null"),
                String.valueOf(spec.getOrDefault("kind", "")),
                command(spec),
                h.getOrDefault("state", "UNKNOWN"),
                integer(h.get("attempt")),
                integer(h.get("failures")),
                Math.max(1, integer(h.get("max_attempts"))),
                "1".equals(h.get("dead")),
                h.getOrDefault("worker", ""),
                h.getOrDefault("message", ""),
                out instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(),
                errors,
                number(h.get("submitted_us")),
                number(h.get("started_us")),
                number(h.get("finished_us")),
                h.get("files"));
    }

    /**
     * The outcome an end entry of a follower's stream carries ({@code complete.lua}): state, message, outputs, worker,
     * start and end times; what it does not carry (the spec, the errors of earlier attempts) reads as empty.
     */
    @SuppressWarnings("unchecked")
    public static TaskStatus ended(String id, Map<String, String> f) {
        Object out = parse(f.get("outputs"));
        return new TaskStatus(
                id,
                QueueTaskId.tryParse(id).map(QueueTaskId::queue).orElse("null"),
                "",
                "",
                f.getOrDefault("state", "UNKNOWN"),
                0,
                0,
                1,
                false,
                f.getOrDefault("worker", ""),
                f.getOrDefault("message", ""),
                out instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of(),
                List.of(),
                0,
                number(f.get("started_us")),
                number(f.get("finished_us")),
                f.get("files"));
    }

    /** What a task runs, as its status shows it: the command, or for a workflow task the workflow's task id. */
    private static String command(Map<String, Object> spec) {
        if (spec.get("request") instanceof Map<?, ?> r && r.get("task") instanceof Map<?, ?> t) {
            return "workflow task " + t.get("id") + " (run " + r.get("run_id") + ")";
        }
        return String.valueOf(spec.getOrDefault("command", ""));
    }

    /** Now, in microseconds since the epoch: the unit of every time in a task record. */
    public static long nowMicros() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000 + i.getNano() / 1000;
    }

    /** A flat [k1, v1, k2, v2, ...] list as a map. */
    public static Map<String, String> pairs(List<?> flat, int from) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = from; i + 1 < flat.size(); i += 2)
            m.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
        return m;
    }

    static Object parse(String json) {
        if (json == null || json.isEmpty()) return null;
        try {
            return Json.read(json);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public static int integer(String s) {
        return (int) number(s);
    }

    /**
     * A number of a record: digits as they are (most values), else as Lua wrote it ({@code 1.7966713348980e+15}: a
     * script's numbers are doubles, printed with 14 significant digits); 0 for none or garbage.
     */
    public static long number(String s) {
        if (s == null) return 0;
        if (!s.isEmpty() && s.length() <= 18) { // a whole number of digits: no double parsing, no rounding
            long n = 0;
            int i = s.charAt(0) == '-' ? 1 : 0;
            boolean digits = i < s.length();
            for (; i < s.length() && digits; i++) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') digits = false;
                else n = n * 10 + (c - '0');
            }
            if (digits) return s.charAt(0) == '-' ? -n : n;
        }
        try {
            return (long) Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
