package io.drover.cli;

import static io.drover.cli.DroverProcess.example;
import static io.drover.cli.DroverProcess.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts drover as a process on the examples and on small files, checking exit codes, output and records. */
class RunCommandEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    /** drover processes a test started itself: stopped, with what they started, even when the test failed. */
    private final List<Process> started = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void stopStarted() throws Exception {
        for (Process p : started) {
            if (!p.isAlive()) continue;
            p.descendants().forEach(ProcessHandle::destroyForcibly); // task trees run in sessions of their own
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Path write(String name, String lua) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, lua, StandardCharsets.UTF_8);
        return f;
    }

    private static List<String> statuses(JsonNode json) {
        List<String> out = new ArrayList<>();
        json.get("tasks")
                .forEach(t -> out.add(t.get("group").asText() + "."
                        + t.get("name").asText() + "=" + t.get("status").asText()));
        return out;
    }

    @Test
    void runsTheExamplePipelineAndRecordsIt() throws Exception {
        var r = run(dir, "run", example("pipeline.lua").toString(), "--param", "release=1.4", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = JSON.readTree(r.out());
        assertThat(json.get("status").asText()).isEqualTo("succeeded");
        assertThat(statuses(json))
                .containsExactly(
                        "build.version=succeeded",
                        "build.compile_api=succeeded",
                        "build.compile_web=succeeded",
                        "build.compile_cli=succeeded",
                        "build.test=succeeded",
                        "build.package=succeeded",
                        "deploy.ship=succeeded",
                        "deploy.notify=skipped");
        JsonNode test = json.get("tasks").get(4);
        assertThat(test.get("attempts").asInt()).isEqualTo(2);
        JsonNode pkg = json.get("tasks").get(5);
        assertThat(pkg.get("outputs").get("artifact").asText()).isEqualTo("app-1.4.tgz");
        assertThat(json.get("tasks").get(6).get("message").asText()).startsWith("shipping app-1.4.tgz (sha256 ");
        assertThat(dir.resolve("build/pipeline/app-1.4.tgz")).exists();

        String runId = json.get("run_id").asText();
        Path record = dir.resolve(".drover/runs").resolve(runId);
        JsonNode stored = JSON.readTree(record.resolve("run.json").toFile());
        assertThat(stored.get("status").asText()).isEqualTo("succeeded");
        assertThat(stored.get("params").get("release").asText()).isEqualTo("1.4");
        assertThat(Files.readString(record.resolve("logs/build.version.log"))).contains("[info] building release 1.4");
        assertThat(Files.readString(record.resolve("logs/build.test.log")))
                .contains("flaky: connection reset", "--- attempt 2 ---");
        assertThat(record.resolve("tmp")).doesNotExist();

        var list = run(dir, "runs", "list");
        assertThat(list.out()).contains(runId, "succeeded", "7/8 ok");
        var show = run(dir, "runs", "show", "last", "--logs");
        assertThat(show.out()).contains("build.test", "== build.version ==", "building release 1.4");
    }

    @Test
    void tasksNeverSeeDroversOwnCredentialsInTheirEnvironment() throws Exception {
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = 'sh', command = 'echo "sh=${DROVER_AGENT_TOKEN:-none}/${DROVER_TOKEN:-none}/${DROVER_REDIS_URL:-none}/$DROVER_TASK"' },
          { name = 'lua', command = function()
              return true, 'lua=' .. tostring(env.get('DROVER_TOKEN')) .. '/' .. tostring(os.getenv('DROVER_AGENT_TOKEN'))
                .. '/' .. tostring(os.getenv('HOME') ~= nil) end },
        } } }""");
        var r = run(
                dir,
                Map.of(
                        "DROVER_AGENT_TOKEN",
                        "agent-tok-1",
                        "DROVER_TOKEN",
                        "api-tok-2",
                        "DROVER_REDIS_URL",
                        "redis://:pw3@127.0.0.1:1"),
                "run",
                "flow.lua",
                "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("sh=none/none/none/g.sh")
                .contains("lua=nil/nil/true")
                .doesNotContain("agent-tok-1")
                .doesNotContain("api-tok-2")
                .doesNotContain("pw3");
    }

    @Test
    void anAgentTakesItsTokenFromAFileAndSaysWhenTheFileIsMissing() throws Exception {
        var r = run(dir, "agent", "--token-file", "nosuch.token", "-p", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("drover: --token-file nosuch.token: no such file");
        var both = run(dir, "agent", "--token", "t", "--token-file", "x", "-p", "0");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err().strip()).isEqualTo("drover: give --token or --token-file, not both");
        var help = run(dir, "help", "agent");
        assertThat(help.out().replaceAll("\\s+", " "))
                .contains("--token-file")
                .contains("visible to other local users");
    }

    @Test
    void controlCharactersFromATaskReachTheTerminalEscaped() throws Exception {
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = 'title', command = [[printf '\\033]0;owned\\007hi\\n'; printf '\\033]52;c;Y2xpcA==\\007'; false]] },
        } } }""");
        var r = run(dir, "run", "flow.lua", "--follow-logs");
        assertThat(r.exit()).isEqualTo(1);
        String all = r.out() + r.err();
        assertThat(all).doesNotContain("\u001b]").doesNotContain("\u0007").contains("\\x1b]0;owned\\x07hi");
    }

    /** Starts drover in a session of its own (as a terminal's job is), so a signal can go to its whole group. */
    private Process startInOwnSession(String... args) throws Exception {
        ProcessBuilder b = DroverProcess.builder(dir, args)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("drover.out").toFile());
        // SIGINT back to its default: a test run as a background job inherits it ignored, and the JVM keeps it so
        List<String> cmd = new ArrayList<>(List.of("setsid", "env", "--default-signal=INT"));
        cmd.addAll(b.command());
        Process p = b.command(cmd).start();
        started.add(p);
        return p;
    }

    private static void signal(String sig, String target) throws Exception {
        new ProcessBuilder("kill", "-" + sig, "--", target)
                .redirectInput(new File("/dev/null"))
                .start()
                .waitFor();
    }

    private JsonNode runRecord() throws Exception {
        try (var runs = Files.list(dir.resolve(".drover/runs"))) {
            return JSON.readTree(
                    runs.findFirst().orElseThrow().resolve("run.json").toFile());
        }
    }

    @Test
    void aSecondInterruptKillsTheTasksProcessesAndClosesTheRunsRecord() throws Exception {
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = 'slow', command = 'echo $$ > slow.pid; exec sleep 300' },
          { name = 'stubborn', command = 'trap "" TERM INT; echo $$ > stubborn.pid; while true; do sleep 1; done' },
        } } }""");
        Process p = startInOwnSession("run", "flow.lua");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> Files.exists(dir.resolve("slow.pid"))
                        && Files.exists(dir.resolve("stubborn.pid"))
                        && Files.size(dir.resolve("stubborn.pid")) > 0);
        long slow = Long.parseLong(Files.readString(dir.resolve("slow.pid")).strip());
        long stubborn =
                Long.parseLong(Files.readString(dir.resolve("stubborn.pid")).strip());
        signal("INT", Long.toString(p.pid()));
        Thread.sleep(10); // the second interrupt 10 ms after the first, as a terminal's impatient user sends it
        signal("INT", Long.toString(p.pid()));
        assertThat(p.waitFor(30, TimeUnit.SECONDS))
                .as(Files.readString(dir.resolve("drover.out")))
                .isTrue();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !ProcessHandle.of(slow).map(ProcessHandle::isAlive).orElse(false)
                        && !ProcessHandle.of(stubborn)
                                .map(ProcessHandle::isAlive)
                                .orElse(false));
        assertThat(runRecord().get("status").asText()).isEqualTo("cancelled");
    }

    @Test
    void aGroupInterruptCancelsALuaTaskWhoseExecChildItKilledNotSucceedsIt() throws Exception {
        write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = 'waits', command = function()
              fs.write('started', 'yes')
              local out, err, code = exec({ 'sleep', '300' })
              return true, 'exec ended with ' .. code end },
        } } }""");
        Process p = startInOwnSession("run", "flow.lua");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> p.descendants()
                        .anyMatch(d -> d.info()
                                .command()
                                .map(c -> c.endsWith("/sleep"))
                                .orElse(false)));
        signal("INT", "-" + p.pid()); // the whole process group, as Ctrl-C in a terminal
        assertThat(p.waitFor(30, TimeUnit.SECONDS))
                .as(Files.readString(dir.resolve("drover.out")))
                .isTrue();
        JsonNode rec = runRecord();
        assertThat(statuses(rec)).containsExactly("g.waits=cancelled");
    }

    @Test
    void runsTheHelloExampleWithAParameter() throws Exception {
        var r = run(dir, "run", example("hello.lua").toString(), "--param", "name=world", "--follow-logs");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .contains(
                        "hello.shell | hello, world, from sh",
                        "hello.lua | [info] hello, world, from Lua",
                        "shell greeted: yes",
                        "run ",
                        " succeeded in ");
    }

    @Test
    void aFailedTaskExitsOneAndSkipsItsDependents() throws Exception {
        Path f = write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "bad", command = "echo broken >&2; exit 4" },
          { name = "after", depends_on = "bad", command = "true" },
          { name = "other", command = "true" },
        } } }""");
        var r = run(dir, "run", f.toString(), "--json");
        assertThat(r.exit()).isEqualTo(1);
        JsonNode json = JSON.readTree(r.out());
        assertThat(json.get("status").asText()).isEqualTo("failed");
        assertThat(statuses(json)).containsExactly("g.bad=failed", "g.after=skipped", "g.other=succeeded");
        assertThat(json.get("tasks").get(0).get("message").asText()).isEqualTo("exit code 4: broken");
    }

    @Test
    void invalidInputExitsTwoWithOneLineAndNoStackTrace() throws Exception {
        Path f = write(
                "flow.lua",
                "TaskDefinitions = { build = { tasks = {\n  { name = 'compile',\n    depend_on = 'x', command = 'make' },\n} } }");
        var r = run(dir, "run", "flow.lua");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .isEqualTo(
                        "drover: flow.lua:3: unknown field 'depend_on' in task 'compile'; did you mean 'depends_on'?\n");
        assertThat(dir.resolve(".drover")).doesNotExist();

        var verbose = run(dir, "run", f.toString(), "--verbose");
        assertThat(verbose.exit()).isEqualTo(2);
        assertThat(verbose.err()).contains("at io.drover");

        assertThat(run(dir, "run", "missing.lua").err()).isEqualTo("drover: no such file: missing.lua\n");
        var bare = run(dir);
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).startsWith("Usage: drover ").contains("run", "validate", "worker", "task");
        var badParam = run(dir, "run", f.toString(), "--param", "novalue");
        assertThat(badParam.exit()).isEqualTo(2);
        assertThat(badParam.err()).startsWith("drover: bad --param 'novalue': write key=value");
        var badFlag = run(dir, "run", f.toString(), "--concurency", "2");
        assertThat(badFlag.exit()).isEqualTo(2);
        assertThat(badFlag.err())
                .startsWith("drover: Unknown options: '--concurency', '2'; did you mean '--concurrency'?\n");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"TERM", "INT"})
    void aSignalCancelsTheRunKillsItsTreeAndExits130(String signal) throws Exception {
        Assumptions.assumeFalse(
                signal.equals("INT") && sigintIgnored(),
                "SIGINT is ignored in this environment (a background job of a non-interactive shell); the JVM keeps it so");
        Path f = write("flow.lua", """
        TaskDefinitions = { g = { tasks = {
          { name = "long", command = "sleep 300 & echo $! > child.pid; wait" },
          { name = "next", depends_on = "long", command = "touch next.ran" },
        } } }""");
        Process p = DroverProcess.builder(dir, "run", f.toString(), "--json")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        started.add(p);
        var stdout = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(stdout);
            } catch (IOException ignored) {
                // closed
            }
        });
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(dir.resolve("child.pid"))
                        && !Files.readString(dir.resolve("child.pid")).isBlank());
        long child = Long.parseLong(Files.readString(dir.resolve("child.pid")).strip());
        // sent with kill(1), not Process.destroy(), which would also close our end of its output
        new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(5000);
        String out = stdout.toString(StandardCharsets.UTF_8);
        assertThat(p.exitValue()).isEqualTo(130);
        JsonNode json = JSON.readTree(out);
        assertThat(json.get("status").asText()).isEqualTo("cancelled");
        assertThat(statuses(json)).containsExactly("g.long=cancelled", "g.next=cancelled");
        await().atMost(Duration.ofSeconds(10))
                .until(() ->
                        !ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false));
        assertThat(dir.resolve("next.ran")).doesNotExist();
        JsonNode stored = JSON.readTree(dir.resolve(".drover/runs")
                .resolve(json.get("run_id").asText())
                .resolve("run.json")
                .toFile());
        assertThat(stored.get("status").asText()).isEqualTo("cancelled");
    }

    /** Whether this process (and so drover, started from it) inherited SIGINT as ignored: bit 2 of SigIgn. */
    private static boolean sigintIgnored() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:"))
                return (Long.parseLong(line.substring(7).strip(), 16) & 2) != 0;
        }
        return false;
    }

    @Test
    void runsOnlyTheSelectedPartWithItsDependencies() throws Exception {
        var r = run(dir, "run", example("pipeline.lua").toString(), "--task", "build.compile_cli", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(statuses(JSON.readTree(r.out())))
                .containsExactly("build.version=succeeded", "build.compile_cli=succeeded");
    }

    @Test
    void validatesAndPlansWithoutRunningAnything() throws Exception {
        var v = run(dir, "validate", example("pipeline.lua").toString());
        assertThat(v.exit()).isZero();
        assertThat(v.out()).endsWith("pipeline.lua: ok (8 tasks in 2 groups, 6 levels)\n");
        var plan = run(dir, "plan", example("pipeline.lua").toString());
        assertThat(plan.out()).contains("level 1: build.compile_api build.compile_web build.compile_cli\n");
        var mermaid = run(dir, "plan", example("pipeline.lua").toString(), "--format", "mermaid");
        assertThat(mermaid.out()).startsWith("graph TD\n").contains(" --> ");
        assertThat(dir.resolve(".drover")).doesNotExist();
        Path cyc = write(
                "cycle.lua",
                "TaskDefinitions = { build = { tasks = {\n{ name = 'a', depends_on = 'b', command = 'x' },\n{ name = 'b', depends_on = 'a', command = 'x' } } } }");
        var c = run(dir, "validate", cyc.getFileName().toString());
        assertThat(c.exit()).isEqualTo(2);
        assertThat(c.err())
                .isEqualTo(
                        "drover: cycle.lua:2: dependency cycle: build.a -> build.b -> build.a (each depends on the next)\n");
    }
}
