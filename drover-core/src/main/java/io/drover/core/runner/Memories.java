package io.drover.core.runner;

import io.drover.core.lua.Json;
import io.drover.core.model.Memory;
import io.drover.core.state.Namespaces;
import io.drover.core.state.StateHandle;
import io.drover.core.state.StateLimits;
import io.drover.core.state.StateScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A task's {@code memory}: the list loaded before the attempt (into {@code params.memory}) and what the attempt
 * appended, saved afterwards on every outcome. Not thread-safe: one per attempt.
 */
final class Memories {
    private final Memory memory;
    private final StateScope scope;
    private final List<Object> loaded;
    private final List<Object> appended = new ArrayList<>();

    private Memories(Memory memory, StateScope scope, List<Object> loaded) {
        this.memory = memory;
        this.scope = scope;
        this.loaded = loaded;
    }

    /**
     * Loads the task's memory, or returns null when it declares none.
     *
     * @throws IllegalArgumentException when a parameter its scope reads is not set
     */
    static Memories load(TaskRequest request, StateHandle state, String workflow) {
        Memory m = request.task().memory();
        if (m == null) return null;
        String ns;
        if (m.scope() != null) {
            ns = Namespaces.named(m.scope(), request.runId(), workflow);
        } else {
            Map<String, String> fields = new LinkedHashMap<>();
            m.fields().forEach((k, f) -> {
                if (f.param() == null) {
                    fields.put(k, f.literal());
                    return;
                }
                Object v = request.params().get(f.param());
                if (v == null)
                    throw new IllegalArgumentException(
                            "memory scope of " + request.task().id() + " reads params." + f.param()
                                    + ", which this run does not set (give it with --param " + f.param() + "=...)");
                fields.put(k, v instanceof String s ? s : Json.write(v));
            });
            ns = Namespaces.of(fields);
        }
        StateScope scope = state.store().scope(ns);
        List<Object> loaded = new ArrayList<>();
        for (String json : scope.range(m.key(), -m.max(), -1)) loaded.add(Json.read(json));
        return new Memories(m, scope, loaded);
    }

    /** The entries loaded: what {@code params.memory} starts as. */
    List<Object> loaded() {
        return loaded;
    }

    /** Records entries the attempt added (kept until {@link #save}). */
    void appended(List<Object> entries) {
        appended.addAll(entries);
    }

    /** Appends what the attempt added to the list. @return how many entries were saved */
    int save() {
        for (Object entry : appended) {
            String json = Json.write(entry);
            scope.append(memory.key(), StateLimits.value(memory.key(), json), memory.max(), null);
        }
        return appended.size();
    }
}
