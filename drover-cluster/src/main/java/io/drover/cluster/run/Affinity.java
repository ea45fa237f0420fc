package io.drover.cluster.run;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.Errors;
import io.drover.core.Log;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a run's tasks should go: to the worker that ran most of the task's dependencies, when that worker is
 * running, may take the task (queue, version, tags) and has room; else to the queue's shared stream, where the
 * least busy worker takes it first (workers pull as they have free slots). Also moves tasks sent to a worker
 * that no longer takes them (it drains, stops or died) back to their shared stream ({@link #rescue}).
 * Thread-safe.
 */
final class Affinity {
    private static final long REFRESH_NANOS = 500_000_000L;

    private final Client client;
    private final Map<TaskId, WorkerId> ranOn = new ConcurrentHashMap<>();
    private final Map<WorkerId, AtomicInteger> sent = new ConcurrentHashMap<>();
    private final Set<String> queues = ConcurrentHashMap.newKeySet();
    private volatile Map<WorkerId, Seen> workers = Map.of();

    /** A worker's record as read at the last refresh, parsed once then rather than for every task. */
    private record Seen(
            WorkerId id, String status, String queue, Map<String, String> tags, int concurrency, int running) {
        static Seen of(WorkerId id, Map<String, String> w) {
            Map<String, String> tags = new HashMap<>();
            for (String kv : w.getOrDefault("tags", "").split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) tags.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            String running = w.getOrDefault("running", "");
            int concurrency;
            try {
                concurrency = Integer.parseInt(w.getOrDefault("concurrency", "1"));
            } catch (NumberFormatException e) {
                concurrency = 1;
            }
            return new Seen(
                    id,
                    w.getOrDefault("status", ""),
                    w.getOrDefault("queue", ""),
                    tags,
                    concurrency,
                    running.isEmpty() ? 0 : running.split(",").length);
        }
    }

    /** When {@link #workers} were last read (nanoTime): long enough ago that the first call reads them. */
    private volatile long refreshedAt = System.nanoTime() - REFRESH_NANOS - 1;

    private final Log log;

    Affinity(Client client) {
        this(client, Log.of("dispatcher", "affinity"));
    }

    Affinity(Client client, Log log) {
        this.client = client;
        this.log = log;
    }

    /**
     * The worker to send this task to, or null for the shared stream: of the workers that ran its dependencies and
     * may take it now, the one that ran most of them (the first to have run one, on a tie). The task takes one of
     * that worker's slots at once, so tasks picked together (a batch of dependents released by one end) fill its room
     * and no more: the rest go to the shared stream, where any worker with a free slot takes them. The slot is given
     * back by {@link #ended}, or by {@link #notSent} when the task did not go there after all.
     */
    WorkerId pick(TaskSpec task, String queue) {
        queues.add(queue);
        if (task.dependsOn().isEmpty()) return null;
        Map<WorkerId, Integer> votes = new LinkedHashMap<>();
        for (TaskId d : task.dependsOn()) {
            WorkerId w = ranOn.get(d);
            if (w != null) votes.merge(w, 1, Integer::sum);
        }
        Map<WorkerId, Seen> now = votes.isEmpty() ? Map.of() : workers();
        WorkerId best = null;
        int most = 0;
        for (Map.Entry<WorkerId, Integer> v : votes.entrySet()) {
            if (v.getValue() > most && fits(now.get(v.getKey()), task, queue)) {
                best = v.getKey();
                most = v.getValue();
            }
        }
        if (best != null) sent(best).incrementAndGet();
        return best;
    }

    private boolean fits(Seen w, TaskSpec task, String queue) {
        if (w == null || !"running".equals(w.status()) || !queue.equals(w.queue())) return false;
        for (Map.Entry<String, String> t : task.tags().entrySet())
            if (!t.getValue().equals(w.tags().get(t.getKey()))) return false;
        return Math.max(w.running(), sent(w.id()).get()) < w.concurrency();
    }

    private AtomicInteger sent(WorkerId worker) {
        return sent.computeIfAbsent(worker, k -> new AtomicInteger());
    }

    /** A task picked for {@code worker} was not put on its stream (already queued, or the submit failed). */
    void notSent(WorkerId worker) {
        if (worker != null) sent(worker).decrementAndGet();
    }

    /** A task ended: it ran on {@code worker} (null if unknown); {@code sentTo} is where this run had sent it. */
    void ended(TaskId task, WorkerId worker, WorkerId sentTo) {
        if (worker != null) ranOn.put(task, worker);
        if (sentTo != null) sent(sentTo).decrementAndGet();
    }

    private Map<WorkerId, Seen> workers() {
        long now = System.nanoTime();
        if (now - refreshedAt > REFRESH_NANOS) {
            Map<WorkerId, Seen> m = new HashMap<>();
            try {
                for (Map<String, String> w : client.workers().list()) {
                    WorkerId.tryParse(w.get("id")).ifPresent(id -> m.put(id, Seen.of(id, w)));
                }
                workers = m;
            } catch (RuntimeException e) {
                log.debug("cannot read the worker records: " + Errors.describe(e));
            }
            refreshedAt = now;
        }
        return workers;
    }

    /**
     * Moves tasks waiting on the streams of workers that no longer take them to their shared streams: all of them
     * when the worker is dead or gone (its record expired), those it was never delivered when it drains, stops or is
     * late. Returns how many moved.
     */
    int rescue() {
        int moved = 0;
        Map<WorkerId, Seen> now = workers();
        for (String queue : queues) {
            Keys keys = new Keys(queue);
            for (String stream : client.streamsOf(queue)) {
                WorkerId worker = keys.workerOf(stream);
                if (worker == null) continue;
                Seen w = now.get(worker);
                String status = w == null ? "gone" : w.status();
                if ("running".equals(status)) continue;
                boolean gone = w == null || "dead".equals(status);
                long n = client.rescue(queue, stream, gone);
                if (n > 0)
                    log.info("moved " + n + " tasks of worker " + worker + " (" + status
                            + ") back to the shared stream");
                moved += (int) n;
            }
        }
        return moved;
    }
}
