package io.drover.cluster.queue;

import io.drover.core.DroverException;
import io.drover.core.model.WorkflowSource;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Submits, inspects and cancels tasks on a Redis queue. Thread-safe (one multiplexed connection); close it when
 * done.
 */
public final class Client implements AutoCloseable {
    /** How long finished task records are kept by default. */
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

    private final RedisLink link;
    private final RedisClusterCommands<String, String> redis;
    private final Duration retention;

    private Client(RedisLink link, Duration retention) {
        this.link = link;
        this.redis = link.sync();
        this.retention = retention;
        this.blobs = new RedisBlobs(link);
    }

    private final RedisBlobs blobs;

    /** The contents of runs' files kept in Redis ({@link Keys#blob}). */
    public RedisBlobs blobs() {
        return blobs;
    }

    /** How long what this client writes for a run or task is kept once it ended. */
    public Duration retention() {
        return retention;
    }

    /** Connects to a Redis URL (see {@link RedisLink}; fails fast when Redis cannot be reached). */
    public static Client connect(String redisUrl) {
        return connect(redisUrl, DEFAULT_RETENTION);
    }

    public static Client connect(String redisUrl, Duration retention) {
        return new Client(RedisLink.connect(redisUrl), retention);
    }

    /** Ensures the queue's stream and consumer group exist. Idempotent. */
    public static void ensureGroup(RedisClusterCommands<String, String> redis, Keys keys) {
        ensureGroup(redis, keys.stream());
    }

