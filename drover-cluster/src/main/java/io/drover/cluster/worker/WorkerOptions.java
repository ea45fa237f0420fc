package io.drover.cluster.worker;

import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.runner.TaskKinds;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a worker runs. Immutable; {@link #builder(String)} validates at {@link Builder#build()}.
 *
 * @param lease how long a claimed task stays this worker's without a heartbeat; renewed every third of it
 * @param maxRedeliveries deliveries without an outcome (worker crashes) tolerated beyond the task's attempts
 * @param clock the wall clock retries are due by and promoted on ({@link java.time.Clock#systemUTC()} unless a test
 *     gives another)
 * @param fileStore the directory every machine of the fleet shares for runs' files too large for Redis, or null
 * @param filesInlineMax the size up to which a file's content goes to Redis
 * @param filesCacheMax how many bytes of runs' file contents this worker keeps by hash under its workdir
 * @param stateUrl the state store of the tasks it runs ({@code state.scope}, {@code memory}); the fleet's Redis
 *     unless given
 * @param executor where held attempts run: {@code local} (here), or the name of an {@link AttemptExecutorProvider}
 * @param executorSettings the executor's settings (for {@code temporal}: host, namespace, task_queue, ...)
 */
public record WorkerOptions(
        String redisUrl,
        String queue,
        int concurrency,
        WorkerId workerId,
        Duration lease,
        Duration grace,
        int maxRedeliveries,
        Path workdir,
        Duration retention,
        TaskKinds kinds,
        TaskDoneListener onTaskDone,
        Map<String, String> tags,
        Duration recordTtl,
        boolean logTasks,
        Clock clock,
        Path fileStore,
        long filesInlineMax,
        long filesCacheMax,
        String stateUrl,
        String executor,
        Map<String, String> executorSettings) {
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_REDELIVERIES = 3;
    /** A worker whose record is older than this is late; older than twice this, dead. */
    public static final Duration DEFAULT_RECORD_TTL = Duration.ofSeconds(30);
    /** The worker's cache of runs' file contents, unless told otherwise. */
    public static final long DEFAULT_FILES_CACHE_MAX = 2L << 30;

    public static Builder builder(String redisUrl) {
        return new Builder(redisUrl);
    }

    /** Builds {@link WorkerOptions}. Not thread-safe. */
    public static final class Builder {
        private final String redisUrl;
        private String queue = TaskSubmission.DEFAULT_QUEUE;
        private int concurrency = 1;
        private String workerId;
        private Duration lease = DEFAULT_LEASE;
        private Duration grace = DEFAULT_GRACE;
        private int maxRedeliveries = DEFAULT_MAX_REDELIVERIES;
        private Path workdir;
        private Duration retention = Client.DEFAULT_RETENTION;
        private TaskKinds kinds = TaskKinds.discover();
        private TaskDoneListener onTaskDone = TaskDoneListener.NONE;
        private Map<String, String> tags = Map.of();
        private Duration recordTtl = DEFAULT_RECORD_TTL;
        private Clock clock = Clock.systemUTC();
        private boolean logTasks;
        private String stateUrl;
        private Path fileStore;
        private long filesInlineMax = FleetFiles.DEFAULT_INLINE_MAX;
        private long filesCacheMax = DEFAULT_FILES_CACHE_MAX;
        private String executor = "local";
        private Map<String, String> executorSettings = Map.of();

        private Builder(String redisUrl) {
            this.redisUrl = redisUrl;
        }

        public Builder queue(String v) {
            queue = v;
            return this;
        }

        public Builder concurrency(int v) {
            concurrency = v;
            return this;
        }

        public Builder workerId(String v) {
            workerId = v;
            return this;
        }

        public Builder lease(Duration v) {
            lease = v;
            return this;
        }

        public Builder grace(Duration v) {
            grace = v;
            return this;
        }

        public Builder maxRedeliveries(int v) {
            maxRedeliveries = v;
            return this;
        }

        public Builder workdir(Path v) {
            workdir = v;
            return this;
        }

        public Builder retention(Duration v) {
            retention = v;
            return this;
        }

        public Builder kinds(TaskKinds v) {
            kinds = v;
            return this;
        }

        public Builder onTaskDone(TaskDoneListener v) {
            onTaskDone = v;
            return this;
        }

        public Builder tags(Map<String, String> v) {
            tags = Map.copyOf(v);
            return this;
        }

        public Builder recordTtl(Duration v) {
            recordTtl = v;
            return this;
        }
        /** One log line per task started and per task ended (off: the worker logs only what goes wrong). */
        public Builder logTasks(boolean v) {
            logTasks = v;
            return this;
        }
        /** The wall clock retries are due by and promoted on; for tests. */
        public Builder clock(Clock v) {
            clock = Objects.requireNonNull(v);
            return this;
        }

        /** The shared directory for large contents of runs' files ({@code DROVER_FILE_STORE}); null for none. */
        public Builder fileStore(Path v) {
            fileStore = v;
            return this;
        }

        public Builder filesInlineMax(long v) {
            if (v < 0) throw new IllegalArgumentException("the inline limit of files must not be negative");
            filesInlineMax = v;
            return this;
        }

        public Builder filesCacheMax(long v) {
            if (v < 0) throw new IllegalArgumentException("the files cache limit must not be negative");
            filesCacheMax = v;
            return this;
        }

        /** The state store of the tasks this worker runs; null for the fleet's Redis. */
        public Builder stateUrl(String v) {
            stateUrl = v;
            return this;
        }

        /** Where held attempts run ({@link AttemptExecutorProvider}) and the executor's settings. */
        public Builder executor(String name, Map<String, String> settings) {
            executor = Objects.requireNonNull(name, "executor");
            executorSettings = Map.copyOf(settings);
            return this;
        }

        public WorkerOptions build() {
            Objects.requireNonNull(redisUrl, "redisUrl");
            if (concurrency < 1)
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            if (lease.toMillis() < 300)
                throw new IllegalArgumentException("lease must be at least 300ms, got " + lease);
            if (grace.isNegative()) throw new IllegalArgumentException("grace must not be negative");
            Keys.checkTags(tags);
            new Keys(queue).streamsFor(tags); // at most MAX_WORKER_TAGS
            WorkerId id = WorkerId.parse(workerId != null ? workerId : defaultId());
            Path dir = workdir != null ? workdir : Path.of(System.getProperty("java.io.tmpdir"), "drover-worker-" + id);
            return new WorkerOptions(
                    redisUrl,
                    queue,
                    concurrency,
                    id,
                    lease,
                    grace,
                    maxRedeliveries,
                    dir,
                    retention,
                    kinds,
                    onTaskDone,
                    tags,
                    recordTtl,
                    logTasks,
                    clock,
                    fileStore,
                    filesInlineMax,
                    filesCacheMax,
                    stateUrl != null ? stateUrl : redisUrl,
                    executor,
                    executorSettings);
        }

        private static String defaultId() {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "host";
            }
            return host.replaceAll("[^A-Za-z0-9_.-]", "_") + "-"
                    + ProcessHandle.current().pid() + "-"
                    + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        }
    }
}
