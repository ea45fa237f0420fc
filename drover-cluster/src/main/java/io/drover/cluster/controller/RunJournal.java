package io.drover.cluster.controller;

import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.RunRecords.RunEvent;
import io.drover.cluster.queue.RunState;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.TaskState;
import io.drover.core.lua.Json;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;
import io.drover.core.runner.TaskOutcome;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The leader's snapshot of one run: listens to the run's scheduler and writes each task's state, attempt and
 * outputs to the run's record, and every change and log line to its event stream. Writes are gathered and flushed
 * a few times a second (and at once when the run ends), each flush one fenced script call: a journal whose epoch no
 * longer holds the run writes nothing and reports the epoch that does. A snapshot that lags behind the run loses
 * nothing: the leader that resumes the run dispatches the lagging attempts again, and their idempotency keys lead
 * it to the attempts already on the queue. Thread-safe.
 */
final class RunJournal implements RunListener {

    private final RunId runId;
    private final long epoch;
    private final RunRecords runs;
    private final LongConsumer onFenced;
    private final ControllerMetrics metrics;

    private final Object lock = new Object();
    private Map<String, String> fields = new LinkedHashMap<>();
    /**
     * Each task's latest state since the last flush, written as its {@code t:TASK} field by the flush: a task that
     * passes through three states between two flushes is serialized once.
     */
    private Map<TaskId, Snapshot> snapshots = new LinkedHashMap<>();

    /** Events since the last flush: made into JSON by the flush, off the loop. */
    private List<RunEvent> events = new ArrayList<>();

    private record Snapshot(
            TaskState state,
            int attempt,
            String message,
            long millis,
            Map<String, Object> outputs,
            long since,
            String worker) {
        String json() {
            return RunRecords.taskJson(state, attempt, message, millis, outputs, since, worker);
        }

        Snapshot on(String where) {
            return new Snapshot(state, attempt, message, millis, outputs, since, where);
        }
    }

    private volatile boolean fenced;
    private volatile boolean ended;
    /** The run ended: the next flush is its last. */
    private volatile boolean ending;

    // Owned by the scheduler's thread.
    private final Map<TaskId, Map<String, Object>> outputs = new HashMap<>();
    private final Map<TaskId, Long> started = new HashMap<>();
    private final Map<TaskId, Long> readyAt = new HashMap<>();
    /**
     * Where and when (epoch ms) an attempt that ended on a worker ended there, for the state change that follows: its
     * snapshot names the worker, so an attempt's end writes one field of the run's record.
     */
    private final Map<TaskId, TaskOutcome.Ran> endedOn = new HashMap<>();

    private final boolean resumed;
    /** The wall clock the record is stamped with (the controller's). */
    private final Clock clock;
    /** The run's state as this journal last wrote it (guarded by {@code lock}). */
    private RunState state;

    /**
     * {@code resumed}: another leader ran this run before; {@code onFenced} hears the epoch that holds it now;
     * {@code clock} stamps the record (start, end, when each task became ready and ran).
     */
    RunJournal(
            RunId runId,
            long epoch,
            RunRecords runs,
            ControllerMetrics metrics,
            boolean resumed,
            LongConsumer onFenced,
            Map<TaskId, Long> startedBefore,
            Clock clock) {
        this.clock = clock;
        this.started.putAll(startedBefore);
        this.runId = runId;
        this.resumed = resumed;
        this.state = resumed ? RunState.RUNNING : RunState.SUBMITTED;
        this.epoch = epoch;
        this.runs = runs;
        this.metrics = metrics;
        this.onFenced = onFenced;
    }

    RunId runId() {
        return runId;
    }

    boolean ended() {
        return ended;
    }

    /** Moves the run's state through its table ({@link RunState}); a transition it does not allow is a bug. */
    private void moveTo(RunState to) {
        state = state.checkMoveTo(to, runId.toString());
        fields.put("state", to.name());
    }

    @Override
    public void onRunStarted(String id, int taskCount) {
        synchronized (lock) {
            moveTo(RunState.RUNNING);
            fields.put("task_count", Integer.toString(taskCount));
            fields.put(resumed ? "resumed_at" : "started_at", clock.instant().toString());
            events.add(new RunEvent.Other(
                    "type",
                    "run",
                    "state",
                    "RUNNING",
                    "epoch",
                    Long.toString(epoch),
                    "at",
                    clock.instant().toString()));
        }
    }

    /** The plan's order of the tasks, kept with the run so that records list them as they run (a hash keeps none). */
    void order(Plan plan) {
        List<String> ids = new ArrayList<>(plan.size());
        for (int i = 0; i < plan.size(); i++) ids.add(plan.task(i).id().toString());
        synchronized (lock) {
            fields.put("order", Json.write(ids));
        }
    }

    /** The run's files after another task's changes: written with the next snapshot, before that task's end. */
    void files(String head) {
        synchronized (lock) {
            fields.put(RunRecords.FILES_HEAD, head);
        }
    }

    /** A line for the run's events from the controller itself (who started or resumed it). */
    void note(String message) {
        synchronized (lock) {
            events.add(new RunEvent.Other("type", "controller", "epoch", Long.toString(epoch), "message", message));
        }
    }

    /** The run cannot be planned here (its source no longer loads): it ends FAILED with the reason. */
    void failBeforeStart(String message) {
        synchronized (lock) {
            moveTo(RunState.FAILED);
            fields.put("message", message);
            fields.put("finished_at", clock.instant().toString());
            events.add(new RunEvent.Other(
                    "type",
                    "run",
                    "state",
                    "FAILED",
                    "message",
                    message,
                    "at",
                    clock.instant().toString()));
        }
        end();
    }

