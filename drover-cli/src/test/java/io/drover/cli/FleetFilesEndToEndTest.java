package io.drover.cli;

import static io.drover.cli.DroverProcess.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RunRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files between tasks in every mode, all as processes on loopback against a redis-server of the test's own: the same
 * workflow files run here, on an agent and on the fleet (through the controllers and scheduled by drover run itself)
 * and leave the same files and outputs; conflicts, a leader killed mid-run, and the files of a run fetched later.
 */
class FleetFilesEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "files-e2e-token";

    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private Processes processes;

    @BeforeEach
    void processes() {
        processes = new Processes(dir);
    }

    /** The README's first workflow: compile writes VERSION in the group's workdir, package tars it. */
    private static final String README_FLOW = """
            TaskDefinitions = {
              build = {
                workdir = "build/app",
                tasks = {
                  { name = "version", command = function(params) return true, "resolved", { v = params.release } end },
                  { name = "compile", depends_on = "version",
                    command = function(params, deps) fs.write("VERSION", deps.version.v); return true, "ok" end },
                  { name = "package", depends_on = { "compile" }, retries = 2, timeout = "5m",
                    command = "tar czf app.tgz VERSION && echo artifact=app.tgz >> \\"$DROVER_OUTPUT\\"" },
                },
              },
              deploy = { tasks = { { name = "ship", depends_on = "build.package",
                                     command = 'echo "shipping $DROVER_DEP_BUILD_PACKAGE_ARTIFACT" > shipped.txt' } } },
            }
            """;

    @AfterEach
    void stopAll() throws Exception {
        processes.stopAll();
        redis.commands().flushall();
    }

    private String log(String name) throws Exception {
        return processes.log(name);
    }

    private void controller(String name) throws Exception {
        processes.controller(name, redis.url());
    }

    private void worker(String name) throws Exception {
        processes.worker(name, redis.url());
    }

    private String agent() throws Exception {
        return processes.agent(TOKEN);
    }

    private String awaitLeader() {
        String[] l = new String[1];
        await().atMost(Duration.ofSeconds(30))
                .until(() -> (l[0] = RunRecords.Lease.parse(redis.commands().get(Keys.LEASE))
                                .map(RunRecords.Lease::controllerId)
                                .orElse(null))
                        != null);
        return l[0];
    }

    /** A fresh workspace holding the workflow and one input file. */
    private Path workspace(String name, String flowName, String flow) throws Exception {
        Path ws = Files.createDirectories(dir.resolve("ws").resolve(name));
        Files.writeString(ws.resolve(flowName), flow);
        Files.writeString(ws.resolve("input.txt"), "from the submitter\n");
        return ws;
    }

    /** Every file left in a workspace but Drover's records: path -> content (a tarball by its listing). */
    private static Map<String, String> files(Path ws) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(ws)) {
            for (Path p : walk.toList()) {
                String rel = ws.relativize(p).toString();
                if (rel.isEmpty() || rel.equals(".drover") || rel.startsWith(".drover/")) continue;
                if (Files.isDirectory(p)) m.put(rel + "/", "");
                else if (rel.endsWith(".tgz")) m.put(rel, tarListing(p));
                else m.put(rel, Files.readString(p));
            }
        }
        return m;
    }

    private static String tarListing(Path tgz) throws Exception {
        Process p = new ProcessBuilder("tar", "tzf", tgz.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    /** Each task's status and outputs (a tarball's checksum left out: tar stamps the time). */
    private static Map<String, String> results(String json) throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (JsonNode t : JSON.readTree(json).get("tasks")) {
            JsonNode outputs = t.get("outputs").deepCopy();
            if (outputs.isObject()) ((com.fasterxml.jackson.databind.node.ObjectNode) outputs).remove("sha256");
            m.put(
                    t.get("group").asText() + "." + t.get("name").asText(),
                    t.get("status").asText() + " " + outputs);
        }
        return m;
    }

    @Test
    void theReadmeWorkflowAndThePipelineLeaveTheSameFilesAndOutputsHereOnAnAgentAndOnTheFleet() throws Exception {
        String agent = agent();
        controller("ctl-a");
        worker("w1");
        awaitLeader();
        Map<String, String> flows = new LinkedHashMap<>();
        flows.put("flow.lua", README_FLOW);
        flows.put("pipeline.lua", Files.readString(DroverProcess.example("pipeline.lua")));
        for (var flow : flows.entrySet()) {
            Map<String, Map<String, String>> filesBy = new LinkedHashMap<>();
            Map<String, Map<String, String>> resultsBy = new LinkedHashMap<>();
            Map<String, List<String>> modes = new LinkedHashMap<>();
            modes.put("local", List.of());
            modes.put("agent", List.of("--agent", agent));
            modes.put("fleet", List.of("--redis-url", redis.url()));
            for (var mode : modes.entrySet()) {
                Path ws = workspace(mode.getKey() + "-" + flow.getKey(), flow.getKey(), flow.getValue());
                List<String> args = new ArrayList<>(List.of("run", flow.getKey(), "--json", "-p", "release=1.4"));
                args.addAll(mode.getValue());
                var r = run(ws, Map.of("DROVER_AGENT_TOKEN", TOKEN), args.toArray(new String[0]));
                assertThat(r.exit())
                        .as(mode.getKey() + " " + flow.getKey() + ": " + r.err())
                        .isZero();
                if (mode.getKey().equals("fleet")) assertThat(r.err()).contains("submitted to the controllers");
                filesBy.put(mode.getKey(), files(ws));
                resultsBy.put(mode.getKey(), results(r.out()));
            }
            Iterator<String> names = filesBy.keySet().iterator();
            String first = names.next();
            assertThat(filesBy.get(first)).as(flow.getKey()).containsKey("input.txt");
            while (names.hasNext()) {
                String other = names.next();
                assertThat(filesBy.get(other))
                        .as(flow.getKey() + ": files left " + other + " vs " + first)
                        .isEqualTo(filesBy.get(first));
                assertThat(resultsBy.get(other))
                        .as(flow.getKey() + ": results " + other + " vs " + first)
                        .isEqualTo(resultsBy.get(first));
            }
        }
        Path readme = dir.resolve("ws/fleet-flow.lua");
        assertThat(Files.readString(readme.resolve("build/app/VERSION"))).isEqualTo("1.4");
        assertThat(Files.readString(readme.resolve("shipped.txt"))).isEqualTo("shipping app.tgz\n");
    }

    @Test
    void withoutAControllerDroverRunSchedulesTheRunItselfAndTheFilesFlowAndComeBackAllTheSame() throws Exception {
        worker("w1");
        Path ws = workspace("self", "flow.lua", README_FLOW);
        var r = run(ws, "run", "flow.lua", "--redis-url", redis.url(), "-p", "release=2.0");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out())
                .contains("this process schedules the run")
                .contains("files: 3 written and 0 deleted here by the run's tasks on the fleet");
        assertThat(Files.readString(ws.resolve("build/app/VERSION"))).isEqualTo("2.0");
        assertThat(tarListing(ws.resolve("build/app/app.tgz"))).isEqualTo("VERSION\n");
    }

    @Test
    void twoTasksChangingOneFileAtOnceOnTheFleetTheLaterFailsAsAConflictAndTheFirstsChangeComesBack() throws Exception {
        controller("ctl-a");
        worker("w1");
        awaitLeader();
        Path ws = workspace("conflict", "race.lua", """
                TaskDefinitions = { g = { tasks = {
                  { name = "fast", command = "echo fast > shared.txt" },
                  { name = "slow", command = "sleep 1.5; echo slow > shared.txt; echo more > more.txt" },
                } } }
                """);
        var r = run(ws, "run", "race.lua", "--redis-url", redis.url(), "--json");
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        Map<String, String> results = results(r.out());
        assertThat(results.get("g.fast")).startsWith("succeeded");
        assertThat(results.get("g.slow")).startsWith("failed");
        JsonNode slow = null;
        for (JsonNode t : JSON.readTree(r.out()).get("tasks"))
            if (t.get("name").asText().equals("slow")) slow = t;
        assertThat(slow.get("message").asText())
                .isEqualTo("workspace conflict: 'shared.txt' was changed by another task while g.slow ran (its"
                        + " changes were not applied)");
        assertThat(Files.readString(ws.resolve("shared.txt"))).isEqualTo("fast\n");
        assertThat(ws.resolve("more.txt"))
                .as("all or none: nothing of the refused task")
                .doesNotExist();
    }

    @Test
    void aStandbyThatTakesTheRunOverKeepsItsFilesAndEveryTasksChangeLandsOnce() throws Exception {
        controller("ctl-a");
        controller("ctl-b");
        worker("w1");
        String first = awaitLeader();
        StringBuilder flow = new StringBuilder("TaskDefinitions = { chain = { tasks = {\n");
        for (int i = 1; i <= 6; i++) {
            flow.append("  { name = \"t")
                    .append(i)
                    .append('"')
                    .append(i > 1 ? ", depends_on = \"t" + (i - 1) + "\"" : "")
                    .append(", command = \"echo t")
                    .append(i)
                    .append(" >> steps.txt; sleep 0.4\" },\n");
        }
        flow.append("} } }\n");
        Path ws = workspace("takeover", "chain.lua", flow.toString());
        Process runner = processes.startIn("chain-run", ws, "run", "chain.lua", "--redis-url", redis.url());
        await().atMost(Duration.ofSeconds(60)).until(() -> log("chain-run").contains("ok      chain.t2"));
        processes.get(first).destroyForcibly().waitFor(); // kill -9 of the leader mid-run
        assertThat(runner.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue()).as(log("chain-run")).isZero();
        assertThat(log(first.equals("ctl-a") ? "ctl-b" : "ctl-a")).contains("resumed run");
        assertThat(Files.readString(ws.resolve("steps.txt"))).isEqualTo("t1\nt2\nt3\nt4\nt5\nt6\n");
    }

    @Test
    void withNoSyncBackTheWorkdirStaysAsItWasAndRunsFilesListsAndFetchesWhatTheRunLeft() throws Exception {
        controller("ctl-a");
        worker("w1");
        awaitLeader();
        Path ws = workspace("later", "flow.lua", README_FLOW);
        var r = run(ws, "run", "flow.lua", "--redis-url", redis.url(), "-p", "release=3.0", "--no-sync-back", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(ws.resolve("build")).doesNotExist();
        String id = JSON.readTree(r.out()).get("run_id").asText();
        var listed = run(dir, "runs", "files", id, "--redis-url", redis.url());
        assertThat(listed.exit()).as(listed.err()).isZero();
        assertThat(listed.out())
                .containsPattern("build/app/VERSION +3 B +0644")
                .contains("input.txt")
                .contains("shipped.txt");
        var got = run(dir, "runs", "files", id, "--get", "build/app/VERSION", "--redis-url", redis.url());
        assertThat(got.exit()).as(got.err()).isZero();
        assertThat(got.out()).isEqualTo("3.0");
        var missing = run(dir, "runs", "files", id, "--get", "nope.txt", "--redis-url", redis.url());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("drover: run " + id + " has no file 'nope.txt'");
        // drover submit of a file alone: an empty workspace, filled by the tasks
        var submitted = run(ws, "submit", "flow.lua", "--redis-url", redis.url(), "-p", "release=3.1");
        assertThat(submitted.exit()).as(submitted.err()).isZero();
        String sid = submitted.out().strip();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> run(dir, "runs", "status", sid, "--redis-url", redis.url())
                        .out()
                        .contains("succeeded ("));
        var alone = run(dir, "runs", "files", sid, "--redis-url", redis.url());
        assertThat(alone.out()).contains("build/app/VERSION").doesNotContain("input.txt");
    }

    @Test
    void aTaskWithArtifactsHandsOnlyThoseToItsDependentsAndBackOnAnAgentAndOnTheFleet() throws Exception {
        String agent = agent();
        worker("w1");
        String flow = """
                TaskDefinitions = { g = { tasks = {
                  { name = "build", artifacts = { "dist/*.bin" },
                    command = "mkdir -p dist junk && echo app > dist/app.bin && echo o > junk/tmp.o && echo n > dist/notes.txt" },
                  { name = "check", depends_on = "build",
                    command = "test -f dist/app.bin && test ! -e junk && test ! -e dist/notes.txt && echo ok > checked.txt" },
                } } }
                """;
        Map<String, List<String>> modes = new LinkedHashMap<>();
        modes.put("agent", List.of("--agent", agent));
        modes.put("fleet", List.of("--redis-url", redis.url()));
        for (var mode : modes.entrySet()) {
            Path ws = workspace("artifacts-" + mode.getKey(), "flow.lua", flow);
            List<String> args = new ArrayList<>(List.of("run", "flow.lua"));
            args.addAll(mode.getValue());
            var r = run(ws, Map.of("DROVER_AGENT_TOKEN", TOKEN), args.toArray(new String[0]));
            assertThat(r.exit()).as(mode.getKey() + ": " + r.out() + r.err()).isZero();
            assertThat(files(ws))
                    .as(mode.getKey())
                    .containsEntry("dist/app.bin", "app\n")
                    .containsEntry("checked.txt", "ok\n")
                    .doesNotContainKeys("junk/", "junk/tmp.o", "dist/notes.txt");
        }
    }
}
