package io.drover.cli;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.DroverException;
import io.drover.core.Log;
import io.drover.core.Urls;
import io.drover.core.Version;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.model.Durations;
import io.drover.core.record.RunJson;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover worker}: runs tasks from a Redis queue until stopped; {@code drover worker list}. */
@Command(
        name = "worker",
        description =
                "Run tasks from a Redis queue until stopped (SIGTERM/Ctrl-C: finish within --grace, hand the rest back).",
        subcommands = WorkerCommand.ListWorkers.class)
final class WorkerCommand implements Callable<Integer> {
    @Mixin
    RedisOption redis;

    @Option(
            names = {"-c", "--concurrency"},
            description = "Tasks at once (default: $DROVER_CONCURRENCY, else [worker] concurrency, else 1).")
    Integer concurrency;

    @Option(
            names = "--queue",
            description = "Queue to take tasks from (default: $DROVER_QUEUE, else [worker] queue, else default).")
    String queue;

    @Option(names = "--worker-id", description = "Default: $DROVER_WORKER_ID, else [worker] id, else host-pid-random.")
    String workerId;

    @Option(
            names = "--grace",
            description =
                    "How long running tasks may finish after a stop signal (default: $DROVER_WORKER_GRACE, else [worker] grace, else 30s).")
    String grace;

    @Option(
            names = "--lease",
            description =
                    "How long a task stays this worker's without a heartbeat (default: $DROVER_WORKER_LEASE, else [worker] lease, else 30s).")
    String lease;

    @Option(
            names = "--workdir",
            description =
                    "Where tasks get their private directories. Default: $DROVER_WORKER_WORKDIR, else [worker] workdir, else a temporary directory.")
    Path workdir;

    @Option(
            names = "--file-store",
            paramLabel = "DIR",
            description = "A directory every machine of the fleet mounts at the same path, for runs' files over"
                    + " --files-inline-max. Default: $DROVER_FILE_STORE, else [worker] file_store, else none.")
    Path fileStore;

    @Option(
            names = "--state-url",
            paramLabel = "URL",
            description = "The state store of the tasks it runs (state.scope, memory): postgres://USER@HOST/DB or"
                    + " redis://HOST:PORT, one every worker reaches. Default: $DROVER_STATE_URL, else [state] url, else"
                    + " the fleet's Redis.")
    String stateUrl;

    @Option(
            names = "--files-inline-max",
            paramLabel = "SIZE",
            description = "Runs' files up to this size go through Redis (16m). Default: $DROVER_FILES_INLINE_MAX, else"
                    + " [worker] files_inline_max.")
    String filesInlineMax;

