package io.drover.cluster.worker;

import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.Outage;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.TaskCodec;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.process.Cancellation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The worker's poller: on its own thread, waits for free slots, reads new entries of the worker's streams (and
 * every beat takes over entries whose lease lapsed), turns them into {@link Attempt}s and hands them to the runner.
 * It owns the slots it has acquired until it hands them over with attempts or gives them back.
 */
final class Claimer {
    /** Under load, how long the claimer gathers returning slots so one read serves many tasks. */
    private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final WorkerContext w;
    /** Starts attempts the claimer took (each holds a slot until it ends). */
    private final Consumer<List<Attempt>> start;

    private int nextStream;
    /** Whether someone follows a queued task of the queue (seen with the last read): then the claim script looks. */
    private volatile boolean following = true;

    Claimer(WorkerContext w, Consumer<List<Attempt>> start) {
        this.w = w;
        this.start = start;
    }

    void loop() {
        Outage outage = new Outage("claiming tasks", w.log::warn);
        long nextReclaim = 0;
        while (w.claiming) {
            int permits = 0;
            try {
                if (w.draining) {
                    Thread.sleep(100);
                    continue;
                }
                if (!w.slots.tryAcquire(200, TimeUnit.MILLISECONDS)) continue;
                permits = 1 + w.slots.drainPermits();
                // Under load slots come back one by one; gather some for up to a millisecond, so that one read and one
                // claim serve many tasks. At low load every slot is free and nothing waits.
                long gatherUntil = System.nanoTime() + GATHER_NANOS;
                long left;
                while (permits < w.options.concurrency() / 2 && (left = gatherUntil - System.nanoTime()) > 0) {
                    if (w.slots.tryAcquire(left, TimeUnit.NANOSECONDS)) permits += 1 + w.slots.drainPermits();
                }
                if (!w.claiming) break;
                if (System.nanoTime() >= nextReclaim) {
                    nextReclaim = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(w.beatMillis());
                    permits -= reclaim(permits);
                    if (permits == 0) continue;
                }
                permits -= read(permits);
                outage.succeeded();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                if (w.claiming) WorkerContext.sleepQuietly(outage.failed(e));
            } finally {
                if (permits > 0) w.slots.release(permits);
            }
        }
    }

    /**
     * Reads at most {@code permits} new entries and starts them; returns how many started. Without a script: plain
     * XREADGROUP of this worker's own stream first, then the shared ones, each asked for what the ones before left,
     * and the entries start as they came (an entry carries what its attempt needs). Only when nothing was there
     * does it block: one XREADGROUP over every stream (COUNT free/n each, 500 ms). No read brings more entries than
     * there are free slots. With the first read goes a look at the queue's set of tasks followed while queued (one
     * round trip for both): while it is not empty, new entries go through the claim script, which writes their
     * RUNNING events.
     */
    private int read(int permits) throws InterruptedException {
        if (w.draining || !w.claiming) return 0;
        var followers = w.store.followersPresent();
        List<WorkerStore.Delivery> got = new ArrayList<>();
        int left = permits;
        for (String stream : readOrder()) {
            if (left <= 0) break;
            List<WorkerStore.Delivery> m = w.store.readNew(stream, left);
            got.addAll(m);
            left -= m.size();
        }
        following = WorkerStore.await(followers); // not known: true, and the script looks
        if (!got.isEmpty()) return startAttempts(got, true);
        int n = w.streams.size();
        if (permits >= n)
            return startAttempts(w.store.blockingRead(w.streams, permits / n, Duration.ofMillis(500)), true);
        Thread.sleep(10); // more streams than free slots (a worker with many tags): look again soon
        return 0;
    }

    /** This worker's own stream, then the shared ones starting one further each time (fair among tagged streams). */
    private List<String> readOrder() {
        List<String> streams = w.streams;
        int n = streams.size();
        if (n == 2) return streams;
        List<String> order = new ArrayList<>(n);
        order.add(streams.get(0));
        int from = nextStream++ % (n - 1);
        for (int i = 0; i < n - 1; i++) order.add(streams.get(1 + (from + i) % (n - 1)));
        return order;
    }

    /** Starts delivered entries, stream by stream; returns how many attempts started. */
    private int startAttempts(List<WorkerStore.Delivery> messages, boolean fresh) {
        if (messages.isEmpty()) return 0;
        Map<String, List<WorkerStore.Delivery>> byStream = new LinkedHashMap<>();
        for (WorkerStore.Delivery m : messages)
            byStream.computeIfAbsent(m.stream(), k -> new ArrayList<>()).add(m);
        int started = 0;
        for (Map.Entry<String, List<WorkerStore.Delivery>> e : byStream.entrySet()) {
            started += startAttempts(e.getKey(), e.getValue(), fresh);
        }
        return started;
    }

