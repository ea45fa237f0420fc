package io.drover.core;

import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.TaskState;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Helpers shared by the core tests. */
public final class TestWorkflows {
    private TestWorkflows() {}

    /** Loads Lua text as {@code flow.lua}. */
    public static WorkflowLoader.Loaded load(String lua) {
        return WorkflowLoader.load(new WorkflowSource("flow.lua", lua));
    }

    /** The message of the WorkflowException loading this text throws (fails if none). */
    public static String loadError(String lua) {
        try {
            Planner.plan(load(lua).workflow());
        } catch (WorkflowException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected the workflow to be rejected");
    }

    /** Remembers every state change and log line of a run. */
    public static final class Recorder implements RunListener {
        public record Change(TaskId task, TaskState from, TaskState to, int attempt, String message) {}

        public final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
        public final ConcurrentLinkedQueue<String> logs = new ConcurrentLinkedQueue<>();
        public volatile RunResult finished;

        @Override
        public void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {
            changes.add(new Change(task.id(), from, to, attempt, message));
        }

        @Override
        public void onTaskLog(TaskSpec task, int attempt, String line) {
            logs.add(task.id() + " | " + line);
        }

        @Override
        public void onRunFinished(RunResult result) {
            finished = result;
        }

        public List<TaskState> statesOf(String task) {
            List<TaskState> out = new ArrayList<>();
            for (Change c : changes) if (c.task().toString().equals(task)) out.add(c.to());
            return out;
        }

        public boolean reached(String task, TaskState state) {
            return statesOf(task).contains(state);
        }
    }
}
