package io.drover.cluster.queue;

import io.drover.core.model.WorkflowSource;
import io.lettuce.core.Consumer;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a worker asks of Redis, as typed calls: reading and reclaiming deliveries, the claim, complete, renew, log,
 * hand-back and release scripts, the heartbeat's upkeep and the worker's own record. Requests and replies are
 * records; the scripts' positional arguments and replies are built and read here and nowhere else. Owns two
 * connections (one for blocking reads). Thread-safe; {@link #blockingRead} is for one thread at a time.
 */
public final class WorkerStore implements AutoCloseable {
    private final WorkerId workerId;
    private final Keys keys;
    private final RedisLink main;
    private final RedisLink blocking;
    private final RedisBlobs blobs;
    private final RedisClusterCommands<String, String> redis;
    private final Consumer<String> me;

    /** One delivery of a stream entry to this worker: the entry's id and fields. */
    public record Delivery(String stream, String entry, Map<String, String> fields) {}

    /** What the claim script did with one entry. */
    public sealed interface Claimed {}

    /** The task is this worker's now: an attempt starts with the token (the entry's delivery count). */
    public record Taken(
            String entry,
            QueueTaskId taskId,
            FencingToken token,
            int attempt,
            String spec,
            int failures,
            String follower,
            boolean runningEventWritten)
            implements Claimed {}

    /** The entry is no task this worker can run; it was moved to the stream's rejected entries. */
    public record SetAside(String entry, String reason) implements Claimed {}

    /** The task was delivered too often without an outcome (a poison task?) and is dead-lettered. */
    public record DeadLettered(String entry, QueueTaskId taskId, long deliveries) implements Claimed {}

    /** An attempt's outcome to record, fenced by its token. */
    public record Outcome(
            QueueTaskId taskId,
            String stream,
            String entry,
            FencingToken token,
            int attempt,
            long startedMicros,
            String status,
            String message,
            String outputsJson,
            long retryDueMillis,
            boolean stateEvented,
            String follower,
            String files) {
        public Outcome {
            files = files == null ? "" : files;
        }
    }

    /** A lease to renew: the task's entry as this worker holds it. */
    public record Held(QueueTaskId taskId, String stream, String entry, FencingToken token) {}

    /** What a renewal found. */
    public enum Renewal {
        /** Someone else holds the task now. */
        LOST,
        RENEWED,
        /** Renewed, and someone asked for the task to be cancelled. */
        CANCEL_REQUESTED
    }

    private WorkerStore(String redisUrl, WorkerId workerId, Keys keys) {
        this.workerId = workerId;
        this.keys = keys;
        this.main = RedisLink.connect(redisUrl);
        try {
            this.blocking = main.another();
        } catch (RuntimeException e) {
            main.close();
            throw RedisLink.unreachable(redisUrl, e);
        }
        this.redis = main.sync();
        this.me = Consumer.from(Keys.GROUP, workerId.toString());
        this.blobs = new RedisBlobs(main);
    }

    /** Connects (fails fast) and makes sure every stream the worker reads has its consumer group. */
    public static WorkerStore open(String redisUrl, WorkerId workerId, Keys keys, List<String> streams) {
        WorkerStore s = new WorkerStore(redisUrl, workerId, keys);
        try {
            s.redis.ping();
            for (String stream : streams) Client.ensureGroup(s.redis, stream);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    // ---- deliveries ----

    /** Whether someone follows a task of the queue while it is queued (then new entries go through the claim script). */
    public CompletableFuture<Boolean> followersPresent() {
        return main.async().scard(keys.following()).thenApply(n -> n > 0).toCompletableFuture();
    }

    /** Waits for {@link #followersPresent}; true when it cannot tell (the script then looks). */
    public static boolean await(CompletableFuture<Boolean> f) {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** New entries of one stream, at most {@code count}, without waiting (a stream removed meanwhile gets its group again). */
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    public List<Delivery> readNew(String stream, int count) {
        try {
            return deliveries(
                    redis.xreadgroup(me, XReadArgs.Builder.count(count), XReadArgs.StreamOffset.lastConsumed(stream)));
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.NO_GROUP) throw e;
            Client.ensureGroup(redis, stream);
            return List.of();
        }
    }

    /** New entries of any of the streams, {@code countEach} at most from each, waiting up to {@code block}. */
    @SuppressWarnings({"unchecked", "rawtypes"}) // an array of Lettuce's generic stream offsets, for its varargs
    public List<Delivery> blockingRead(List<String> streams, int countEach, Duration block) {
        XReadArgs.StreamOffset<String>[] offsets = new XReadArgs.StreamOffset[streams.size()];
        for (int i = 0; i < offsets.length; i++) offsets[i] = XReadArgs.StreamOffset.lastConsumed(streams.get(i));
        return deliveries(blocking.sync()
                .xreadgroup(me, XReadArgs.Builder.count(countEach).block(block.toMillis()), offsets));
    }

    /** Entries of a stream whose lease lapsed (idle longer than {@code lease}), taken over; deleted ones are skipped. */
    public List<Delivery> reclaim(String stream, Duration lease, int count) {
        var claimed = redis.xautoclaim(
                stream, XAutoClaimArgs.Builder.xautoclaim(me, lease, "0-0").count(count));
        List<Delivery> live = new ArrayList<>();
        for (StreamMessage<String, String> m : claimed.getMessages()) {
            if (m.getBody() != null && !m.getBody().isEmpty()) live.add(new Delivery(stream, m.getId(), m.getBody()));
        }
        return live;
    }

    private static List<Delivery> deliveries(List<StreamMessage<String, String>> messages) {
        List<Delivery> out = new ArrayList<>(messages == null ? 0 : messages.size());
        if (messages != null)
            for (StreamMessage<String, String> m : messages)
                out.add(new Delivery(m.getStream(), m.getId(), m.getBody()));
        return out;
    }

    /** Gives delivered entries back unstarted (the worker began to drain or stop while it read them). */
    public void release(String stream, List<String> entries) {
        List<String> args = new ArrayList<>(List.of(keys.taskPrefix()));
        args.addAll(entries);
        Scripts.run(
                redis, Scripts.RELEASE, ScriptOutputType.INTEGER, new String[] {stream}, args.toArray(new String[0]));
    }

    /**
     * Runs the claim script ({@code claim.lua}) on entries of one stream this worker was delivered: each comes back
     * taken, set aside or dead-lettered; entries of tasks not waiting to run are acknowledged and left out.
     */
    public List<Claimed> claim(String stream, List<String> entries, int maxRedeliveries, long nowMicros) {
        List<String> args = new ArrayList<>(List.of(
                workerId.toString(),
                Long.toString(nowMicros),
                Integer.toString(maxRedeliveries),
                keys.taskPrefix(),
                keys.queue(),
                keys.eventsPrefix()));
        args.addAll(entries);
        List<Object> r = Scripts.run(
                redis,
                Scripts.CLAIM,
                ScriptOutputType.MULTI,
                new String[] {keys.dead(), keys.following(), stream, keys.counters()},
                args.toArray(new String[0]));
        List<Claimed> out = new ArrayList<>(r.size());
        for (Object o : r) {
            List<?> t = (List<?>) o;
            String entry = String.valueOf(t.get(1));
            long code = (Long) t.get(0);
            if (code == 2) {
                out.add(new SetAside(entry, String.valueOf(t.get(2))));
            } else if (code == 3) {
                out.add(new DeadLettered(entry, QueueTaskId.parse(String.valueOf(t.get(2))), (Long) t.get(3)));
            } else {
                out.add(new Taken(
                        entry,
                        QueueTaskId.parse(String.valueOf(t.get(2))),
                        new FencingToken((Long) t.get(3)),
                        ((Long) t.get(8)).intValue(),
                        t.get(4) == null ? null : String.valueOf(t.get(4)),
                        t.get(5) == null ? 0 : TaskCodec.integer(String.valueOf(t.get(5))),
                        t.get(6) == null ? "" : String.valueOf(t.get(6)),
                        "1".equals(t.get(7))));
            }
        }
        return out;
    }

    // ---- while attempts run ----

    /** Tells a follower (a run's dispatcher) that these tasks started here: one entry for all of them. */
    @SuppressWarnings(
            "FutureReturnValueIgnored") // event appends are fire and forget: a lost one costs a line of history, never
    // an outcome
    public void announceStarted(String notify, List<QueueTaskId> taskIds) {
        main.async()
                .xadd(
                        notify,
                        XAddArgs.Builder.maxlen(100_000).approximateTrimming(),
                        Map.of(
                                "type",
                                "started",
                                "ids",
                                String.join(
                                        ",",
                                        taskIds.stream()
                                                .map(QueueTaskId::toString)
                                                .toList()),
                                "line",
                                workerId.toString()));
    }

    /** Writes an attempt's RUNNING event to its task's event stream (without waiting). */
    @SuppressWarnings(
            "FutureReturnValueIgnored") // event appends are fire and forget: a lost one costs a line of history, never
    // an outcome
    public void runningEvent(QueueTaskId taskId, int attempt) {
        main.async()
                .xadd(
                        keys.events(taskId.toString()),
                        XAddArgs.Builder.maxlen(1000).approximateTrimming(),
                        Map.of(
                                "type",
                                "state",
                                "state",
                                "RUNNING",
                                "attempt",
                                Integer.toString(attempt),
                                "worker",
                                workerId.toString()));
    }

    /**
     * Appends an attempt's log lines to its task's event stream (and its follower's), only while this worker holds
     * the task's lease ({@code log.lua}); {@code first} also writes its RUNNING event. False when someone else holds
     * the task now.
     */
    public boolean log(Held h, int attempt, boolean first, String notify, List<String> lines) {
        return log(h, workerId, attempt, first, notify, lines);
    }

    /**
     * {@link #log} for an attempt {@code holder} holds, run here for that worker's executor (a Temporal activity runs
     * on whichever worker polls for it): written only while {@code holder} still holds the lease.
     */
    public boolean log(Held h, WorkerId holder, int attempt, boolean first, String notify, List<String> lines) {
        List<String> args = new ArrayList<>(7 + lines.size());
        args.addAll(List.of(
                holder.toString(),
                h.token().toString(),
                h.entry(),
                Integer.toString(attempt),
                first ? "1" : "0",
                h.taskId().toString(),
                notify.isEmpty() ? "0" : "1"));
        args.addAll(lines);
        String events = keys.events(h.taskId().toString());
        return (Long) Scripts.run(
                        redis,
                        Scripts.LOG,
                        ScriptOutputType.INTEGER,
                        new String[] {h.stream(), events, notify.isEmpty() ? events : notify},
                        args.toArray(new String[0]))
                == 1;
    }

    /** The spec of a task, read from its record (an attempt run for another worker's executor); empty if gone. */
    public Optional<String> spec(QueueTaskId task) {
        return Optional.ofNullable(redis.hget(keys.task(task.toString()), "spec"));
    }

    /**
     * Who holds a task's lease now: the entry its record names, pending for a worker with a delivery count (the
     * token); empty when nobody does (queued, ended, or gone).
     *
     * @param attempt the held attempt's number, as the task's events show it
     */
    public record Holder(String stream, String entry, WorkerId worker, FencingToken token, int attempt) {}

    /** {@link Holder} of a task now (an attempt run for another worker's executor fences its lines by it). */
    public Optional<Holder> holder(QueueTaskId task) {
        List<KeyValue<String, String>> f = redis.hmget(keys.task(task.toString()), "stream", "entry", "attempt");
        String stream = f.get(0).getValueOrElse(null);
        String entry = f.get(1).getValueOrElse(null);
        if (stream == null || entry == null) return Optional.empty();
        List<PendingMessage> p = redis.xpending(stream, Keys.GROUP, Range.create(entry, entry), Limit.from(1));
        if (p.isEmpty()) return Optional.empty();
        Optional<WorkerId> worker = WorkerId.tryParse(p.get(0).getConsumer());
        if (worker.isEmpty() || p.get(0).getRedeliveryCount() < 1) return Optional.empty(); // no worker's lease
        FencingToken token = new FencingToken(p.get(0).getRedeliveryCount());
        int attempt = (int) (TaskCodec.integer(f.get(2).getValueOrElse("0")) + token.value());
        return Optional.of(new Holder(stream, entry, worker.get(), token, attempt));
    }

    /** A task's attempts at most, from its record (1 when it has no retries). */
    public int maxAttempts(QueueTaskId task) {
        return Math.max(1, TaskCodec.integer(redis.hget(keys.task(task.toString()), "max_attempts")));
    }

    /** Renews leases ({@code renew.lua}), one reply per lease, in order. */
    public List<Renewal> renew(List<Held> leases) {
        if (leases.isEmpty()) return List.of();
        List<String> args = new ArrayList<>(1 + 4 * leases.size());
        args.add(workerId.toString());
        for (Held h : leases)
            args.addAll(List.of(keys.task(h.taskId().toString()), h.token().toString(), h.entry(), h.stream()));
        List<Long> codes = Scripts.run(
                redis,
                Scripts.RENEW,
                ScriptOutputType.MULTI,
                new String[] {keys.stream()},
                args.toArray(new String[0]));
        List<Renewal> out = new ArrayList<>(codes.size());
        for (long c : codes) out.add(c == 2 ? Renewal.CANCEL_REQUESTED : c == 1 ? Renewal.RENEWED : Renewal.LOST);
        return out;
    }

    /** Hands a task back to its queue unstarted-as-counted (the worker stops): another worker runs the attempt. */
    public void handBack(Held h, int attempt) {
        Scripts.run(
                redis,
                Scripts.HANDBACK,
                ScriptOutputType.INTEGER,
                new String[] {keys.task(h.taskId().toString())},
                workerId.toString(),
                h.token().toString(),
                h.entry(),
                h.stream(),
                Integer.toString(attempt));
    }

    /**
     * Records outcomes ({@code complete.lua}), one reply per outcome in order: true when recorded, false when
     * refused (someone else holds the task now). {@code pendingLimit} bounds the one look at this worker's pending
     * entries per stream; entries it did not bring are looked up one by one.
     */
    public List<Boolean> complete(List<Outcome> outcomes, Duration retention, long nowMicros, int pendingLimit) {
        if (outcomes.isEmpty()) return List.of();
        List<String> scriptKeys =
                new ArrayList<>(List.of(keys.delayed(), keys.dead(), keys.following(), keys.counters()));
        List<String> tasks = new ArrayList<>(outcomes.size() * 12);
        Map<String, String[]> spans = new LinkedHashMap<>(); // per stream, the first and last entry of this call
        for (Outcome o : outcomes) {
            scriptKeys.add(keys.task(o.taskId().toString()));
            tasks.addAll(List.of(
                    o.stream(),
                    o.entry(),
                    o.token().toString(),
                    Integer.toString(o.attempt()),
                    Long.toString(o.startedMicros()),
                    o.status(),
                    o.message(),
                    o.outputsJson(),
                    Long.toString(o.retryDueMillis()),
                    o.stateEvented() ? "1" : "0",
                    o.follower(),
                    o.files()));
            String[] span = spans.get(o.stream());
            if (span == null) {
                spans.put(o.stream(), new String[] {o.entry(), o.entry()});
            } else if (Keys.compareEntryIds(o.entry(), span[0]) < 0) {
                span[0] = o.entry();
            } else if (Keys.compareEntryIds(o.entry(), span[1]) > 0) {
                span[1] = o.entry();
            }
        }
        List<String> args = new ArrayList<>(List.of(
                Long.toString(nowMicros),
                Long.toString(retention.toSeconds()),
                workerId.toString(),
                keys.taskPrefix(),
                keys.eventsPrefix(),
                Integer.toString(spans.size())));
        String limit = Integer.toString(pendingLimit);
        spans.forEach((stream, span) -> args.addAll(List.of(stream, span[0], span[1], limit)));
        args.addAll(tasks);
        List<Long> codes = Scripts.run(
                redis,
                Scripts.COMPLETE,
                ScriptOutputType.MULTI,
                scriptKeys.toArray(new String[0]),
                args.toArray(new String[0]));
        List<Boolean> out = new ArrayList<>(codes.size());
        for (long c : codes) out.add(c == 1);
        return out;
    }

    /** A workflow's source stored by its run ({@link Client#storeSource}); empty when gone. */
    public Optional<WorkflowSource> source(SourceRef ref) {
        return Client.source(redis, ref);
    }

    /** The contents of runs' files kept in Redis (what a task's directory is made of, and what it changed). */
    public RedisBlobs blobs() {
        return blobs;
    }

    // ---- the heartbeat's upkeep ----

    /** Trims a stream of acknowledged entries (whole nodes, {@code trim.lua}). */
    public void trim(String stream) {
        Scripts.run(redis, Scripts.TRIM, ScriptOutputType.INTEGER, new String[] {stream});
    }

    /** Puts retries that are due by {@code nowMillis} back on the queue's stream, up to {@code max}. */
    public void promoteDue(long nowMillis, int max) {
        Scripts.run(
                redis,
                Scripts.PROMOTE,
                ScriptOutputType.INTEGER,
                new String[] {keys.delayed(), keys.stream()},
                Long.toString(nowMillis),
                Integer.toString(max),
                keys.taskPrefix());
    }

    /** Forgets index minutes and dead letters older than {@code horizonMillis} (their records expired). */
    public void prune(long horizonMillis) {
        redis.zremrangebyscore(keys.index(), Range.create(0, horizonMillis / 60_000));
        redis.zremrangebyscore(keys.dead(), Range.create(0, horizonMillis));
    }

    /** Whether an operator asked this worker to drain ({@code drover node drain}). */
    public boolean drainRequested() {
        return "1".equals(redis.hget(Keys.worker(workerId), WORKER_DRAIN_FIELD));
    }

    /** The field of a worker's record an operator sets to drain it. */
    public static final String WORKER_DRAIN_FIELD = "drain";

    /** Writes this worker's record, kept {@code keep} (well past its TTL, so a vanished worker shows as dead a while). */
    public void writeRecord(Map<String, String> fields, Duration keep) {
        String key = Keys.worker(workerId);
        redis.hset(key, fields);
        redis.pexpire(key, keep.toMillis());
        redis.sadd(Keys.WORKERS, workerId.toString());
    }

    /** Removes this worker's record (it stopped); best effort. */
    public void deleteRecord() {
        redis.del(Keys.worker(workerId));
        redis.srem(Keys.WORKERS, workerId.toString());
    }

    @Override
    public void close() {
        try {
            blocking.close();
            main.close();
        } catch (RuntimeException ignored) {
            // closing anyway
        }
    }
}
