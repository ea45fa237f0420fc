package io.drover.bench;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.Jvm;
import io.drover.core.lua.Json;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The queue's load driver (bench/queue.sh). Starts worker processes, submits no-op Lua tasks while they drain
 * them, and measures throughput, Redis commands per task, and submit-to-start latency at low load.
 *
 * <pre>
 * --redis-url URL   a Redis to use (default: a redis-server of its own on a free port; never the shared 6379)
 * --tasks N         tasks for the throughput run (default 100000)
 * --workers N       worker processes (default 2)
 * --concurrency N   tasks at once per worker (default 50)
 * --latency-tasks N tasks submitted one at a time for latency (default 5000)
 * --warmup N        tasks drained before the throughput run, unmeasured (default 400000: each worker JVM's C2
 *                   compiler spends about 10 s of CPU in its first 15 s, most of it after 100,000 tasks)
 * --latency-warmup N tasks submitted one at a time before the latency run, unmeasured (default 15000)
 * --baseline MODE   measure a bare loop instead, in the same processes and through the same client library, with
 *                   no task run, no lease, no fencing and no script: {@code streams}: XADD (pipelined) / XREADGROUP
 *                   COUNT 100 / one XACK per read; {@code records}: the same plus the writes Drover makes per task
 *                   (the record at submit: HSET; the outcome: HSET and EXPIRE), as plain pipelined commands;
 *                   {@code outcomes}: the same without the record at submit
 * </pre>
 */
