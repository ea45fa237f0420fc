package io.drover.bench;

import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.lua.Json;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Plan;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The engine's load drivers. Run with {@code bench/engine.sh} (which builds and starts this with a 1 GiB heap).
 * Prints a table for people and, last, one JSON line with every figure.
 *
 * <pre>
 * --reps N        repetitions per measurement (median reported), default 5
 * --nodes N       DAG size for the scheduler benchmarks, default 1000000
 * --lua-tasks N   no-op Lua function tasks, default 200000
 * --shell-tasks N `true` shell tasks, default 2000
 * --only X        scheduler | lua | shell
 * </pre>
 */
public final class EngineBench {
    private final Map<String, Object> results = new LinkedHashMap<>();
    private int reps = 5;
    private int nodes = 1_000_000;
    private int luaTasks = 200_000;
    private int shellTasks = 2000;
    private final int cores = Runtime.getRuntime().availableProcessors();

    public static void main(String[] args) throws Exception {
        EngineBench b = new EngineBench();
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> b.reps = Integer.parseInt(args[++i]);
                case "--nodes" -> b.nodes = Integer.parseInt(args[++i]);
                case "--lua-tasks" -> b.luaTasks = Integer.parseInt(args[++i]);
                case "--shell-tasks" -> b.shellTasks = Integer.parseInt(args[++i]);
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.printf(
                "drover engine bench: %d cores, max heap %d MiB, Java %s%n",
                b.cores, Runtime.getRuntime().maxMemory() >> 20, Runtime.version());
        b.results.put("cores", b.cores);
        b.results.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        if (only == null || only.equals("scheduler")) b.scheduler();
        if (only == null || only.equals("lua")) b.lua();
        if (only == null || only.equals("shell")) b.shell();
        b.results.put("peak_heap_used_mib", peakHeapMib());
        System.out.println(Json.write(b.results));
    }

    // ---- scheduler alone ----

    private void scheduler() {
        double fj = median(() -> forkJoinLoop(nodes));
        row("bare ForkJoin loop, " + nodes + " no-op tasks", fj);
        results.put("forkjoin_baseline_tasks_per_s", Math.round(fj));
        Map<String, Supplier<Workflow>> shapes = new LinkedHashMap<>();
        shapes.put("wide_fan_out", () -> Dags.wideFanOut(nodes));
        shapes.put("layers_100x" + nodes / 100, () -> Dags.layers(100, nodes / 100));
        shapes.put("chain", () -> Dags.chain(nodes));
        for (var e : shapes.entrySet()) {
            long t0 = System.nanoTime();
            Plan plan = Planner.plan(e.getValue().get());
            long planMs = (System.nanoTime() - t0) / 1_000_000;
            results.put(e.getKey() + "_plan_ms", planMs);
            double inline = median(() -> runPlan(plan, new InlineDispatcher(null), 64));
            long live = liveHeapMib();
            row("scheduler alone, " + e.getKey() + " (plan " + planMs + " ms, live heap " + live + " MiB)", inline);
            results.put(e.getKey() + "_tasks_per_s", Math.round(inline));
            results.put(e.getKey() + "_live_heap_mib", live);
            // A chain handed to a pool is one thread hop after another: a latency figure, so fewer nodes.
            Plan hopPlan = e.getKey().equals("chain") ? Planner.plan(Dags.chain(Math.min(nodes, 100_000))) : plan;
            ExecutorService pool = Executors.newFixedThreadPool(cores);
            double hop = median(() -> runPlan(hopPlan, new InlineDispatcher(pool), 64));
            pool.shutdown();
            row("  same, each task handed to a " + cores + "-thread pool (" + hopPlan.size() + " tasks)", hop);
            results.put(e.getKey() + "_pool_tasks_per_s", Math.round(hop));
            results.put(e.getKey() + "_vs_forkjoin", round2(fj / inline));
        }
    }