    @Option(
            names = "--files-cache",
            paramLabel = "SIZE",
            description = "How much of runs' files this worker keeps by hash (2g). Default: $DROVER_FILES_CACHE_MAX,"
                    + " else [worker] files_cache.")
    String filesCache;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "drover.toml ([bus], [worker]). Default: $DROVER_CONFIG or ./drover.toml.")
    Path config;

    @Option(
            names = "--retention",
            defaultValue = "24h",
            description = "How long finished task records (and their events) are kept (default ${DEFAULT-VALUE}).")
    String retention;

    @Option(
            names = "--ttl",
            defaultValue = "30s",
            description =
                    "Liveness of the worker's record: late after one TTL without a heartbeat, dead after two (default ${DEFAULT-VALUE}).")
    String ttl;

    @Option(
            names = "--tags",
            split = ",",
            paramLabel = "K=V",
            description =
                    "Labels shown in worker list, like gpu=yes,zone=a (default: $DROVER_WORKER_TAGS, else [worker] tags).")
    Map<String, String> tags;

    @Option(
            names = "--executor",
            paramLabel = "NAME",
            description = "Where the tasks it takes run: local (here) or temporal (each a Temporal workflow whose"
                    + " activity runs it on a worker polling --temporal-task-queue). Default: $DROVER_EXECUTOR, else"
                    + " [worker] executor, else local.")
    String executor;

    @Option(
            names = "--temporal-host",
            paramLabel = "HOST:PORT",
            description = "Temporal's frontend. Default: $TEMPORAL_HOST, else [temporal] host, else localhost:7233.")
    String temporalHost;

    @Option(
            names = "--temporal-namespace",
            paramLabel = "NS",
            description = "Default: $TEMPORAL_NAMESPACE, else [temporal] namespace, else default.")
    String temporalNamespace;

    @Option(
            names = "--temporal-task-queue",
            paramLabel = "NAME",
            description = "The task queue its workflows and activities go on. Default: $TEMPORAL_TASK_QUEUE, else"
                    + " [temporal] task_queue, else drover.")
    String temporalTaskQueue;

    @Option(
            names = "--temporal-tls",
            description = "Connect to Temporal with TLS (the JVM's trusted certificates). Default: $TEMPORAL_TLS, else"
                    + " [temporal] tls, else off.")
    boolean temporalTls;

    @Option(
            names = "--temporal-retries",
            description = "Temporal makes a task's retries (activity attempts with the task's backoff) instead of"
                    + " the queue. Default: $DROVER_TEMPORAL_RETRIES, else [temporal] retries, else off.")
    boolean temporalRetries;

    @Option(
            names = "--temporal-heartbeat-timeout",
            paramLabel = "DURATION",
            description = "How soon Temporal runs an activity again elsewhere when its worker stops heartbeating."
                    + " Default: $DROVER_TEMPORAL_HEARTBEAT_TIMEOUT, else [temporal] heartbeat_timeout, else 5s.")
    String temporalHeartbeatTimeout;

    @picocli.CommandLine.Mixin
    LogOptions logging;

    @Option(
            names = "--fail-fast",
            description = "Exit when Redis cannot be reached at start, instead of trying again"
                    + " with backoff (1 s, doubling, up to 30 s).")
    boolean failFast;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * Starts a worker, trying again with backoff while Redis cannot be reached (it may start after the worker, or
     * be restarting), saying so each time; a refusal (bad password, missing permission) fails at once. Null when a
     * stop signal came while waiting.
     */
    static Worker startWhenRedisAnswers(WorkerOptions options, boolean failFast, Signals signals, PrintWriter err)
            throws InterruptedException {
        long waitMillis = 1000;
        while (true) {
            try {
                return Worker.start(options);
            } catch (DroverException e) {
                if (failFast || !e.isRetryable()) throw e;
                err.println("drover worker: " + e.getMessage() + "; trying again in " + waitMillis / 1000
                        + " s (--fail-fast exits instead)");
                err.flush();
                long until = System.nanoTime() + waitMillis * 1_000_000;
                while (System.nanoTime() < until) {
                    if (signals.stopRequested()) return null;
                    Thread.sleep(50);
                }
                waitMillis = Math.min(30_000, waitMillis * 2);
            }
        }
    }

    /** This command's worker options: its flags, else the environment, else drover.toml, else defaults ({@link Settings}). */
    WorkerOptions options(Settings settings) {
        // warn by default: what goes wrong; info also says what the worker does, one line per task started and ended
        boolean logTasks = logging.apply(Log.Level.WARN).compareTo(Log.Level.INFO) <= 0;
        if (redis.url == null
                && settings.get(Settings.Key.REDIS_URL, null).from().equals("the default")) redis.url(); // says so
        try {
            return settings.worker(new Settings.WorkerFlags(
                            redis.url,
                            queue,
                            concurrency,
                            workerId,
                            lease,
                            grace,
                            workdir,
                            tags,
                            fileStore,
                            filesInlineMax,
                            filesCache,
                            stateUrl,
                            new Settings.ExecutorFlags(
                                    executor,
                                    temporalHost,
                                    temporalNamespace,
                                    temporalTaskQueue,
                                    temporalTls ? Boolean.TRUE : null,
                                    temporalRetries ? Boolean.TRUE : null,
                                    temporalHeartbeatTimeout)))
                    .recordTtl(Durations.parse(ttl))
                    .retention(Durations.parse(retention))
                    .logTasks(logTasks)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        LuaInterpreter.checkSettings();
        WorkerOptions options = options(Settings.load(config));
        Signals signals = Signals.install();
        var err = spec.commandLine().getErr();
        Worker worker = startWhenRedisAnswers(options, failFast, signals, err);
        if (worker == null) return Main.INTERRUPTED;
        err.printf(
                "drover worker %s: redis %s, queue %s, concurrency %d, lease %s, state %s, executor %s, version %s%n",
                worker.id(),
                RedisUrls.masked(options.redisUrl()),
                options.queue(),
                options.concurrency(),
                Durations.format(options.lease()),
                options.stateUrl().equals(options.redisUrl()) ? "the fleet's Redis" : Urls.masked(options.stateUrl()),
                worker.executor(),
                Version.current());
        err.flush();
        signals.attach(new Signals.Target() {
            @Override
            public void stop(String signal) {
                System.err.println("drover worker: stopping (" + signal + "): finishing running tasks within "
                        + Durations.format(options.grace()));
                worker.shutdown();
            }

            @Override
            public void stopNow(String signal) {
                System.err.println("drover worker: stopping now, handing running tasks back");
                worker.shutdownNow();
            }
        });
        while (!worker.awaitTermination(Duration.ofSeconds(1))) {
            // running until a signal stops it
        }
        return Main.OK;
    }

    /** The table (or JSON array) of {@code drover worker list} and {@code drover node workers}. */
    static void printWorkers(PrintWriter out, List<Map<String, String>> rows, boolean json) {
        if (json) {
            out.println(RunJson.write(rows.stream().map(RunRecords::typed).toList(), false));
            return;
        }
        List<List<String>> cells = new ArrayList<>();
        for (Map<String, String> h : rows) {
            cells.add(List.of(
                    h.getOrDefault("id", ""),
                    h.getOrDefault("status", ""),
                    h.getOrDefault("queue", ""),
                    h.getOrDefault("concurrency", ""),
                    h.getOrDefault("processed", ""),
                    h.getOrDefault("failed", ""),
                    h.getOrDefault("last_heartbeat", ""),
                    h.getOrDefault("version", ""),
                    h.getOrDefault("tags", ""),
                    h.getOrDefault("running", "")));
        }
        out.print(Format.table(
                List.of(
                        "WORKER",
                        "STATUS",
                        "QUEUE",
                        "CONCURRENCY",
                        "PROCESSED",
                        "FAILED",
                        "LAST HEARTBEAT",
                        "VERSION",
                        "TAGS",
                        "RUNNING"),
                cells));
    }

    @Command(
            name = "list",
            description =
                    "Workers and their state: running, draining, stopping, incompatible (another major.minor), late (no heartbeat for one TTL) or dead (two).")
    static final class ListWorkers implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Option(names = "--json", description = "One JSON array.")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (var client = Client.connect(redis.url())) {
                printWorkers(spec.commandLine().getOut(), client.workers().list(), json);
                return Main.OK;
            }
        }
    }
}
