package io.drover.cli;

import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentDispatcher;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.RunWorkspace;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.files.Versions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.StoreException;
import io.drover.cluster.run.ClusterDispatcher;
import io.drover.core.Errors;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.engine.RunHandle;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.engine.SecretMasker;
import io.drover.core.engine.TaskResult;
import io.drover.core.engine.TaskState;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.model.Delegation;
import io.drover.core.model.RunId;
import io.drover.core.plan.Plan;
import io.drover.core.process.ProcessTree;
import io.drover.core.record.RunJson;
import io.drover.core.record.RunRecorder;
import io.drover.core.record.RunStore;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import io.drover.core.state.StateHandle;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover run FILE}: runs a workflow on this machine and exits with its status. */
@Command(
        name = "run",
        description = {
            "Run a workflow on this machine, or with --redis-url on the fleet's workers; tasks with delegate_to run on agents.",
            "Exit codes: 0 all tasks succeeded, 1 a task failed, 2 invalid input, 130 interrupted."
        })
final class RunCommand implements Callable<Integer> {
    private static final int SUMMARY_ROWS = 60;

    @Mixin
    WorkflowArgs workflow;

    @Option(
            names = {"-p", "--param"},
            paramLabel = "KEY=VALUE",
            description = "A run parameter (params.KEY in Lua, $DROVER_PARAM_KEY in shell). Repeatable.")
    List<String> params = new ArrayList<>();

    @Option(
            names = {"-c", "--concurrency"},
            paramLabel = "N",
            description = "Tasks running at once. Default: the number of cores here; 256 for a run on the controllers.")
    Integer concurrency;

    @Option(names = "--fail-fast", description = "Cancel everything else as soon as a task has failed for good.")
    boolean failFast;

    @Option(
            names = "--json",
            description = "Print one JSON object with the result on stdout (progress goes to stderr).")
    boolean json;

    @Option(names = "--follow-logs", description = "Print every task's log lines as they come, prefixed by the task.")
    boolean followLogs;

    @Option(
            names = "--sync-stats",
            description = "After the run, print what travelled for each delegated task: files and bytes each way, and"
                    + " the time it took.")
    boolean syncStats;

