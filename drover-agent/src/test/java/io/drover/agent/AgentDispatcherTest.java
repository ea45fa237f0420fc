package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentDispatcher;
import io.drover.agent.client.AgentTarget;
import io.drover.agent.sync.Limits;
import io.drover.core.Jvm;
import io.drover.core.TestProcesses;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.engine.RunHandle;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.engine.TaskState;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workflows whose tasks run on agent processes (gRPC on loopback), through the shared scheduler. */
class AgentDispatcherTest {
    @TempDir
    Path tmp;

    private final List<Process> agents = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> logs = new ConcurrentLinkedQueue<>();
    private AgentDispatcher dispatcher;

    @AfterEach
    void stop() {
        if (dispatcher != null) dispatcher.close();
        for (Process p : agents) p.destroy();
        for (Process p : agents) {
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts an agent process; returns its address. Options: token, TLS files (or null), max tasks. */
    private String agent(String name, String token, Path[] tls, int maxTasks) throws Exception {
        return agent(name, token, tls, maxTasks, Map.of());
    }

    private String agent(String name, String token, Path[] tls, int maxTasks, Map<String, String> env)
            throws Exception {
        Path workdir = tmp.resolve("agent-" + name);
        List<String> args = new ArrayList<>(
                List.of(name, workdir.toString(), Integer.toString(maxTasks), token == null ? "-" : token));
        if (tls == null) args.addAll(List.of("-", "-", "-"));
        else
            args.addAll(List.of(
                    tls[0].toString(), tls[1].toString(), tls.length > 2 && tls[2] != null ? tls[2].toString() : "-"));
        ProcessBuilder pb = new ProcessBuilder(Jvm.command(List.of("-Xmx256m"), AgentProcessMain.class.getName(), args))
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        agents.add(p);
        Path port = workdir.resolve("port");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(port) || !p.isAlive());
        assertThat(p.isAlive()).as("agent " + name + " started").isTrue();
        return "127.0.0.1:" + Files.readString(port).strip();
    }

    private String agent(String name) throws Exception {
        return agent(name, null, null, 2);
    }

    private Path ws() throws Exception {
        return Files.createDirectories(tmp.resolve("ws"));
    }

    private RunHandle start(String lua, AgentDirectory directory, Limits limits) throws Exception {
        WorkflowLoader.Loaded wf = WorkflowLoader.load(new WorkflowSource("flow.lua", lua));
        Path ws = ws();
        if (dispatcher == null) {
            dispatcher = new AgentDispatcher(
                    new LocalDispatcher(new TaskRunner(wf.lua(), TaskKinds.none()), ws, tmp.resolve("scratch")),
                    directory,
                    wf.lua().source(),
                    ws,
                    limits);
        }
        RunListener listener = new RunListener() {
            @Override
            public void onTaskLog(TaskSpec task, int attempt, String line) {
                logs.add(task.id() + " | " + line);
            }
        };
        var plan = Planner.plan(wf.workflow());
        AgentDispatcher.check(plan, directory, null);
        return Scheduler.start(
                plan,
                dispatcher,
                RunOptions.builder().concurrency(4).listener(listener).build());
    }

    private RunResult run(String lua, AgentDirectory directory) throws Exception {
        RunResult r = start(lua, directory, Limits.DEFAULT).await(Duration.ofSeconds(90));
        assertThat(r).as("the run ended").isNotNull();
        return r;
    }

    private RunResult run(String lua) throws Exception {
        return run(lua, AgentDirectory.EMPTY);
    }

    private static TaskId id(String s) {
        return TaskId.parse(s);
    }

    @Test
    void aListingLargerThanTheAgentsListingMemoryIsRefusedBeforeItIsHeldAndTheAgentGoesOn() throws Exception {
        String a = agent("small", null, null, 2, Map.of("DROVER_AGENT_LISTING_MEMORY", Integer.toString(1 << 20)));
        Path ws = ws();
        String longName = "n".repeat(200);
        for (int i = 0; i < 3000; i++) Files.writeString(ws.resolve(longName + i), "");
        RunResult big = run("TaskDefinitions = { g = { tasks = { { name = 'big', delegate_to = { address = '" + a
                + "' }, command = 'true' } } } }");
        assertThat(big.task(id("g.big")).message())
                .contains("the listing needs more than the agent's 1 MiB for listings");
        try (var files = Files.list(ws)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        dispatcher.close();
        dispatcher = null;
        RunResult small = run("TaskDefinitions = { g = { tasks = { { name = 'small', delegate_to = { address = '" + a
                + "' }, command = 'echo fits' } } } }");
        assertThat(small.status()).as(small.task(id("g.small")).message()).isEqualTo(RunStatus.SUCCEEDED);
    }

    @Test
    void groupAndTaskDelegationByAddressAndByNameWithOutputsBothWays() throws Exception {
        String a = agent("alpha");
        String b = agent("beta");
        AgentDirectory dir = new AgentDirectory(
                Map.of("beta", new AgentTarget("beta", b, null, null, null, null)), null, null, null, null);
        Files.writeString(ws().resolve("input.txt"), "from the master\n");
        RunResult r = run("""
        TaskDefinitions = {
          prep = { tasks = { { name = "local_one", command = "echo v=7 >> \\"$DROVER_OUTPUT\\"" } } },
          builds = {
            delegate_to = { address = "%s" },
            tasks = {
              { name = "compile", depends_on = "prep.local_one",
                command = "mkdir -p out && cat input.txt > out/app && echo \\"v$DROVER_DEP_PREP_LOCAL_ONE_V\\" >> out/app && chmod 750 out/app && echo bin=out/app >> \\"$DROVER_OUTPUT\\" && echo compiled" },
              { name = "probe", delegate_to = "beta", depends_on = "compile",
                command = function(params, deps)
                  log.info("probing " .. deps.compile.bin)
                  local text = fs.read(deps.compile.bin)
                  fs.write("probe.txt", "seen: " .. text)
                  return true, "ok", { size = #text, env_task = env.get("DROVER_TASK") }
                end },
              { name = "local_step", delegate_to = false, depends_on = "probe", command = "cat probe.txt out/app > both.txt" },
            },
          },
        }
        """.formatted(a), dir);
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        Path ws = ws();
        assertThat(ws.resolve("out/app")).hasContent("from the master\nv7");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(ws.resolve("out/app"))))
                .isEqualTo("rwxr-x---");
        assertThat(ws.resolve("both.txt")).hasContent("seen: from the master\nv7\nfrom the master\nv7");
        assertThat(r.task(id("builds.probe")).outputs())
                .containsEntry("size", 19L)
                .containsEntry("env_task", "builds.probe");
        assertThat(r.task(id("builds.compile")).message()).isEqualTo("compiled");
        assertThat(logs).contains("builds.probe | [info] probing out/app", "builds.compile | compiled");
    }

