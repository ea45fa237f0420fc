package io.drover.cluster.worker;

import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.process.Cancellation;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One attempt a worker holds: the delivered entry, the lease's fencing token, the task's spec, and what the attempt
 * does with them while it runs (its cancellation, its log lines on their way to Redis). Created by the
 * {@link Claimer}, run by the {@link AttemptRunner}, recorded by the {@link Completer}, renewed by the
 * {@link Heartbeat}.
 */
final class Attempt {
    /** Log lines of one attempt waiting to be written; the task's output waits (its pipe fills) past them. */
    static final int PENDING_LINES = 10_000;
    /** Log lines per fenced write. */
    static final int LINES_PER_WRITE = 500;

    final QueueTaskId id;
    final String stream;
    final String entry;
    /** The entry's delivery count when this attempt started: the lease's fencing token. */
    final FencingToken token;
    /** The attempt's number (attempts made before its entry, plus the token). */
    final int attempt;

    final long startedUs = TaskCodec.nowMicros();
    /** The stream of the task's follower (a run's dispatcher), which hears of its end; empty for none. */
    final String notify;
    /** The task's spec, from its stream entry: parsed once, when the entry was taken (empty if unreadable). */
    final Map<String, Object> spec;
    /** Failed attempts before this one (for the backoff before the next). */
    final int failures;

    final Cancellation cancellation;
    volatile boolean lost;
    /**
     * For an attempt another worker holds, run here for its executor ({@link ExecutorHost}): the lease its lines are
     * fenced by, and where to ask for a newer one; null for an attempt this worker holds.
     */
    private volatile AttemptInput remote;

    private Supplier<AttemptInput> holders;
    /**
     * How long its refused lines wait for the task's next holder: a lease (a worker that takes the task over does so
     * when the lease lapses).
     */
    private Duration holderWait = Duration.ZERO;
    /** Sees every log line as it goes (an executor's progress), or null. */
    private Consumer<String> tap;
    /** Lines the task's log gets before the attempt's own. */
    List<String> preface = List.of();

    volatile boolean handBack;
    /**
     * Whether this attempt's RUNNING event is in the task's event stream: the claim writes it for a followed task,
     * the worker with the first log line otherwise. Then the outcome goes there too (guarded by this).
     */
    private boolean runningEventWritten;
    /** The attempt's log lines on their way to Redis (set when it starts running). */
    Lines lines;
    /** The reference of what the attempt changed in its run's files, or null (set when it ended). */
    volatile String files;

    /** One delivery: duplicate entries of one task are two deliveries, each with its own slot and directory. */
    final String key;

    Attempt(
            QueueTaskId id,
            String stream,
            String entry,
            FencingToken token,
            int attempt,
            String notify,
            Map<String, Object> spec,
            int failures,
            Cancellation cancellation) {
        this.cancellation = cancellation;
        this.id = id;
        this.notify = notify;
        this.spec = spec;
        this.failures = failures;
        this.stream = stream;
        this.entry = entry;
        this.token = token;
        this.attempt = attempt;
        this.key = stream + ' ' + entry;
    }

    /**
     * An attempt another worker holds, run here for its executor: its lines are fenced by {@code input}'s lease, and
     * when refused by the lease {@code holders} names then; a refusal never stops it (its holder decides its fate).
     */
    static Attempt remote(
            AttemptInput input,
            Map<String, Object> spec,
            Cancellation cancellation,
            Supplier<AttemptInput> holders,
            Consumer<String> tap,
            List<String> preface,
            Duration holderWait) {
        Attempt a = new Attempt(
                input.taskId(),
                input.stream(),
                input.entry(),
                input.token(),
                input.attempt(),
                input.follower(),
                spec,
                input.failures(),
                cancellation);
        a.remote = input;
        a.holders = holders;
        a.tap = tap;
        a.preface = List.copyOf(preface);
        a.holderWait = holderWait;
        return a;
    }

    /** This attempt as plain values, held by {@code holder}. */
    AttemptInput input(WorkerId holder) {
        return new AttemptInput(
                id,
                stream,
                entry,
                holder,
                token,
                attempt,
                failures,
                notify,
                TaskCodec.timeout(spec).toMillis());
    }

    /** The lease this attempt holds, as the store fences it. */
    WorkerStore.Held lease() {
        return new WorkerStore.Held(id, stream, entry, token);
    }