    /**
     * Starts entries of one stream this worker was delivered; returns how many attempts started (each holds a slot
     * until it ends). A fresh entry (delivered for the first time, by a read of new entries) that is well formed starts
     * at once: its delivery count, the token, is 1. The others go through the claim script in one call: entries
     * taken over after a lease lapsed (it checks them against the task's record and dead-letters poison tasks),
     * entries that are not tasks (it sets them aside with the reason), and all of them while someone follows a queued
     * task of the queue.
     */
    private int startAttempts(String stream, List<WorkerStore.Delivery> messages, boolean fresh) {
        if (w.draining || !w.claiming) { // the read was waiting when the worker began to drain or stop: give them back
            w.store.release(
                    stream, messages.stream().map(WorkerStore.Delivery::entry).toList());
            return 0;
        }
        List<Attempt> ready = new ArrayList<>(messages.size());
        List<String> viaScript = new ArrayList<>();
        for (WorkerStore.Delivery m : messages) {
            Map<String, String> f = m.fields();
            int attempt = TaskCodec.integer(f.get("attempts")) + 1;
            int failures = TaskCodec.integer(f.get("failures"));
            // delivered over and over without an outcome (moved from stream to stream after crashing its workers): the
            // script dead-letters it
            boolean poison = attempt - failures
                    > Math.max(1, TaskCodec.integer(f.get("max_attempts"))) + w.options.maxRedeliveries();
            // not a task, or a spec that is no JSON object: the claim script sets it aside with the reason
            java.util.Optional<QueueTaskId> task = fresh && !following && !poison
                    ? TaskCodec.entryTask(f, w.keys.queue())
                    : java.util.Optional.empty();
            Map<String, Object> spec = task.isPresent() ? TaskCodec.specObject(f.get("spec")) : null;
            if (spec != null) {
                Attempt a = new Attempt(
                        task.get(),
                        stream,
                        m.entry(),
                        FencingToken.of(1),
                        attempt,
                        f.getOrDefault("notify", ""),
                        spec,
                        failures,
                        new Cancellation());
                if ("1".equals(f.get("followed"))) a.writeRunningEvent(w.store); // a retry of a followed task
                ready.add(a);
            } else {
                viaScript.add(m.entry());
            }
        }
        if (!viaScript.isEmpty()) ready.addAll(claim(stream, viaScript));
        start.accept(ready);
        return ready.size();
    }

    /**
     * Runs the claim script on entries of one stream this worker was delivered; returns the attempts of the tasks it
     * took. Entries that are not tasks were set aside by the script; they are logged.
     */
    private List<Attempt> claim(String stream, List<String> entries) {
        List<Attempt> taken = new ArrayList<>(entries.size());
        for (WorkerStore.Claimed c :
                w.store.claim(stream, entries, w.options.maxRedeliveries(), TaskCodec.nowMicros())) {
            switch (c) {
                case WorkerStore.SetAside s ->
                    w.log.warn("set aside stream entry " + s.entry() + " of " + stream + ": " + s.reason());
                case WorkerStore.DeadLettered d ->
                    w.log.warn("dead-lettered task " + d.taskId() + ": delivered " + d.deliveries()
                            + " times and every worker that had it stopped before it ended (a poison task?); drover task status "
                            + d.taskId());
                case WorkerStore.Taken t -> {
                    Attempt a = new Attempt(
                            t.taskId(),
                            stream,
                            t.entry(),
                            t.token(),
                            t.attempt(),
                            t.follower(),
                            Objects.requireNonNullElse(TaskCodec.specObject(t.spec()), Map.of()),
                            t.failures(),
                            new Cancellation());
                    a.runningEventWrittenByClaim(t.runningEventWritten()); // followed: the claim wrote it
                    taken.add(a);
                }
            }
        }
        return taken;
    }

    /**
     * Takes over entries whose lease lapsed (their worker stopped heartbeating), up to {@code free} of them; runs on
     * the claimer, which holds the free slots. Returns how many attempts started.
     */
    private int reclaim(int free) {
        int started = 0;
        for (String stream : w.streams) {
            if (started >= free) break;
            List<WorkerStore.Delivery> live = w.store.reclaim(stream, w.options.lease(), free - started);
            if (!live.isEmpty()) started += startAttempts(stream, live, false);
        }
        return started;
    }
}
