package io.drover.core.runner;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/** The task kinds a runner knows: those found through the SPI plus any registered. Immutable. */
public final class TaskKinds {
    private final Map<String, TaskKind> kinds;

    private TaskKinds(Map<String, TaskKind> kinds) {
        this.kinds = Collections.unmodifiableMap(kinds);
    }

    public static TaskKinds none() {
        return new TaskKinds(Map.of());
    }

    /** The kinds on the class path ({@link ServiceLoader}). */
    public static TaskKinds discover() {
        Map<String, TaskKind> m = new LinkedHashMap<>();
        for (TaskKind k : ServiceLoader.load(TaskKind.class)) m.putIfAbsent(k.name(), k);
        return new TaskKinds(m);
    }

    /** These kinds plus {@code kind} (replacing one of the same name). */
    public TaskKinds with(TaskKind kind) {
        Map<String, TaskKind> m = new LinkedHashMap<>(kinds);
        m.put(kind.name(), kind);
        return new TaskKinds(m);
    }

    public TaskKind get(String name) {
        return kinds.get(name);
    }

    public Set<String> names() {
        return kinds.keySet();
    }
}
