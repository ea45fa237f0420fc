package io.drover.bench;

import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentDispatcher;
import io.drover.agent.server.AgentOptions;
import io.drover.agent.server.AgentServer;
import io.drover.agent.sync.Limits;
import io.drover.core.Jvm;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.engine.TaskSink;
import io.drover.core.model.Command;
import io.drover.core.model.Delegation;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Workspace sync to an agent process on loopback (bench/sync.sh): the first sync of a tree against
 * {@code tar c | tar x} through a pipe, measured in the same run; a second sync after changing one file; and the
 * round trip of a no-op delegated task. Prints a final JSON line.
 */
public final class SyncBench {
    private static final String LUA =
            "TaskDefinitions = { g = { tasks = { { name = 'noop', command = function() return true end } } } }";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--agent")) {
            agent(Integer.parseInt(args[1]), Path.of(args[2]));
            return;
        }
        int files = 10_000;
        long bytes = 200L << 20;
        int calls = 1000;
        int repeats = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--files" -> files = Integer.parseInt(args[++i]);
                case "--mb" -> bytes = Long.parseLong(args[++i]) << 20;
                case "--calls" -> calls = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path root = Files.createTempDirectory("drover-sync-bench");
        try {
            Path tree = Files.createDirectories(root.resolve("tree"));
            makeTree(tree, files, bytes);
            System.out.printf(
                    Locale.ROOT,
                    "drover sync bench: %d files, %d MiB, agent process on loopback, %d repeats%n",
                    files,
                    bytes >> 20,
                    repeats);

            double[] tar = new double[repeats];
            double[] first = new double[repeats];
            double[] vsTar = new double[repeats];
            double[] second = new double[repeats];
            double[] vsFirst = new double[repeats];
            double[] later = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                // tar just before and just after the first sync: this machine's disk speed drifts from minute to
                // minute,
                // so each first sync is compared with the mean of the two tar runs around it
                double tarBefore = tar(tree, root.resolve("tar-" + r + "a"));
                Path agentDir = root.resolve("agent-" + r);
                Process agent = startAgent(agentDir);
                double[] follow = new double[LATER];
                try {
                    int port = awaitPort(agentDir);
                    // a cold master too: a new dispatcher, nothing hashed yet (its index file from an earlier repeat
                    // removed)
                    new ProcessBuilder("rm", "-rf", tree.resolve(".drover").toString())
                            .inheritIO()
                            .start()
                            .waitFor();
                    try (AgentDispatcher d = dispatcher(tree)) {
                        long t0 = System.nanoTime();
                        check(call(d, port, new Command.Shell("true")));
                        first[r] = ms(t0);
                        tar[r] = (tarBefore + tar(tree, root.resolve("tar-" + r + "b"))) / 2;
                        Files.writeString(tree.resolve("d0/f0.bin"), "changed " + r);
                        t0 = System.nanoTime();
                        check(call(d, port, new Command.Shell("true")));
                        second[r] = ms(t0);
                        // and the syncs after that, each after changing one file: what an agent serving a workspace
                        // does
                        for (int i = 0; i < LATER; i++) {
                            Files.writeString(
                                    tree.resolve("d" + (i % 100) + "/f" + (i % 100) + ".bin"),
                                    "changed " + r + " " + i);
                            t0 = System.nanoTime();
                            check(call(d, port, new Command.Shell("true")));
                            follow[i] = ms(t0);
                        }
                    }
                } finally {
                    agent.destroy();
                    agent.waitFor(10, TimeUnit.SECONDS);
                }
                vsTar[r] = tar[r] / first[r];
                vsFirst[r] = second[r] / first[r];
                later[r] = median(follow);
                System.out.printf(
                        Locale.ROOT,
                        "  repeat %d: tar pipe %.0f ms, first sync %.0f ms (%.0f%% of tar's speed), second sync %.1f ms (%.1f%% of the first), next %d syncs median %.1f ms%n",
                        r + 1,
                        tar[r],
                        first[r],
                        100 * vsTar[r],
                        second[r],
                        100 * vsFirst[r],
                        LATER,
                        later[r]);
            }

            // round trips with an empty workspace
            Path empty = Files.createDirectories(root.resolve("empty"));
            Path agentDir = root.resolve("agent-rt");
            Process agent = startAgent(agentDir);
            double[] lua = new double[calls];
            double[] shell = new double[calls];
            try (AgentDispatcher d = dispatcher(empty)) {
                int port = awaitPort(agentDir);
                for (int i = 0; i < 200; i++)
                    check(call(d, port, new Command.LuaFunction("g", 1, "command"))); // warm-up
                for (int i = 0; i < calls; i++) {
                    long t0 = System.nanoTime();
                    check(call(d, port, new Command.LuaFunction("g", 1, "command")));
                    lua[i] = ms(t0);
                }
                for (int i = 0; i < calls; i++) {
                    long t0 = System.nanoTime();
                    check(call(d, port, new Command.Shell("true")));
                    shell[i] = ms(t0);
                }
            } finally {
                agent.destroy();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
            double tarMed = median(tar), firstMed = median(first), secondMed = median(second), laterMed = median(later);
            double mbs = (bytes / (double) (1 << 20));
            System.out.printf(
                    Locale.ROOT,
                    "first sync: median %.0f ms (%.0f MiB/s); tar c | tar x: median %.0f ms (%.0f MiB/s); median of the repeats' ratios %.0f%% of tar's speed%n",
                    firstMed,
                    mbs / (firstMed / 1000),
                    tarMed,
                    mbs / (tarMed / 1000),
                    100 * median(vsTar));
            System.out.printf(
                    Locale.ROOT,
                    "second sync after one change: median %.1f ms; median of the repeats' ratios %.1f%% of the first; later syncs median %.1f ms (%.1f%% of the first)%n",
                    secondMed,
                    100 * median(vsFirst),
                    laterMed,
                    100 * laterMed / firstMed);
            System.out.printf(
                    Locale.ROOT,
                    "no-op round trip over %d calls: Lua p50 %.2f ms p99 %.2f ms; shell 'true' p50 %.2f ms p99 %.2f ms%n",
                    calls,
                    pct(lua, 50),
                    pct(lua, 99),
                    pct(shell, 50),
                    pct(shell, 99));
            System.out.printf(
                    Locale.ROOT,
                    "{\"files\":%d,\"mib\":%d,\"first_sync_ms\":%.0f,\"tar_pipe_ms\":%.0f,\"first_vs_tar\":%.2f,"
                            + "\"second_sync_ms\":%.1f,\"second_vs_first\":%.3f,\"later_sync_ms\":%.1f,\"noop_lua_p50_ms\":%.2f,\"noop_lua_p99_ms\":%.2f,"
                            + "\"noop_shell_p50_ms\":%.2f,\"noop_shell_p99_ms\":%.2f}%n",
                    files,
                    bytes >> 20,
                    firstMed,
                    tarMed,
                    median(vsTar),
                    secondMed,
                    median(vsFirst),
                    laterMed,
                    pct(lua, 50),
                    pct(lua, 99),
                    pct(shell, 50),
                    pct(shell, 99));
        } finally {
            new ProcessBuilder("rm", "-rf", root.toString()).inheritIO().start().waitFor();
        }
    }

    private static void agent(int port, Path workdir) throws Exception {
        AgentServer s = AgentServer.start(
                AgentOptions.builder().port(port).workdir(workdir).maxTasks(2).build(), TaskKinds.none(), l -> {});
        Path tmp = workdir.resolve("port.tmp");
        Files.writeString(tmp, Integer.toString(s.port()));
        Files.move(tmp, workdir.resolve("port"), StandardCopyOption.ATOMIC_MOVE); // never read half-written
        s.awaitTermination();
    }

    private static Process startAgent(Path workdir) throws Exception {
        Files.createDirectories(workdir);
        return new ProcessBuilder(Jvm.command(
                        List.of("-Xmx1g"), SyncBench.class.getName(), List.of("--agent", "0", workdir.toString())))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        new File(System.getProperty("java.io.tmpdir"), "drover-sync-bench-agent.log")))
                .redirectInput(new File("/dev/null"))
                .start();
    }

    private static int awaitPort(Path workdir) throws Exception {
        Path f = workdir.resolve("port");
        for (int i = 0; i < 300 && !Files.exists(f); i++) Thread.sleep(50);
        return Integer.parseInt(Files.readString(f).strip());
    }

    private static AgentDispatcher dispatcher(Path workspace) {
        Dispatcher local = new LocalDispatcher(
                new TaskRunner(null, TaskKinds.none()),
                workspace,
                workspace.getParent().resolve("scratch"));
        return new AgentDispatcher(
                local, AgentDirectory.EMPTY, new WorkflowSource("bench.lua", LUA), workspace, Limits.DEFAULT);
    }

    private static TaskOutcome call(AgentDispatcher d, int port, Command command) throws Exception {
        TaskSpec spec = new TaskSpec(
                TaskId.parse("g.noop"),
                "",
                command,
                List.of(),
                Map.of(),
                Map.of(),
                "",
                0,
                null,
                null,
                null,
                new Delegation(List.of("127.0.0.1:" + port), List.of(), null),
                null,
                Map.of(),
                List.of(),
                null,
                null);
        CompletableFuture<TaskOutcome> done = new CompletableFuture<>();
        d.dispatch(new TaskRequest("bench", spec, 1, Map.of(), Map.of()), new TaskSink() {
            @Override
            public void log(String line) {}

            @Override
            public void completed(TaskOutcome outcome) {
                done.complete(outcome);
            }
        });
        return done.get(10, TimeUnit.MINUTES);
    }

    private static void check(TaskOutcome o) {
        if (o.status() != TaskOutcome.Status.SUCCEEDED) throw new IllegalStateException("task failed: " + o.message());
    }

    private static void makeTree(Path tree, int files, long bytes) throws Exception {
        Random rnd = new Random(42);
        int each = (int) (bytes / files);
        byte[] buf = new byte[each];
        for (int i = 0; i < files; i++) {
            Path f = tree.resolve("d" + (i % 100) + "/f" + i + ".bin");
            if (i < 100) Files.createDirectories(f.getParent());
            rnd.nextBytes(buf);
            Files.write(f, buf);
        }
    }

    private static double tar(Path tree, Path dest) throws Exception {
        Files.createDirectories(dest);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("sh", "-c", "tar cf - -C '" + tree + "' . | tar xf - -C '" + dest + "'")
                .inheritIO()
                .start();
        if (p.waitFor() != 0) throw new IllegalStateException("tar failed");
        double ms = ms(t0);
        new ProcessBuilder("rm", "-rf", dest.toString()).inheritIO().start().waitFor();
        return ms;
    }

    /** Syncs timed after the second one, each after changing one file. */
    private static final int LATER = 10;

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(double[] v) {
        return pct(v, 50);
    }

    private static double pct(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    private SyncBench() {}
}
