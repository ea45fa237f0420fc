package io.drover.cluster.queue;

import io.drover.core.Version;
import io.drover.core.model.Names;
import io.drover.core.model.RunId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet's key layout: every Redis key Drover uses is named here, those of one queue by an instance, the
 * others (runs, controllers, workers, sources) by static members. docs/architecture.md lists them with their
 * types, writers, readers and expiry. Immutable.
 */
public record Keys(String queue) {
    public static final String GROUP = "workers";
    /** A set of every queue tasks were submitted to, so queues nobody serves are measured too. */
    public static final String QUEUES = "drover:queues";

    // ---- runs: every key of runs shares the {runs} slot, so one script may write several ----

    /** Runs by submit time (ms). */
    public static final String RUN_INDEX = "drover:{runs}:index";
    /** Runs not ended: what a new leader takes over. */
    public static final String ACTIVE_RUNS = "drover:{runs}:active";

    /** A run's record (hash). */
    public static String run(RunId runId) {
        return "drover:{runs}:run:" + runId;
    }

    /** A run's capped event stream. */
    public static String runEvents(RunId runId) {
        return run(runId) + ":events";
    }

    /**
     * Every run's events, for {@code /events}: the same entries as the runs' own streams (a JSON array of events a
     * journal flush), in the {runs} slot so that one script writes both.
     */
    public static final String ALL_RUN_EVENTS = "drover:{runs}:events";

    /**
     * What the controllers wait on between their looks at the active runs ({@link Client#awaitRunWake}): a short
     * capped stream, one entry naming the run each time one is submitted or asked to cancel.
     */
    public static final String RUN_WAKE = "drover:{runs}:wake";

    // ---- controllers ----

    /** The leader lease and the fencing epoch; one slot. */
    public static final String LEASE = "drover:{controller}:lease";

    public static final String EPOCH = "drover:{controller}:epoch";
    /** Ids of controllers with a record. */
    public static final String CONTROLLERS = "drover:controllers";

    /** A controller's record (hash, expiring unless renewed). */
    public static String controller(String controllerId) {
        return "drover:controller:" + controllerId;
    }

    // ---- workers ----

    /** Ids of workers with a record. */
    public static final String WORKERS = "drover:workers";

    /** A worker's heartbeat record (hash, expiring unless renewed). */
    public static String worker(WorkerId workerId) {
        return "drover:worker:" + workerId;
    }

    /** Whether {@code s} is a valid queue name, tag name or value, or task kind ({@link Names#isName}). */
    public static boolean isName(String s) {
        return Names.isName(s);
    }

    public Keys {
        if (!isName(queue)) {
            throw new IllegalArgumentException("bad queue name '" + queue + "': use letters, digits, '_', '.' and '-'");
        }
    }

    private String prefix() {
        return "drover:{" + queue + "}:";
    }

    /**
     * The queue's stream, one per major.minor release: workers of another release never receive a task whose spec
     * they may not read, and their records show them as incompatible.
     */
    public String stream() {
        return prefix() + "stream:v" + Version.majorMinor();
    }

