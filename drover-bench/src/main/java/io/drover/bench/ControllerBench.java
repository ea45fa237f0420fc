package io.drover.bench;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.RunState;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.Jvm;
import io.drover.core.engine.TaskState;
import io.drover.core.lua.Json;
import io.drover.core.model.RunId;
import io.drover.core.model.WorkflowSource;
import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Controllers on the fleet, end to end: a DAG of no-op tasks (groups of one root, a fan-out of leaves and a join)
 * run by a controller on worker processes, against the same number of tasks put on the queue without a DAG; then
 * failover: kill -9 of the leading controller while a run has tasks in flight, to the first dispatch by the new
 * leader, several times. Controllers and workers are processes of their own; Redis is the test's own unless
 * {@code --redis-url} names one. Prints the figures and a final JSON line.
 *
 * <pre>bench/controller.sh [--groups 100] [--width 100] [--workers 2] [--concurrency 50] [--rounds 3] [--failovers 10]
 * [--files] [--windows]</pre>
 *
 * <p>Each timed DAG's wall time is split by its run's record: to its start ({@code started_at}: the leader saw the run,
 * loaded and planned its file), its tasks (to {@code finished_at}), and its end seen by the bench.
 *
 * <p>{@code --windows} prints the wall-clock window (epoch ms) of each timed DAG, to cut a profile of the processes
 * (JFR through {@code JAVA_TOOL_OPTIONS}) to the DAG alone.
 */
