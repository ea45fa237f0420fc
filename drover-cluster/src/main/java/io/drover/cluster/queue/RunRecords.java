package io.drover.cluster.queue;

import io.drover.core.engine.SecretMasker;
import io.drover.core.engine.TaskResult;
import io.drover.core.engine.TaskState;
import io.drover.core.lua.Json;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.WorkflowSource;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs on the fleet as Redis keeps them: what a client submits, what the leading controller snapshots as the run
 * goes (each task's state, attempt and outputs), and each run's event stream. One record per run,
 * {@code drover:{runs}:run:ID}, with its events in {@code drover:{runs}:run:ID:events}; {@code drover:{runs}:index}
 * indexes every run by submit time and {@code drover:{runs}:active} holds those not ended. All of them share one
 * slot, so submitting a run (record, first event, index, active set) and ending it (last write, expiry, off the
 * active set) are one script each. Thread-safe.
 */
public final class RunRecords {
    /** How long an ended run's record and events are kept. */
    public static final Duration ENDED_RUN_KEEP = Duration.ofDays(7);

    /**
     * The value of {@link Keys#LEASE}: the controller that leads, the epoch it leads with, and the process (an
     * instance token drawn at start) that holds it. The epoch fences a process, not an id: a controller restarted
     * with the same {@code --id} is another instance and takes a new, larger epoch once the old lease lapsed.
     */
    public record Lease(String controllerId, long epoch, String instance) {
        /** The lease's value as the scripts store it: {@code <id> <epoch> <instance>}. */
        public String value() {
            return controllerId + " " + epoch + " " + instance;
        }

        /** Reads a lease value; empty for none or for one of another shape. */
        public static Optional<Lease> parse(String value) {
            if (value == null) return Optional.empty();
            String[] f = value.split(" ");
            if (f.length != 3) return Optional.empty();
            try {
                return Optional.of(new Lease(f[0], Long.parseLong(f[1]), f[2]));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    public static final long EVENTS_CAP = 20_000;
    public static final long RUN_EVENTS_CAP = 200_000;

    /** Run states as the record shows them. */
    public static final List<String> ENDED = Arrays.stream(RunState.values())
            .filter(RunState::isEnded)
            .map(RunState::name)
            .toList();

    private final RedisClusterCommands<String, String> redis;

    public RunRecords(RedisClusterCommands<String, String> redis) {
        this.redis = redis;
    }

    /**
     * A run to submit: the workflow's source travels with it, so any controller can plan it and any worker can run
     * its Lua functions.
     *
     * @param files the version of files its tasks start from ({@code io.drover.cluster.files}: the submitted
     *     workdir, or an empty workspace), or null for a run without files (its tasks start in empty directories and
     *     what they write stays on their workers)
     */
    public record Submission(
            WorkflowSource source,
            List<String> groups,
            List<String> tasks,
            Map<String, Object> params,
            String queue,
            int concurrency,
            boolean failFast,
            String files) {
        public Submission {
            new Keys(queue); // checks the name
            if (concurrency < 1)
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            groups = List.copyOf(groups);
            tasks = List.copyOf(tasks);
            params = Map.copyOf(params);
        }
    }

    /**
     * The run hash's field with the version its files started from ({@code io.drover.cluster.files}): the submitted
     * directory's listing; {@link #FILES_HEAD} is the version after the changes applied so far, written with the
     * run's snapshot. A run without either has no files.
     */
    public static final String FILES = "files";

    public static final String FILES_HEAD = "files_head";

    /** The version of a run's files now: after the changes applied so far, else as submitted; empty for none. */
    public static Optional<String> filesOf(Map<String, String> run) {
        String head = run.get(FILES_HEAD);
        if (head == null || head.isEmpty()) head = run.get(FILES);
        return head == null || head.isEmpty() ? Optional.empty() : Optional.of(head);
    }

    /** Writes a run for the controllers to pick up; returns its id. */
    public RunId submit(Submission s) {
        RunId id = RunId.next();
        Map<String, String> r = new LinkedHashMap<>();
        r.put("id", id.toString());
        r.put("workflow", s.source().name());
        r.put("source_text", s.source().text());
        r.put("groups", Json.write(s.groups()));
        r.put("tasks", Json.write(s.tasks()));
        r.put("params", Json.write(s.params()));
        r.put("queue", s.queue());
        r.put("concurrency", Integer.toString(s.concurrency()));
        r.put("fail_fast", s.failFast() ? "1" : "0");
        if (s.files() != null) r.put(FILES, s.files());
        r.put("state", "SUBMITTED");
        r.put("epoch", "0");
        Instant now = Instant.now();
        r.put("submitted_at", now.toString());
        List<String> args = new ArrayList<>(List.of(
                id.toString(), Long.toString(now.toEpochMilli()), now.toString(), Long.toString(RUN_EVENTS_CAP)));
        r.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        Scripts.run(
                redis,
                Scripts.SUBMIT_RUN,
                ScriptOutputType.INTEGER,
                new String[] {Keys.run(id), Keys.runEvents(id), Keys.RUN_INDEX, Keys.ACTIVE_RUNS, Keys.RUN_WAKE},
                args.toArray(new String[0]));
        return id;
    }

    /** Asks the leader to cancel a run. False when the run is unknown or has ended. */
    public boolean requestCancel(RunId id, String reason) {
        long r = Scripts.run(
                redis,
                Scripts.CANCEL_RUN,
                ScriptOutputType.INTEGER,
                new String[] {Keys.run(id), Keys.RUN_WAKE},
                reason,
                id.toString());
        return r == 1;
    }

    // ---- what the leading controller writes and reads ----

    /** What claiming a run for an epoch found ({@code claim_run.lua}). */
    public enum Claim {
        /** The run is this epoch's now. */
        CLAIMED,
        /** A newer epoch holds it: the claimer no longer leads. */
        NEWER_EPOCH,
        /** No such run (it expired). */
        UNKNOWN
    }

    /** Claims a run for a leader's epoch unless a newer one holds it. */
    public Claim claim(RunId runId, long epoch, String controllerId, Instant now) {
        long r = Scripts.run(
                redis,
                Scripts.CLAIM_RUN,
                ScriptOutputType.INTEGER,
                new String[] {Keys.run(runId)},
                Long.toString(epoch),
                controllerId,
                now.toString());
        return r == 1 ? Claim.CLAIMED : r == 0 ? Claim.NEWER_EPOCH : Claim.UNKNOWN;
    }

    /** Runs not ended: what the leader runs. A member that is not a run id is no run: it is dropped. */
    public Set<RunId> active() {
        Set<RunId> out = new LinkedHashSet<>();
        for (String id : redis.smembers(Keys.ACTIVE_RUNS)) {
            Optional<RunId> r = RunId.tryParse(id);
            if (r.isPresent()) out.add(r.get());
            else redis.srem(Keys.ACTIVE_RUNS, id);
        }
        return out;
    }

    public long activeCount() {
        return redis.scard(Keys.ACTIVE_RUNS);
    }

    /** Takes a run off the active set (it ended, or its record is gone). */
    public void dropActive(RunId runId) {
        redis.srem(Keys.ACTIVE_RUNS, runId.toString());
    }

    /** A run's whole record (its source included), empty when unknown. */
    public Map<String, String> record(RunId runId) {
        return redis.hgetall(Keys.run(runId));
    }

    /** Why someone asked to cancel a run, or null when nobody did. */
    public String cancelRequest(RunId runId) {
        return redis.hget(Keys.run(runId), "cancel");
    }

    /** Values per write script call: Redis's Lua unpacks at most a few thousand. */
    private static final int WRITE_CHUNK = 2000;

    /**
     * A fenced write about a run ({@code write_run.lua}): record fields and events, applied only while the run is
     * still {@code epoch}'s, in script calls of at most a few thousand values (fields first, then events, in order).
     * {@code ending}: the last call also takes the run off the active set and sets it to expire after {@link
     * #ENDED_RUN_KEEP}. Returns 0 when all is written, else the epoch that holds the run now (nothing more was
     * written). A Redis failure is thrown; calls before it stay written.
     *
     * @param events written to the run's stream and to {@link Keys#ALL_RUN_EVENTS} as entries of at most {@link
     *     #EVENTS_PER_ENTRY}, each the run's id and its events as one JSON array ({@link #entry})
     */
    public long write(
            RunId runId, long epoch, List<Map.Entry<String, String>> fields, List<RunEvent> events, boolean ending) {
        List<String> entries = new ArrayList<>();
        for (int from = 0; from < events.size(); from += EVENTS_PER_ENTRY) {
            entries.add(entry(events, from, Math.min(events.size(), from + EVENTS_PER_ENTRY)));
        }
        int fi = 0;
        int ei = 0;
        do {
            List<String> args = new ArrayList<>(List.of(
                    Long.toString(epoch),
                    Long.toString(RUN_EVENTS_CAP),
                    "0",
                    "0",
                    Long.toString(EVENTS_CAP),
                    runId.toString()));
            int n = 0;
            while (fi < fields.size() && args.size() < WRITE_CHUNK) {
                args.add(fields.get(fi).getKey());
                args.add(fields.get(fi).getValue());
                fi++;
                n += 2;
            }
            args.set(3, Integer.toString(n));
            while (ei < entries.size() && args.size() < WRITE_CHUNK) args.add(entries.get(ei++));
            if (ending && fi >= fields.size() && ei >= entries.size())
                args.set(2, Long.toString(ENDED_RUN_KEEP.toSeconds()));
            List<Object> r = Scripts.run(
                    redis,
                    Scripts.WRITE_RUN,
                    ScriptOutputType.MULTI,
                    new String[] {Keys.run(runId), Keys.runEvents(runId), Keys.ACTIVE_RUNS, Keys.ALL_RUN_EVENTS},
                    args.toArray(new String[0]));
            if (((Long) r.get(0)) == 0) return (Long) r.get(1);
        } while (fi < fields.size() || ei < entries.size());
        return 0;
    }

    /**
     * An event of a run as a journal writes it ({@link #write}); read back as an {@link Event} of string fields, the
     * run's id first.
     */
    public sealed interface RunEvent {
        /**
         * A task's state change: read back as {@code type=state, task, from, to, attempt, message}. Most of a run's
         * events are these, so an entry holds each as a short array rather than an object.
         */
        record State(TaskId task, TaskState from, TaskState to, int attempt, String message) implements RunEvent {}

        /** Any other event: its names and values, alternating, {@code type} first. */
        record Other(List<String> nameValues) implements RunEvent {
            public Other(String... nameValues) {
                this(List.of(nameValues));
            }
        }
    }

    /**
     * Events {@code from} (inclusive) to {@code to} as one JSON array, written by one generator: a state change as
     * {@code ["s", task, from, to, attempt, message]}, any other event as an object. The run they belong to is a
     * field of their stream entry, not repeated in each.
     */
    static String entry(List<RunEvent> events, int from, int to) {
        return Json.write(g -> {
            g.writeStartArray();
            for (int i = from; i < to; i++) {
                switch (events.get(i)) {
                    case RunEvent.State s -> {
                        g.writeStartArray();
                        g.writeString(STATE_EVENT);
                        g.writeString(s.task().toString());
                        g.writeString(s.from().name());
                        g.writeString(s.to().name());
                        g.writeNumber(s.attempt());
                        g.writeString(s.message());
                        g.writeEndArray();
                    }
                    case RunEvent.Other o -> {
                        g.writeStartObject();
                        List<String> nv = o.nameValues();
                        for (int k = 0; k + 1 < nv.size(); k += 2) g.writeStringField(nv.get(k), nv.get(k + 1));
                        g.writeEndObject();
                    }
                }
            }
            g.writeEndArray();
        });
    }

    /** The tag of a state change in an entry's array ({@link #entry}). */
    private static final String STATE_EVENT = "s";

    /** Events a stream entry holds at most: a flush of more is written as several entries. */
    static final int EVENTS_PER_ENTRY = 500;

    /** The id of the newest event of a run (or of every run, {@code runId} null); "0" when there is none. */
    public String newestEventId(RunId runId) {
        var newest = redis.xrevrange(
                runId == null ? Keys.ALL_RUN_EVENTS : Keys.runEvents(runId), Range.unbounded(), Limit.create(0, 1));
        return newest.isEmpty() ? "0" : newest.get(0).getId();
    }

    // ---- the leader lease ----

    /**
     * Takes the lease for a controller process ({@code take_lease.lua}), or keeps it if it holds it: returns the
     * epoch it leads with, or 0 when another process holds the lease.
     */
    public long takeLease(String controllerId, String instance, Duration lease) {
        return Scripts.run(
                redis,
                Scripts.TAKE_LEASE,
                ScriptOutputType.INTEGER,
                new String[] {Keys.LEASE, Keys.EPOCH},
                controllerId,
                Long.toString(lease.toMillis()),
                instance);
    }

    /** Renews the lease only if it still holds exactly {@code held}; false when it does not. */
    public boolean renewLease(Lease held, Duration lease) {
        return (Long) Scripts.run(
                        redis,
                        Scripts.RENEW_LEASE,
                        ScriptOutputType.INTEGER,
                        new String[] {Keys.LEASE},
                        held.value(),
                        Long.toString(lease.toMillis()),
                        "0")
                == 1;
    }

    /** Gives the lease up if it still holds exactly {@code held}. */
    public void releaseLease(Lease held) {
        Scripts.run(
                redis,
                Scripts.RENEW_LEASE,
                ScriptOutputType.INTEGER,
                new String[] {Keys.LEASE},
                held.value(),
                "1",
                "1");
    }

    /** Who holds the lease now, if anyone. */
    public Optional<Lease> leaseHolder() {
        return Lease.parse(redis.get(Keys.LEASE));
    }

    // ---- controllers' records ----

    /** A controller's record, empty when it has none. */
    public Map<String, String> controllerRecord(String controllerId) {
        return redis.hgetall(Keys.controller(controllerId));
    }

    /** Writes a controller's record, kept {@code keep} unless written again. */
    public void writeControllerRecord(String controllerId, Map<String, String> fields, Duration keep) {
        redis.hset(Keys.controller(controllerId), fields);
        redis.pexpire(Keys.controller(controllerId), keep.toMillis());
        redis.sadd(Keys.CONTROLLERS, controllerId);
    }

    public void deleteControllerRecord(String controllerId) {
        redis.del(Keys.controller(controllerId));
        redis.srem(Keys.CONTROLLERS, controllerId);
    }

    /** Every controller's record, by id (records that expired are dropped from the set). */
    public List<Map<String, String>> controllers() {
        List<Map<String, String>> out = new ArrayList<>();
        for (String id : new TreeSet<>(redis.smembers(Keys.CONTROLLERS))) {
            Map<String, String> h = redis.hgetall(Keys.controller(id));
            if (h.isEmpty()) redis.srem(Keys.CONTROLLERS, id);
            else out.add(h);
        }
        return out;
    }

    /** One run as recorded, without its source. */
    public record RunView(Map<String, String> fields, Map<TaskId, TaskResult> tasks) {
        /** The run's id; a record without a readable one is no run's. */
        public RunId id() {
            return RunId.parse(fields.get("id"));
        }

        public String state() {
            return fields.getOrDefault("state", "");
        }

        public boolean ended() {
            return ENDED.contains(state());
        }

        /** How many tasks are in each state, as far as the snapshot has them. */
        public Map<TaskState, Integer> counts() {
            Map<TaskState, Integer> c = new LinkedHashMap<>();
            for (TaskResult t : tasks.values()) c.merge(t.state(), 1, Integer::sum);
            return c;
        }
    }

    /** A run as the API shows it: its fields (secret parameters masked) and its tasks. */
    public static Map<String, Object> toMap(RunView v) {
        Map<String, Object> m = typed(v.fields());
        Object params = m.containsKey("params") ? Json.read((String) m.get("params")) : Map.of();
        SecretMasker masker = SecretMasker.ofMaps();
        if (params instanceof Map<?, ?> ps) {
            @SuppressWarnings("unchecked")
            Map<String, ?> typed = (Map<String, ?>) ps;
            masker = SecretMasker.ofMaps(typed);
            Map<String, Object> masked = new LinkedHashMap<>();
            ps.forEach((k, val) -> masked.put(
                    String.valueOf(k),
                    SecretMasker.SECRET_KEY.matcher(String.valueOf(k)).matches() ? SecretMasker.MASK : val));
            m.put("params", masked);
        }
        for (String f : List.of("groups", "tasks")) if (m.get(f) instanceof String s) m.put(f, Json.read(s));
        List<Map<String, Object>> tasks = new ArrayList<>();
        for (Map.Entry<TaskId, TaskResult> e : v.tasks().entrySet()) {
            TaskResult t = e.getValue();
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("id", e.getKey().toString());
            tm.put("state", t.state().name());
            tm.put("attempts", t.attempts());
            tm.put("duration_ms", t.durationMillis());
            if (!t.ranOn().isEmpty()) tm.put("worker", t.ranOn());
            tm.put("message", t.message());
            tm.put("outputs", masker.maskOutputs(t.outputs()));
            tasks.add(tm);
        }
        m.put("task_states", tasks);
        return m;
    }

    /**
     * The state of a run and nothing else (one field): what a caller that waits for a run's end polls. {@link #get}
     * reads and decodes every task's snapshot, which for a run of 10,000 tasks costs milliseconds of Redis and of the
     * caller per read.
     */
    public Optional<RunState> state(RunId id) {
        String s = redis.hget(Keys.run(id), "state");
        return s == null ? Optional.empty() : Optional.of(RunState.valueOf(s));
    }

    public Optional<RunView> get(RunId id) {
        Map<String, String> h = redis.hgetall(Keys.run(id));
        return h.isEmpty() ? Optional.empty() : Optional.of(view(h));
    }

    /** Fields of run, controller and worker records that hold whole numbers (Redis keeps every value as text). */
    private static final Set<String> NUMERIC =
            Set.of("epoch", "concurrency", "task_count", "runs", "processed", "failed", "ttl_ms");

    /** A record as JSON answers show it: the fields that hold numbers as numbers, the rest as text. */
    public static Map<String, Object> typed(Map<String, String> record) {
        Map<String, Object> m = new LinkedHashMap<>();
        record.forEach((k, v) -> {
            if (NUMERIC.contains(k) && v != null && v.matches("-?\\d{1,18}")) m.put(k, Long.parseLong(v));
            else m.put(k, v);
        });
        return m;
    }

    /** The source of a run, as submitted. */
    public Optional<WorkflowSource> source(RunId id) {
        List<KeyValue<String, String>> v = redis.hmget(Keys.run(id), "workflow", "source_text");
        if (!v.get(1).hasValue()) return Optional.empty();
        return Optional.of(new WorkflowSource(
                v.get(0).getValueOrElse("workflow.lua"), v.get(1).getValue()));
    }

    public static RunView view(Map<String, String> h) {
        Map<String, String> fields = new LinkedHashMap<>();
        Map<TaskId, TaskResult> found = new LinkedHashMap<>();
        Map<String, String> workers = new HashMap<>();
        h.forEach((k, v) -> {
            if (k.startsWith("t:")) {
                TaskId id = TaskId.parse(k.substring(2));
                found.put(id, task(id, v));
            } else if (k.startsWith("w:")) {
                workers.put(k.substring(2), v);
            } else if (!k.equals("source_text")) {
                fields.put(k, v);
            }
        });
        found.replaceAll((id, t) -> { // where the attempt of the snapshot ran, else where the one after it started
            String w = workers.get(id.toString());
            return w == null || !t.ranOn().isEmpty()
                    ? t
                    : new TaskResult(t.id(), t.state(), t.attempts(), t.durationMillis(), t.message(), t.outputs(), w);
        });
        Map<TaskId, TaskResult> tasks = found;
        String order = fields.remove("order");
        if (order != null && !tasks.isEmpty()) { // in the plan's order, as the run goes
            Map<TaskId, TaskResult> ordered = new LinkedHashMap<>();
            if (Json.read(order) instanceof List<?> ids) {
                for (Object o : ids) {
                    TaskResult t = tasks.get(TaskId.parse(String.valueOf(o)));
                    if (t != null) ordered.put(t.id(), t);
                }
            }
            ordered.putAll(tasks); // any the order lacks, after it
            tasks = ordered;
        }
        return new RunView(fields, tasks);
    }

    /**
     * A task's snapshot: {@code {"s": state, "a": attempt, "m": message, "ms": duration, "st": start, "w": worker,
     * "o": outputs}}, the start (epoch ms of its first attempt) while it has not ended, so a leader that resumes the
     * run keeps counting its duration from there; the worker (null: none) where the attempt whose end made this
     * state ran. The run's {@code w:TASK} field names where an attempt started before its end was heard.
     */
    public static String taskJson(
            TaskState state,
            int attempt,
            String message,
            long millis,
            Map<String, Object> outputs,
            long startedAt,
            String worker) {
        return Json.write(g -> {
            g.writeStartObject();
            g.writeStringField("s", state.name());
            g.writeNumberField("a", attempt);
            if (!message.isEmpty()) g.writeStringField("m", message);
            if (millis > 0) g.writeNumberField("ms", millis);
            if (startedAt > 0) g.writeNumberField("st", startedAt);
            if (worker != null) g.writeStringField("w", worker);
            if (!outputs.isEmpty()) {
                g.writeFieldName("o");
                Json.value(g, outputs);
            }
            g.writeEndObject();
        });
    }

    @SuppressWarnings("unchecked")
    public static TaskResult task(TaskId id, String json) {
        Map<String, Object> m = (Map<String, Object>) Json.read(json);
        Object o = m.get("o");
        long ms = ((Number) m.getOrDefault("ms", 0L)).longValue();
        if (m.get("st") instanceof Number st)
            ms = Math.max(0, System.currentTimeMillis() - st.longValue()); // still going
        return new TaskResult(
                id,
                TaskState.valueOf(String.valueOf(m.get("s"))),
                ((Number) m.getOrDefault("a", 0L)).intValue(),
                ms,
                String.valueOf(m.getOrDefault("m", "")),
                o instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of(),
                m.get("w") instanceof String w ? w : "");
    }

    /** The newest runs first, without their tasks. */
    public List<RunView> list(int limit) {
        List<RunView> out = new ArrayList<>();
        for (String id : redis.zrevrangebyscore(Keys.RUN_INDEX, Range.unbounded(), Limit.create(0, limit))) {
            Optional<RunId> run = RunId.tryParse(id);
            Map<String, String> f = new LinkedHashMap<>();
            if (run.isPresent()) {
                List<KeyValue<String, String>> v = redis.hmget(Keys.run(run.get()), SUMMARY);
                for (int i = 0; i < SUMMARY.length; i++)
                    if (v.get(i).hasValue()) f.put(SUMMARY[i], v.get(i).getValue());
            }
            if (f.isEmpty()) {
                redis.zrem(Keys.RUN_INDEX, id); // expired, or no run's
                continue;
            }
            out.add(new RunView(f, Map.of()));
        }
        return out;
    }

    private static final String[] SUMMARY = {
        "id",
        "workflow",
        "state",
        "queue",
        "submitted_at",
        "started_at",
        "finished_at",
        "controller",
        "epoch",
        "task_count",
        "message"
    };

    /** One event of a run's stream. */
    public record Event(String id, Map<String, String> fields) {
        public String type() {
            return fields.getOrDefault("type", "");
        }
    }

    /**
     * A run's events after {@code after}, waiting up to {@code blockMillis} for the first: "0" for all, else an event
     * id as returned ({@code ENTRY/INDEX}: a stream entry holds the events of one journal flush, the index counts
     * within it) or an entry's id (from the entry after it).
     */
    public List<Event> events(RunId runId, String after, long blockMillis) {
        return read(Keys.runEvents(runId), after, blockMillis);
    }

    /** Every run's events ({@link Keys#ALL_RUN_EVENTS}, each tagged with its run) after {@code after}, as {@link #events}. */
    public List<Event> allEvents(String after) {
        return read(Keys.ALL_RUN_EVENTS, after, 0);
    }

    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    private List<Event> read(String key, String after, long blockMillis) {
        int slash = after.indexOf('/');
        if (slash > 0) { // within an entry: the rest of it, then what follows
            String entry = after.substring(0, slash);
            int index = Integer.parseInt(after.substring(slash + 1));
            List<Event> out = decode(redis.xrange(key, Range.create(entry, "+"), Limit.create(0, 100)), entry, index);
            if (!out.isEmpty() || blockMillis <= 0) return out;
            after = entry;
        }
        XReadArgs args = XReadArgs.Builder.count(100);
        if (blockMillis > 0) args.block(blockMillis);
        List<StreamMessage<String, String>> msgs =
                redis.xread(args, XReadArgs.StreamOffset.from(key, after.equals("0") ? "0-0" : after));
        return decode(msgs == null ? List.of() : msgs, null, -1);
    }

    /**
     * The events of stream entries, each entry a JSON array of them ({@link #entry}; an entry without a {@code run}
     * of its own holds objects that name it); those of {@code skipEntry} up to {@code skipIndex} left out.
     */
    @SuppressWarnings("unchecked")
    private static List<Event> decode(List<StreamMessage<String, String>> entries, String skipEntry, int skipIndex) {
        List<Event> out = new ArrayList<>();
        for (StreamMessage<String, String> m : entries) {
            if (!(Json.read(m.getBody().getOrDefault("events", "[]")) instanceof List<?> list)) continue;
            String run = m.getBody().get("run");
            for (int i = 0; i < list.size(); i++) {
                if (m.getId().equals(skipEntry) && i <= skipIndex) continue;
                Map<String, String> f = new LinkedHashMap<>();
                if (run != null) f.put("run", run);
                if (list.get(i) instanceof List<?> s && s.size() == 6 && STATE_EVENT.equals(s.get(0))) {
                    f.put("type", "state");
                    f.put("task", String.valueOf(s.get(1)));
                    f.put("from", String.valueOf(s.get(2)));
                    f.put("to", String.valueOf(s.get(3)));
                    f.put("attempt", String.valueOf(s.get(4)));
                    f.put("message", String.valueOf(s.get(5)));
                } else if (list.get(i) instanceof Map<?, ?> object) {
                    ((Map<String, Object>) object).forEach((k, v) -> f.put(k, String.valueOf(v)));
                } else {
                    continue; // an event of a kind this version does not know
                }
                out.add(new Event(m.getId() + "/" + i, f));
            }
        }
        return out;
    }
}
