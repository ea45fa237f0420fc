package io.drover.core.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole workflow: its groups in the order written, and every task by id. Immutable and thread-safe.
 *
 * <p>Built by the Lua loader ({@code io.drover.core.dsl.WorkflowLoader}) or in Java with {@link #of}.
 * Dependencies are not checked here; the planner checks them.
 */
public final class Workflow {
    private final WorkflowSource source;
    private final List<Group> groups;
    private final Map<TaskId, TaskSpec> tasks;

    private Workflow(WorkflowSource source, List<Group> groups) {
        this.source = source;
        this.groups = List.copyOf(groups);
        Map<TaskId, TaskSpec> byId = new LinkedHashMap<>();
        for (Group g : groups) {
            for (TaskSpec t : g.tasks()) {
                if (byId.putIfAbsent(t.id(), t) != null) {
                    throw new IllegalArgumentException("duplicate task '" + t.id() + "'");
                }
            }
        }
        this.tasks = Collections.unmodifiableMap(byId);
    }

    public static Workflow of(WorkflowSource source, List<Group> groups) {
        return new Workflow(source, groups);
    }

    /** Groups the tasks by their {@link TaskId#group()}, in first-seen order. For Java callers and benchmarks. */
    public static Workflow ofTasks(WorkflowSource source, List<TaskSpec> tasks) {
        Map<String, List<TaskSpec>> byGroup = new LinkedHashMap<>();
        for (TaskSpec t : tasks) {
            byGroup.computeIfAbsent(t.id().group(), g -> new ArrayList<>()).add(t);
        }
        List<Group> groups = new ArrayList<>();
        byGroup.forEach((name, ts) -> groups.add(new Group(name, "", ts, SourceLocation.UNKNOWN)));
        return new Workflow(source, groups);
    }

    public WorkflowSource source() {
        return source;
    }

    public List<Group> groups() {
        return groups;
    }

    /** Every task by id, in the order written. */
    public Map<TaskId, TaskSpec> tasks() {
        return tasks;
    }

    public TaskSpec task(TaskId id) {
        return tasks.get(id);
    }
}