    /**
     * The stream of tasks that need workers with these tags (the plain {@link #stream()} when there are none): the
     * tags in name order, {@code drover:{q}:stream:v0.2:gpu=yes,zone=a}. A worker reads the streams of every subset
     * of its own tags ({@link #streamsFor}), so a task reaches only workers that have all of its tags.
     */
    public String stream(Map<String, String> tags) {
        if (tags.isEmpty()) return stream();
        StringBuilder sb = new StringBuilder(stream()).append(':');
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(tags).entrySet()) {
            if (!first) sb.append(',');
            sb.append(e.getKey()).append('=').append(e.getValue());
            first = false;
        }
        return sb.toString();
    }

    /** A worker's own stream: tasks sent to it for affinity. It reads this one first. */
    public String workerStream(WorkerId workerId) {
        return stream() + ":@" + workerId;
    }

    /** The worker a stream of {@link #workerStream} belongs to, or null for any other stream. */
    public WorkerId workerOf(String stream) {
        String prefix = stream() + ":@";
        return stream.startsWith(prefix)
                ? WorkerId.tryParse(stream.substring(prefix.length())).orElse(null)
                : null;
    }

    /** Most tags a worker may have: it reads 2^n streams. */
    public static final int MAX_WORKER_TAGS = 5;

    /** The streams a worker with these tags reads: the plain one first, then one per non-empty subset of its tags. */
    public List<String> streamsFor(Map<String, String> workerTags) {
        if (workerTags.size() > MAX_WORKER_TAGS) {
            throw new IllegalArgumentException(
                    "a worker may have at most " + MAX_WORKER_TAGS + " tags, got " + workerTags.size());
        }
        List<Map.Entry<String, String>> tags = new ArrayList<>(new TreeMap<>(workerTags).entrySet());
        List<String> out = new ArrayList<>();
        for (int mask = 0; mask < 1 << tags.size(); mask++) {
            Map<String, String> subset = new TreeMap<>();
            for (int i = 0; i < tags.size(); i++)
                if ((mask & 1 << i) != 0)
                    subset.put(tags.get(i).getKey(), tags.get(i).getValue());
            out.add(stream(subset));
        }
        return out;
    }

    /** The tagged and worker streams tasks were ever put on (the plain stream is not listed). */
    public String taggedStreams() {
        return prefix() + "streams";
    }

    /** Tag names and values: letters, digits, '_', '.', '-'. */
    public static void checkTags(Map<String, String> tags) {
        tags.forEach((k, v) -> {
            if (!isName(k) || !isName(v)) {
                throw new IllegalArgumentException(
                        "bad tag '" + k + "=" + v + "': use letters, digits, '_', '.' and '-'");
            }
        });
    }

    public String taskPrefix() {
        return prefix() + "task:";
    }

    public String task(String id) {
        return taskPrefix() + id;
    }

    /** A task's capped event stream: its state changes and log lines. */
    public String events(String id) {
        return eventsPrefix() + id;
    }

    /** What {@link #events} puts before a task id (scripts that handle many tasks build their keys with it). */
    public String eventsPrefix() {
        return prefix() + "events:";
    }

    /** Tasks someone asked to follow while they were queued: the claim writes their RUNNING event. */
    public String following() {
        return prefix() + "following";
    }

    public String delayed() {
        return prefix() + "delayed";
    }

    /**
     * The fleet's counters of this queue, a hash kept by the scripts (submitted, succeeded, failed, retried,
     * cancelled, skipped, dead_lettered): every controller serves the same numbers, and a failover keeps them.
     */
    public String counters() {
        return prefix() + "counters";
    }

    public String dead() {
        return prefix() + "dead";
    }

    /**
     * The task index: a zset of the minutes tasks were submitted in (score and member: minutes since the epoch); the
     * ids of each minute are a list, {@link #indexMinute}, in submit order. Appending to a list costs a fraction of
     * a ZADD into one zset of every task (2-3 µs a task once it holds hundreds of thousands).
     */
    public String index() {
        return prefix() + "index";
    }

    /** The ids submitted in one minute (see {@link #index}); it expires after the retention. */
    public String indexMinute(String minute) {
        return index() + ":" + minute;
    }

    /** A follower's stream on this queue: the ends (and log lines) of the tasks it submitted and follows. */
    public String notify(String follower) {
        return prefix() + "notify:" + follower;
    }

    /**
     * A workflow's source, stored once per run by content ({@link SourceRef}) and read by the workers that run its
     * tasks: a hash of {@code name} and {@code text}, expiring with the retention of the run's task records. Not of
     * any queue: one run's tasks may go to several.
     */
    public static String source(SourceRef ref) {
        return "drover:source:" + ref;
    }

    /**
     * One content of a run's files ({@link RedisBlobs}): a string under its SHA-256 in hex, written by whoever first
     * stores it (the submitting side, a worker after a task, a controller for a listing), read by workers, controllers
     * and the submitting side; expires with the retention of the runs that use it. Not of any queue or run: the same
     * content is stored once for all of them, and each key is its own slot.
     */
    public static String blob(String hex) {
        return "drover:blob:" + hex;
    }

    /** Whether {@code s} is a SHA-256 as content keys name it: 64 lower-case hex digits. */
    public static boolean isHash(String s) {
        if (s == null || s.length() != 64) return false;
        for (int i = 0; i < 64; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    // ---- the state store of tasks ({@link RedisStateStore}): each namespace in one slot, named by its hash ----

    /** The schema version of the state store (a string), written when a store is first opened. */
    public static final String STATE_SCHEMA = "drover:state:schema";

    /**
     * The keys of one state namespace, all in one slot whose hash tag is the first 32 hex digits of the namespace's
     * SHA-256 (names may hold any text).
     */
    public static StateKeys state(String ns) {
        return new StateKeys("drover:state:{" + sha256(ns).substring(0, 32) + "}:");
    }

    /** The keys of one state namespace ({@link #state}). */
    public record StateKeys(String slot) {
        /** A key of the namespace: a hash {@code v}, {@code ver} (a value) or a list; expires with its TTL. */
        public String item(String key) {
            return slot + "k:" + key;
        }

        /** The namespace's keys (a sorted set, all scores 0, read by prefix); stale members removed on reading. */
        public String index() {
            return slot + "index";
        }

        /** The namespace's sequence: versions and fencing tokens of its keys and locks (never expires). */
        public String sequence() {
            return slot + "seq";
        }

        /** A lock of the namespace: its holder's token, expiring with the lock's TTL. */
        public String lock(String name) {
            return slot + "lock:" + name;
        }
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String idempotency(String key) {
        return prefix() + "idem:" + key;
    }

    /** Orders stream entry ids ({@code <ms>-<seq>}) as Redis does: by time, then sequence. */
    public static int compareEntryIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        int c = Long.compare(Long.parseLong(a, 0, da, 10), Long.parseLong(b, 0, db, 10));
        return c != 0
                ? c
                : Long.compare(Long.parseLong(a, da + 1, a.length(), 10), Long.parseLong(b, db + 1, b.length(), 10));
    }
}