public final class QueueBench {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--worker")) {
            runWorker(args[1], args[2], Integer.parseInt(args[3]), args[4]);
            return;
        }
        if (args.length > 0 && args[0].equals("--baseline-consumer")) {
            StreamBaseline.consume(args[1], args[2], args[3], Boolean.parseBoolean(args[4]));
            return;
        }
        String baseline = null;
        String url = null;
        int tasks = 100_000;
        int workers = 2;
        int concurrency = 50;
        int latencyTasks = 5000;
        int warmup = 400_000;
        int latencyWarmup = 15_000;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--redis-url" -> url = args[++i];
                    case "--tasks" -> tasks = count(args[i], args[++i]);
                    case "--workers" -> workers = count(args[i], args[++i]);
                    case "--concurrency" -> concurrency = count(args[i], args[++i]);
                    case "--latency-tasks" -> latencyTasks = count(args[i], args[++i]);
                    case "--warmup" -> warmup = count(args[i], args[++i]);
                    case "--latency-warmup" -> latencyWarmup = count(args[i], args[++i]);
                    case "--baseline" -> baseline = args[++i];
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (tasks < 1 || workers < 1 || concurrency < 1 || latencyTasks < 1) {
                throw new IllegalArgumentException(
                        "--tasks, --workers, --concurrency and --latency-tasks take at least 1");
            }
            if (baseline != null && !StreamBaseline.MODES.contains(baseline)) {
                throw new IllegalArgumentException("--baseline takes one of " + String.join(", ", StreamBaseline.MODES)
                        + ", not '" + baseline + "'");
            }
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            System.err.println("queue bench: "
                    + (e instanceof IndexOutOfBoundsException ? "an option lacks its value" : e.getMessage()));
            System.exit(2);
        }
        BenchRedis ownRedis = null;
        if (url == null) {
            ownRedis = BenchRedis.start();
            url = ownRedis.url();
        }
        if (baseline != null) {
            try {
                StreamBaseline.run(url, tasks, workers, warmup, baseline);
            } finally {
                if (ownRedis != null) ownRedis.close();
            }
            return;
        }
        String queue = "bench-" + Long.toHexString(System.nanoTime());
        List<Process> procs = new ArrayList<>();
        try (Client client = Client.connect(url)) {
            System.out.printf(
                    "drover queue bench: %d tasks, %d workers x concurrency %d, queue %s%n",
                    tasks, workers, concurrency, queue);
            for (int w = 0; w < workers; w++) {
                procs.add(startChild(List.of("--worker", url, queue, Integer.toString(concurrency), "bw" + w)));
            }
            awaitWorkers(client, workers);
            TaskSubmission noop = TaskSubmission.lua("return true").withQueue(queue);

            // warm-up: JIT and interpreter pools of the workers
            List<String> warm = new ArrayList<>(warmup);
            for (int from = 0; from < warmup; from += 5000) {
                warm.addAll(client.submitAll(Collections.nCopies(Math.min(5000, warmup - from), noop)));
            }
            if (!warm.isEmpty()) drain(client, queue, warm);

            Map<String, long[]> statsBefore = commandStats(client);
            double cpuBefore = redisCpuSeconds(client);
            long benchCpuBefore = cpuMicros(ProcessHandle.current().pid());
            long workersCpuBefore =
                    procs.stream().mapToLong(p -> cpuMicros(p.pid())).sum();
            long t0 = System.nanoTime();
            List<String> ids = new ArrayList<>(tasks);
            for (int from = 0; from < tasks; from += 5000) {
                ids.addAll(client.submitAll(Collections.nCopies(Math.min(5000, tasks - from), noop)));
            }
            long submitted = System.nanoTime();
            drain(client, queue, ids);
            long t1 = System.nanoTime();
            Map<String, long[]> statsAfter = commandStats(client);
            long calls = commandCalls(statsAfter) - commandCalls(statsBefore);
            double redisCpuUs = (redisCpuSeconds(client) - cpuBefore) * 1e6 / tasks;
            double benchCpuUs = (double) (cpuMicros(ProcessHandle.current().pid()) - benchCpuBefore) / tasks;
            double workersCpuUs =
                    (double) (procs.stream().mapToLong(p -> cpuMicros(p.pid())).sum() - workersCpuBefore) / tasks;
            double secs = (t1 - t0) / 1e9;
            double rate = tasks / secs;

            // Low load: one task at a time, after unmeasured ones that let the JIT settle on this path (blocking reads,
            // claims of one task): the compiler threads of four JVMs competing for two cores were the p99 (3 ms after
            // 5,000 warm-up tasks, 0.4 ms after 15,000). Each task is followed on a stream of this bench's (a blocking
            // read, as a run's dispatcher does), not polled: polling took CPU from the workers and showed in the tail.
            Follower follower = new Follower(client, queue);
            for (int i = 0; i < latencyWarmup; i++) follower.runOne(noop);
            long[] lat = new long[latencyTasks];
            for (int i = 0; i < latencyTasks; i++) {
                TaskStatus s = follower.runOne(noop);
                lat[i] = s.startedMicros() - s.submittedMicros();
            }
            Arrays.sort(lat);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tasks", tasks);
            r.put("workers", workers);
            r.put("concurrency", concurrency);
            r.put("tasks_per_s", Math.round(rate));
            r.put("submit_s", round((submitted - t0) / 1e9));
            r.put("total_s", round(secs));
            r.put("redis_commands_per_task", round((double) calls / tasks));
            r.put("redis_cpu_us_per_task", round(redisCpuUs));
            r.put("submitter_cpu_us_per_task", round(benchCpuUs));
            r.put("workers_cpu_us_per_task", round(workersCpuUs));
            r.put("submit_to_start_p50_ms", round(lat[lat.length / 2] / 1000.0));
            r.put("submit_to_start_p99_ms", round(lat[(int) Math.floor(lat.length * 0.99)] / 1000.0));
            r.put("submit_to_start_p90_ms", round(lat[(int) Math.floor(lat.length * 0.90)] / 1000.0));
            r.put("submit_to_start_max_ms", round(lat[lat.length - 1] / 1000.0));
            System.out.printf(
                    Locale.ROOT,
                    "throughput: %,d tasks in %.2f s = %,.0f tasks/s; %.2f Redis commands and %.1f us of Redis CPU per task%n",
                    tasks,
                    secs,
                    rate,
                    (double) calls / tasks,
                    redisCpuUs);
            System.out.printf(
                    Locale.ROOT,
                    "CPU per task: submitter (this JVM) %.1f us, workers %.1f us, Redis %.1f us%n",
                    benchCpuUs,
                    workersCpuUs,
                    redisCpuUs);
            System.out.printf(
                    Locale.ROOT,
                    "submit-to-start at low load (%d tasks one at a time): p50 %.3f ms, p99 %.3f ms%n",
                    latencyTasks,
                    lat[lat.length / 2] / 1000.0,
                    lat[(int) Math.floor(lat.length * 0.99)] / 1000.0);
            printTopCommands(statsBefore, statsAfter, tasks);
            System.out.println(Json.write(r));
        } finally {
            stopChildren(procs);
            if (ownRedis != null) ownRedis.close();
        }
    }

    private static int count(String option, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(option + " takes a whole number of at least 0, not '" + value + "'");
    }

    /** A process of this bench's own (a worker or a bare consumer): this class with {@code args}, its output to a log. */
    static Process startChild(List<String> args) throws IOException {
        List<String> cmd = Jvm.command(List.of(), QueueBench.class.getName(), args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        new File(System.getProperty("java.io.tmpdir"), "drover-bench-worker.log")))
                .redirectInput(new File("/dev/null"))
                .start();
    }

    static void stopChildren(List<Process> procs) throws InterruptedException {
        for (Process p : procs) p.destroy();
        for (Process p : procs) if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
    }

    /** Submits one task at a time and waits for its end on a follower stream. */
    private static final class Follower {
        private final Client client;
        private final String queue;
        private final String name = "bench-latency";
        private String after = "0-0";

        Follower(Client client, String queue) {
            this.client = client;
            this.queue = queue;
        }

        TaskStatus runOne(TaskSubmission task) {
            String id = client.submitFollowed(List.of(task), name).get(0).id();
            while (true) {
                for (Client.Followed f : client.followed(queue, name, after, 30_000)) {
                    after = f.streamId();
                    if (f.type().equals("end") && f.id().equals(id))
                        return client.status(id).orElseThrow();
                }
            }
        }
    }

    static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    private static void runWorker(String url, String queue, int concurrency, String id) throws Exception {
        Worker w = Worker.start(WorkerOptions.builder(url)
                .queue(queue)
                .concurrency(concurrency)
                .workerId(id)
                .grace(Duration.ofSeconds(1))
                .build());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.shutdownNow();
            try {
                w.awaitTermination(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        w.awaitTermination(Duration.ofDays(1));
    }

    private static void awaitWorkers(Client c, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (c.workers().list().size() < n) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("workers did not start");
            Thread.sleep(50);
        }
    }

    /** Waits until the last task of the list is finished and every task was processed, checking rarely. */
    private static void drain(Client c, String queue, List<String> ids) throws InterruptedException {
        String last = ids.get(ids.size() - 1);
        while (true) {
            Thread.sleep(20);
            TaskStatus s = c.status(last).orElseThrow();
            if (s.isFinished() && c.streamBacklog(new Keys(queue).stream()).isEmpty()) break;
        }
    }

    /** User and system CPU time of a process so far, in microseconds (Linux /proc; 0 elsewhere). */
    static long cpuMicros(long pid) {
        try {
            return ticks(Files.readString(Path.of("/proc/" + pid + "/stat"))) * 1_000_000 / 100; // USER_HZ: 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime (fields 14 and 15) of a /proc {@code stat} line, in clock ticks. */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * CPU time of a process's JIT compiler threads (C1 and C2) so far, in microseconds (Linux /proc; 0 elsewhere):
     * what a process new enough to still be compiling spends beside its work.
     */
    static long jitMicros(long pid) {
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (!comm.startsWith("C1 CompilerThre") && !comm.startsWith("C2 CompilerThre")) continue;
                    ticks += ticks(stat);
                } catch (IOException | RuntimeException e) {
                    // a thread that ended meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return ticks * 1_000_000 / 100;
    }

    /** used_cpu_sys + used_cpu_user of the Redis server, in seconds. */
    static double redisCpuSeconds(Client c) {
        double sum = 0;
        Map<String, String> cpu = c.serverInfo("cpu");
        for (String f : List.of("used_cpu_sys", "used_cpu_user")) sum += Double.parseDouble(cpu.getOrDefault(f, "0"));
        return sum;
    }

    /** Calls and microseconds per command so far (INFO commandstats, which counts commands inside scripts too). */
    static Map<String, long[]> commandStats(Client c) {
        Map<String, long[]> out = new LinkedHashMap<>();
        c.serverInfo("commandstats").forEach((name, v) -> {
            if (name.startsWith("cmdstat_"))
                out.put(name.substring(8), new long[] {field(v, "calls="), field(v, "usec=")});
        });
        return out;
    }

    static long commandCalls(Map<String, long[]> stats) {
        return stats.values().stream().mapToLong(v -> v[0]).sum();
    }

    /** Where Redis spent its time between two {@link #commandStats}. */
    static void printTopCommands(Map<String, long[]> before, Map<String, long[]> after, int tasks) {
        record Stat(String name, long calls, long usec) {}
        List<Stat> stats = new ArrayList<>();
        after.forEach((name, v) -> {
            long[] b = before.getOrDefault(name, new long[2]);
            stats.add(new Stat(name, v[0] - b[0], v[1] - b[1]));
        });
        stats.sort(Comparator.comparingLong(Stat::usec).reversed());
        System.out.println("Redis time by command, per task:");
        for (Stat st : stats.subList(0, Math.min(10, stats.size()))) {
            System.out.printf(
                    Locale.ROOT,
                    "  %-14s %8.2f calls/task %8.2f us/task %7.2f us/call%n",
                    st.name(),
                    (double) st.calls() / tasks,
                    (double) st.usec() / tasks,
                    st.calls() == 0 ? 0.0 : (double) st.usec() / st.calls());
        }
    }

    private static long field(String line, String key) {
        int i = line.indexOf(key);
        if (i < 0) return 0;
        int end = line.indexOf(',', i);
        return Long.parseLong(line.substring(i + key.length(), end < 0 ? line.length() : end));
    }
}
