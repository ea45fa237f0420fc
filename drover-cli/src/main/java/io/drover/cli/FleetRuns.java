package io.drover.cli;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.TaskResult;
import io.drover.core.engine.TaskState;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs handed to the controllers: following one from its event stream as if it ran here. */
final class FleetRuns {
    private FleetRuns() {}

    /** Whether a controller leads now (holds the lease). */
    static boolean controllerLeads(Client client) {
        return client.runs().leaseHolder().isPresent();
    }

    /**
     * Follows a run from its first event to its end, telling {@code listener} what happens as the scheduler would;
     * returns the run's result as the controllers recorded it. {@code redis} must be a connection of its own (reads
     * block).
     */
    static RunResult follow(RunRecords records, RunId runId, Plan plan, RunListener listener) {
        listener.onRunStarted(runId.toString(), plan.size());
        String after = "0";
        Instant started = Instant.now();
        long failing = 0;
        while (true) {
            List<RunRecords.Event> batch;
            try {
                batch = records.events(runId, after, 1000);
                failing = 0;
            } catch (RuntimeException e) {
                if (failing++ == 0)
                    System.err.println("drover: lost Redis while following run " + runId + " (" + e.getMessage()
                            + "); trying again");
                sleep(500);
                continue;
            }
            for (RunRecords.Event e : batch) {
                after = e.id();
                Map<String, String> f = e.fields();
                switch (e.type()) {
                    case "state" -> {
                        TaskSpec spec = spec(plan, f.get("task"));
                        if (spec != null) {
                            listener.onTaskStateChanged(
                                    spec,
                                    TaskState.valueOf(f.get("from")),
                                    TaskState.valueOf(f.get("to")),
                                    Integer.parseInt(f.getOrDefault("attempt", "0")),
                                    f.getOrDefault("message", ""));
                        }
                    }
                    case "log" -> {
                        TaskSpec spec = spec(plan, f.get("task"));
                        if (spec != null)
                            listener.onTaskLog(
                                    spec, Integer.parseInt(f.getOrDefault("attempt", "0")), f.getOrDefault("line", ""));
                    }
                    case "run" -> {
                        if (RunRecords.ENDED.contains(f.get("state"))) {
                            RunResult r = result(records, runId, plan, started);
                            listener.onRunFinished(r);
                            return r;
                        }
                    }
                    default -> {} // controller notes
                }
            }
        }
    }

    private static TaskSpec spec(Plan plan, String id) {
        try {
            int i = plan.indexOf(TaskId.parse(id));
            return i < 0 ? null : plan.task(i);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The run's result from its record, in the plan's order. */
    static RunResult result(RunRecords records, RunId runId, Plan plan, Instant fallbackStart) {
        RunRecords.RunView v =
                records.get(runId).orElseThrow(() -> new Main.UserException("run " + runId + " is gone from Redis"));
        List<TaskResult> tasks = new ArrayList<>(plan.size());
        for (int i = 0; i < plan.size(); i++) {
            TaskId id = plan.task(i).id();
            TaskResult t = v.tasks().get(id);
            tasks.add(t != null ? t : new TaskResult(id, TaskState.PENDING, 0, 0, "", Map.of()));
        }
        RunStatus status = RunStatus.valueOf(v.state());
        return new RunResult(
                runId.toString(),
                status,
                instant(v.fields().get("started_at"), fallbackStart),
                instant(v.fields().get("finished_at"), Instant.now()),
                tasks);
    }

    private static Instant instant(String s, Instant fallback) {
        try {
            return s == null ? fallback : Instant.parse(s);
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
