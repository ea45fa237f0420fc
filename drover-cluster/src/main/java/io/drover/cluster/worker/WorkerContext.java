package io.drover.cluster.worker;

import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.SharedDirectory;
import io.drover.cluster.files.WorkerFiles;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.Log;
import io.drover.core.state.StateHandle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the roles of one worker share: its options, its store, the attempts it holds, the two semaphores that bound
 * them, and the flags that say whether it claims. {@link Worker} makes one and hands it to the {@link Claimer},
 * the {@link AttemptRunner}, the {@link Completer} and the {@link Heartbeat}.
 *
 * <p>An attempt holds a {@code slot} while it runs and an {@code unrecorded} permit from its end until its outcome
 * is recorded; it stays in {@code held} (and its lease is renewed) until then.
 */
final class WorkerContext {
    final WorkerOptions options;
    /** The tasks' state store, opened when a task first uses it. */
    final StateHandle state;
    /** What this worker says ({@link Log}): what goes wrong at warn, its comings and goings at info. */
    final Log log;

    final Keys keys;
    /**
     * The streams this worker reads: its own (tasks sent to it for affinity), the queue's plain one, and those of
     * every subset of its tags.
     */
    final List<String> streams;
    /** Every call this worker makes to Redis (set when it starts). */
    WorkerStore store;

    private WorkerFiles files;

    /** Runs' files as this worker fetches and stores them (made on first use, with the store). */
    synchronized WorkerFiles files() {
        if (files == null) {
            files = new WorkerFiles(
                    new FleetFiles(
                            store.blobs(),
                            SharedDirectory.at(options.fileStore()),
                            options.filesInlineMax(),
                            options.retention()),
                    options.workdir().resolve(".drover-files"),
                    options.filesCacheMax());
        }
        return files;
    }

    final Semaphore slots;
    /**
     * Outcomes waiting to be recorded, at most {@code concurrency}: an attempt that ended gives its slot back at once
     * (concurrency counts tasks that run), and only waits, holding it, when recording falls that far behind.
     */
    final Semaphore unrecorded;
    /** The attempts this worker holds, by {@link Attempt#key}. */
    final Map<String, Attempt> held = new ConcurrentHashMap<>();

    final AtomicBoolean stopping = new AtomicBoolean();
    volatile boolean claiming = true;
    /** Set by an operator through the worker's record (drover node drain): no new claims, running tasks go on. */
    volatile boolean draining;

    final AtomicLong processed = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Instant startedAt = Instant.now();

    WorkerContext(WorkerOptions options) {
        this.options = options;
        this.log = Log.of("worker", options.workerId().toString());
        this.keys = new Keys(options.queue());
        List<String> all = new ArrayList<>(List.of(keys.workerStream(options.workerId()))); // its own first
        all.addAll(keys.streamsFor(options.tags()));
        this.streams = List.copyOf(all);
        this.slots = new Semaphore(options.concurrency());
        this.unrecorded = new Semaphore(options.concurrency());
        this.state = StateHandle.of(options.stateUrl(), options.workdir());
    }

    /** Ids of the tasks running here now. */
    List<String> running() {
        return held.values().stream().map(a -> a.id.toString()).distinct().toList();
    }

    /** An attempt that will not be recorded (handed back): its task and its slot are let go. */
    void release(Attempt a) {
        held.remove(a.key);
        slots.release();
    }

    /** An attempt whose outcome was recorded, refused or lost with Redis: its task is let go. */
    void recorded(Attempt a) {
        held.remove(a.key);
        unrecorded.release();
    }

    /** How often the heartbeat renews leases and the claimer looks for lapsed ones. */
    long beatMillis() {
        return Math.max(
                100,
                Math.min(
                        Math.min(options.lease().toMillis(), options.recordTtl().toMillis()) / 3, 10_000));
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