    @Option(
            names = "--workdir",
            paramLabel = "DIR",
            description = "The directory relative task workdirs resolve against. Default: the current directory.")
    Path workdir;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description =
                    "drover.toml with agents by name. Default: $DROVER_CONFIG, ./drover.toml, or next to the workflow.")
    Path config;

    @Option(
            names = "--agent",
            paramLabel = "NAME|HOST:PORT",
            description = "Run every task without delegate_to on this agent (repeatable: the least busy one).")
    List<String> agentTargets = new ArrayList<>();

    @Option(
            names = "--redis-url",
            paramLabel = "URL",
            description = {
                "Run the tasks on the fleet: workers of this Redis (drover worker --queue Q).",
                "Tasks with delegate_to still go to their agents."
            })
    String redisUrl;

    @Option(
            names = "--queue",
            paramLabel = "Q",
            defaultValue = "default",
            description = "With --redis-url: the queue of tasks that name none (default ${DEFAULT-VALUE}).")
    String queue;

    @Option(
            names = "--no-sync-back",
            description = {
                "With --redis-url: leave the run's changes to files on the fleet (drover runs files ID) instead of"
                        + " applying them to the workdir when the run ends."
            })
    boolean noSyncBack;

    @Option(
            names = "--state-url",
            paramLabel = "URL",
            description = {
                "The state store of the tasks this process runs (state.scope, memory): sqlite:PATH,"
                        + " postgres://USER@HOST/DB or redis://HOST:PORT. Default: $DROVER_STATE_URL, [state] url"
                        + " in drover.toml, else sqlite:.drover/state.db. Agents and workers use their own."
            })
    String stateUrl;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        LuaInterpreter.checkSettings();
        if (concurrency != null && concurrency < 1)
            throw new Main.UserException("--concurrency must be at least 1, got " + concurrency);
        Map<String, Object> runParams = parseParams(params);
        Delegation byDefault = null;
        if (!agentTargets.isEmpty()) {
            List<String> addresses = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (String a : agentTargets) (a.contains(":") ? addresses : names).add(a);
            byDefault = new Delegation(addresses, names, null);
        }
        TaskKinds kinds = TaskKinds.discover();
        WorkflowArgs.Loaded loaded = workflow.checked(config, byDefault, redisUrl == null ? kinds : null);
        Plan plan = loaded.plan();
        AgentDirectory agents = Config.find(config, workflow.file).agents();
        Limits limits;
        try {
            limits = Limits.fromEnvironment();
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }

        Path cwd = Path.of("").toAbsolutePath();
        Path base = workdir == null ? cwd : workdir.toAbsolutePath().normalize();
        if (!Files.isDirectory(base)) throw new Main.UserException("--workdir " + workdir + " is not a directory");
        RunStore store = RunStore.in(cwd);
        String runId = RunId.next().toString();
        Path scratch = store.dirOf(runId).resolve("tmp");

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter progressOut = json ? spec.commandLine().getErr() : out;
        boolean interactive = Terminal.isInteractive(json);
        ConsoleReporter reporter =
                new ConsoleReporter(progressOut, interactive, Terminal.colors(interactive), followLogs);
        Map<String, Object> shownParams = masked(runParams);
        RunRecorder recorder = new RunRecorder(store, workflow.file.toString(), shownParams);

        RunOptions options = RunOptions.builder()
                .runId(runId)
                .concurrency(concurrency == null ? RunOptions.DEFAULT_CONCURRENCY : concurrency)
                .failFast(failFast)
                .params(runParams)
                .listener(RunListener.of(List.of(recorder, reporter)))
                .build();
        StateHandle state = stateHandle(cwd);
        TaskRunner runner = new TaskRunner(loaded.workflow().lua(), kinds, state);
        RunResult result;
        boolean applied;
        Signals signals = Signals.install();
        // agents and workers evaluate the file; they never need its delegate_to tokens
        var source = loaded.workflow().lua() == null
                ? null
                : loaded.workflow().lua().source().redact(SecretMasker.delegationTokens(plan));
        Client fleet = null;
        Dispatcher inner;
        FleetFiles fleetFiles = null;
        SyncBack.Submitted submitted = null;
        RunWorkspace workspace = null;
        ClusterDispatcher fleetDispatcher = null;
        if (redisUrl != null) {
            try {
                new Keys(queue); // checks the name
            } catch (IllegalArgumentException e) {
                throw new Main.UserException("--queue: " + e.getMessage());
            }
            fleet = Client.connect(redisUrl);
            if (FleetRuns.controllerLeads(fleet) && !AgentDispatcher.delegatesAny(plan, byDefault)) {
                try (Client c = fleet) {
                    return onControllers(
                            c,
                            loaded,
                            runParams,
                            shownParams,
                            reporter,
                            recorder,
                            out,
                            progressOut,
                            store,
                            cwd,
                            base,
                            signals);
                } finally {
                    reporter.close();
                }
            }

            fleetFiles = fleetFiles(fleet);
            submitted = upload(fleetFiles, base);
            workspace = new RunWorkspace(fleetFiles, new Versions(fleetFiles), submitted.ref(), head -> {});
            // the tasks' changes land in the workdir as each one ends, as an agent's do
            fleetDispatcher = new ClusterDispatcher(
                    fleet,
                    source,
                    queue,
                    () -> true,
                    workspace,
                    noSyncBack ? null : base,
                    noSyncBack ? null : submitted);
            inner = fleetDispatcher;
            progressOut.println("on the fleet at " + RedisUrls.masked(redisUrl) + ", queue " + queue
                    + (AgentDispatcher.delegatesAny(plan, byDefault)
                            ? " (tasks with delegate_to keep this process as their scheduler)"
                            : " (no controller leads on this Redis: this process schedules the run)"));
        } else {
            inner = new LocalDispatcher(runner, base, scratch);
        }
        try (StateHandle ignoredState = state;
                Client ignored = fleet;
                AgentDispatcher dispatcher = new AgentDispatcher(inner, agents, source, base, limits, byDefault)) {
            RunHandle handle = Scheduler.start(plan, dispatcher, options);
            signals.attach(new Signals.Target() {
                @Override
                public void stop(String signal) {
                    System.err.println("\ndrover: interrupted (" + signal + "); stopping running tasks...");
                    handle.cancel("interrupted (" + signal + ")");
                }

                @Override
                public void stopNow(String signal) {
                    System.err.println("\ndrover: interrupted again; killing the tasks' processes and exiting");
                    ProcessTree.killAllNow();
                    // With its processes gone the run ends by itself and is recorded as usual; should it not within
                    // EXIT_NOW_WAIT (a Lua function deep in Java code), its record is closed here and the process goes.
                    Thread.ofPlatform().daemon().name("drover-exit-now").start(() -> {
                        try {
                            Thread.sleep(EXIT_NOW_WAIT.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        recorder.exitedEarly("interrupted twice (" + signal + "): exited before the run could end");
                        Runtime.getRuntime().halt(Main.INTERRUPTED);
                    });
                }
            });
            result = handle.await();
            if (syncStats) printSyncStats(progressOut, dispatcher.syncStats());
            applied = fleetDispatcher == null || noSyncBack || saidFilesBack(fleetDispatcher.filesBack(), progressOut);
        } finally {
            reporter.close();
            deleteQuietly(scratch);
        }
        return Math.max(report(out, result, shownParams, store, cwd), applied ? 0 : 1);
    }

    /**
     * The state store of the tasks this process runs: flag, environment, drover.toml, else the SQLite file in
     * {@code .drover}. On the fleet the workers run the tasks with stores of their own, so a flag is refused there.
     */
    private StateHandle stateHandle(Path cwd) {
        if (redisUrl != null && stateUrl != null) {
            throw new Main.UserException("--state-url: on the fleet the workers run the tasks, each with its own store:"
                    + " give it to them (drover worker --state-url URL, $DROVER_STATE_URL or [state] url);"
                    + " by default they use the fleet's Redis");
        }
        return StateHandle.of(Settings.load(config).localStateUrl(stateUrl), cwd);
    }

    private static void printSyncStats(
            PrintWriter out, Map<io.drover.core.model.TaskId, io.drover.agent.client.SyncStats> stats) {
        if (stats.isEmpty()) {
            out.println("sync: no task was delegated");
            return;
        }
        int width = stats.keySet().stream()
                .mapToInt(t -> t.toString().length())
                .max()
                .orElse(0);
        out.println("sync, per delegated task:");
        stats.forEach((task, s) -> out.println("  " + String.format("%-" + width + "s", task) + "  "
                + s.describe().substring("sync: ".length())));
    }

    /** How long a second interrupt waits for the run to end once its processes were killed. */
    private static final Duration EXIT_NOW_WAIT = Duration.ofSeconds(3);

    /**
     * Hands the run to the controllers and follows it: the leader plans and dispatches it, and a standby resumes it if
     * the leader dies, so this process may go away (Ctrl-C asks the controllers to cancel the run).
     */
    private int onControllers(
            Client fleet,
            WorkflowArgs.Loaded loaded,
            Map<String, Object> runParams,
            Map<String, Object> shownParams,
            ConsoleReporter reporter,
            RunRecorder recorder,
            PrintWriter out,
            PrintWriter progressOut,
            RunStore store,
            Path cwd,
            Path base,
            Signals signals) {
        var source =
                loaded.workflow().lua() == null ? null : loaded.workflow().lua().source();
        if (source == null) throw new Main.UserException("a run on the controllers needs a workflow file");
        RunRecords records = fleet.runs();
        FleetFiles fleetFiles = fleetFiles(fleet);
        SyncBack.Submitted submitted = upload(fleetFiles, base);
        RunId runId = records.submit(new RunRecords.Submission(
                source,
                workflow.groups,
                workflow.tasks,
                runParams,
                queue,
                concurrency == null ? FLEET_CONCURRENCY : concurrency,
                failFast,
                submitted.ref()));
        progressOut.println("run " + runId + " submitted to the controllers at " + RedisUrls.masked(redisUrl)
                + ", queue " + queue + " (drover runs status " + runId + ")");
        progressOut.flush();
        signals.attach(new Signals.Target() {
            @Override
            public void stop(String signal) {
                System.err.println(
                        "\ndrover: interrupted (" + signal + "); asking the controllers to cancel run " + runId);
                records.requestCancel(runId, "interrupted (" + signal + ")");
            }

            @Override
            public void stopNow(String signal) {
                System.err.println(
                        "\ndrover: interrupted again; exiting now (the run goes on: drover runs cancel " + runId + ")");
                Runtime.getRuntime().halt(Main.INTERRUPTED);
            }
        });
        RunResult result;
        try (var reader = Client.connect(redisUrl)) { // a client of its own: its reads block
            result = FleetRuns.follow(reader.runs(), runId, loaded.plan(), RunListener.of(List.of(recorder, reporter)));
        }
        reporter.close();
        var ended = records.get(runId);
        ended.map(v -> v.fields().get("message")).ifPresent(m -> progressOut.println("run " + runId + ": " + m));
        String head = ended.flatMap(v -> RunRecords.filesOf(v.fields())).orElse(null);
        boolean applied = syncBack(fleetFiles, base, submitted, head, progressOut);
        return Math.max(report(out, result, shownParams, store, cwd), applied ? 0 : 1);
    }

    /** Says what came back to the workdir from the fleet; false when the run's files stopped coming back. */
    private static boolean saidFilesBack(SyncBack.Applied back, PrintWriter progressOut) {
        if (back == null) {
            progressOut.println("drover: the run's later changes to files were not applied here (see the failed task)");
            return false;
        }
        if (back.written() + back.deleted() > 0) {
            progressOut.println("files: " + back.written() + " written and " + back.deleted()
                    + " deleted here by the run's tasks on the fleet");
        }
        progressOut.flush();
        return true;
    }

    /** The fleet's store of runs' files, with this process's settings ({@code DROVER_FILE_STORE}, ...). */
    static FleetFiles fleetFiles(Client fleet) {
        try {
            return FleetFiles.fromEnvironment(fleet.blobs(), fleet.retention());
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }
    }

    /** Stores the run's workspace (the workdir) on the fleet; what cannot travel is refused before the run starts. */
    static SyncBack.Submitted upload(FleetFiles files, Path base) {
        try {
            return SyncBack.upload(files, base);
        } catch (TransferRejected e) {
            throw new Main.UserException("the workdir cannot go to the fleet: " + e.getMessage());
        } catch (IOException e) {
            throw new Main.UserException("the workdir cannot be read: " + Errors.describe(e));
        }
    }

    /**
     * Applies what the run changed on the fleet to the workdir (unless --no-sync-back), all or none; says what came
     * back. Returns false when it was refused (a conflict: nothing applied).
     */
    private boolean syncBack(
            FleetFiles files, Path base, SyncBack.Submitted submitted, String head, PrintWriter progressOut) {
        if (noSyncBack || head == null) return true;
        try {
            return saidFilesBack(SyncBack.apply(files, base, submitted, head), progressOut);
        } catch (TransferRejected | StoreException | IOException e) {
            progressOut.println("drover: the run's changes to files were not applied here: " + Errors.describe(e)
                    + " (they stay on the fleet: drover runs files)");
            progressOut.flush();
            return false;
        }
    }

    /** The run's result on stdout (JSON or the summary table); returns its exit code. Both kinds of run end here. */
    private int report(PrintWriter out, RunResult result, Map<String, Object> shownParams, RunStore store, Path cwd) {
        if (json) {
            out.println(RunJson.write(RunJson.toMap(result, workflow.file.toString(), shownParams), false));
        } else {
            printSummary(out, result, store.dirOf(result.runId()), cwd);
        }
        out.flush();
        return result.status().exitCode();
    }

    /** Attempts in flight at once for a run on the controllers, unless --concurrency says otherwise. */
    static final int FLEET_CONCURRENCY = 256;

    static Map<String, Object> parseParams(List<String> raw) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String p : raw) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw new Main.UserException("bad --param '" + p + "': write key=value");
            String key = p.substring(0, eq).strip();
            if (!key.matches("[A-Za-z_][A-Za-z0-9_.-]*")) {
                throw new Main.UserException("bad --param key '" + key + "': use letters, digits, '_', '-' and '.'");
            }
            m.put(key, p.substring(eq + 1));
        }
        return m;
    }

    private static Map<String, Object> masked(Map<String, Object> params) {
        Map<String, Object> m = new LinkedHashMap<>();
        params.forEach((k, v) -> m.put(k, SecretMasker.SECRET_KEY.matcher(k).matches() ? SecretMasker.MASK : v));
        return m;
    }

    /** A task's result as the task tables show it. */
    static Format.TaskRow row(TaskResult t) {
        return new Format.TaskRow(
                t.id().toString(), t.state().label(), t.attempts(), t.durationMillis(), t.ranOn(), t.message());
    }

    private static void printSummary(PrintWriter out, RunResult r, Path recordDir, Path cwd) {
        List<TaskResult> rows = new ArrayList<>(r.tasks());
        int hidden = 0;
        if (rows.size() > SUMMARY_ROWS) {
            // Keep what needs attention: anything but SUCCEEDED first, then as written.
            rows.sort(Comparator.comparing((TaskResult t) -> t.state() == TaskState.SUCCEEDED));
            hidden = rows.size() - SUMMARY_ROWS;
            rows = rows.subList(0, SUMMARY_ROWS);
        }
        out.println();
        out.print(Format.tasks(rows.stream().map(RunCommand::row).toList()));
        if (hidden > 0) out.println("... and " + hidden + " more succeeded tasks (drover runs show " + r.runId() + ")");
        Map<TaskState, AtomicInteger> counts = new LinkedHashMap<>();
        for (TaskResult t : r.tasks())
            counts.computeIfAbsent(t.state(), s -> new AtomicInteger()).incrementAndGet();
        StringBuilder sb = new StringBuilder();
        counts.forEach((s, c) ->
                sb.append(sb.isEmpty() ? "" : ", ").append(c.get()).append(' ').append(s.label()));
        long ms = r.finishedAt().toEpochMilli() - r.startedAt().toEpochMilli();
        String rel = cwd.relativize(recordDir).toString();
        out.println();
        out.println("run " + r.runId() + " " + r.status().label() + " in " + Format.seconds(ms) + " (" + sb
                + "); record: " + rel);
        if (r.status() == RunStatus.FAILED) out.println("logs: drover runs show " + r.runId() + " --logs");
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // leftovers of a scratch directory are harmless
        }
    }
}
