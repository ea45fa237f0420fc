package io.drover.bench;

import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The DAG shapes of the scheduler benchmark, built in Java. */
final class Dags {
    static final Command NOOP = new Command.Plugin("noop", Map.of());

    private Dags() {}

    /** One root and {@code n - 1} tasks that depend on it. */
    static Workflow wideFanOut(int n) {
        List<TaskSpec> tasks = new ArrayList<>(n);
        TaskId root = new TaskId("g", "root");
        tasks.add(TaskSpec.of(root, NOOP, List.of()));
        List<TaskId> deps = List.of(root);
        for (int i = 1; i < n; i++) tasks.add(TaskSpec.of(new TaskId("g", "t" + i), NOOP, deps));
        return Workflow.ofTasks(WorkflowSource.none("fan-out"), tasks);
    }

    /** {@code layers} layers of {@code width} tasks; each depends on two tasks of the layer before. */
    static Workflow layers(int layers, int width) {
        List<TaskSpec> tasks = new ArrayList<>(layers * width);
        TaskId[] prev = null;
        for (int l = 0; l < layers; l++) {
            TaskId[] cur = new TaskId[width];
            for (int i = 0; i < width; i++) {
                cur[i] = new TaskId("g", "l" + l + "_" + i);
                List<TaskId> deps = prev == null ? List.of() : List.of(prev[i], prev[(i + 1) % width]);
                tasks.add(TaskSpec.of(cur[i], NOOP, deps));
            }
            prev = cur;
        }
        return Workflow.ofTasks(WorkflowSource.none("layers"), tasks);
    }

    /** {@code n} tasks, each depending on the one before. */
    static Workflow chain(int n) {
        List<TaskSpec> tasks = new ArrayList<>(n);
        TaskId prev = null;
        for (int i = 0; i < n; i++) {
            TaskId id = new TaskId("g", "t" + i);
            tasks.add(TaskSpec.of(id, NOOP, prev == null ? List.of() : List.of(prev)));
            prev = id;
        }
        return Workflow.ofTasks(WorkflowSource.none("chain"), tasks);
    }
}