    /** Someone else holds the task now (the heartbeat or a fenced write found out): the attempt is stopped. */
    void leaseLost() {
        lost = true;
        cancellation.cancel(Cancellation.Cause.CANCELLED, "lease lost: another worker holds the task now");
    }

    synchronized boolean runningEventWritten() {
        return runningEventWritten;
    }

    /** The claim script wrote the RUNNING event (a followed task). */
    synchronized void runningEventWrittenByClaim(boolean written) {
        runningEventWritten = written;
    }

    /** Marks the RUNNING event written; true if this call is the one that writes it. */
    synchronized boolean takeRunningEvent() {
        boolean first = !runningEventWritten;
        runningEventWritten = true;
        return first;
    }

    /** Writes the attempt's RUNNING event (for a followed task, or before its first log line), once. */
    synchronized void writeRunningEvent(WorkerStore store) {
        if (runningEventWritten) return;
        runningEventWritten = true;
        store.runningEvent(id, attempt);
    }

    /**
     * The log lines of one attempt, for its task's event stream (and its follower's). They go in order, many to a
     * call of the {@code log} script, which writes them only while this worker still holds the task's lease: a
     * worker that was paused or cut off and wakes up after another took the task over never appends lines after
     * that task's end (a line written without that check could reach Redis any time later). One call at a time per
     * attempt; while {@value #PENDING_LINES} lines wait, the task's output waits too. Thread-safe.
     */
    final class Lines {
        private final WorkerStore store;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final ArrayDeque<String> pending = new ArrayDeque<>();
        private boolean writing;
        /** Whether a refused batch of an attempt run for another worker already waited for a new holder. */
        private boolean holderAwaited;

        Lines(WorkerStore store) {
            this.store = store;
        }

        void add(String line) {
            if (tap != null) tap.accept(line);
            lock.lock();
            try {
                while (pending.size() >= PENDING_LINES && !lost) changed.awaitUninterruptibly();
                if (lost) return;
                pending.add(line);
                if (!writing) {
                    writing = true;
                    Thread.ofVirtual().name("drover-lines-" + id).start(this::drain);
                }
            } finally {
                lock.unlock();
            }
        }

        private void drain() {
            while (true) {
                List<String> batch = new ArrayList<>();
                lock.lock();
                try {
                    while (batch.size() < LINES_PER_WRITE && !pending.isEmpty()) batch.add(pending.poll());
                    if (batch.isEmpty()) {
                        writing = false;
                        changed.signalAll();
                        return;
                    }
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                if (!write(batch)) {
                    leaseLost();
                    lock.lock();
                    try {
                        pending.clear();
                    } finally {
                        lock.unlock();
                    }
                }
            }
        }

        /** One fenced write; false when someone else holds the task now. Lines Redis could not take are dropped. */
        private boolean write(List<String> batch) {
            boolean first = takeRunningEvent();
            try {
                AttemptInput held = remote;
                if (held == null) return store.log(lease(), attempt, first, notify, batch);
                if (logFor(held, first, batch)) return true;
                // Refused: the task was taken over (or is being: its next holder attaches within a lease). Ask who
                // holds it for a while, once: after a wait that found nobody, each refused batch asks once and is
                // dropped (lines waiting in turn would hold the attempt's end back a wait per batch).
                long until = holderAwaited ? System.nanoTime() : System.nanoTime() + holderWait.toNanos();
                holderAwaited = true;
                while (!cancellation.isCancelled()) { // an attempt that stops keeps its end waiting for nobody
                    AttemptInput now = holders.get();
                    if (now != null
                            && (!now.holder().equals(held.holder())
                                    || !now.entry().equals(held.entry())
                                    || !now.token().equals(held.token()))) {
                        remote = now;
                        logFor(now, first, batch);
                        return true;
                    }
                    if (System.nanoTime() >= until) break;
                    Thread.sleep(200);
                }
                return true; // an attempt run for another worker goes on: its holder decides its fate
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            } catch (RuntimeException e) {
                return true; // Redis away: these lines are lost with it, as an outcome would be
            }
        }

        private boolean logFor(AttemptInput held, boolean first, List<String> batch) {
            WorkerStore.Held h = new WorkerStore.Held(id, held.stream(), held.entry(), held.token());
            return store.log(h, held.holder(), held.attempt(), first, notify, batch);
        }

        /** Waits until every line added is written or dropped. */
        void awaitWritten() {
            lock.lock();
            try {
                while (writing) changed.awaitUninterruptibly();
            } finally {
                lock.unlock();
            }
        }
    }
}
