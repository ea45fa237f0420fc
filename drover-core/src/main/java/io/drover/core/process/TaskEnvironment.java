package io.drover.core.process;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The part of this process's environment that tasks inherit: all of it but Drover's own settings, every variable
 * named {@code DROVER_*} ({@code DROVER_AGENT_TOKEN}, {@code DROVER_TOKEN}, {@code DROVER_REDIS_URL} hold
 * credentials). The {@code DROVER_*} variables a task sees are the ones that describe it ({@code DROVER_RUN_ID},
 * {@code DROVER_TASK}, ...), set for each attempt. Shell commands, {@code exec}, {@code env.get} and
 * {@code os.getenv} all read this view. Thread-safe: computed once.
 */
public final class TaskEnvironment {
    private static final Map<String, String> INHERITED = compute();

    private TaskEnvironment() {}

    private static Map<String, String> compute() {
        Map<String, String> m = new LinkedHashMap<>(System.getenv());
        m.keySet().removeIf(TaskEnvironment::isDroverSetting);
        return Map.copyOf(m);
    }

    /** Whether a variable is one of Drover's own settings, which tasks never inherit. */
    public static boolean isDroverSetting(String name) {
        return name.startsWith("DROVER_");
    }

    /** What a task inherits from this process. */
    public static Map<String, String> inherited() {
        return INHERITED;
    }

    /** An inherited variable, or null. */
    public static String get(String name) {
        return INHERITED.get(name);
    }
}
