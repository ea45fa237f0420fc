package io.drover.core.plan;

import io.drover.core.Suggestions;
import io.drover.core.WorkflowException;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds {@link Plan}s. Stateless; every method is thread-safe. */
public final class Planner {
    private Planner() {}

    /** Plans the whole workflow. */
    public static Plan plan(Workflow workflow) {
        return build(workflow, List.copyOf(workflow.tasks().values()));
    }

    /**
     * Plans part of a workflow: the named groups and tasks and everything they depend on. Task selectors are
     * {@code group.task}, or a bare task name when only one group has it. With no selectors, the whole workflow.
     *
     * @throws WorkflowException naming an unknown group or task, with a suggestion
     */
    public static Plan plan(Workflow workflow, Collection<String> groups, Collection<String> taskSelectors) {
        if (groups.isEmpty() && taskSelectors.isEmpty()) {
            return plan(workflow);
        }
        Set<TaskId> roots = new LinkedHashSet<>();
        Set<String> groupNames = new LinkedHashSet<>();
        workflow.groups().forEach(g -> groupNames.add(g.name()));
        for (String g : groups) {
            if (!groupNames.contains(g)) {
                throw new WorkflowException(null, "unknown group '" + g + "'" + Suggestions.didYouMean(g, groupNames));
            }
            workflow.groups().stream()
                    .filter(x -> x.name().equals(g))
                    .forEach(x -> x.tasks().forEach(t -> roots.add(t.id())));
        }
        for (String sel : taskSelectors) {
            roots.add(resolveSelector(workflow, sel));
        }
        // Close over dependencies (checking them as we go), then keep the order written.
        checkDependencies(workflow, workflow.tasks().values());
        Set<TaskId> keep = new LinkedHashSet<>();
        ArrayDeque<TaskId> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            TaskId id = todo.pop();
            if (keep.add(id)) {
                todo.addAll(workflow.task(id).dependsOn());
            }
        }
        List<TaskSpec> selected = new ArrayList<>(keep.size());
        for (TaskSpec t : workflow.tasks().values()) {
            if (keep.contains(t.id())) selected.add(t);
        }
        return build(workflow, selected);
    }

    private static TaskId resolveSelector(Workflow workflow, String sel) {
        if (sel.contains(".")) {
            TaskId id;
            try {
                id = TaskId.parse(sel);
            } catch (IllegalArgumentException e) {
                throw new WorkflowException(null, e.getMessage());
            }
            if (workflow.task(id) == null) {
                List<String> all =
                        workflow.tasks().keySet().stream().map(TaskId::toString).toList();
                throw new WorkflowException(null, "unknown task '" + sel + "'" + Suggestions.didYouMean(sel, all));
            }
            return id;
        }
        List<TaskId> matches = workflow.tasks().keySet().stream()
                .filter(id -> id.name().equals(sel))
                .toList();
        if (matches.size() == 1) return matches.get(0);
        if (matches.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            workflow.tasks().keySet().forEach(id -> names.add(id.name()));
            throw new WorkflowException(null, "unknown task '" + sel + "'" + Suggestions.didYouMean(sel, names));
        }
        throw new WorkflowException(
                null, "task name '" + sel + "' is in several groups " + matches + ": write group.task");
    }

    private static void checkDependencies(Workflow workflow, Collection<TaskSpec> tasks) {
        for (TaskSpec t : tasks) {
            for (TaskId d : t.dependsOn()) {
                if (workflow.task(d) == null) {
                    throw unknownDependency(workflow, t, d);
                }
                if (d.equals(t.id())) {
                    throw new WorkflowException(t.location(), "task '" + t.id() + "' depends on itself");
                }
            }
        }
    }

    private static WorkflowException unknownDependency(Workflow workflow, TaskSpec t, TaskId d) {
        boolean sameGroup = d.group().equals(t.id().group());
        String written = sameGroup ? d.name() : d.toString();
        List<String> candidates = new ArrayList<>();
        for (TaskId id : workflow.tasks().keySet()) {
            if (id.equals(t.id())) continue;
            candidates.add(sameGroup && id.group().equals(t.id().group()) ? id.name() : id.toString());
        }
        return new WorkflowException(
                t.location(),
                "task '" + t.id() + "' depends on unknown task '" + written + "'"
                        + Suggestions.didYouMean(written, candidates));
    }

    private static Plan build(Workflow workflow, List<TaskSpec> list) {
        checkDependencies(workflow, list);
        int n = list.size();
        TaskSpec[] tasks = list.toArray(new TaskSpec[0]);
        Map<TaskId, Integer> index = new HashMap<>(Math.max(16, (int) (n / 0.75f) + 1));
        for (int i = 0; i < n; i++) index.put(tasks[i].id(), i);
        int[][] deps = new int[n][];
        int[] dependentCount = new int[n];
        int[] seenBy = new int[n]; // i + 1 once task i lists j: a duplicate entry in depends_on counts once
        for (int i = 0; i < n; i++) {
            List<TaskId> ds = tasks[i].dependsOn();
            int[] a = new int[ds.size()];
            int k = 0;
            for (TaskId d : ds) {
                int j = index.get(d);
                if (seenBy[j] != i + 1) {
                    seenBy[j] = i + 1;
                    a[k++] = j;
                    dependentCount[j]++;
                }
            }
            deps[i] = k == a.length ? a : Arrays.copyOf(a, k);
        }
        int[][] dependents = new int[n][];
        for (int i = 0; i < n; i++) dependents[i] = dependentCount[i] == 0 ? EMPTY : new int[dependentCount[i]];
        int[] fill = new int[n];
        for (int i = 0; i < n; i++) for (int j : deps[i]) dependents[j][fill[j]++] = i;

        // Kahn's algorithm: levels, and whatever is left over lies on or behind a cycle.
        int[] remaining = new int[n];
        int[] level = new int[n];
        int[] queue = new int[n];
        int head = 0, tail = 0;
        for (int i = 0; i < n; i++) {
            remaining[i] = deps[i].length;
            if (remaining[i] == 0) queue[tail++] = i;
        }
        int levelCount = n == 0 ? 0 : 1;
        while (head < tail) {
            int i = queue[head++];
            for (int d : dependents[i]) {
                if (level[i] + 1 > level[d]) level[d] = level[i] + 1;
                if (--remaining[d] == 0) {
                    queue[tail++] = d;
                    if (level[d] + 1 > levelCount) levelCount = level[d] + 1;
                }
            }
        }
        if (tail < n) {
            throw cycle(tasks, deps, remaining);
        }
        return new Plan(workflow, tasks, deps, dependents, level, levelCount, index);
    }

    private static final int[] EMPTY = new int[0];

    /** Walks dependencies among the unresolved tasks until one repeats: that loop is a cycle. */
    private static WorkflowException cycle(TaskSpec[] tasks, int[][] deps, int[] remaining) {
        int start = -1;
        for (int i = 0; i < tasks.length && start < 0; i++) if (remaining[i] > 0) start = i;
        Map<Integer, Integer> seenAt = new HashMap<>();
        List<Integer> path = new ArrayList<>();
        int cur = start;
        while (!seenAt.containsKey(cur)) {
            seenAt.put(cur, path.size());
            path.add(cur);
            int next = -1;
            for (int d : deps[cur]) {
                if (remaining[d] > 0) {
                    next = d;
                    break;
                }
            }
            cur = next;
        }
        List<Integer> loop = new ArrayList<>(path.subList(seenAt.get(cur), path.size()));
        // Start the loop at the task written first, so the message is stable.
        int first = 0;
        for (int k = 1; k < loop.size(); k++) if (loop.get(k) < loop.get(first)) first = k;
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k <= loop.size(); k++) {
            if (k > 0) sb.append(" -> ");
            sb.append(tasks[loop.get((first + k) % loop.size())].id());
        }
        return new WorkflowException(
                tasks[loop.get(first)].location(), "dependency cycle: " + sb + " (each depends on the next)");
    }
}