    @Override
    public void onTaskOutputs(TaskSpec task, int attempt, Map<String, Object> out) {
        outputs.put(task.id(), out);
    }

    /**
     * Where the attempt runs, before its end is heard: in its RUNNING snapshot when that is not written yet, else in
     * the run's {@code w:TASK} field, which {@code runs status} shows as the worker until a snapshot names one.
     */
    @Override
    public void onAttemptStarted(TaskSpec task, int attempt, String on) {
        synchronized (lock) {
            Snapshot running = snapshots.get(task.id());
            if (running != null && running.state() == TaskState.RUNNING && running.attempt() == attempt) {
                snapshots.put(task.id(), running.on(on)); // not written yet: one field says both
            } else {
                fields.put("w:" + task.id(), on);
            }
        }
    }

    @Override
    public void onAttemptEnded(TaskSpec task, int attempt, TaskOutcome outcome) {
        if (outcome.ran() == null) return;
        endedOn.put(task.id(), outcome.ran());
        if (outcome.ran().started() != null) { // the worker's start: earlier than a snapshot taken over may say
            started.merge(task.id(), outcome.ran().started().toEpochMilli(), Math::min);
        }
    }

    @Override
    public void onTaskStateChanged(TaskSpec task, TaskState from, TaskState to, int attempt, String message) {
        long now = clock.millis();
        TaskId id = task.id();
        if (to == TaskState.READY) readyAt.put(id, now);
        if (to == TaskState.RUNNING) {
            started.putIfAbsent(id, now);
            Long ready = readyAt.remove(id);
            if (ready != null) metrics.waited(now - ready);
            metrics.dispatched(attempt > 1);
        }
        long ms = 0;
        TaskOutcome.Ran ran = endedOn.remove(id); // where and when it ended: a leader that took the run over hears late
        Long end = ran == null || ran.finished() == null ? null : ran.finished().toEpochMilli();
        if (to.isTerminal()) {
            Long s = started.remove(id);
            if (s != null) ms = Math.max(1, (end == null ? now : Math.min(now, end)) - s);
            metrics.ended(to, ms);
        }
        Map<String, Object> o = to == TaskState.SUCCEEDED ? outputs.getOrDefault(id, Map.of()) : Map.of();
        Long since = started.get(id);
        Snapshot snapshot = new Snapshot(
                to,
                attempt,
                message,
                ms,
                o,
                to.isTerminal() || since == null ? 0 : since,
                ran == null ? null : ran.on());
        synchronized (lock) {
            snapshots.put(id, snapshot);
            events.add(new RunEvent.State(id, from, to, attempt, message));
        }
    }

    @Override
    public void onTaskLog(TaskSpec task, int attempt, String line) {
        synchronized (lock) {
            events.add(new RunEvent.Other(
                    "type", "log", "task", task.id().toString(), "attempt", Integer.toString(attempt), "line", line));
        }
    }

    @Override
    public void onRunFinished(RunResult result) {
        synchronized (lock) {
            moveTo(RunState.valueOf(result.status().name()));
            fields.put("finished_at", clock.instant().toString());
            events.add(new RunEvent.Other(
                    "type",
                    "run",
                    "state",
                    result.status().name(),
                    "at",
                    clock.instant().toString()));
        }
        metrics.runEnded(result.status().name());
        end();
    }

    /**
     * Writes the end down; the same script call takes the run off the active set and sets its record to expire
     * ({@link RunRecords#ENDED_RUN_KEEP}). If it fails, the next leader finds the run ended and drops it.
     */
    private void end() {
        ending = true;
        flush();
        ended = true;
    }

    /**
     * Writes what gathered since the last flush. Returns true when everything is written; false when Redis failed
     * (kept for the next flush) or the run belongs to a newer epoch (dropped; {@code onFenced} hears of it).
     */
    boolean flush() {
        synchronized (flushing) { // one flush at a time, so an older batch never lands after a newer one
            return flushNow();
        }
    }

    private final Object flushing = new Object();

    private boolean flushNow() {
        if (fenced) return false;
        Map<String, String> f;
        Map<TaskId, Snapshot> snaps;
        List<RunEvent> e;
        synchronized (lock) {
            if (fields.isEmpty() && snapshots.isEmpty() && events.isEmpty()) return true;
            f = fields;
            snaps = snapshots;
            e = events;
            fields = new LinkedHashMap<>();
            snapshots = new LinkedHashMap<>();
            events = new ArrayList<>();
        }
        // Serialized outside the lock (the scheduler goes on meanwhile). Tasks first, the run's own fields after them:
        // a flush written in several calls never shows the run ended before its tasks.
        Map<String, String> ordered = new LinkedHashMap<>();
        f.forEach((k, v) -> {
            if (k.startsWith("t:")) ordered.put(k, v); // put back by a failed flush: older than the snapshots
        });
        snaps.forEach((id, snap) -> ordered.put("t:" + id, snap.json()));
        f.forEach((k, v) -> {
            if (!k.startsWith("t:")) ordered.put(k, v);
        });
        f = ordered;
        try {
            long holder = runs.write(runId, epoch, new ArrayList<>(f.entrySet()), e, ending);
            if (holder != 0) {
                fenced = true;
                onFenced.accept(holder);
                return false;
            }
            return true;
        } catch (RuntimeException ex) {
            synchronized (lock) { // put back, under what came meanwhile
                f.putAll(fields);
                fields = new LinkedHashMap<>(f);
                e.addAll(events);
                events = e;
            }
            return false;
        }
    }
}
