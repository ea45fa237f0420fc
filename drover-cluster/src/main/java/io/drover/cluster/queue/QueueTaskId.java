package io.drover.cluster.queue;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * The id of a task on a queue: {@code <queue>.<unique>}, the queue a valid queue name, the unique part of letters,
 * digits, '_' and '-' (ids name files and keys, so nothing else, {@code ../} least of all), 160 characters at most
 * in all. The claim script checks the same ({@code claim.lua}, {@code problem}). {@link #toString} is the id as
 * written; {@link #parse} reads it back.
 */
public record QueueTaskId(String queue, String unique) {
    /** Characters of a whole id at most. */
    public static final int MAX_LENGTH = 160;

    public QueueTaskId {
        if (!Keys.isName(queue)) throw new IllegalArgumentException("not a queue name: '" + queue + "'");
        if (!isUnique(unique) || queue.length() + 1 + unique.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("not a task id: '" + queue + "." + unique + "'");
        }
    }

    /** Reads an id; anything else is an {@link IllegalArgumentException} that names it. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static QueueTaskId parse(String id) {
        return tryParse(id)
                .orElseThrow(() -> new IllegalArgumentException(
                        "not a task id: '" + id + "' (task ids are QUEUE.ID, as drover task submit prints them)"));
    }

    /** An id, or empty when {@code id} is none. */
    public static Optional<QueueTaskId> tryParse(String id) {
        int dot = id == null ? -1 : id.lastIndexOf('.');
        if (dot <= 0 || dot == id.length() - 1 || id.length() > MAX_LENGTH) return Optional.empty();
        String queue = id.substring(0, dot);
        String unique = id.substring(dot + 1);
        return Keys.isName(queue) && isUnique(unique) ? Optional.of(new QueueTaskId(queue, unique)) : Optional.empty();
    }

    private static boolean isUnique(String s) {
        if (s == null || s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                return false;
        }
        return true;
    }

    @Override
    @JsonValue
    public String toString() {
        return queue + "." + unique;
    }
}
