package io.drover.cluster.controller;

import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.RunWorkspace;
import io.drover.cluster.files.Versions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.StoreException;
import io.drover.cluster.run.ClusterDispatcher;
import io.drover.core.DroverException;
import io.drover.core.Log;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.RunHandle;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.Scheduler;
import io.drover.core.lua.Json;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Plan;
import io.drover.core.plan.Planner;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The leader's run supervisor: takes every active run over with the lease's epoch (claim, evaluate, plan, start the
 * shared scheduler with a {@link ClusterDispatcher} and a {@link RunJournal}), resumes what another leader ran,
 * passes cancel requests on, flushes the journals, forgets runs that ended, and detaches every run when the lease
 * is lost or the controller stops (the runs go on on the fleet; the next leader resumes them). Thread-safe.
 */
final class RunSupervisor {
    private final String controllerId;
    private final Log log;
    private final Client client;
    private final RunRecords runs;
    private final ControllerMetrics metrics;
    private final LeaderLease lease;
    /** Whether the controller still runs: a run taken while it stops is detached at once. */
    private final BooleanSupplier running;

    private final Map<RunId, LocalRun> local = new ConcurrentHashMap<>();
    /** Runs being taken: their files are evaluated off the loop, so one whose top level never returns holds no other. */
    private final Set<RunId> taking = ConcurrentHashMap.newKeySet();

    /** The wall clock the runs' records are stamped with. */
    private final Clock clock;

    private record LocalRun(
            RunHandle handle, ClusterDispatcher dispatcher, RunJournal journal, AtomicBoolean cancelSent) {}

    RunSupervisor(
            String controllerId,
            Log log,
            Client client,
            ControllerMetrics metrics,
            LeaderLease lease,
            BooleanSupplier running,
            Clock clock) {
        this.clock = clock;
        this.controllerId = controllerId;
        this.log = log;
        this.client = client;
        this.runs = client.runs();
        this.metrics = metrics;
        this.lease = lease;
        this.running = running;
    }

    /** How many runs this controller runs now. */
    int size() {
        return local.size();
    }

    /** The lease was lost: every run here is left to the next leader, under the lock a run being taken holds. */
    void detachAll(long epoch, String why) {
        synchronized (runsLock) {
            log.info("no longer leading (epoch " + epoch + "): " + why + "; " + local.size()
                    + " runs left to the leader");
            metrics.unmeasured();
            for (LocalRun r : local.values()) detach(r);
            local.clear();
        }
    }

    /** Stops scheduling a run here without touching its attempts; off the calling thread (it joins threads). */
    private static void detach(LocalRun r) {
        r.handle().detach();
        Thread.ofVirtual().start(r.dispatcher()::detach);
    }

    /** Guards {@link #local} against a step-down on the lease thread while a run is being taken. */
    private final Object runsLock = new Object();

    /** Starts every active run this leader does not run yet; passes cancel requests on; forgets runs that ended. */
    void syncRuns() {
        local.entrySet().removeIf(e -> {
            if (!e.getValue().journal().ended()) return false;
            Thread.ofVirtual().start(e.getValue().dispatcher()::close); // it joins its threads: not on this one
            return true;
        });
        Set<RunId> active = runs.active();
        for (RunId id : active) {
            if (!lease.isLeader()) return;
            LocalRun r = local.get(id);
            if (r == null) {
                if (taking.add(id))
                    Thread.ofVirtual().name("drover-controller-take-" + id).start(() -> {
                        try {
                            take(id);
                        } catch (RuntimeException e) {
                            log.warn("run " + id + " not taken, trying again: " + e.getMessage());
                        } finally {
                            taking.remove(id);
                        }
                    });
            } else {
                String cancel = runs.cancelRequest(id);
                if (cancel != null && r.cancelSent().compareAndSet(false, true)) {
                    r.handle().cancel(cancel);
                }
            }
        }
    }

