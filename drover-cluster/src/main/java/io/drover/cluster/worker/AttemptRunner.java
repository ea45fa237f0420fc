package io.drover.cluster.worker;

import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.files.WorkerFiles;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.StoreException;
import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.engine.SecretMasker;
import io.drover.core.model.TaskSpec;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The worker's handler: runs each attempt the {@link Claimer} took on a virtual thread of its own (decoded by the
 * {@link AttemptDecoder}, in a private directory), then gives its slot back and passes its outcome to the
 * {@link Completer}, or hands it back to the queue when the worker stops.
 */
final class AttemptRunner {
    /** Deliveries of one entry from which an attempt is a suspect of crashing its worker ({@link #awaitSuspectTurn}). */
    static final int SUSPECT_DELIVERIES = 3;

    private final WorkerContext w;
    private final AttemptDecoder decoder;
    private final Completer completer;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("drover-attempt-", 0).factory());
    private final Semaphore suspects = new Semaphore(1);
    /** Where held attempts run (set once, at the worker's start: the executor may need {@link #host}). */
    private volatile AttemptExecutor executor = AttemptExecutor.LOCAL;

    AttemptRunner(WorkerContext w, AttemptDecoder decoder, Completer completer) {
        this.w = w;
        this.decoder = decoder;
        this.completer = completer;
    }

    /**
     * Runs attempts of tasks this worker now holds. Their followers (a run's dispatcher) hear where they run, one
     * {@code started} entry per follower for all of them ({@code runs status} shows the worker).
     */
    void startAll(List<Attempt> ready) {
        Map<String, List<QueueTaskId>> byFollower = new LinkedHashMap<>();
        for (Attempt a : ready)
            if (!a.notify.isEmpty())
                byFollower.computeIfAbsent(a.notify, k -> new ArrayList<>()).add(a.id);
        byFollower.forEach(w.store::announceStarted);
        for (Attempt a : ready) {
            w.held.put(a.key, a);
            threads.execute(() -> run(a));
        }
    }

    void executor(AttemptExecutor e) {
        executor = e;
    }

    /** No new attempts; those running go on. */
    void shutdown() {
        threads.shutdown();
    }

    private void run(Attempt a) {
        boolean suspect = a.token.atLeast(SUSPECT_DELIVERIES);
        boolean turn = suspect && awaitSuspectTurn(a);
        if (suspect && !turn) a.handBack = true; // the worker began to stop while it waited: it never started
        try {
            runHeld(a);
        } finally {
            if (turn) suspects.release();
        }
    }

    /** Makes the attempt's directory the version {@code ref} of its run's files. */
    private WorkerFiles.Prepared prepare(String run, String ref, Path dir) throws IOException {
        try {
            return w.files().prepare(run, ref, dir);
        } catch (TransferRejected e) {
            throw new IllegalArgumentException("its run's files could not be had: " + e.getMessage(), e);
        }
    }

    /** What an attempt left in its run's files, or why it cannot be kept. */
    private record Left(WorkerFiles.Collected collected, String error) {}

    /** Stores what the attempt changed in its directory; changes that may not travel fail it. */
    private Left collect(WorkerFiles.Prepared files, Path dir, List<String> artifacts) {
        try {
            return new Left(w.files().collect(files, dir, artifacts), null);
        } catch (TransferRejected | IOException | StoreException e) {
            return new Left(null, "its changes to the run's files cannot be kept: " + e.getMessage());
        }
    }

    /**
     * An entry delivered {@value #SUSPECT_DELIVERIES} times or more ended twice without an outcome: its workers
     * stopped under it, maybe because of it (a task that kills its worker takes the tasks beside it down too). Such
     * attempts run one at a time here, so when one crashes the worker again it is the only suspect that dies with it:
     * a healthy task that shared a worker with a poison task is never dead-lettered as one. Returns false if the
     * worker began to stop while it waited.
     */
    private boolean awaitSuspectTurn(Attempt a) {
        w.log.warn("task " + a.id + " was delivered " + a.token
                + " times without an outcome; it runs alone among such tasks here");
        try {
            while (!suspects.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (a.cancellation.isCancelled()) return false;
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void runHeld(Attempt a) {
        Executed done;
        try {
            done = executor.execute(new Held(a));
        } catch (RuntimeException e) { // an executor must not throw; if it does, the attempt failed
            done = new Executed(TaskOutcome.failed("the worker's executor failed: " + e.getMessage()), null);
        }
        a.files = done.files();
        TaskOutcome outcome = done.outcome();
        if (a.handBack) {
            try {
                w.store.handBack(a.lease(), a.attempt);
            } catch (RuntimeException e) {
                w.log.warn("could not hand " + a.id + " back (its lease will lapse): " + e.getMessage());
            } finally {
                w.release(a);
            }
            return;
        }
        long due = 0; // when a retry is due, if this failure leaves one
        if (outcome.status() == TaskOutcome.Status.FAILED && done.retried()) {
            due = -1; // its executor made the retries: the failure is final
        } else if (outcome.status() == TaskOutcome.Status.FAILED) {
            due = w.options.clock().millis()
                    + TaskCodec.backoff(a.spec)
                            .delayBefore(a.failures + 2, ThreadLocalRandom.current())
                            .toMillis();
        }
        // The lease stays with the task until its outcome is recorded (the heartbeat renews what is held); its slot
        // goes
        // to the next task now, unless recording has fallen behind.
        w.unrecorded.acquireUninterruptibly();
        w.slots.release();
        completer.add(a, outcome, due);
    }

    /**
     * Runs an attempt in this process: decoded by the {@link AttemptDecoder}, in a private directory (made from its
     * run's files when it has some), its lines masked on their way to the task's event stream, what it changed in
     * its run's files collected. Never throws.
     */
    private Executed runHere(Attempt a, String suffix) {
        TaskOutcome outcome;
        // the id was checked (Keys.isTaskIdOf), and the entry makes duplicate deliveries of one task use two
        // directories
        Path dir = w.options.workdir().resolve(a.id + "-" + a.attempt + "-" + a.entry + suffix);
        // set by the runner when the attempt made or used its directory: only then is there one to remove
        AtomicBoolean dirUsed = new AtomicBoolean();
        WorkerFiles.Prepared files = null;
        Left left = null; // what a task of a run with files left, when it may be kept
        String run = null;
        String keptFiles = null;
        try {
            AttemptDecoder.Decoded d = decoder.decode(a.id, a.attempt, a.spec);
            TaskRequest request = d.request();
            TaskRunner runner = d.runner();
            TaskSpec spec = request.task();
            if (w.options.logTasks()) w.log.info("started " + a.id + " (attempt " + a.attempt + ")");
            SecretMasker m = SecretMasker.ofMaps(request.params(), spec.env());
            a.lines = a.new Lines(w.store);
            Attempt.Lines lines = a.lines;
            for (String line : a.preface) lines.add(line);
            if (!TaskRunner.workdirOf(spec, dir).startsWith(dir)) { // absolute, or climbing out with ..
                throw new IllegalArgumentException("its workdir '" + spec.workdir()
                        + "' is outside the run's workspace (on the fleet a task works inside it)");
            }
            if (d.files() != null) { // a task of a run with files: its directory is the run's workspace as dispatched
                dirUsed.set(true);
                run = request.runId();
                files = prepare(run, d.files(), dir);
            }
            outcome = runner.run(
                    request,
                    new TaskContext(
                            dir, dir.resolve(".drover"), line -> lines.add(m.mask(line)), a.cancellation, dirUsed));
            outcome = new TaskOutcome(outcome.status(), m.mask(outcome.message()), outcome.outputs());
            if (files != null && !a.handBack && outcome.status() != TaskOutcome.Status.CANCELLED) {
                left = collect(files, dir, spec.artifacts());
                if (left.error() != null) {
                    outcome = TaskOutcome.failed(
                            outcome.status() == TaskOutcome.Status.FAILED
                                    ? outcome.message() + "; " + left.error()
                                    : left.error());
                    left = null;
                } else {
                    keptFiles = left.collected().ref();
                }
            }
        } catch (Exception e) {
            outcome = TaskOutcome.failed("the worker could not run it: " + e.getMessage());
        } catch (Throwable e) { // an Error (out of memory, stack overflow) ends the attempt like any failure
            outcome = TaskOutcome.failed(TaskOutcome.describe(e));
        } finally {
            if (a.lines != null) a.lines.awaitWritten(); // its lines go before its end
            if (left != null && left.collected().after() != null) {
                w.files().keep(run, dir, left.collected().after()); // the run's next task here starts from it
            } else if (dirUsed.get()) {
                Workdirs.deleteQuietly(dir);
            }
        }
        return new Executed(outcome, keptFiles);
    }

    /** Runs attempts other workers hold, for their executor (a Temporal activity polled here). */
    final ExecutorHost host = new ExecutorHost() {
        @Override
        public Executed run(AttemptInput input, Cancellation cancellation, Consumer<String> tap, List<String> preface) {
            try {
                QueueTaskId id = input.taskId();
                Map<String, Object> spec =
                        w.store.spec(id).map(TaskCodec::specObject).orElse(null);
                if (spec == null) {
                    return new Executed(
                            TaskOutcome.failed("the worker could not run it: the task's record is gone"), null);
                }
                return runHere(
                        Attempt.remote(
                                input, spec, cancellation, () -> holder(id, input), tap, preface, w.options.lease()),
                        "-x");
            } catch (RuntimeException e) {
                return new Executed(TaskOutcome.failed("the worker could not run it: " + e.getMessage()), null);
            }
        }

        @Override
        public WorkerId workerId() {
            return w.options.workerId();
        }

        /** The attempt as whoever holds its task now holds it, or null when nobody does. */
        private AttemptInput holder(QueueTaskId id, AttemptInput input) {
            return w.store
                    .holder(id)
                    .map(h -> new AttemptInput(
                            input.taskId(),
                            h.stream(),
                            h.entry(),
                            h.worker(),
                            h.token(),
                            h.attempt(),
                            input.failures(),
                            input.follower(),
                            input.timeoutMillis()))
                    .orElse(null);
        }

        @Override
        public Retries retries(AttemptInput input) {
            QueueTaskId id = input.taskId();
            Map<String, Object> spec = w.store.spec(id).map(TaskCodec::spec).orElse(Map.of());
            return new Retries(w.store.maxAttempts(id), TaskCodec.backoff(spec));
        }

        @Override
        public int concurrency() {
            return w.options.concurrency();
        }
    };

    /** A held attempt as its executor sees it. */
    private final class Held implements HeldAttempt {
        private final Attempt a;

        Held(Attempt a) {
            this.a = a;
        }

        @Override
        public AttemptInput input() {
            return a.input(w.options.workerId());
        }

        @Override
        public Cancellation cancellation() {
            return a.cancellation;
        }

        @Override
        public boolean cancelRequested() {
            return a.cancellation.isCancelled() && !a.handBack && !a.lost;
        }

        @Override
        public Executed runHere() {
            return AttemptRunner.this.runHere(a, "");
        }
    }
}