    @Test
    void droversConfigurationAndTheKeysItNamesNeverTravelToAnAgentNorComeBackFromOne() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        Files.createDirectories(ws.resolve("certs"));
        Files.writeString(
                ws.resolve("drover.toml"), "[agents.other]\naddress = \"x:1\"\ntoken = \"other-agents-token\"\n");
        Files.writeString(ws.resolve("certs/master.key"), "PRIVATE KEY");
        Files.writeString(ws.resolve("certs/master.pem"), "CERTIFICATE");
        Files.writeString(ws.resolve("data.txt"), "travels");
        AgentDirectory dir = new AgentDirectory(
                        Map.of(
                                "other",
                                new AgentTarget(
                                        "other",
                                        "x:1",
                                        "t",
                                        null,
                                        ws.resolve("certs/master.pem"),
                                        ws.resolve("certs/master.key"))),
                        null,
                        null,
                        null,
                        null)
                .withConfigFile(ws.resolve("drover.toml"));
        RunResult r = run("""
        TaskDefinitions = { g = { delegate_to = { address = "%s" }, tasks = {
          { name = 'look', command = 'test -e drover.toml && echo toml; test -e certs/master.key && echo key; test -e certs/master.pem && echo pem; cat data.txt' },
          { name = 'overwrite', depends_on = 'look', command = 'echo evil > drover.toml' },
        } } }""".formatted(a), dir);
        assertThat(r.task(id("g.look")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(id("g.look")).message()).isEqualTo("travels");
        assertThat(logs).noneMatch(l -> l.endsWith("| toml") || l.endsWith("| key") || l.endsWith("| pem"));
        assertThat(r.task(id("g.overwrite")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.overwrite")).message()).contains("the result writes 'drover.toml'");
        assertThat(ws.resolve("drover.toml")).content().contains("other-agents-token");

        // an agent the user trusts with it (send_config = true in its [agents.NAME]) gets the configuration, but its
        // result still cannot change it here
        AgentDirectory trusting = new AgentDirectory(
                        Map.of(
                                "trusted",
                                new AgentTarget("trusted", a, null, null, null, null, true),
                                "other",
                                new AgentTarget(
                                        "other",
                                        "x:1",
                                        "t",
                                        null,
                                        ws.resolve("certs/master.pem"),
                                        ws.resolve("certs/master.key"))),
                        null,
                        null,
                        null,
                        null)
                .withConfigFile(ws.resolve("drover.toml"));
        logs.clear();
        dispatcher.close();
        dispatcher = null; // the next run's dispatcher knows the trusting directory
        RunResult t = run("""
        TaskDefinitions = { g = { delegate_to = "trusted", tasks = {
          { name = 'look', command = 'test -e drover.toml && echo toml; test -e certs/master.key && echo key; cat data.txt' },
          { name = 'overwrite', depends_on = 'look', command = 'echo evil > drover.toml' },
        } } }""", trusting);
        assertThat(t.task(id("g.look")).state())
                .as(t.task(id("g.look")).message())
                .isEqualTo(TaskState.SUCCEEDED);
        assertThat(logs).anyMatch(l -> l.endsWith("| toml")).anyMatch(l -> l.endsWith("| key"));
        assertThat(t.task(id("g.overwrite")).message()).contains("the result writes 'drover.toml'");
        assertThat(ws.resolve("drover.toml")).content().contains("other-agents-token");
    }

    @Test
    void aWorkspaceOfTenThousandFilesMakesTheRoundTripAndASecondRunSendsOnlyWhatChanged() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        byte[] big = new byte[200_000];
        new Random(7).nextBytes(big);
        for (int i = 0; i < 10_000; i++) {
            Path f = ws.resolve("src/d" + (i % 100) + "/f" + i + ".txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, "file " + i + "\n");
        }
        Files.write(ws.resolve("src/big.bin"), big);
        Files.writeString(ws.resolve("src/run.sh"), "#!/bin/sh\n");
        String flow = """
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "edit", command = [[
          set -e
          echo edited >> src/d1/f1.txt
          rm src/d2/f2.txt
          rm -r src/d3
          chmod 755 src/run.sh
          mkdir -p gen/deep && for i in 1 2 3 4 5; do echo $i > gen/deep/n$i; done
          ln -s ../src/big.bin gen/big-link
          echo "$(find src -type f | wc -l) files"
        ]] } } } }""".formatted(a);
        RunResult r1 = run(flow);
        assertThat(r1.status()).as(r1.task(id("g.edit")).message()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r1.task(id("g.edit")).message()).isEqualTo("9901 files");
        long firstSent = dispatcher.sentBytes();
        long firstEntries = dispatcher.sentEntries();
        assertThat(firstEntries).isGreaterThan(10_000); // the first upload is a full listing
        assertThat(firstSent).isGreaterThan(200_000 + 10_000 * 7);
        assertThat(ws.resolve("src/d1/f1.txt")).hasContent("file 1\nedited");
        assertThat(ws.resolve("src/d2/f2.txt")).doesNotExist();
        assertThat(ws.resolve("src/d3")).doesNotExist();
        assertThat(Files.isExecutable(ws.resolve("src/run.sh"))).isTrue();
        assertThat(ws.resolve("gen/deep/n5")).hasContent("5");
        assertThat(Files.readSymbolicLink(ws.resolve("gen/big-link"))).isEqualTo(Path.of("../src/big.bin"));
        try (Stream<Path> s = Files.walk(ws.resolve("src"))) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(10_000 - 1 - 100 + 2);
        }

        // second run: only the one file changed here travels (the rest is in the agent's cache)
        Files.writeString(ws.resolve("src/d5/f5.txt"), "changed on the master\n");
        RunResult r2 = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "check", command = "cat src/d5/f5.txt" } } } }""".formatted(a));
        assertThat(r2.task(id("g.check")).message()).isEqualTo("changed on the master");
        long secondSent = dispatcher.sentBytes() - firstSent;
        assertThat(secondSent).isEqualTo("changed on the master\n".length());
        // and the listing went as a delta on the one the agent kept (the first task's changes included): one entry
        assertThat(dispatcher.sentEntries() - firstEntries).isEqualTo(1);

        // third run: the agent's kept directory was changed behind its back; the task still sees the master's files
        Path kept;
        try (Stream<Path> dirs = Files.list(tmp.resolve("agent-" + "alpha").resolve("tasks"))) {
            kept = dirs.findFirst().orElseThrow().resolve("ws");
        }
        Files.writeString(kept.resolve("src/d6/f6.txt"), "tampered\n");
        Files.delete(kept.resolve("src/d7/f7.txt"));
        Files.writeString(kept.resolve("src/stray.txt"), "stray\n");
        long entriesBefore = dispatcher.sentEntries();
        long sentBefore = dispatcher.sentBytes();
        RunResult r3 = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "check", command = "test ! -e src/stray.txt && echo $(cat src/d6/f6.txt src/d7/f7.txt)" } } } }""".formatted(a));
        assertThat(r3.task(id("g.check")).message())
                .as(r3.task(id("g.check")).message())
                .isEqualTo("file 6 file 7");
        assertThat(dispatcher.sentEntries() - entriesBefore).isZero(); // nothing changed on the master: an empty delta
        assertThat(dispatcher.sentBytes() - sentBefore)
                .isEqualTo("file 6\nfile 7\n".length()); // asked for, by the agent
    }

    /**
     * Sizes past what an int counts and trees past what a listing message holds: a 2.5 GiB sparse file (its holes
     * travel as zeros and come back as written), a 100,000-file tree, and a change to each coming back. Slow (a
     * minute or more here): {@code ./scripts/test -Dgroups=slow -Dsurefire.excludedGroups=}.
     */
    @Test
    @Tag("slow")
    void aFileOverTwoGibibytesASparseOneAndAHundredThousandFilesMakeTheRoundTrip() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        long size = (5L << 30) / 2;
        try (RandomAccessFile f = new RandomAccessFile(ws.resolve("disk.img").toFile(), "rw")) {
            f.setLength(size); // a hole but for the end
            f.seek(size - 4);
            f.write("tail".getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < 100_000; i++) {
            Path f = ws.resolve("tree/d" + (i % 200) + "/f" + i);
            if (i < 200) Files.createDirectories(f.getParent());
            Files.writeString(f, Integer.toString(i));
        }
        RunResult r =
                start("""
                TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "edit", command = [[
                  set -e
                  test "$(tail -c 4 disk.img)" = tail
                  test "$(head -c 4 disk.img | od -An -tx1 | tr -d ' ')" = 00000000
                  printf '!' >> disk.img
                  echo changed > tree/d7/f99807
                  echo "$(find tree -type f | wc -l) files"
                ]] } } } }""".formatted(a), AgentDirectory.EMPTY, Limits.DEFAULT).await(Duration.ofMinutes(10));
        assertThat(r).as("the run ended").isNotNull();
        assertThat(r.status()).as(r.task(id("g.edit")).message()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.task(id("g.edit")).message()).isEqualTo("100000 files");
        assertThat(Files.size(ws.resolve("disk.img"))).isEqualTo(size + 1);
        try (RandomAccessFile f = new RandomAccessFile(ws.resolve("disk.img").toFile(), "r")) {
            byte[] end = new byte[5];
            f.seek(size - 4);
            f.readFully(end);
            assertThat(new String(end, StandardCharsets.US_ASCII)).isEqualTo("tail!");
            f.seek(size / 2);
            assertThat(f.readLong()).isZero();
        }
        assertThat(ws.resolve("tree/d7/f99807")).hasContent("changed");
        assertThat(ws.resolve("tree/d8/f99808")).hasContent("99808");
    }

    @Test
    void aFileRewrittenWhileItIsSentIsListedAgainThenSentFromACopyAndTheTaskRunsAllTheSame() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        Path hot = ws.resolve("hot.bin");
        Files.write(hot, new byte[300_000]);
        Files.writeString(ws.resolve("grows.log"), "line 0\n");
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = Thread.ofPlatform()
                .start(
                        () -> { // rewrites one file and appends to another, without pause
                            Random r = new Random(3);
                            byte[] b = new byte[300_000];
                            Path next = tmp.resolve("hot.next"); // outside the workspace, on its file system
                            try {
                                for (int i = 1; !stop.get(); i++) {
                                    r.nextBytes(b); // each version whole (written aside, renamed over): 300,000 bytes
                                    Files.write(next, b);
                                    Files.move(
                                            next,
                                            hot,
                                            StandardCopyOption.REPLACE_EXISTING,
                                            StandardCopyOption.ATOMIC_MOVE);
                                    Files.writeString(
                                            ws.resolve("grows.log"), "line " + i + "\n", StandardOpenOption.APPEND);
                                }
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        });
        try {
            RunResult r = run("""
                    TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "use", command = "wc -c < hot.bin" } } } }""".formatted(a));
            assertThat(r.status()).as(r.task(id("g.use")).message()).isEqualTo(RunStatus.SUCCEEDED);
            assertThat(r.task(id("g.use")).message()).isEqualTo("300000");
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThat(logs).anyMatch(l -> l.startsWith("g.use | sync: hot.bin changed while it was sent; sending"));
        assertThat(logs).noneMatch(l -> l.contains("grows.log")); // a file that only grows is sent as listed
    }

    @Test
    void anUploadCutOffMidwayResumesWithoutSendingAgainWhatArrived() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        Random random = new Random(11);
        int files = 80;
        for (int i = 0; i < files; i++) {
            byte[] b = new byte[1 << 20];
            random.nextBytes(b);
            Files.write(ws.resolve("part" + i + ".bin"), b);
        }
        String flow = """
                TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "count", command = "ls | wc -l" } } } }""".formatted(a);
        Path tasks = tmp.resolve("agent-alpha").resolve("tasks");
        RunHandle first = start(flow, AgentDirectory.EMPTY, Limits.DEFAULT);
        await().atMost(Duration.ofSeconds(60)).until(() -> received(tasks) >= 10); // some of it arrived
        first.cancel("cut off");
        assertThat(first.await(Duration.ofSeconds(60)).status()).isEqualTo(RunStatus.CANCELLED);
        Path agentLog = tmp.resolve("alpha.log");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.readString(agentLog).contains("upload cut off; what arrived is kept"));
        long arrived = received(tasks);
        assertThat(arrived).isBetween(10L, (long) files - 1);
        long before = dispatcher.sentBytes();
        RunResult second = run(flow);
        assertThat(second.task(id("g.count")).message()).isEqualTo(Integer.toString(files));
        assertThat(dispatcher.sentBytes() - before)
                .as("only what had not arrived travels again")
                .isEqualTo((files - arrived) * (1L << 20));
    }

    /** Whole contents the agent holds in its task directories so far. */
    private static long received(Path tasks) throws Exception {
        if (!Files.isDirectory(tasks)) return 0;
        try (Stream<Path> s = Files.walk(tasks)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".bin"))
                    .filter(p -> p.toFile().length() == 1 << 20)
                    .count();
        }
    }

    @Test
    void theNextRunRemembersTheListingTheAgentKeepsAndSendsOnlyADelta() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        for (int i = 0; i < 200; i++)
            Files.writeString(
                    Files.createDirectories(ws.resolve("d" + (i % 10))).resolve("f" + i), "file " + i + "\n");
        String flow = """
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "t", command = "cat d3/f3; echo made > out.txt" } } } }""".formatted(a);
        assertThat(run(flow).task(id("g.t")).message()).isEqualTo("file 3");
        assertThat(dispatcher.sentEntries()).isGreaterThan(200);
        dispatcher.close(); // the end of this run: a new dispatcher is a new `drover run`
        dispatcher = null;
        Files.writeString(ws.resolve("d3/f3"), "edited\n");
        assertThat(run(flow).task(id("g.t")).message()).isEqualTo("edited");
        assertThat(dispatcher.sentEntries())
                .as("one edited file on top of what the agent kept, out.txt included")
                .isEqualTo(1);
        assertThat(dispatcher.sentBytes()).isEqualTo("edited\n".length());
    }

    @Test
    void aKeptDirectoryIsResetToTheNewListingEvenWhenNothingHasToTravel() throws Exception {
        String a = agent("alpha");
        RunResult r1 = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "make", command = "echo x > a.txt; mkdir -p d .drover; echo y > d/b.txt; echo z > .drover/left" } } } }""".formatted(a));
        assertThat(r1.status()).isEqualTo(RunStatus.SUCCEEDED);
        Path ws = ws();
        Files.delete(ws.resolve("a.txt"));
        Files.delete(ws.resolve("d/b.txt"));
        Files.delete(ws.resolve("d"));
        RunResult r2 = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "check", command = "test ! -e a.txt && test ! -e d && test ! -e .drover/left && echo clean" } } } }""".formatted(a));
        assertThat(r2.task(id("g.check")).message()).isEqualTo("clean");
        assertThat(dispatcher.sentBytes()).isZero(); // nothing had content to send, in either run
    }

    @Test
    void aTaskThatCreatesAnEscapingLinkOrAFifoHasItsChangesRejectedAndTheWorkspaceUntouched() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        Files.writeString(ws.resolve("keep.txt"), "as it was");
        RunResult r = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = {
          { name = "escape", command = "echo new > keep.txt; echo x > new.txt; ln -s /etc etc-link" },
          { name = "fifo", command = "mkfifo pipe" },
        } } }""".formatted(a));
        assertThat(r.task(id("g.escape")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.escape")).message())
                .contains("rejected: link 'etc-link' points outside the root (/etc)");
        assertThat(r.task(id("g.fifo")).message()).contains("rejected: 'pipe' is a FIFO");
        assertThat(ws.resolve("keep.txt")).hasContent("as it was");
        assertThat(ws.resolve("new.txt")).doesNotExist();
        assertThat(ws.resolve("etc-link")).doesNotExist();
    }

    @Test
    void aResultWhoseLinksLeaveTheRootOnlyWhenFollowedIsRejectedAndNothingIsWrittenOutside() throws Exception {
        String a = agent("alpha");
        Path ws = ws();
        Files.createDirectories(tmp.resolve("outside"));
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = "chain", delegate_to = "%s", command = "ln -s . l2 && ln -s l2/l2/l2/../../../outside out" },
          { name = "write", depends_on = "chain", command = "mkdir -p out && echo pwned > out/x" },
        } } }""".formatted(a));
        assertThat(r.task(id("g.chain")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.chain")).message()).contains("link 'out' points outside the root");
        assertThat(ws.resolve("out")).doesNotExist();
        assertThat(tmp.resolve("outside/x")).doesNotExist();
    }

    @Test
    void aResultOverTheMastersLimitIsABombAndIsRejected() throws Exception {
        String a = agent("alpha");
        RunResult r = start(
                        """
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "bomb", command = "head -c 3000000 /dev/zero > big.bin" } } } }""".formatted(a),
                        AgentDirectory.EMPTY,
                        new Limits(1000, 1_000_000, "DROVER_SYNC_MAX_FILES", "DROVER_SYNC_MAX_BYTES"))
                .await(Duration.ofSeconds(60));
        assertThat(r.task(id("g.bomb")).message())
                .contains("rejected: the transfer holds more than 976.6 KiB (DROVER_SYNC_MAX_BYTES)");
        assertThat(ws().resolve("big.bin")).doesNotExist();
    }

    @Test
    void anUploadOverTheMastersOwnLimitIsNotSentAndSaysWhichSetting() throws Exception {
        String a = agent("alpha");
        Files.write(ws().resolve("big.bin"), new byte[2_000_000]);
        RunResult r = start(
                        """
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "up", command = "true" } } } }""".formatted(a),
                        AgentDirectory.EMPTY,
                        new Limits(1000, 1_000_000, "DROVER_SYNC_MAX_FILES", "DROVER_SYNC_MAX_BYTES"))
                .await(Duration.ofSeconds(60));
        assertThat(r.task(id("g.up")).message())
                .contains("the transfer holds more than 976.6 KiB (DROVER_SYNC_MAX_BYTES)");
    }

    @Test
    void cancellingFromTheMasterKillsTheRemoteProcessTree() throws Exception {
        String a = agent("alpha");
        Path pidFile = tmp.resolve("child.pid");
        RunHandle h = start("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "long", command = "sleep 300 & echo $! > %s; wait" } } } }""".formatted(a, pidFile), AgentDirectory.EMPTY, Limits.DEFAULT);
        long pid = TestProcesses.awaitPid(pidFile);
        h.cancel("test");
        RunResult r = h.await(Duration.ofSeconds(30));
        assertThat(r.task(id("g.long")).state()).isEqualTo(TaskState.CANCELLED);
        TestProcesses.awaitGone(pid);
    }

    @Test
    void theTimeoutKillsTheRemoteTreeAndTheAttemptIsRetried() throws Exception {
        String a = agent("alpha");
        Path pidFile = tmp.resolve("child.pid");
        RunResult r = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = { { name = "slow", retries = 1, backoff = "10ms", timeout = "1s",
          command = "sleep 300 & echo $! >> %s; wait" } } } }""".formatted(a, pidFile));
        assertThat(r.task(id("g.slow")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.slow")).attempts()).isEqualTo(2);
        assertThat(r.task(id("g.slow")).message()).isEqualTo("timed out after 1s");
        for (String line : Files.readAllLines(pidFile, StandardCharsets.UTF_8))
            TestProcesses.awaitGone(Long.parseLong(line.strip()));
    }

    @Test
    void anUnreachableAgentFailsTheAttemptNamingItAndAnotherListedAgentTakesTheRetry() throws Exception {
        String good = agent("good");
        int deadPort;
        try (var s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = { { name = "t", retries = 1, backoff = "10ms",
          delegate_to = { address = { "127.0.0.1:%d", "%s" } }, command = "echo done" } } } }""".formatted(deadPort, good));
        assertThat(r.task(id("g.t")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(id("g.t")).attempts()).isEqualTo(2);
    }

    @Test
    void tlsAndMutualTlsWithCertificatesMadeHere() throws Exception {
        TestCerts certs = new TestCerts(Files.createDirectories(tmp.resolve("certs")), "test-ca");
        Path[] server = certs.issue("agent");
        Path[] clientCert = certs.issue("master");
        String tls = agent("tls", "tok", new Path[] {server[0], server[1]}, 2);
        String mtls = agent("mtls", "tok", new Path[] {server[0], server[1], certs.caCert}, 2);
        AgentDirectory dir = new AgentDirectory(
                Map.of(
                        "tls", new AgentTarget("tls", tls, "tok", certs.caCert, null, null),
                        "mtls", new AgentTarget("mtls", mtls, "tok", certs.caCert, clientCert[0], clientCert[1]),
                        "mtls-nocert", new AgentTarget("mtls-nocert", mtls, "tok", certs.caCert, null, null),
                        "plain-to-tls", new AgentTarget("plain-to-tls", tls, "tok", null, null, null)),
                null,
                null,
                null,
                null);
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = "a", delegate_to = "tls", command = "echo over tls" },
          { name = "b", delegate_to = "mtls", command = "echo over mtls" },
          { name = "c", delegate_to = "mtls-nocert", command = "echo never" },
          { name = "d", delegate_to = "plain-to-tls", command = "echo never" },
        } } }""", dir);
        assertThat(r.task(id("g.a")).message()).isEqualTo("over tls");
        assertThat(r.task(id("g.b")).message()).isEqualTo("over mtls");
        assertThat(r.task(id("g.c")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.c")).message()).startsWith("agent mtls-nocert (" + mtls + ")");
        assertThat(r.task(id("g.d")).state()).isEqualTo(TaskState.FAILED);
        // a plain call to a TLS agent says TLS, not only "Network closed for unknown reason"
        assertThat(r.task(id("g.d")).message())
                .contains("if the agent uses TLS (drover agent --tls-cert), give its CA");
    }

    @Test
    void aMissingOrWrongTokenFailsTheTaskWithAClearError() throws Exception {
        String a = agent("locked", "right-token", null, 2);
        RunResult r = run("""
        TaskDefinitions = { g = { tasks = {
          { name = "none", delegate_to = "%s", command = "true" },
          { name = "wrong", delegate_to = { address = "%s", token = "wrong-token" }, command = "true" },
          { name = "right", delegate_to = { address = "%s", token = "right-token" }, command = "echo in" },
        } } }""".formatted(a, a, a));
        assertThat(r.task(id("g.none")).message())
                .isEqualTo("agent " + a + " refused the call: this agent needs a token and none was given"
                        + " (set token in delegate_to, in drover.toml [agents], or DROVER_AGENT_TOKEN)");
        assertThat(r.task(id("g.wrong")).message())
                .isEqualTo("agent " + a + " refused the call: wrong token for this agent");
        assertThat(r.task(id("g.right")).message()).isEqualTo("in");
        assertThat(String.join("\n", logs)).doesNotContain("right-token").doesNotContain("wrong-token");
    }

    @Test
    void concurrentTasksOnOneAgentNeverShareADirectory() throws Exception {
        String a = agent("alpha", null, null, 4);
        RunResult r = run("""
        TaskDefinitions = { g = { delegate_to = "%s", tasks = {
          { name = "a", command = "test ! -e marker && touch marker && sleep 0.5 && rm marker && pwd" },
          { name = "b", command = "test ! -e marker && touch marker && sleep 0.5 && rm marker && pwd" },
          { name = "c", command = "test ! -e marker && touch marker && sleep 0.5 && rm marker && pwd" },
        } } }""".formatted(a));
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.tasks()).allSatisfy(t -> assertThat(t.message()).contains("/tasks/"));
        assertThat(r.tasks().stream().map(t -> t.message()).distinct().count()).isEqualTo(3);
    }
}