    /** Ensures a stream of a queue (see {@link Keys#stream(Map)}) and its consumer group exist. Idempotent. */
    public static void ensureGroup(RedisClusterCommands<String, String> redis, String stream) {
        try {
            redis.xgroupCreate(
                    XReadArgs.StreamOffset.from(stream, "0-0"), Keys.GROUP, XGroupCreateArgs.Builder.mkstream());
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.GROUP_EXISTS) throw e;
        }
    }

    /**
     * Of one stream of a queue: how many entries no worker was delivered yet, and how many are delivered and not
     * acknowledged (running). Acknowledged entries stay in a stream until the workers trim it, so its length says
     * neither.
     */
    public static Backlog backlog(RedisClusterCommands<String, String> redis, String stream) {
        List<Object> groups;
        try {
            groups = redis.xinfoGroups(stream);
        } catch (StoreException e) {
            if (e.isRetryable()) throw e;
            return new Backlog(0, 0); // no such stream yet
        }
        for (Object g : groups) {
            Map<String, String> f = TaskCodec.pairs((List<?>) g, 0);
            if (!Keys.GROUP.equals(f.get("name"))) continue;
            long pending = TaskCodec.number(f.get("pending"));
            String lag = f.get("lag");
            if (lag != null && !lag.equals("null")) return new Backlog(TaskCodec.number(lag), pending);
            // the lag is unknown after deletions in the middle of the stream: count what comes after the last delivery
            // (at most BACKLOG_COUNT_LIMIT: this is for a gauge and a drain check, not worth reading a huge stream)
            String last = f.getOrDefault("last-delivered-id", "0-0");
            long after = redis.xrange(
                            stream,
                            Range.from(Range.Boundary.excluding(last), Range.Boundary.unbounded()),
                            Limit.create(0, BACKLOG_COUNT_LIMIT))
                    .size();
            return new Backlog(after, pending);
        }
        return new Backlog(redis.xlen(stream), 0); // no group yet: nothing delivered
    }

    private static final int BACKLOG_COUNT_LIMIT = 100_000;

    /** The streams a queue's tasks wait on: the plain one and the tagged ones. */
    public List<String> streamsOf(String queue) {
        Keys keys = new Keys(queue);
        List<String> streams = new ArrayList<>(List.of(keys.stream()));
        streams.addAll(new TreeSet<>(redis.smembers(keys.taggedStreams())));
        return streams;
    }

    /**
     * Moves the tasks waiting on a worker's own stream back to the queue's shared stream ({@code rescue.lua}): all of
     * them when the worker is {@code gone} (then the emptied stream is removed too), else those it was never
     * delivered. Returns how many moved.
     */
    public long rescue(String queue, String workerStream, boolean gone) {
        Keys keys = new Keys(queue);
        long n = Scripts.run(
                redis,
                Scripts.RESCUE,
                ScriptOutputType.INTEGER,
                new String[] {workerStream},
                gone ? "all" : "waiting",
                keys.taskPrefix());
        if (gone && redis.xlen(workerStream) == 0) {
            redis.srem(keys.taggedStreams(), workerStream);
            redis.del(workerStream);
        }
        return n;
    }

    /** A queue's backlog over all its streams (see {@link #backlog}). */
    public Backlog backlog(String queue) {
        long waiting = 0;
        long running = 0;
        for (String stream : streamsOf(queue)) {
            Backlog b = backlog(redis, stream);
            waiting += b.waiting();
            running += b.running();
        }
        return new Backlog(waiting, running);
    }

    /** When the longest-waiting task of a queue was submitted (its entry's time), or null when none waits. */
    public Instant oldestWaiting(String queue) {
        long oldest = Long.MAX_VALUE;
        for (String stream : streamsOf(queue)) {
            String last = "0-0";
            try {
                for (Object g : redis.xinfoGroups(stream)) {
                    Map<String, String> f = TaskCodec.pairs((List<?>) g, 0);
                    if (Keys.GROUP.equals(f.get("name"))) last = f.getOrDefault("last-delivered-id", "0-0");
                }
            } catch (StoreException e) {
                if (e.isRetryable()) throw e;
                continue; // no such stream yet
            }
            var next = redis.xrange(
                    stream, Range.from(Range.Boundary.excluding(last), Range.Boundary.unbounded()), Limit.create(0, 1));
            if (!next.isEmpty())
                oldest = Math.min(oldest, Long.parseLong(next.get(0).getId().split("-")[0]));
        }
        return oldest == Long.MAX_VALUE ? null : Instant.ofEpochMilli(oldest);
    }

    /** See {@link #backlog}. */
    public record Backlog(long waiting, long running) {
        public boolean isEmpty() {
            return waiting == 0 && running == 0;
        }
    }

    /** Puts a task on its queue; with an idempotency key, a second submit returns the first task's id. */
    public String submit(TaskSubmission t) {
        return submitAll(List.of(t)).get(0);
    }

    /**
     * Puts many tasks on their queues, pipelined (a few round trips per thousand tasks). Returns their ids in
     * order.
     */
    public List<String> submitAll(List<TaskSubmission> tasks) {
        List<String> ids = new ArrayList<>(tasks.size());
        for (Submitted s : submit(tasks, null)) ids.add(s.id());
        return ids;
    }

    /** A submitted task: its id, and whether this submit created it (false: its idempotency key named it already). */
    public record Submitted(String id, boolean created) {}

    /**
     * Puts tasks on their queues for a follower: each task's end (and its log lines) also goes to the follower's
     * stream on the task's queue ({@link Keys#notify}), which {@link #followed} reads. A task that existed already
     * (same idempotency key) is handed over to this follower; if it ended before, it is not announced again:
     * read its status.
     */
    public List<Submitted> submitFollowed(List<TaskSubmission> tasks, String follower) {
        List<Submitted> out = submit(tasks, follower);
        for (Submitted s : out) {
            if (s.created()) continue;
            Keys keys = new Keys(QueueTaskId.parse(s.id()).queue());
            redis.hset(keys.task(s.id()), "notify", keys.notify(follower));
        }
        return out;
    }

    /** The statuses of many tasks, pipelined; unknown (or expired) ones are left out. */
    public Map<String, TaskStatus> statuses(Collection<String> ids) {
        Map<String, RedisFuture<Map<String, String>>> futures = new LinkedHashMap<>();
        RedisLink link = pipelineLink();
        var async = link.async();
        synchronized (this) { // the pipeline connection is this client's; submits use it too
            link.pipelined(() -> {
                for (String id : ids) {
                    QueueTaskId.tryParse(id)
                            .ifPresent(t -> futures.put(id, async.hgetall(new Keys(t.queue()).task(id))));
                }
            });
        }
        Map<String, TaskStatus> out = new LinkedHashMap<>();
        futures.forEach((id, f) -> {
            Map<String, String> h = await(f);
            if (!h.isEmpty()) out.put(id, status(h));
        });
        return out;
    }

    /**
     * One entry of a follower's stream: a task ended ({@code end}), printed a line ({@code log}), or started on the
     * worker {@code line} names ({@code started}; one entry of the stream names all the tasks a worker started at
     * once, each read as one of these). An end written by a worker carries the task's outcome
     * ({@code ended}); an end written otherwise (a cancel of a queued task) does not: read the task's status.
     */
    public record Followed(String streamId, String type, String id, String line, TaskStatus ended) {}

    /**
     * What happened to a follower's tasks on one queue after {@code after} ("0-0" for all), waiting up to
     * {@code blockMillis} (on a connection of its own) when nothing is there yet.
     */
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    public List<Followed> followed(String queue, String follower, String after, long blockMillis) {
        String key = new Keys(queue).notify(follower);
        var args = XReadArgs.Builder.count(5000);
        List<StreamMessage<String, String>> msgs = blockMillis > 0
                ? blockingEvents().xread(args.block(blockMillis), XReadArgs.StreamOffset.from(key, after))
                : redis.xread(args, XReadArgs.StreamOffset.from(key, after));
        List<Followed> out = new ArrayList<>(msgs == null ? 0 : msgs.size());
        if (msgs != null) for (var m : msgs) followed(m, out);
        return out;
    }

    /** What one entry of a follower's stream says (one call per entry: compiled once, not per loop). */
    private static void followed(StreamMessage<String, String> m, List<Followed> out) {
        Map<String, String> b = m.getBody();
        String type = b.getOrDefault("type", "");
        if (b.containsKey("ids")) { // many tasks started on one worker
            for (String id : b.get("ids").split(","))
                out.add(new Followed(m.getId(), type, id, b.getOrDefault("line", ""), null));
            return;
        }
        String id = b.getOrDefault("id", "");
        out.add(new Followed(
                m.getId(),
                type,
                id,
                b.getOrDefault("line", ""),
                type.equals("end") && b.containsKey("state") ? TaskCodec.ended(id, b) : null));
    }

    /** Keeps a follower's streams for another hour, or drops them ({@code ttl} zero) when it is done. */
    public void keepFollowing(Collection<String> queues, String follower, Duration ttl) {
        for (String q : queues) {
            String key = new Keys(q).notify(follower);
            if (ttl.isZero()) redis.del(key);
            else redis.expire(key, ttl.toSeconds());
        }
    }

    /**
     * One submit script call per run of up to {@link #PER_CALL} consecutive tasks of the same queue (a script's keys
     * share one slot: the queue's hash tag), {@link #PIPELINE} tasks per round trip. Each task is written whole or
     * not at all: its record, its index entry and its stream entry go in one script.
     */
    private synchronized List<Submitted> submit(List<TaskSubmission> tasks, String follower) {
        List<Submitted> out = new ArrayList<>(tasks.size());
        // Pipelining turns auto-flush off for the whole connection: on the shared one, a command another thread
        // sent meanwhile could sit unflushed until its timeout. Batches get a connection of their own.
        RedisLink link = pipelineLink();
        var async = link.async();
        // Up to IN_FLIGHT batches are sent before the oldest one's replies are read: the next batch is built while
        // Redis runs the last one.
        ArrayDeque<List<RedisFuture<List<Object>>>> inFlight = new ArrayDeque<>();
        for (int from = 0; from < tasks.size(); from += PIPELINE) {
            List<TaskSubmission> batch = tasks.subList(from, Math.min(tasks.size(), from + PIPELINE));
            for (TaskSubmission t : batch) {
                Keys k = new Keys(t.queue());
                ensureGroupOnce(t.worker() == null ? k.stream(t.tags()) : k.workerStream(t.worker()), t.queue());
            }
            String now = Long.toString(TaskCodec.nowMicros());
            List<RedisFuture<List<Object>>> futures = new ArrayList<>();
            link.pipelined(() -> {
                for (int i = 0; i < batch.size(); ) {
                    String queue = batch.get(i).queue();
                    Keys keys = new Keys(queue);
                    List<String> scriptKeys =
                            new ArrayList<>(List.of(keys.index(), keys.taggedStreams(), keys.counters()));
                    List<String> args = new ArrayList<>(List.of(now, Long.toString(retention.toSeconds())));
                    for (int n = 0;
                            n < PER_CALL
                                    && i < batch.size()
                                    && batch.get(i).queue().equals(queue);
                            n++, i++) {
                        submitArgs(keys, batch.get(i), follower, scriptKeys, args);
                    }
                    futures.add(Scripts.runAsync(
                            async,
                            Scripts.SUBMIT,
                            ScriptOutputType.MULTI,
                            scriptKeys.toArray(new String[0]),
                            args.toArray(new String[0])));
                }
            });
            inFlight.add(futures);
            if (inFlight.size() >= IN_FLIGHT) collect(inFlight.poll(), out);
        }
        while (!inFlight.isEmpty()) collect(inFlight.poll(), out);
        return out;
    }

    /**
     * One task's keys and arguments of the submit script (a method of its own: the JIT compiles it once, where the
     * loop around it is entered once per batch).
     */
    private void submitArgs(Keys keys, TaskSubmission t, String follower, List<String> scriptKeys, List<String> args) {
        String id = newId(keys.queue());
        String home = keys.stream(t.tags());
        String stream = t.worker() == null ? home : keys.workerStream(t.worker());
        // without a key, the slot of a key of the same queue stands in
        scriptKeys.add(keys.task(id));
        scriptKeys.add(stream);
        scriptKeys.add(t.idempotencyKey() == null ? keys.stream() : keys.idempotency(t.idempotencyKey()));
        Map<String, String> fields = TaskCodec.fields(id, t);
        if (follower != null) fields.put("notify", keys.notify(follower));
        if (t.worker() != null) fields.put("home", home);
        args.add(id);
        args.add(t.idempotencyKey() == null ? "0" : "1");
        args.add(stream.equals(keys.stream()) ? "0" : "1");
        args.add(Integer.toString(2 * fields.size()));
        fields.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
    }

    private static void collect(List<RedisFuture<List<Object>>> futures, List<Submitted> out) {
        for (var f : futures) {
            List<Object> r = await(f);
            for (int j = 0; j + 1 < r.size(); j += 2)
                out.add(new Submitted(String.valueOf(r.get(j + 1)), ((Long) r.get(j)) == 1));
        }
    }

    private synchronized RedisLink pipelineLink() {
        if (pipeline == null) pipeline = link.another();
        return pipeline;
    }

    private static final int PIPELINE = 1000;
    /** Batches of {@link #PIPELINE} sent and not yet answered, at most. */
    private static final int IN_FLIGHT = 4;
    /** Tasks per submit script call: long enough to spread a call's cost, short enough not to stall Redis. */
    private static final int PER_CALL = 100;

    private final Set<String> ensured = ConcurrentHashMap.newKeySet();

    /** Once per stream for this client: its consumer group, the submit script, and the queue in the fleet's list. */
    private void ensureGroupOnce(String stream, String queue) {
        if (ensured.add(stream)) {
            ensureGroup(redis, stream);
            link.loadScript(Scripts.SUBMIT); // pipelined calls go by SHA only
            redis.sadd(Keys.QUEUES, queue); // outside the script: another hash slot than the queue's keys
        }
    }

    /**
     * Stores a workflow's source once, under its content address, for workers to fetch ({@link #source}); kept at
     * least the retention of task records from now (call it again to keep it longer). Returns its reference.
     */
    public SourceRef storeSource(WorkflowSource source) {
        SourceRef ref = SourceRef.of(source);
        Scripts.run(
                redis,
                Scripts.SOURCE,
                ScriptOutputType.INTEGER,
                new String[] {Keys.source(ref)},
                source.name(),
                source.text(),
                Long.toString(Math.max(1, retention.toSeconds())));
        return ref;
    }

    /** A source stored by {@link #storeSource}; empty when it is gone (expired) or is not what its reference names. */
    public Optional<WorkflowSource> source(SourceRef ref) {
        return source(redis, ref);
    }

    /** {@link #source(SourceRef)} on a connection of the caller's (a worker's). */
    public static Optional<WorkflowSource> source(RedisClusterCommands<String, String> redis, SourceRef ref) {
        List<KeyValue<String, String>> v = redis.hmget(Keys.source(ref), "name", "text");
        if (!v.get(0).hasValue() || !v.get(1).hasValue()) return Optional.empty();
        WorkflowSource s = new WorkflowSource(v.get(0).getValue(), v.get(1).getValue());
        return ref.names(s) ? Optional.of(s) : Optional.empty();
    }

    /** The fleet's counters of a queue ({@link Keys#counters}), every field present (0 when never counted). */
    public Map<String, Long> counters(String queue) {
        Map<String, String> h = redis.hgetall(new Keys(queue).counters());
        Map<String, Long> out = new LinkedHashMap<>();
        for (String f : COUNTERS) out.put(f, TaskCodec.number(h.getOrDefault(f, "0")));
        return out;
    }

    /** The fields of {@link #counters}, in the order they are shown. */
    public static final List<String> COUNTERS =
            List.of("submitted", "succeeded", "failed", "retried", "cancelled", "skipped", "dead_lettered");

    /** Every queue tasks were ever submitted to (and the default one): what the controllers measure. */
    public Set<String> queues() {
        Set<String> q = new TreeSet<>(redis.smembers(Keys.QUEUES));
        q.add(TaskSubmission.DEFAULT_QUEUE);
        return q;
    }

    private static <T> T await(RedisFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw StoreException.of(e.getCause());
        } catch (TimeoutException e) {
            throw new DroverException("submit timed out", e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DroverException("interrupted", e);
        }
    }

    /** The task, or empty if it is unknown (or expired). */
    public Optional<TaskStatus> status(String id) {
        Optional<QueueTaskId> task = QueueTaskId.tryParse(id);
        if (task.isEmpty()) return Optional.empty();
        Map<String, String> h = redis.hgetall(new Keys(task.get().queue()).task(id));
        return h.isEmpty() ? Optional.empty() : Optional.of(status(h));
    }

    /**
     * A record as a status. A task's record is not written when an attempt starts: a PENDING task whose entry is
     * pending in its stream's group runs, on the worker that holds the entry, in the attempt after its last recorded
     * one plus the entry's deliveries.
     */
    private TaskStatus status(Map<String, String> h) {
        String entry = h.get("entry");
        String stream = h.get("stream");
        if ("PENDING".equals(h.get("state")) && entry != null && stream != null) {
            List<PendingMessage> p = redis.xpending(stream, Keys.GROUP, Range.create(entry, entry), Limit.from(1));
            if (!p.isEmpty()) {
                Map<String, String> running = new HashMap<>(h);
                running.put("state", "RUNNING");
                running.put("worker", p.get(0).getConsumer());
                running.put(
                        "attempt",
                        Long.toString(
                                TaskCodec.integer(h.get("attempt")) + p.get(0).getRedeliveryCount()));
                running.remove("started_us"); // an earlier attempt's: this one's start is written with its outcome
                return TaskCodec.status(running);
            }
        }
        return TaskCodec.status(h);
    }

    /**
     * Tasks of a queue, newest first.
     *
     * @param state a state to keep (PENDING, RUNNING, ...), {@code dead} for dead letters, or null for all
     */
    public List<TaskStatus> list(String queue, String state, int limit) {
        Keys keys = new Keys(queue);
        List<String> ids = "dead".equalsIgnoreCase(state)
                ? redis.zrevrange(keys.dead(), 0, Math.max(0, limit - 1))
                : newest(keys, state == null ? limit : 10_000);
        List<TaskStatus> out = new ArrayList<>();
        for (String id : ids) {
            Map<String, String> h = redis.hgetall(keys.task(id));
            if (h.isEmpty()) continue; // expired record (its minute of the index expires soon after)
            TaskStatus s = status(h);
            if (state == null || "dead".equalsIgnoreCase(state) || s.state().equalsIgnoreCase(state)) out.add(s);
            if (out.size() >= limit) break;
        }
        return out;
    }
    /** Up to {@code max} ids of the queue's tasks, newest first: the index's minutes newest first, each from its end. */
    private List<String> newest(Keys keys, int max) {
        List<String> out = new ArrayList<>();
        for (String minute : redis.zrevrange(keys.index(), 0, -1)) { // at most one a minute of the retention
            String list = keys.indexMinute(minute);
            for (long end = -1; out.size() < max; end -= 1000) {
                List<String> chunk = redis.lrange(list, end - 999, end);
                for (int i = chunk.size() - 1; i >= 0 && out.size() < max; i--) out.add(chunk.get(i));
                if (chunk.size() < 1000) break;
            }
            if (out.size() >= max) break;
        }
        return out;
    }

    /** How many tasks the queue's index holds (submitted within the retention). */
    public long indexed(String queue) {
        Keys keys = new Keys(queue);
        long n = 0;
        for (String minute : redis.zrange(keys.index(), 0, -1)) n += redis.llen(keys.indexMinute(minute));
        return n;
    }

    /**
     * Cancels a task: a queued or waiting one never runs; a running one is killed by its worker at its next
     * heartbeat. Returns the resulting state: CANCELLED, CANCELLING, or the state it had already ended in.
     */
    public String cancel(String id) {
        Keys keys = new Keys(taskOf(id).queue());
        return Scripts.run(
                redis,
                Scripts.CANCEL,
                ScriptOutputType.VALUE,
                new String[] {keys.task(id), keys.delayed(), keys.following(), keys.counters(), keys.events(id)},
                Long.toString(TaskCodec.nowMicros()),
                Long.toString(retention.toSeconds()));
    }

    /** One entry of a task's event stream. */
    public record TaskEvent(String streamId, Map<String, String> fields) {
        public boolean isFinal() {
            String s = fields.get("state");
            return "state".equals(fields.get("type"))
                    && ("SUCCEEDED".equals(s) || "FAILED".equals(s) || "CANCELLED".equals(s) || "SKIPPED".equals(s));
        }
    }

    /**
     * Asks for a task's state events from now on. They are written only for tasks someone follows, and with the
     * first log line of an attempt, so that tasks nobody watches cost no events. Returns false for an unknown task.
     */
    public boolean follow(String id) {
        Keys keys = new Keys(taskOf(id).queue());
        Long r = Scripts.run(redis, Scripts.FOLLOW, ScriptOutputType.INTEGER, new String[] {
            keys.task(id), keys.following(), keys.events(id)
        });
        return r == 1;
    }

    /**
     * A task's events after {@code afterId} ({@code "0"} for all); with {@code blockMillis > 0}, waits that long for
     * the first one to come.
     */
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    public List<TaskEvent> events(String id, String afterId, long blockMillis) {
        String key = new Keys(taskOf(id).queue()).events(id);
        List<StreamMessage<String, String>> msgs = blockMillis > 0
                ? blockingEvents()
                        .xread(
                                XReadArgs.Builder.block(blockMillis).count(1000),
                                XReadArgs.StreamOffset.from(key, afterId))
                : redis.xread(XReadArgs.Builder.count(1000), XReadArgs.StreamOffset.from(key, afterId));
        List<TaskEvent> out = new ArrayList<>();
        for (var m : msgs) out.add(new TaskEvent(m.getId(), m.getBody()));
        return out;
    }

    private RedisLink blocking;
    private RedisLink pipeline;
    /** The connection {@link #awaitRunWake} blocks on: its own, so the wait holds up no other command. */
    private RedisLink wakes;

    /**
     * What {@link #awaitRunWake} saw: the newest entry of the wake stream it knows of (where the next wait starts),
     * and whether a run was submitted or asked to cancel after the entry it was given.
     */
    public record RunWake(String after, boolean woken) {
        /** Where a first wait starts: the stream's newest entry, looked up then. */
        public static final RunWake START = new RunWake("", false);
    }

    /**
     * Waits at most {@code max} for a run to be submitted or asked to cancel ({@link Keys#RUN_WAKE}) after {@code
     * last}. A controller's loop waits here between its looks at the active runs, so a run starts, or is cancelled,
     * as soon as it is asked to. On a connection of its own: the wait holds up no other command of this client.
     */
    public RunWake awaitRunWake(RunWake last, Duration max) {
        RedisClusterCommands<String, String> c;
        synchronized (this) {
            if (wakes == null) wakes = link.another();
            c = wakes.sync();
        }
        String from = last.after();
        if (from.isEmpty()) {
            List<StreamMessage<String, String>> newest =
                    redis.xrevrange(Keys.RUN_WAKE, Range.create("-", "+"), Limit.create(0, 1));
            from = newest.isEmpty() ? "0-0" : newest.get(0).getId();
        }
        @SuppressWarnings("unchecked") // Lettuce takes its stream offsets as generic varargs
        List<StreamMessage<String, String>> got = c.xread(
                XReadArgs.Builder.block(Math.max(1, max.toMillis())).count(100),
                XReadArgs.StreamOffset.from(Keys.RUN_WAKE, from));
        return got == null || got.isEmpty()
                ? new RunWake(from, false)
                : new RunWake(got.get(got.size() - 1).getId(), true);
    }

    private synchronized RedisClusterCommands<String, String> blockingEvents() {
        if (blocking == null) blocking = link.another();
        return blocking.sync();
    }

    /** Waits until the task has finished; returns its last status (not finished if the time ran out). */
    public TaskStatus await(String id, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        TaskStatus s = status(id).orElseThrow(() -> new DroverException("no task '" + id + "'"));
        long sleep = 1; // a no-op task ends within a millisecond or two; long ones are asked about every 200 ms
        while (!s.isFinished() && System.nanoTime() < deadline) {
            Thread.sleep(sleep);
            sleep = Math.min(200, sleep * 2);
            s = status(id).orElse(s);
        }
        return s;
    }

    // ---- the server, for operators (drover doctor) and benches ----

    /** A section of the server's INFO ({@code server}, {@code cpu}, {@code commandstats} ...) as name -> value. */
    public Map<String, String> serverInfo(String section) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : redis.info(section).split("\r?\n")) {
            int c = line.indexOf(':');
            if (c > 0 && !line.startsWith("#"))
                m.put(line.substring(0, c), line.substring(c + 1).strip());
        }
        return m;
    }

    /** A setting of the server (CONFIG GET); throws when the server refuses CONFIG (a managed Redis may). */
    public String serverConfig(String name) {
        return redis.configGet(name).getOrDefault(name, "?");
    }

    /** The server's clock. */
    public Instant serverTime() {
        List<String> t = redis.time();
        return Instant.ofEpochSecond(Long.parseLong(t.get(0)), Long.parseLong(t.get(1)) * 1000);
    }

    /** See {@link #backlog(RedisClusterCommands, String)}: one stream of a queue. */
    public Backlog streamBacklog(String stream) {
        return backlog(redis, stream);
    }

    /** The runs on the fleet and the controllers' records and lease, on this client's connection. */
    public RunRecords runs() {
        return new RunRecords(redis);
    }

    /** The workers' records, on this client's connection. */
    public WorkerRecords workers() {
        return new WorkerRecords(redis);
    }

    /** The task an id names; a string that is no task id is a {@link DroverException} ("no task"). */
    private static QueueTaskId taskOf(String id) {
        return QueueTaskId.tryParse(id).orElseThrow(() -> new DroverException("no task '" + id + "'"));
    }

    private static String newId(String queue) {
        return queue + ".t" + Long.toString(System.currentTimeMillis(), 36)
                + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (blocking != null) blocking.close();
            if (pipeline != null) pipeline.close();
            if (wakes != null) wakes.close();
        }
        link.close();
    }
}