    /**
     * Claims a run with this leader's epoch, evaluates its file and plans it (on a thread of its own: evaluation is
     * bounded by {@link io.drover.core.lua.LuaInterpreter#LOAD_TIMEOUT}, and a file that fails fails its run alone),
     * then starts it unless this controller stepped down or stopped meanwhile.
     */
    private void take(RunId id) {
        long mine = lease.epoch();
        if (mine == 0) return; // stepped down a moment ago
        RunRecords.Claim claimed = runs.claim(id, mine, controllerId, Instant.now());
        if (claimed == RunRecords.Claim.UNKNOWN) {
            runs.dropActive(id);
            return;
        }
        if (claimed == RunRecords.Claim.NEWER_EPOCH) {
            lease.stepDown("run " + id + " belongs to a newer epoch");
            return;
        }
        Map<String, String> h = runs.record(id);
        if (RunRecords.ENDED.contains(h.get("state"))) {
            runs.dropActive(id);
            return;
        }
        RunRecords.RunView before = RunRecords.view(h);
        boolean resumed = !"SUBMITTED".equals(h.get("state"));
        Map<TaskId, Long> startedBefore = new HashMap<>();
        long nowMs = clock.millis();
        before.tasks().forEach((t, r) -> {
            if (!r.state().isTerminal() && r.durationMillis() > 0) startedBefore.put(t, nowMs - r.durationMillis());
        });
        RunJournal journal = new RunJournal(
                id,
                mine,
                runs,
                metrics,
                resumed,
                held -> {
                    if (held > mine) lease.stepDown("run " + id + " belongs to epoch " + held);
                },
                startedBefore,
                clock);
        Plan plan;
        WorkflowSource source =
                new WorkflowSource(h.getOrDefault("workflow", "workflow.lua"), h.getOrDefault("source_text", ""));
        RunOptions runOptions;
        try {
            var loaded = WorkflowLoader.load(source);
            plan = Planner.plan(loaded.workflow(), strings(h.get("groups")), strings(h.get("tasks")));
            runOptions = RunOptions.builder()
                    .runId(id.toString())
                    .concurrency(Integer.parseInt(h.getOrDefault("concurrency", "256")))
                    .failFast("1".equals(h.get("fail_fast")))
                    .params(params(h.get("params")))
                    .listener(journal)
                    .resume(before.tasks())
                    .build();
        } catch (DroverException | IllegalArgumentException e) {
            journal.failBeforeStart(e.getMessage());
            log.info("run " + id + " cannot start: " + e.getMessage());
            return;
        }
        RunWorkspace files = null;
        Optional<String> head = RunRecords.filesOf(h);
        if (head.isPresent()) {
            try {
                // a controller reads and writes listings only, which are always kept in Redis
                FleetFiles store =
                        new FleetFiles(client.blobs(), null, FleetFiles.DEFAULT_INLINE_MAX, client.retention());
                files = new RunWorkspace(store, new Versions(store), head.get(), journal::files);
            } catch (TransferRejected | StoreException e) {
                journal.failBeforeStart("its files cannot be had: " + e.getMessage());
                log.info("run " + id + " cannot start: " + e.getMessage());
                return;
            }
        }
        // queue writes are fenced like the snapshot: none once this controller's lease may have run out
        ClusterDispatcher dispatcher = new ClusterDispatcher(
                client,
                source,
                h.getOrDefault("queue", "default"),
                () -> lease.isLeader() && lease.epoch() == mine,
                files);
        AtomicBoolean cancelSent = new AtomicBoolean();
        journal.order(plan);
        RunHandle handle = Scheduler.start(plan, dispatcher, runOptions);
        synchronized (runsLock) {
            if (lease.epoch() != mine
                    || !running.getAsBoolean()) { // stepped down or stopping meanwhile: the next leader takes the run
                detach(new LocalRun(handle, dispatcher, journal, cancelSent));
                return;
            }
            local.put(id, new LocalRun(handle, dispatcher, journal, cancelSent));
        }
        journal.note(
                resumed
                        ? "controller " + controllerId + " (epoch " + mine + ") resumed the run: " + before.counts()
                        : "controller " + controllerId + " (epoch " + mine + ") started the run");
        log.info((resumed ? "resumed" : "started") + " run " + id + " (" + plan.size() + " tasks)");
    }

    /** Loads the Lua runtime and the planner once, so a standby that takes over plans its first run at full speed. */
    static void warmUp() {
        try {
            Planner.plan(WorkflowLoader.load(
                            new WorkflowSource(
                                    "warm-up.lua",
                                    "TaskDefinitions = { w = { tasks = { { name = 't', command = function() return true end } } } }"))
                    .workflow());
        } catch (RuntimeException ignored) {
            // only a warm-up
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(String json) {
        if (json == null || json.isBlank()) return List.of();
        Object o = Json.read(json);
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) for (Object x : l) out.add(String.valueOf(x));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> params(String json) {
        if (json == null || json.isBlank()) return Map.of();
        Object o = Json.read(json);
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Writes each run's snapshot (every flush interval, {@link ControllerOptions#flushEvery}, on the controller's flusher). */
    void flushAll() {
        if (!lease.isLeader()) return;
        for (LocalRun r : local.values()) {
            try {
                r.journal().flush();
            } catch (RuntimeException e) {
                log.warn("snapshot of run " + r.journal().runId() + " failed: " + e.getMessage());
            }
        }
    }

    /** Writes each run's snapshot whether or not this controller still leads (as it stops). */
    private void flushAllNow() {
        for (LocalRun r : local.values()) {
            try {
                r.journal().flush();
            } catch (RuntimeException ignored) {
                // the next leader dispatches what the snapshot lacks again; idempotency keys find it
            }
        }
    }

    /**
     * As the controller stops: writes every snapshot, then leaves each run to the next leader (its attempts go on on
     * the fleet). A run being taken now sees the controller stopping and detaches itself.
     */
    void stopAll() {
        flushAllNow();
        synchronized (runsLock) {
            for (LocalRun r : local.values()) {
                r.handle().detach();
                r.dispatcher().detach();
            }
            local.clear();
        }
    }
}