    private static double forkJoinLoop(int n) {
        ForkJoinPool pool = ForkJoinPool.commonPool();
        AtomicInteger left = new AtomicInteger(n);
        CountDownLatch done = new CountDownLatch(1);
        Runnable task = () -> {
            if (left.decrementAndGet() == 0) done.countDown();
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) pool.execute(task);
        await(done);
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    private static double runPlan(Plan plan, Dispatcher d, int concurrency) {
        long t0 = System.nanoTime();
        RunResult r = Scheduler.run(
                plan, d, RunOptions.builder().concurrency(concurrency).build());
        double secs = (System.nanoTime() - t0) / 1e9;
        if (r.status() != RunStatus.SUCCEEDED) throw new IllegalStateException("run " + r.status());
        return plan.size() / secs;
    }

    // ---- Lua functions ----

    private void lua() throws Exception {
        luaTasks("no-op Lua function tasks", "lua_noop_tasks_per_s", """
        local noop = function() return true end
        local tasks = {}
        for i = 1, %d do tasks[i] = { name = "t" .. i, command = noop } end
        TaskDefinitions = { g = { tasks = tasks } }
        """);
        // A function that reaches what the top level made (a settings table of 32 entries, a helper closure): each
        // call gets its own copy of both, which is what this row prices.
        luaTasks("Lua tasks reaching a top-level table", "lua_toplevel_tasks_per_s", """
        local settings = {}
        for i = 1, 32 do settings["k" .. i] = { value = i, label = "setting " .. i } end
        local function lookup(k) return settings[k].value end
        local task = function() return lookup("k7") == 7 end
        local tasks = {}
        for i = 1, %d do tasks[i] = { name = "t" .. i, command = task } end
        TaskDefinitions = { g = { tasks = tasks } }
        """);
        // The same with a table of 10,000 entries of which each task reads one: copies are made as they are
        // touched, so this should cost about what the row above does, not 300 times more.
        luaTasks("Lua tasks reading one entry of a 10,000-entry table", "lua_bigtable_tasks_per_s", """
        local hosts = {}
        for i = 1, 10000 do hosts[i] = { name = "host" .. i, port = 22 } end
        local tasks = {}
        for i = 1, %d do
          local n = math.fmod(i, 10000) + 1
          tasks[i] = { name = "t" .. i, command = function() return hosts[n].port == 22 end }
        end
        TaskDefinitions = { g = { tasks = tasks } }
        """);
    }

    private void luaTasks(String label, String key, String template) throws Exception {
        WorkflowLoader.Loaded loaded =
                WorkflowLoader.load(new WorkflowSource("bench.lua", template.formatted(luaTasks)));
        Plan plan = Planner.plan(loaded.workflow());
        Path base = Files.createTempDirectory("drover-bench");
        TaskRunner runner = new TaskRunner(loaded.lua(), TaskKinds.none());
        double rate = median(() -> {
            try (LocalDispatcher d = new LocalDispatcher(runner, base, base.resolve("scratch"))) {
                return runPlan(plan, d, cores);
            }
        });
        row(label + ", " + luaTasks + ", concurrency " + cores, rate);
        results.put(key, Math.round(rate));
    }

    // ---- shell ----

    @SuppressWarnings("UnnecessaryStringBuilder") // the source is built in several appends below
    private void shell() throws Exception {
        Path base = Files.createTempDirectory("drover-bench");
        StringBuilder src = new StringBuilder(
                "local tasks = {}\nfor i = 1, " + shellTasks
                        + " do tasks[i] = { name = 't' .. i, command = 'true' } end\nTaskDefinitions = { g = { tasks = tasks } }\n");
        WorkflowLoader.Loaded loaded = WorkflowLoader.load(new WorkflowSource("bench.lua", src.toString()));
        Plan plan = Planner.plan(loaded.workflow());
        TaskRunner runner = new TaskRunner(loaded.lua(), TaskKinds.none());
        int c = cores;
        // Alternate the two, so drift of a shared machine falls on both alike.
        double[][] both = medians(() -> bareProcessLoop(shellTasks, c, base), () -> {
            try (LocalDispatcher d = new LocalDispatcher(runner, base, base.resolve("scratch"))) {
                return runPlan(plan, d, c);
            }
        });
        double bare = both[0][0];
        double engine = both[1][0];
        row("bare ProcessBuilder loop, sh -c true x" + shellTasks + ", " + c + " threads", bare);
        row("drover shell tasks 'true' x" + shellTasks + ", concurrency " + c, engine);
        System.out.printf(Locale.ROOT, "  ratio per repetition: %s%n", Arrays.toString(both[2]));
        results.put("shell_bare_tasks_per_s", Math.round(bare));
        results.put("shell_tasks_per_s", Math.round(engine));
        results.put("shell_vs_bare", round2(engine / bare));
    }

    /** What a user would write by hand: start {@code sh -c true}, drain its output, wait; on {@code threads} threads. */
    private static double bareProcessLoop(int n, int threads, Path dir) {
        AtomicInteger next = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                while (next.getAndIncrement() < n) {
                    try {
                        Process p = new ProcessBuilder("/bin/sh", "-c", "true")
                                .directory(dir.toFile())
                                .redirectInput(new File("/dev/null"))
                                .redirectErrorStream(true)
                                .start();
                        p.getInputStream().readAllBytes();
                        p.waitFor();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }));
        }
        for (Thread t : ts) join(t);
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    // ---- helpers ----

    private double median(ThrowingSupplier s) {
        double[] v = new double[reps];
        try {
            s.get(); // warm-up, not counted
            for (int i = 0; i < reps; i++) {
                System.gc();
                v[i] = s.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return medianOf(v);
    }

    /** Medians of a and b measured alternately, and the per-repetition ratios b/a: {{a}, {b}, ratios}. */
    private double[][] medians(ThrowingSupplier a, ThrowingSupplier b) {
        double[] va = new double[reps];
        double[] vb = new double[reps];
        double[] ratio = new double[reps];
        try {
            a.get();
            b.get();
            for (int i = 0; i < reps; i++) {
                va[i] = a.get();
                vb[i] = b.get();
                ratio[i] = round2(vb[i] / va[i]);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return new double[][] {{medianOf(va)}, {medianOf(vb)}, ratio};
    }

    private static double medianOf(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    @FunctionalInterface
    private interface ThrowingSupplier {
        double get() throws Exception;
    }

    private static void row(String what, double perSecond) {
        System.out.printf(Locale.ROOT, "%-72s %,14.0f tasks/s%n", what, perSecond);
    }

    private static double round2(double d) {
        return Math.round(d * 100) / 100.0;
    }

    /** Heap in use after a full collection: what the objects still referenced (the plan) take. */
    private static long liveHeapMib() {
        System.gc();
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) >> 20;
    }

    private static long peakHeapMib() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        }
        return sum >> 20;
    }

    private static void await(CountDownLatch l) {
        try {
            if (!l.await(5, TimeUnit.MINUTES)) throw new IllegalStateException("timed out");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
