package io.drover.core.model;

import java.util.Map;
import java.util.Objects;

/**
 * A task's {@code memory}: a capped list in the state store that is loaded into {@code params.memory} before the
 * task and to which what the task appends is saved afterwards, on every outcome.
 *
 * @param scope {@code "run"}, {@code "workflow"} or {@code "global"}, or null when {@code fields} name the scope
 * @param fields a table scope: each name with a literal value or a parameter the value is read from when the task
 *     runs ({@code { user_id = params.user }})
 * @param key the list's key ({@code load = "history"})
 * @param max how many entries the list keeps, and how many are loaded
 */
public record Memory(String scope, Map<String, Field> fields, String key, int max) {
    /** A value of a table scope: literal text, or the name of the parameter it is read from. */
    public record Field(String literal, String param) {
        public static Field text(String s) {
            return new Field(s, null);
        }

        public static Field param(String name) {
            return new Field(null, name);
        }
    }

    public Memory {
        fields = fields == null ? Map.of() : Map.copyOf(fields);
        if ((scope == null) == fields.isEmpty())
            throw new IllegalArgumentException("memory needs a named scope or a table of fields, not both");
        Objects.requireNonNull(key, "key");
        if (max < 1) throw new IllegalArgumentException("memory max must be at least 1");
    }
}
