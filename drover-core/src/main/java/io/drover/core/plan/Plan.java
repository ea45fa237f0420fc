package io.drover.core.plan;

import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A checked DAG: tasks by dense index (in the order written), their dependencies and dependents as index arrays,
 * and each task's level (0 for tasks without dependencies, else one more than its deepest dependency).
 * Immutable and thread-safe; built by {@link Planner}.
 */
public final class Plan {
    private final Workflow workflow;
    private final TaskSpec[] tasks;
    private final int[][] deps;
    private final int[][] dependents;
    private final int[] level;
    private final int levelCount;
    private final Map<TaskId, Integer> index;

    Plan(
            Workflow workflow,
            TaskSpec[] tasks,
            int[][] deps,
            int[][] dependents,
            int[] level,
            int levelCount,
            Map<TaskId, Integer> index) {
        this.workflow = workflow;
        this.tasks = tasks;
        this.deps = deps;
        this.dependents = dependents;
        this.level = level;
        this.levelCount = levelCount;
        this.index = Collections.unmodifiableMap(index);
    }

    public Workflow workflow() {
        return workflow;
    }

    public int size() {
        return tasks.length;
    }

    public TaskSpec task(int i) {
        return tasks[i];
    }

    /** The index of a task, or -1 if the plan does not hold it. */
    public int indexOf(TaskId id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    /** Indexes of the task's dependencies. The array is shared: do not modify it. */
    public int[] dependenciesOf(int i) {
        return deps[i];
    }

    /** Indexes of the tasks that depend on this one. The array is shared: do not modify it. */
    public int[] dependentsOf(int i) {
        return dependents[i];
    }

    public int levelOf(int i) {
        return level[i];
    }

    public int levelCount() {
        return levelCount;
    }

    /** Task ids level by level, each level in the order written. */
    public List<List<TaskId>> levels() {
        List<List<TaskId>> out = new ArrayList<>(levelCount);
        for (int l = 0; l < levelCount; l++) out.add(new ArrayList<>());
        for (int i = 0; i < tasks.length; i++) out.get(level[i]).add(tasks[i].id());
        return out;
    }
}
