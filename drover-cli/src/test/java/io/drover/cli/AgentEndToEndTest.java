package io.drover.cli;

import static io.drover.cli.DroverProcess.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.agent.TestCerts;
import io.drover.core.Version;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** drover agent and drover run with delegate_to, all as processes on loopback. */
class AgentEndToEndTest {
    private static final String TOKEN = "e2e-token-42";

    @TempDir
    Path dir;

    private final List<Process> agents = new ArrayList<>();
    private final List<Long> leftovers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Process p : agents) p.destroy();
        for (Process p : agents)
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        for (long pid : leftovers) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** Starts an agent on a free port with the token; returns its address. */
    private String agent(String name, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "agent",
                "-p",
                "0",
                "--bind",
                "127.0.0.1",
                "--token",
                TOKEN,
                "--name",
                name,
                "--workdir",
                dir.resolve("agent-" + name).toString(),
                "--grace",
                "1s"));
        args.addAll(List.of(extra));
        Path log = dir.resolve(name + ".log");
        Process p = DroverProcess.builder(dir, args.toArray(new String[0]))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        agents.add(p);
        Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
        String[] port = new String[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher m = listening.matcher(Files.exists(log) ? Files.readString(log) : "");
            return m.find() && (port[0] = m.group(1)) != null;
        });
        return "127.0.0.1:" + port[0];
    }

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    @Test
    void tasksRunOnAgentsByNameAndByAddressAndTheWorkspaceComesBack() throws Exception {
        String alpha = agent("alpha");
        String beta = agent("beta");
        write("drover.toml", """
        [agents.alpha]
        address = "%s"
        token_env = "ALPHA_TOKEN"
        """.formatted(alpha));
        write("src/input.txt", "42\n");
        write("flow.lua", """
        TaskDefinitions = {
          builds = {
            delegate_to = "alpha",
            tasks = {
              { name = "compile", command = "mkdir -p out && expr $(cat src/input.txt) + 1 > out/answer && echo answer=$(cat out/answer) >> \\"$DROVER_OUTPUT\\"" },
              { name = "probe", depends_on = "compile", delegate_to = { address = "%s" },
                command = function(params, deps) return true, "got " .. deps.compile.answer .. " and " .. fs.read("out/answer") end },
              { name = "local_step", delegate_to = false, depends_on = "probe", command = "cat out/answer" },
            },
          },
        }
        """.formatted(beta));
        var r = run(dir, Map.of("ALPHA_TOKEN", TOKEN, "DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("builds.probe", "got 43 and 43");
        assertThat(dir.resolve("out/answer")).hasContent("43");
        assertThat(Files.readString(dir.resolve("alpha.log")))
                .contains("builds.compile (attempt 1): SUCCEEDED")
                .doesNotContain(TOKEN);
        assertThat(Files.readString(dir.resolve("beta.log"))).contains("builds.probe (attempt 1): SUCCEEDED");

        var list = run(dir, Map.of("ALPHA_TOKEN", TOKEN, "DROVER_AGENT_TOKEN", TOKEN), "agents");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out())
                .containsPattern("alpha +" + Pattern.quote(alpha) + " +yes +" + Pattern.quote(Version.current()));
        // --address replaces drover.toml's list: only the agents named are shown
        var only = run(dir, Map.of("ALPHA_TOKEN", TOKEN, "DROVER_AGENT_TOKEN", TOKEN), "agents", "--address", beta);
        assertThat(only.exit()).as(only.err()).isZero();
        assertThat(only.out())
                .containsPattern(Pattern.quote(beta) + " +" + Pattern.quote(beta) + " +yes")
                .doesNotContain("alpha");

        // --agent: every task without delegate_to goes to that agent; delegate_to = false stays here
        write("all.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "there", command = "echo remote > where.txt; echo on the agent" },
          { name = "here", delegate_to = false, depends_on = "there", command = "cat where.txt" },
        } } }""");
        var everything = run(dir, Map.of("ALPHA_TOKEN", TOKEN), "run", "all.lua", "--agent", "alpha");
        assertThat(everything.exit()).as(everything.out() + everything.err()).isZero();
        assertThat(everything.out()).containsPattern("g\\.here +succeeded +1 .* remote");
        assertThat(Files.readString(dir.resolve("alpha.log")))
                .contains("g.there (attempt 1): SUCCEEDED")
                .doesNotContain("g.here");

        var noToken = run(dir, Map.of(), "agents");
        assertThat(noToken.exit()).isEqualTo(1);
        assertThat(noToken.out()).contains("refused the call: this agent needs a token and none was given");
    }

    @Test
    void aDelegateToTokenWrittenInTheFileNeverReachesTheAgentAndIsMaskedInLogs() throws Exception {
        String alpha = agent("alpha");
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "peek", delegate_to = { address = "%s", token = "%s" },
            command = function() log.info("token in the file there: " .. TaskDefinitions.g.tasks[1].delegate_to.token)
              return true, "ok" end },
          { name = "echo", delegate_to = false, command = "echo 'said here: %s'" },
        } } }""".formatted(alpha, TOKEN, TOKEN));
        var r = run(dir, Map.of(), "run", "flow.lua", "--follow-logs");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out())
                .contains("token in the file there: ***")
                .contains("said here: ***")
                .doesNotContain(TOKEN);
    }

    @Test
    void anAbsoluteLinkInTheWorkspaceTravelsAsALinkAndANewOneComingBackIsRefused() throws Exception {
        // every Python venv has one (bin/python -> /usr/bin/python3)
        String alpha = agent("alpha");
        Files.createDirectories(dir.resolve("venv/bin"));
        Files.createSymbolicLink(dir.resolve("venv/bin/python"), Path.of("/usr/bin/env"));
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "look", delegate_to = "%s", command = "test -L venv/bin/python && readlink venv/bin/python > seen.txt" },
        } } }""".formatted(alpha));
        var r = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(dir.resolve("seen.txt")).hasContent("/usr/bin/env");
        assertThat(Files.readSymbolicLink(dir.resolve("venv/bin/python"))).isEqualTo(Path.of("/usr/bin/env"));

        // a task that leaves a new link out of the workspace: the master refuses its changes, in one line
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "escape", delegate_to = "%s", command = "ln -s /etc out.lnk" },
        } } }""".formatted(alpha));
        var refused = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.out() + refused.err()).contains("link 'out.lnk' points outside the root (/etc)");
        assertThat(dir.resolve("out.lnk")).doesNotExist();

        // unless the delegation lets links out: then it comes back as a link
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "escape", delegate_to = { address = "%s", sync = { links_out = true } }, command = "ln -s /etc out.lnk" },
        } } }""".formatted(alpha));
        var allowed = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(allowed.exit()).as(allowed.out() + allowed.err()).isZero();
        assertThat(Files.readSymbolicLink(dir.resolve("out.lnk"))).isEqualTo(Path.of("/etc"));
    }

    @Test
    void whatTheDroverignoreNamesNeitherGoesToTheAgentNorComesBack() throws Exception {
        String alpha = agent("alpha");
        write(".droverignore", "# kept here\n*.log\nbuild/\n");
        write("secret.log", "token=hunter2\n");
        Files.createDirectories(dir.resolve("build"));
        write("build/old.o", "old\n");
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "work", delegate_to = "%s",
            command = "test ! -e secret.log && test ! -e build/old.o && mkdir -p build && echo new > build/new.o && echo made > made.txt" },
        } } }""".formatted(alpha));
        var r = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(dir.resolve("made.txt")).hasContent("made");
        assertThat(dir.resolve("build/new.o")).doesNotExist(); // ignored: it stays where it was made
        assertThat(dir.resolve("build/old.o")).hasContent("old");
        assertThat(dir.resolve("secret.log")).hasContent("token=hunter2");
    }

    @Test
    void aDelegationsSyncExcludeKeepsItsPatternsOutOfItsTransfers() throws Exception {
        String alpha = agent("alpha");
        Files.createDirectories(dir.resolve("big"));
        write("big/blob.bin", "a large input this task does not need\n");
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "work", delegate_to = { address = "%s", sync = { exclude = { "big/" } } },
            command = "test ! -e big && mkdir big && echo out > big/out.txt && echo made > made.txt" },
        } } }""".formatted(alpha));
        var r = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(dir.resolve("made.txt")).hasContent("made");
        assertThat(dir.resolve("big/out.txt")).doesNotExist();
        assertThat(dir.resolve("big/blob.bin")).exists();

        write("typo.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "work", delegate_to = { address = "%s", sync = { exclud = "big/" } }, command = "true" },
        } } }""".formatted(alpha));
        var bad = run(dir, Map.of(), "validate", "typo.lua");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip())
                .startsWith("drover: typo.lua:2")
                .contains("unknown field 'exclud' in sync of delegate_to")
                .contains("exclude");
    }

    @Test
    void whatTravelledIsShownPerDelegatedTaskInItsLogAndWithSyncStats() throws Exception {
        String alpha = agent("alpha");
        write("input.txt", "x".repeat(5000));
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "work", delegate_to = "%s", command = "cat input.txt input.txt > out.txt && rm -f gone.txt" },
        } } }""".formatted(alpha));
        write("gone.txt", "bye\n");
        var r = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua", "--follow-logs", "--sync-stats");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String all = r.out() + r.err();
        // the workspace goes (the agents' logs of this test lie in it too); out.txt (10,000 bytes) comes back and
        // gone.txt is deleted
        assertThat(all)
                .containsPattern("g\\.work.*sync: sent \\d+ files \\([\\d.]+ KiB; \\d+ entries listed\\) in \\d+ ms;"
                        + " received 1 file \\(9\\.8 KiB\\), 1 deleted in \\d+ ms");
        assertThat(all).contains("sync, per delegated task:").containsPattern("  g\\.work  sent \\d+ files");
        assertThat(dir.resolve("out.txt")).hasSize(10_000);
        assertThat(dir.resolve("gone.txt")).doesNotExist();
    }

    @Test
    void theRunsOwnLogGrowingInTheWorkspaceNeverFailsADelegatedTask() throws Exception {
        // drover run flow.lua > build.log in the workspace: the log grows while each delegated task's workspace is
        // listed and sent
        String alpha = agent("alpha");
        StringBuilder tasks = new StringBuilder(
                "  { name = \"chatter\", delegate_to = false, command = \"for i in $(seq 1 400); do echo line $i"
                        + " of the run that keeps writing to its own log; sleep 0.005; done\" },\n");
        for (int i = 1; i <= 8; i++) {
            tasks.append("  { name = \"d")
                    .append(i)
                    .append("\", delegate_to = \"")
                    .append(alpha)
                    .append("\"")
                    .append(i > 1 ? ", depends_on = \"d" + (i - 1) + "\"" : "")
                    .append(", command = \"wc -c < build.log > seen")
                    .append(i)
                    .append(".txt\" },\n");
        }
        write("flow.lua", "TaskDefinitions = { g = { tasks = {\n" + tasks + "} } }\n");
        ProcessBuilder b = DroverProcess.builder(dir, "run", "flow.lua", "--follow-logs");
        b.environment().put("DROVER_AGENT_TOKEN", TOKEN);
        Process master = b.redirectErrorStream(true)
                .redirectOutput(dir.resolve("build.log").toFile())
                .start();
        try {
            assertThat(master.waitFor(120, TimeUnit.SECONDS))
                    .as("the run finished")
                    .isTrue();
            String out = Files.readString(dir.resolve("build.log"));
            assertThat(master.exitValue()).as(out).isZero();
            assertThat(out).doesNotContain("changed while it was being sent").contains("line 400 of the run");
            for (int i = 1; i <= 8; i++)
                assertThat(dir.resolve("seen" + i + ".txt")).exists();
        } finally {
            master.destroyForcibly();
        }
    }

    @Test
    void anAgentKilledMidTaskIsReportedAndTheRetryRunsOnAnotherAgent() throws Exception {
        String alpha = agent("alpha");
        String beta = agent("beta");
        Path pids = dir.resolve("pids.txt");
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "work", retries = 1, backoff = "100ms", delegate_to = { address = { "%s", "%s" } },
            command = "echo $$ >> %s; if [ \\"$DROVER_ATTEMPT\\" = 1 ]; then sleep 120; fi; echo done on attempt $DROVER_ATTEMPT" },
        } } }""".formatted(alpha, beta, pids));
        ProcessBuilder b = DroverProcess.builder(dir, "run", "flow.lua");
        b.environment().put("DROVER_AGENT_TOKEN", TOKEN);
        Process master = b.redirectErrorStream(true)
                .redirectOutput(dir.resolve("master.log").toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(pids) && !Files.readString(pids).isBlank());
            leftovers.add(Long.parseLong(Files.readAllLines(pids).get(0).strip()));
            Process victim = agents.get(0); // alpha takes the first attempt
            new ProcessBuilder("kill", "-9", Long.toString(victim.pid()))
                    .start()
                    .waitFor();
            long killedAt = System.nanoTime();
            assertThat(master.waitFor(60, TimeUnit.SECONDS))
                    .as("the master finished")
                    .isTrue();
            String out = Files.readString(dir.resolve("master.log"));
            assertThat(master.exitValue()).as(out).isZero();
            assertThat(out).contains("done on attempt 2");
            assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(30));
            assertThat(Files.readString(dir.resolve("beta.log"))).contains("g.work (attempt 2): SUCCEEDED");
        } finally {
            master.destroyForcibly();
        }
    }

    @Test
    void mutualTlsWithCertificatesNamedInDroverToml() throws Exception {
        var certs = new TestCerts(Files.createDirectories(dir.resolve("certs")), "e2e-ca");
        Path[] server = certs.issue("agent");
        certs.issue("master"); // the client certificate the runs below present
        String secure = agent(
                "secure",
                "--tls-cert",
                server[0].toString(),
                "--tls-key",
                server[1].toString(),
                "--tls-client-ca",
                certs.caCert.toString());
        assertThat(Files.readString(dir.resolve("secure.log"))).contains("TLS on (mutual), auth on (token)");
        write("drover.toml", """
        [agents.secure]
        address = "%s"
        token = "%s"
        ca = "certs/e2e-ca.pem"
        cert = "certs/master.pem"
        key = "certs/master.key"

        [agents.no-cert]
        address = "%s"
        token = "%s"
        ca = "certs/e2e-ca.pem"
        """.formatted(secure, TOKEN, secure, TOKEN));
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "a", delegate_to = "secure", command = "echo over mutual tls" },
          { name = "b", delegate_to = "no-cert", command = "echo never" },
        } } }""");
        var r = run(dir, "run", "flow.lua");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out())
                .contains("over mutual tls")
                .containsPattern("g\\.b +failed +1 .*agent no-cert \\(" + Pattern.quote(secure) + "\\)");
        var list = run(dir, "agents");
        assertThat(list.out())
                .containsPattern("secure +" + Pattern.quote(secure) + " +yes")
                .containsPattern("no-cert +" + Pattern.quote(secure) + " +no");
    }

    @Test
    void badAgentSetupsGetOneClearLine() throws Exception {
        write(
                "flow.lua",
                "TaskDefinitions = { g = { tasks = {\n  { name = 'a', delegate_to = 'gamma', command = 'true' } } } }");
        var unknown = run(dir, "run", "flow.lua");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err())
                .isEqualTo("drover: flow.lua:2: task 'g.a': unknown agent 'gamma' (no [agents] in drover.toml)\n");

        write("drover.toml", "[agents.gama]\nadress = \"x:1\"\n");
        var typo = run(dir, "run", "flow.lua");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err())
                .startsWith("drover: drover.toml: unknown key 'adress' in [agents.gama]; did you mean 'address'");

        var open = run(dir, "agent", "--bind", "0.0.0.0", "-p", "0");
        assertThat(open.exit()).isEqualTo(2);
        assertThat(open.err())
                .isEqualTo(
                        "drover: refusing to listen on 0.0.0.0 without a token: give --token (or DROVER_AGENT_TOKEN), or bind to 127.0.0.1\n");

        int free;
        try (var s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        Files.delete(dir.resolve("drover.toml"));
        write(
                "flow.lua",
                "TaskDefinitions = { g = { tasks = {\n  { name = 'a', delegate_to = '127.0.0.1:" + free
                        + "', command = 'true' } } } }");
        var down = run(dir, "run", "flow.lua");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.out()).contains("agent 127.0.0.1:" + free + " is unreachable");
    }

    @Test
    @Tag("slow")
    void aTaskLongerThanAMinuteIsNotCutByTheConnection() throws Exception {
        String alpha = agent("alpha");
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = { { name = "long", delegate_to = "%s", command = "sleep 75; echo still here > proof.txt; echo ok" } } } }""".formatted(alpha));
        var r = run(dir, Map.of("DROVER_AGENT_TOKEN", TOKEN), "run", "flow.lua");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(dir.resolve("proof.txt")).hasContent("still here");
    }
}