public final class ControllerBench {
    private ControllerBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--worker")) {
            Worker w = Worker.start(WorkerOptions.builder(args[1])
                    .concurrency(Integer.parseInt(args[2]))
                    .workerId(args[3])
                    .grace(Duration.ofSeconds(1))
                    .build());
            w.awaitTermination(Duration.ofDays(1));
            return;
        }
        if (args.length > 0 && args[0].equals("--controller")) {
            Controller c = Controller.start(ControllerOptions.builder(args[1])
                    .controllerId(args[2])
                    .port(0)
                    .build());
            c.awaitStop();
            return;
        }
        String url = null;
        int groups = 100;
        int runConcurrency = 1000; // the DAG's tasks in flight at most (the run's --concurrency)
        int warmups = 1; // full-size rounds (a DAG and the queue alone) before the timed ones
        boolean windows = false; // print each timed DAG's wall-clock window (epoch ms), to cut a profile to it
        int width = 100;
        int workers = 2;
        int concurrency = 50;
        int failovers = 10;
        int rounds = 3;
        boolean files = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--redis-url" -> url = args[++i];
                case "--groups" -> groups = Integer.parseInt(args[++i]);
                case "--windows" -> windows = true;
                case "--width" -> width = Integer.parseInt(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--run-concurrency" -> runConcurrency = Integer.parseInt(args[++i]);
                case "--warmup" -> warmups = Integer.parseInt(args[++i]);
                case "--failovers" -> failovers = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--files" -> files = true; // each run has a workspace (an empty one), as drover submit gives
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        BenchRedis ownRedis = null;
        if (url == null) {
            ownRedis = BenchRedis.start();
            url = ownRedis.url();
        }
        List<Process> procs = new ArrayList<>();
        Map<String, Process> controllers = new LinkedHashMap<>();
        try (Client client = Client.connect(url)) {
            int tasks = groups * width;
            System.out.printf(
                    "drover controller bench: %d x %d = %d tasks, %d workers x concurrency %d%n",
                    groups, width, tasks, workers, concurrency);
            for (int w = 0; w < workers; w++)
                procs.add(child(List.of("--worker", url, Integer.toString(concurrency), "bw" + w)));
            for (String id : List.of("ctl-1", "ctl-2")) controllers.put(id, child(List.of("--controller", url, id)));
            RunRecords runs = client.runs();
            if (files) {
                workspace = SyncBack.Submitted.none(FleetFiles.of(client.blobs(), client.retention(), null, null))
                        .ref();
            }
            while (client.workers().list().size() < workers
                    || runs.leaseHolder().isEmpty()) Thread.sleep(50);

            // Warm-up: one round of the full size, not counted. The processes are new, and a smaller warm-up left the
            // first DAG paying for most of the JIT compilation of the controllers and workers (C1 and C2 threads took
            // more CPU than the tasks), while the queue-alone run after it found everything compiled.
            for (int w = 0; w < warmups; w++) {
                runDag(runs, dag(groups, width), runConcurrency);
                drainQueue(client, tasks);
            }

            double[] dagSs = new double[rounds];
            double[] queueSs = new double[rounds];
            // per task (us): workers, controllers, Redis; then the workers' and the controllers' JIT compiler threads
            double[][] dagCpu = new double[5][rounds];
            double[][] queueCpu = new double[5][rounds];
            double[][] dagTimes = new double[3][rounds]; // ms: submit to start, start to end, end to seen
            for (int round = 0; round < rounds; round++) { // interleaved, so both see the same machine
                Cost dagCost = Cost.start(client, procs, controllers.values());
                long t0 = System.nanoTime();
                long from = System.currentTimeMillis();
                RunId timed = runDag(runs, dag(groups, width), runConcurrency);
                dagSs[round] = (System.nanoTime() - t0) / 1e9;
                long seen = System.currentTimeMillis();
                if (windows) System.out.println("DAG window " + from + " " + seen);
                dagCost.perTask(client, tasks, dagCpu, round);
                timeline(runs, timed, from, seen, dagTimes, round); // reads the whole record: after the CPU figures
                if (round == rounds - 1) dagCost.printCommands(client, "the DAG (last round)", tasks);
                Cost queueCost = Cost.start(client, procs, controllers.values());
                long q0 = System.nanoTime();
                drainQueue(client, tasks);
                queueSs[round] = (System.nanoTime() - q0) / 1e9;
                queueCost.perTask(client, tasks, queueCpu, round);
                if (round == rounds - 1) queueCost.printCommands(client, "the queue alone (last round)", tasks);
                System.out.printf(
                        Locale.ROOT,
                        "round %d: DAG %.2f s (to its start %.0f ms, its tasks %.0f ms, its end seen %.0f ms later),"
                                + " queue alone %.2f s; CPU per task (workers + controllers + Redis):"
                                + " DAG %.0f + %.0f + %.0f us, queue alone %.0f + %.0f + %.0f us%n",
                        round + 1,
                        dagSs[round],
                        dagTimes[0][round],
                        dagTimes[1][round],
                        dagTimes[2][round],
                        queueSs[round],
                        dagCpu[0][round],
                        dagCpu[1][round],
                        dagCpu[2][round],
                        queueCpu[0][round],
                        queueCpu[1][round],
                        queueCpu[2][round]);
            }
            double dagS = median(dagSs);
            double queueS = median(queueSs);
            double overheadUs = (dagS - queueS) * 1e6 / tasks;
            System.out.printf(
                    Locale.ROOT,
                    "DAG of %,d no-op tasks on the controllers: %.2f s (%,.0f tasks/s), median of %d%n",
                    tasks,
                    dagS,
                    tasks / dagS,
                    rounds);
            System.out.printf(
                    Locale.ROOT,
                    "the same %,d tasks on the queue alone:     %.2f s (%,.0f tasks/s), median of %d%n",
                    tasks,
                    queueS,
                    tasks / queueS,
                    rounds);
            System.out.printf(
                    Locale.ROOT,
                    "the DAG's throughput is %.0f%% of the queue's; dispatch overhead of the DAG: %.1f us per task%n",
                    100 * queueS / dagS,
                    overheadUs);
            double dagCpuUs = median(dagCpu[0]) + median(dagCpu[1]) + median(dagCpu[2]);
            double queueCpuUs = median(queueCpu[0]) + median(queueCpu[1]) + median(queueCpu[2]);
            double dagWorkUs = dagCpuUs - median(dagCpu[3]) - median(dagCpu[4]);
            double queueWorkUs = queueCpuUs - median(queueCpu[3]) - median(queueCpu[4]);
            System.out.printf(
                    Locale.ROOT,
                    "CPU per task, medians of %d: DAG %.0f us (workers %.0f, controllers %.0f, Redis %.0f; JIT compiler"
                            + " threads of workers %.0f, of controllers %.0f), queue alone %.0f us (workers %.0f,"
                            + " controllers %.0f, Redis %.0f; JIT %.0f, %.0f)%n",
                    rounds,
                    dagCpuUs,
                    median(dagCpu[0]),
                    median(dagCpu[1]),
                    median(dagCpu[2]),
                    median(dagCpu[3]),
                    median(dagCpu[4]),
                    queueCpuUs,
                    median(queueCpu[0]),
                    median(queueCpu[1]),
                    median(queueCpu[2]),
                    median(queueCpu[3]),
                    median(queueCpu[4]));
            System.out.printf(
                    Locale.ROOT,
                    "CPU per task without the JIT compiler threads: DAG %.0f us, queue alone %.0f us: the DAG costs %.2f"
                            + " times the queue's%n",
                    dagWorkUs,
                    queueWorkUs,
                    dagWorkUs / queueWorkUs);
            System.out.printf(
                    Locale.ROOT,
                    "the DAG's time, medians of %d: %.0f ms to its start, %.0f ms for its tasks, its end seen %.0f ms"
                            + " later%n",
                    rounds,
                    median(dagTimes[0]),
                    median(dagTimes[1]),
                    median(dagTimes[2]));

            long[] takeover = new long[failovers];
            for (int i = 0; i < failovers; i++) {
                takeover[i] = failover(runs, controllers, url);
                System.out.printf(
                        Locale.ROOT,
                        "failover %d: kill -9 of the leader to the first dispatch by the next one: %d ms%n",
                        i + 1,
                        takeover[i]);
            }
            long[] sorted = takeover.clone();
            Arrays.sort(sorted);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tasks", tasks);
            r.put("workers", workers);
            r.put("concurrency", concurrency);
            r.put("dag_s", round(dagS));
            r.put("dag_tasks_per_s", Math.round(tasks / dagS));
            r.put("queue_s", round(queueS));
            r.put("queue_tasks_per_s", Math.round(tasks / queueS));
            r.put("dag_overhead_us_per_task", round(overheadUs));
            r.put("dag_share_of_queue_throughput", round(queueS / dagS));
            r.put("dag_cpu_us_per_task", round(dagCpuUs));
            r.put("queue_cpu_us_per_task", round(queueCpuUs));
            r.put("dag_cpu_us_per_task_without_jit", round(dagWorkUs));
            r.put("queue_cpu_us_per_task_without_jit", round(queueWorkUs));
            r.put("dag_to_start_ms", median(dagTimes[0]));
            r.put("dag_tasks_ms", median(dagTimes[1]));
            r.put("dag_end_seen_ms", median(dagTimes[2]));
            r.put("rounds", rounds);
            if (failovers > 0) {
                r.put("failover_ms_median", sorted[sorted.length / 2]);
                r.put("failover_ms_max", sorted[sorted.length - 1]);
                r.put("failover_ms_all", Arrays.toString(takeover));
            }
            System.out.println(Json.write(r));
        } finally {
            for (Process p : controllers.values()) p.destroy();
            for (Process p : procs) p.destroy();
            for (Process p : procs) if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            if (ownRedis != null) ownRedis.close();
        }
    }

    /**
     * What a phase cost, per task: CPU of the workers, the controllers and Redis (from /proc and INFO cpu), and Redis
     * commands by command (INFO commandstats, which counts the commands scripts run too).
     */
    private record Cost(
            long workersUs,
            long controllersUs,
            long workersJitUs,
            long controllersJitUs,
            double redisS,
            Map<String, long[]> stats,
            List<Process> workers,
            Collection<Process> controllers) {
        static Cost start(Client c, List<Process> workers, Collection<Process> controllers) {
            return new Cost(
                    cpu(workers),
                    cpu(controllers),
                    jit(workers),
                    jit(controllers),
                    QueueBench.redisCpuSeconds(c),
                    QueueBench.commandStats(c),
                    workers,
                    controllers);
        }

        /**
         * Stores this phase's CPU per task (us) in {@code into[0..4][round]}: workers, controllers, Redis, the JIT
         * compiler threads of workers and of controllers.
         */
        void perTask(Client c, int tasks, double[][] into, int round) {
            into[0][round] = (double) (cpu(workers) - workersUs) / tasks;
            into[1][round] = (double) (cpu(controllers) - controllersUs) / tasks;
            into[2][round] = (QueueBench.redisCpuSeconds(c) - redisS) * 1e6 / tasks;
            into[3][round] = (double) (jit(workers) - workersJitUs) / tasks;
            into[4][round] = (double) (jit(controllers) - controllersJitUs) / tasks;
        }

        static long jit(Collection<Process> ps) {
            return ps.stream().mapToLong(p -> QueueBench.jitMicros(p.pid())).sum();
        }

        static long cpu(Collection<Process> ps) {
            return ps.stream().mapToLong(p -> QueueBench.cpuMicros(p.pid())).sum();
        }

        /** Prints this phase's Redis commands per task and its top commands (its CPU is in the round's line). */
        void printCommands(Client c, String what, int tasks) {
            Map<String, long[]> after = QueueBench.commandStats(c);
            System.out.printf(
                    Locale.ROOT,
                    "%s, Redis commands per task %.1f%n",
                    what,
                    (double) (QueueBench.commandCalls(after) - QueueBench.commandCalls(stats)) / tasks);
            QueueBench.printTopCommands(stats, after, tasks);
        }
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static Process child(List<String> args) throws Exception {
        List<String> cmd = Jvm.command(List.of(), ControllerBench.class.getName(), args);
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        new File(System.getProperty("java.io.tmpdir"), "drover-bench-controller.log")))
                .redirectInput(new File("/dev/null"))
                .start();
    }

    /** Groups of one root, {@code width - 2} leaves depending on it and a join depending on the leaves. */
    static WorkflowSource dag(int groups, int width) {
        StringBuilder sb = new StringBuilder("local noop = function() return true end\nTaskDefinitions = {}\n");
        sb.append("for g = 1, ")
                .append(groups)
                .append(" do\n")
                .append("  local tasks = { { name = 'root', command = noop } }\n")
                .append("  local leaves = {}\n")
                .append("  for i = 1, ")
                .append(width - 2)
                .append(" do\n")
                .append("    tasks[#tasks + 1] = { name = 'leaf' .. i, depends_on = 'root', command = noop }\n")
                .append("    leaves[#leaves + 1] = 'leaf' .. i\n")
                .append("  end\n")
                .append("  tasks[#tasks + 1] = { name = 'join', depends_on = leaves, command = noop }\n")
                .append("  TaskDefinitions['g' .. g] = { tasks = tasks }\n")
                .append("end\n");
        return new WorkflowSource("bench-dag.lua", sb.toString());
    }

    /** The version of files each run starts from (--files: an empty workspace), or null for runs without files. */
    private static String workspace;

    private static RunId runDag(RunRecords runs, WorkflowSource source, int concurrency) throws InterruptedException {
        RunId id = runs.submit(new RunRecords.Submission(
                source, List.of(), List.of(), Map.of(), "default", concurrency, false, workspace));
        while (true) {
            RunState state = runs.state(id).orElse(null);
            if (state != null && state.isEnded()) {
                if (state != RunState.SUCCEEDED)
                    throw new IllegalStateException("the bench run " + id + " ended " + state);
                return id;
            }
            Thread.sleep(10);
        }
    }

    /**
     * Where a timed DAG's wall time went, by its record's times (ms): from its submit to its start (the leader saw it,
     * loaded and planned its file), from its start to its end (its tasks), from its end to the bench seeing it.
     */
    private static void timeline(RunRecords runs, RunId id, long submittedMs, long seenMs, double[][] into, int round) {
        Map<String, String> r = runs.record(id);
        long started = Instant.parse(r.get("started_at")).toEpochMilli();
        long finished = Instant.parse(r.get("finished_at")).toEpochMilli();
        into[0][round] = started - submittedMs;
        into[1][round] = finished - started;
        into[2][round] = seenMs - finished;
    }

    private static void drainQueue(Client client, int tasks) throws InterruptedException {
        TaskSubmission noop = TaskSubmission.lua("return true");
        List<String> ids = new ArrayList<>(tasks);
        for (int from = 0; from < tasks; from += 5000) {
            ids.addAll(client.submitAll(Collections.nCopies(Math.min(5000, tasks - from), noop)));
        }
        String last = ids.get(ids.size() - 1);
        String stream = new Keys("default").stream();
        while (true) {
            Thread.sleep(10);
            var s = client.status(last).orElseThrow();
            if (s.isFinished() && client.streamBacklog(stream).isEmpty()) return;
        }
    }

    /**
     * Starts a run of sleeping tasks, kills the leader once they run, and measures to the first task dispatched
     * (a RUNNING change in the run's events) after the kill; then cancels the run and restarts the killed controller.
     */
    private static long failover(RunRecords runs, Map<String, Process> controllers, String url) throws Exception {
        WorkflowSource sleepy = new WorkflowSource("sleepy.lua", """
        local tasks = {}
        for i = 1, 8 do tasks[#tasks + 1] = { name = 's' .. i, command = 'sleep 60' } end
        TaskDefinitions = { sleepy = { tasks = tasks } }
        """);
        RunId id = runs.submit(
                new RunRecords.Submission(sleepy, List.of(), List.of(), Map.of(), "default", 100, false, null));
        while (runs.get(id)
                        .map(v -> v.counts().getOrDefault(TaskState.RUNNING, 0))
                        .orElse(0)
                < 8) Thread.sleep(20);
        String leader = runs.leaseHolder().orElseThrow().controllerId();
        long killedAt = System.currentTimeMillis();
        controllers.get(leader).destroyForcibly().waitFor();
        long firstDispatch;
        outer:
        while (true) {
            for (RunRecords.Event e : runs.events(id, "0", 0)) {
                long at = Long.parseLong(e.id().substring(0, e.id().indexOf('-')));
                if (at >= killedAt
                        && e.type().equals("state")
                        && "RUNNING".equals(e.fields().get("to"))) {
                    firstDispatch = at;
                    break outer;
                }
            }
            Thread.sleep(5);
        }
        runs.requestCancel(id, "bench");
        while (!runs.state(id).orElseThrow().isEnded()) Thread.sleep(20);
        controllers.put(leader, child(List.of("--controller", url, leader)));
        while (runs.controllerRecord(leader).isEmpty()) Thread.sleep(20);
        return firstDispatch - killedAt;
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
