package io.drover.cluster.run;

import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.files.RunWorkspace;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Outage;
import io.drover.cluster.queue.SourceRef;
import io.drover.cluster.queue.StoreException;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.Errors;
import io.drover.core.Log;
import io.drover.core.engine.AttemptHandle;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.TaskSink;
import io.drover.core.model.TaskId;
import io.drover.core.model.WorkflowSource;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Runs a workflow's attempts on the fleet: each one becomes a {@code workflow} task on its queue (the task's
 * {@code queue}, else this run's). The workflow's source is stored once, by content ({@link Client#storeSource}),
 * and each attempt carries its reference: workers fetch it once and run its Lua functions. Attempts
 * are submitted in pipelined batches by one submitter thread, each under the idempotency key of its run, task and
 * attempt ({@link #attemptKey}). This dispatcher is the tasks' follower: their ends and log lines come to one
 * stream of its own per queue ({@link Client#submitFollowed}), which one watcher thread reads; it then fetches the
 * ended tasks' records in one pipelined batch. Every few seconds it also checks every task in flight, so nothing
 * is missed. Retries stay with the run's scheduler, so the queue gives each attempt one try. A task goes to the
 * worker that ran its dependencies when that one has room ({@link Affinity}), else to the queue's shared stream.
 * Thread-safe.
 *
 * <p>With a {@link RunWorkspace} (a run with files), each attempt starts from the workspace's version at the time it
 * is put on the queue, and what it changed is applied to the workspace when its end is heard, before the scheduler
 * is told: a conflict (another task changed one of its paths meanwhile) fails the attempt.
 */
public final class ClusterDispatcher implements Dispatcher {
    private static final int BATCH = 500;
    private static final long CHECK_ALL_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final Duration KEEP = Duration.ofHours(1);

    private final Client client;
    private final WorkflowSource source;
    /** The run's files, or null for a run without. */
    private final RunWorkspace files;
    /** Where the run's files come back as attempts end, or null. */
    private final Path root;
    /** What {@link #root} holds of the run's files now (guarded by this). */
    private SyncBack.Submitted here;

    private int filesWritten;
    private int filesDeleted;
    /** Where the source is stored: set by the first submit, kept alive with the follower's streams. */
    private volatile SourceRef sourceRef;

    private final String defaultQueue;
    private final String follower =
            "f" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    /** What this dispatcher says ({@link io.drover.core.Log}), as the follower it is on the fleet. */
    private final Log log = Log.of("dispatcher", follower);

    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    private final Set<String> queues = ConcurrentHashMap.newKeySet();
    private final Map<String, String> after = new ConcurrentHashMap<>();
    /** Tasks to look at now: found already on the queue when submitted (a run taken over), or cancelled early. */
    private final Set<String> checkNow = ConcurrentHashMap.newKeySet();

    private final Map<String, Long> early = new ConcurrentHashMap<>();
    /**
     * Log lines heard before the submitter registered their task (a task that logs as it starts, claimed while the
     * submit call was returning): kept, in order, until it is registered (at most 30 s and 1,000 lines a task).
     * Only the watcher thread uses it.
     */
    private final Map<String, EarlyLines> earlyLogs = new HashMap<>();

    private record EarlyLines(long since, List<String> lines) {}

    private final Set<String> cancelLater = ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<InFlight> toSubmit = new LinkedBlockingQueue<>();
    private final Affinity affinity;
    private final Thread submitter;
    private final Thread watcher;
    private volatile boolean closed;
    private final BooleanSupplier mayWrite;

    private static final class InFlight {
        final TaskRequest request;
        final TaskSink sink;
        final String queue;
        final TaskId task;
        volatile String id;
        /** Why this run cancelled it (the run's words, e.g. --fail-fast), or null. */
        volatile String cancelReason;
        /** The worker it was sent to for affinity, or null. */
        volatile WorkerId sentTo;

        InFlight(TaskRequest request, TaskSink sink, String queue) {
            this.request = request;
            this.sink = sink;
            this.queue = queue;
            this.task = request.task().id();
        }
    }

    public ClusterDispatcher(Client client, WorkflowSource source, String defaultQueue) {
        this(client, source, defaultQueue, () -> true);
    }

    /**
     * With a fence: while {@code mayWrite} is false (a controller whose lease ran out), nothing is put on the queue
     * or cancelled there; the scheduler that takes the run over does it.
     */
    public ClusterDispatcher(Client client, WorkflowSource source, String defaultQueue, BooleanSupplier mayWrite) {
        this(client, source, defaultQueue, mayWrite, null);
    }

    /** With the run's files: attempts start from its workspace and their changes are applied to it. */
    public ClusterDispatcher(
            Client client, WorkflowSource source, String defaultQueue, BooleanSupplier mayWrite, RunWorkspace files) {
        this(client, source, defaultQueue, mayWrite, files, null, null);
    }

    /**
     * With the run's files, brought back as each attempt ends to {@code root}, which held {@code submitted} when
     * the run began (a run scheduled by {@code drover run} itself: its workdir changes as the tasks end, as with
     * agents). A path changed in {@code root} meanwhile fails the attempt as a conflict, nothing of it applied here.
     */
    public ClusterDispatcher(
            Client client,
            WorkflowSource source,
            String defaultQueue,
            BooleanSupplier mayWrite,
            RunWorkspace files,
            Path root,
            SyncBack.Submitted submitted) {
        if ((root == null) != (submitted == null) || (root != null && files == null))
            throw new IllegalArgumentException("files come back to a directory with what it held and the run's files");
        this.root = root;
        this.here = submitted;
        this.files = files;
        this.mayWrite = mayWrite;
        this.client = client;
        this.source = source == null ? new WorkflowSource("workflow.lua", "") : source;
        this.defaultQueue = defaultQueue;
        this.affinity = new Affinity(client, log);
        this.submitter =
                Thread.ofPlatform().daemon().name("drover-cluster-submit").unstarted(this::submitLoop);
        this.watcher = Thread.ofPlatform().daemon().name("drover-cluster-watch").unstarted(this::watch);
    }

    /** Its two threads start with the first attempt, not in the constructor. */
    private synchronized void ensureStarted() {
        if (closed || submitter.getState() != Thread.State.NEW) return;
        submitter.start();
        watcher.start();
    }

    /**
     * Returns at once: the submit (a Redis round trip, shared with other attempts ready at the same time) happens
     * on the submitter thread. A cancel that comes before the task is on its queue is applied as soon as it is.
     */
    @Override
    public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
        InFlight f = new InFlight(
                request,
                sink,
                request.task().queue() == null ? defaultQueue : request.task().queue());
        ensureStarted();
        toSubmit.add(f);
        return reason -> {
            f.cancelReason = reason;
            String id = f.id;
            if (id != null) cancel(id); // else the submitter cancels it once it has an id
        };
    }

    /**
     * The idempotency key of an attempt: the same run, task and attempt number always name one queue task, so a
     * scheduler that takes a run over and dispatches an attempt again follows the one already in flight (or already
     * ended) instead of starting a second.
     */
    public static String attemptKey(TaskRequest request) {
        return "run:" + request.runId() + ":" + request.task().id() + ":" + request.attempt();
    }

    private void submitLoop() {
        List<InFlight> batch = new ArrayList<>();
        while (!closed) {
            try {
                InFlight first = toSubmit.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                toSubmit.drainTo(batch, BATCH - 1);
                if (!mayWrite.getAsBoolean()) { // fenced off for now: wait (a takeover detaches this dispatcher)
                    toSubmit.addAll(batch);
                    Thread.sleep(50);
                    continue;
                }
                submit(batch);
            } catch (InterruptedException e) {
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void submit(List<InFlight> batch) {
        List<TaskSubmission> subs = new ArrayList<>(batch.size());
        SourceRef ref;
        try {
            ref = sourceRef != null ? sourceRef : (sourceRef = client.storeSource(source));
        } catch (RuntimeException e) {
            for (InFlight f : batch) {
                f.sink.completed(
                        TaskOutcome.failed("could not store the workflow's source for the fleet: " + e.getMessage()));
            }
            return;
        }
        for (InFlight f : batch) {
            WorkerId to = affinity.pick(f.request.task(), f.queue);
            f.sentTo = to;
            subs.add(TaskSubmission.workflow(ref, f.request)
                    .withQueue(f.queue)
                    .withIdempotencyKey(attemptKey(f.request))
                    .withWorker(to)
                    .withFiles(files == null ? null : files.head()));
        }
        List<Client.Submitted> ids;
        try {
            ids = client.submitFollowed(subs, follower);
        } catch (RuntimeException e) {
            for (InFlight f : batch) {
                affinity.notSent(f.sentTo);
                f.sink.completed(
                        TaskOutcome.failed("could not put the task on queue '" + f.queue + "': " + e.getMessage()));
            }
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            InFlight f = batch.get(i);
            Client.Submitted s = ids.get(i);
            if (!s.created()) { // it was on its queue already (a run taken over): wherever it went then
                affinity.notSent(f.sentTo);
                f.sentTo = null;
            }
            f.id = s.id();
            queues.add(f.queue);
            inFlight.put(s.id(), f);
            if (!s.created()) checkNow.add(s.id()); // it may have ended already: its end will not be announced again
            if (f.cancelReason != null) cancel(s.id()); // cancelled while it was being submitted
        }
        LockSupport.unpark(watcher);
    }

    private void cancel(String id) {
        if (!mayWrite.getAsBoolean()) { // fenced off for now: the watcher tries again
            cancelLater.add(id);
            return;
        }
        try {
            client.cancel(id);
        } catch (RuntimeException e) {
            log.warn("could not cancel " + id + ": " + Errors.describe(e));
        }
    }

    /**
     * The watcher's loop: one {@link #watchOnce} per pass, then a pause that grows while nothing happens (1 ms after
     * progress, up to 10 ms). The pass is a method of its own: it runs thousands of times a run, so the JIT compiles
     * it once and every run's watcher uses that code; a loop body inside this method, entered once per run, was
     * compiled again on stack for each new run's watcher (hundreds of ms of C2 per run on a small machine).
     */
    private void watch() {
        Outage outage = new Outage("following tasks on the fleet", log::warn);
        Watch state = new Watch();
        long idle = 1;
        while (!closed) {
            boolean failed = false;
            boolean progress = false;
            try {
                progress = watchOnce(state);
                outage.succeeded();
            } catch (RuntimeException e) {
                idle = outage.failed(e);
                failed = true;
            }
            if (!failed) idle = progress ? 1 : Math.min(idle * 2, 10);
            LockSupport.parkNanos(idle * 1_000_000);
        }
    }

    /** When the watcher next does its periodic work (nanoTime). Only the watcher thread uses it. */
    private static final class Watch {
        long nextRescue = System.nanoTime();
        long nextCheckAll = System.nanoTime() + CHECK_ALL_NANOS;
        long nextKeep = System.nanoTime();
    }

    /** One pass of the watcher; true when it heard of anything. */
    private boolean watchOnce(Watch state) {
        long now = System.nanoTime();
        if (now >= state.nextRescue) {
            state.nextRescue = now + 1_000_000_000L;
            affinity.rescue();
        }
        if (now >= state.nextKeep && !queues.isEmpty()) {
            state.nextKeep = now + TimeUnit.MINUTES.toNanos(10);
            client.keepFollowing(queues, follower, KEEP);
            client.storeSource(source); // its expiry only grows: attempts queued for long still find it
        }
        if (!cancelLater.isEmpty() && mayWrite.getAsBoolean()) {
            for (String id : List.copyOf(cancelLater)) {
                cancelLater.remove(id);
                cancel(id);
            }
        }
        Set<String> ended = new LinkedHashSet<>(checkNow);
        checkNow.removeAll(ended);
        flushEarlyLogs(now);
        // an end heard before the submitter registered its task (a task that ended at once)
        early.entrySet().removeIf(e -> {
            if (inFlight.containsKey(e.getKey())) return ended.add(e.getKey());
            return now - e.getValue() > TimeUnit.SECONDS.toNanos(30);
        });
        boolean progress = false;
        for (String q : queues) {
            for (Client.Followed e : client.followed(q, follower, after.getOrDefault(q, "0-0"), 0)) {
                after.put(q, e.streamId());
                progress = true;
                heard(e, ended, now);
            }
        }
        if (now >= state.nextCheckAll) { // the safety net: a task whose end this follower did not hear of
            state.nextCheckAll = now + CHECK_ALL_NANOS;
            ended.addAll(inFlight.keySet());
        }
        if (!ended.isEmpty()) {
            flushEarlyLogs(now); // a task's lines before its end
            Map<String, TaskStatus> statuses = client.statuses(ended);
            for (String id : ended) {
                InFlight f = inFlight.get(id);
                if (f == null) continue;
                TaskStatus s = statuses.get(id);
                if (s == null || s.isFinished()) finish(id, f, s);
            }
        }
        return progress;
    }

    /** One entry of the follower's stream: a start, a log line or an end of one of its tasks. */
    private void heard(Client.Followed e, Set<String> ended, long now) {
        InFlight f = inFlight.get(e.id());
        if (e.type().equals("started")) {
            if (f != null) f.sink.started(e.line()); // else its end says where it ran
        } else if (e.type().equals("log")) {
            if (f != null && !earlyLogs.containsKey(e.id())) {
                f.sink.log(e.line());
            } else { // not registered yet, or lines of it wait: after them, in order
                List<String> lines = earlyLogs
                        .computeIfAbsent(e.id(), k -> new EarlyLines(now, new ArrayList<>()))
                        .lines();
                if (lines.size() < 1000) lines.add(e.line());
            }
        } else if (f != null && e.ended() != null && e.ended().isFinished() && !earlyLogs.containsKey(e.id())) {
            finish(e.id(), f, e.ended()); // the end carries the outcome: no record to read
        } else if (f != null) {
            ended.add(e.id());
        } else {
            early.put(e.id(), now);
        }
    }

    /** Hands the early lines of registered tasks to their sinks; forgets those of tasks never registered. */
    private void flushEarlyLogs(long now) {
        earlyLogs.entrySet().removeIf(e -> {
            InFlight f = inFlight.get(e.getKey());
            if (f != null) {
                for (String line : e.getValue().lines()) f.sink.log(line);
                return true;
            }
            return now - e.getValue().since() > TimeUnit.SECONDS.toNanos(30);
        });
    }

    private void finish(String id, InFlight f, TaskStatus s) {
        if (inFlight.remove(id) == null) return;
        affinity.ended(f.task, s == null ? null : WorkerId.tryParse(s.worker()).orElse(null), f.sentTo);
        if (s == null) {
            f.sink.completed(TaskOutcome.failed("the task record of " + id + " is gone"));
            return;
        }
        String conflict = applyFiles(f, s);
        TaskOutcome o = switch (s.state()) {
            case "SUCCEEDED" ->
                conflict != null ? TaskOutcome.failed(conflict) : TaskOutcome.succeeded(s.message(), s.outputs());
            case "CANCELLED" -> TaskOutcome.cancelled(f.cancelReason != null ? f.cancelReason : s.message());
            case "SKIPPED" -> TaskOutcome.skipped(s.message());
            default ->
                TaskOutcome.failed((s.message().isEmpty() ? "failed on worker " + s.worker() : s.message())
                        + (conflict == null ? "" : "; " + conflict));
        };
        // where it ran, and when it ended by the worker's record: what its duration is measured to, however late
        // this follower hears of it (a controller that took the run over meanwhile)
        f.sink.completed(
                s.worker() == null || s.worker().isEmpty()
                        ? o
                        : o.withRan(new TaskOutcome.Ran(s.worker(), s.startedAt(), s.finishedAt())));
    }

    /**
     * Applies what an ended attempt changed in the run's files; returns why that was refused (a conflict, a content
     * gone), or null.
     */
    private String applyFiles(InFlight f, TaskStatus s) {
        if (files == null || s.files().isEmpty()) return null;
        try {
            files.apply(s.files(), f.task.toString());
            return root == null ? null : bringBack();
        } catch (TransferRejected | StoreException | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Applies the run's files as they are now to {@link #root}; returns why that was refused, or null. */
    private synchronized String bringBack() {
        String head = files.head();
        if (refusedHere != null || head.equals(here.ref())) return null;
        try {
            SyncBack.Applied a = SyncBack.apply(files.store(), root, here, head, files.listing());
            here = a.now();
            filesWritten += a.written();
            filesDeleted += a.deleted();
            return null;
        } catch (TransferRejected | StoreException | IOException e) {
            // The run's files go on on the fleet; this directory gets nothing more of them (all or none), and the
            // task whose end found it out fails, as a conflict fails a task on an agent.
            refusedHere = Errors.describe(e);
            return "its changes to files could not be applied here: " + refusedHere;
        }
    }

    /** Why the run's files stopped coming back to the directory (a conflict), or null. */
    private String refusedHere;

    /**
     * What came back to the directory so far: files written and deleted, and what it holds of the run's files.
     *
     * @return null when the run's files stopped coming back ({@link #refusedHere}: the reason is in the failed task)
     */
    public synchronized SyncBack.Applied filesBack() {
        return refusedHere != null ? null : new SyncBack.Applied(filesWritten, filesDeleted, here);
    }

    /** Stops following; attempts still in flight are cancelled on the fleet. */
    @Override
    public void close() {
        stop(true);
    }

    /**
     * Stops following and leaves the attempts in flight to run on, for the scheduler that takes the run over; their
     * sinks hear nothing more.
     */
    public void detach() {
        stop(false);
    }

    private void stop(boolean cancelInFlight) {
        synchronized (this) { // no thread starts after this
            if (closed) return;
            closed = true;
        }
        submitter.interrupt();
        try {
            submitter.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cancelInFlight) for (String id : inFlight.keySet()) cancel(id);
        LockSupport.unpark(watcher);
        try {
            watcher.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cancelInFlight) {
            try {
                client.keepFollowing(queues, follower, Duration.ZERO);
            } catch (RuntimeException e) {
                // they expire
            }
        }
    }
}
