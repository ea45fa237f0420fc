package io.drover.cli;

import static io.drover.cli.DroverProcess.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.cluster.RedisClusterServers;
import io.drover.cluster.RedisExtension;
import io.drover.cluster.RedisServer;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.core.lua.Json;
import java.io.File;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** drover worker and drover task as processes, against a redis-server of the test's own. */
class ClusterEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @org.junit.jupiter.api.extension.RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private final List<Process> workers = new ArrayList<>();

    @AfterEach
    void stopWorkers() throws Exception {
        for (Process p : workers) {
            if (p.isAlive()) {
                new ProcessBuilder("kill", "-CONT", Long.toString(p.pid()))
                        .start()
                        .waitFor();
                p.destroy();
            }
        }
        for (Process p : workers) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        try (var c = Client.connect(redis.url())) {
            redis.commands().flushall();
        }
    }

    private Process worker(String name) throws Exception {
        return worker(redis.url(), name);
    }

    private Process worker(String url, String name) throws Exception {
        return worker(url, name, List.of());
    }

    private Process worker(String url, String name, List<String> jvmOptions, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "worker",
                "--redis-url",
                url,
                "--worker-id",
                name,
                "--lease",
                "1s",
                "--grace",
                "1s",
                "--workdir",
                dir.resolve(name).toString(),
                "--tags",
                "zone=test",
                "--ttl",
                "2s",
                "--retention",
                "1h"));
        args.addAll(List.of(extra));
        Process p = DroverProcess.builder(dir, jvmOptions, args.toArray(new String[0]))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        workers.add(p);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(dir.resolve(name + ".log"))
                        && Files.readString(dir.resolve(name + ".log")).contains("drover worker " + name));
        return p;
    }

    private String submit(String... command) throws Exception {
        return submitTo(redis.url(), command);
    }

    private String submitTo(String url, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("task", "submit", "--redis-url", url));
        args.addAll(List.of(command));
        var r = run(dir, args.toArray(new String[0]));
        assertThat(r.exit()).as(r.err()).isZero();
        return r.out().strip();
    }

    private JsonNode status(String id) throws Exception {
        return status(redis.url(), id);
    }

    private JsonNode status(String url, String id) throws Exception {
        var r = run(dir, "task", "status", id, "--redis-url", url, "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    private JsonNode awaitState(String id, String state) throws Exception {
        return awaitState(redis.url(), id, state);
    }

    /**
     * Waits for the task's state through a client in this JVM (a {@code drover task status} process per poll cost a
     * JVM start each, which the worker under test shared the machine with), then reads it once more as the command
     * line shows it: what the tests assert.
     */
    private JsonNode awaitState(String url, String id, String state) throws Exception {
        try (Client c = Client.connect(url)) {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> c.status(id)
                            .map(s -> s.state().toLowerCase(Locale.ROOT).equals(state))
                            .orElse(false));
        }
        JsonNode shown = status(url, id);
        assertThat(shown.get("state").asText()).isEqualTo(state);
        return shown;
    }

    private static void signal(Process p, String sig) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid()))
                .redirectInput(new File("/dev/null"))
                .start()
                .waitFor();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aWorkerWithLogFormatJsonWritesEachLineAsOneObject() throws Exception {
        Path log = dir.resolve("json.log");
        Process p = DroverProcess.builder(
                        dir,
                        "worker",
                        "--redis-url",
                        redis.url(),
                        "--worker-id",
                        "jw",
                        "--queue",
                        "jsonq",
                        "--workdir",
                        dir.resolve("jw").toString(),
                        "--log-level",
                        "info",
                        "--log-format",
                        "json")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        workers.add(p);
        String id = submitTo(redis.url(), "--queue", "jsonq", "--", "echo fine");
        assertThat(awaitState(redis.url(), id, "succeeded").get("state").asText())
                .isEqualTo("succeeded");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log).contains("ended " + id));
        String ended = Files.readAllLines(log).stream()
                .filter(l -> l.contains("ended " + id))
                .findFirst()
                .orElseThrow();
        Map<String, Object> m = (Map<String, Object>) Json.read(ended);
        assertThat(m)
                .containsEntry("level", "info")
                .containsEntry("component", "worker")
                .containsEntry("id", "jw")
                .containsEntry("message", "ended " + id + " (attempt 1): succeeded: fine");
        assertThat(m.get("ts").toString()).matches("^\\d{4}-\\d\\d-\\d\\dT.*Z$");
    }

    @Test
    void aWorkerStartedBeforeItsRedisWaitsWithBackoffSaysSoAndThenRunsTasks() throws Exception {
        try (RedisServer later = RedisServer.start()) {
            later.stop(); // its port is known and nothing listens on it yet
            Path log = dir.resolve("early.log");
            Process p = DroverProcess.builder(
                            dir,
                            "worker",
                            "--redis-url",
                            later.url(),
                            "--worker-id",
                            "early",
                            "--lease",
                            "1s",
                            "--grace",
                            "1s",
                            "--workdir",
                            dir.resolve("early").toString(),
                            "--log-level",
                            "info")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            workers.add(p);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.readString(log)
                            .contains("drover worker: cannot reach Redis at " + later.url()
                                    + ": Connection refused; trying again in 1 s"));
            assertThat(p.isAlive()).isTrue();
            later.launch();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(log).contains("drover worker early: redis"));
            String id = submitTo(later.url(), "--", "echo late-but-there");
            assertThat(awaitState(later.url(), id, "succeeded").get("state").asText())
                    .isEqualTo("succeeded");
            // --log-level info: one line as each task starts and one as it ends
            await().atMost(Duration.ofSeconds(10))
                    .until(() ->
                            Files.readString(log).contains("worker early: ended " + id + " (attempt 1): succeeded"));
            assertThat(Files.readString(log)).contains("worker early: started " + id + " (attempt 1)");
            // a Redis outage: what the client library logs comes one line per event
            later.stop();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.readString(log).contains("Reconnecting"));
            for (String line : Files.readAllLines(log)) {
                assertThat(line).as("a log line of its own").doesNotMatch("^(INFO|WARNING|SEVERE|FINE): .*");
                if (line.contains("Reconnecting"))
                    assertThat(line).matches("^\\d{4}-\\d\\d-\\d\\dT.* INFO .*ConnectionWatchdog.*: Reconnecting.*");
            }
            Process fast = DroverProcess.builder(dir, "worker", "--redis-url", "redis://127.0.0.1:1", "--fail-fast")
                    .redirectErrorStream(true)
                    .start();
            workers.add(fast);
            assertThat(fast.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(fast.exitValue()).isEqualTo(1);
            assertThat(new String(fast.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
                    .isEqualTo("drover: cannot reach Redis at redis://127.0.0.1:1: Connection refused");
        }
    }

    @Test
    void nodeStartRunsSeveralWorkersInOneProcessAndStopsThemAll() throws Exception {
        Path log = dir.resolve("node.log");
        Path toml = Files.writeString(
                dir.resolve("drover.toml"),
                "[nodes]\nrole = \"worker\"\n[worker]\nid = \"pool\"\nworkers = 2\n" + "workdir = \""
                        + dir.resolve("pool") + "\"\n");
        Process p = DroverProcess.builder(dir, "node", "start", "--config", toml.toString(), "--redis-url", redis.url())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        workers.add(p);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("drover node worker: redis"));
        assertThat(Files.readString(log)).contains("drover node: worker pool-1,", "drover node: worker pool-2,");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) ids.add(submit("--", "echo " + i));
        for (String id : ids) awaitState(id, "succeeded");
        var list = run(dir, "worker", "list", "--redis-url", redis.url(), "--json");
        assertThat(list.out()).contains("\"id\":\"pool-1\"", "\"id\":\"pool-2\"");
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !run(dir, "worker", "list", "--redis-url", redis.url(), "--json")
                        .out()
                        .contains("pool-"));
    }

    @Test
    void doctorChecksRedisAndWorkersAndFailsWhenRedisIsDown() throws Exception {
        var single = run(dir, "doctor");
        assertThat(single.exit()).isZero();
        assertThat(single.out()).contains("single: tasks run on this machine").contains("no cluster checks are needed");

        worker("w1");
        var up = run(dir, "doctor", "--redis-url", redis.url());
        assertThat(up.exit()).as(up.out() + up.err()).isZero();
        assertThat(up.out())
                .containsPattern("ok +redis version +7\\.")
                .containsPattern("warn +persistence +AOF is off")
                .containsPattern("ok +workers +1 alive, 0 late, 0 dead")
                .contains("doctor: all checks passed (with warnings)");

        int free;
        try (var s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        var down = run(dir, "doctor", "--redis-url", "redis://127.0.0.1:" + free, "--json");
        assertThat(down.exit()).isEqualTo(1);
        JsonNode j = JSON.readTree(down.out());
        assertThat(j.get("ok").asBoolean()).isFalse();
        assertThat(j.get("checks").get(1).get("level").asText()).isEqualTo("FAIL");
        assertThat(j.get("checks").get(1).get("detail").asText())
                .startsWith("cannot reach Redis at redis://127.0.0.1:" + free);
    }

    @Test
    void droverRunWithARedisUrlRunsTheWorkflowOnTheWorkers() throws Exception {
        worker("w1");
        Files.writeString(dir.resolve("flow.lua"), """
        TaskDefinitions = { g = { tasks = {
          { name = "a", command = "echo v=7 >> \\"$DROVER_OUTPUT\\"; echo on $DROVER_TASK" },
          { name = "b", depends_on = "a", command = function(params, deps) return true, "b ok", { x = deps.a.v * 6 } end },
          { name = "c", depends_on = "b", command = "echo \\"got $DROVER_DEP_B_X\\"" },
        } } }""");
        var r = run(dir, "run", "flow.lua", "--redis-url", redis.url());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out())
                .contains("on the fleet at " + redis.url() + ", queue default")
                .containsPattern("g\\.c +succeeded +1 .* got 42");
        var listed = run(dir, "task", "list", "--redis-url", redis.url());
        assertThat(listed.out()).contains("succeeded");
    }

    @Test
    void aWorkerAndTheTaskCommandsWorkAgainstARedisCluster() throws Exception {
        try (var cluster = RedisClusterServers.start()) {
            String url = cluster.url();
            Process p = worker(url, "cw");
            String id = submitTo(url, "--", "echo", "from-the-cluster");
            assertThat(awaitState(url, id, "succeeded").get("message").asText()).isEqualTo("from-the-cluster");
            var list = run(dir, "worker", "list", "--redis-url", url);
            assertThat(list.out()).contains("cw");
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void submitsRunsAndReportsTasksThroughTheCommandLine() throws Exception {
        worker("w1");
        String sh = submit("--", "echo", "hello", "from", "the", "fleet");
        String lua = submit("--lua", "return true, 'hi', { n = 1 }");
        String quoted = submit("--", "sh", "-c", "echo \"it's\"  as typed; true");
        assertThat(awaitState(sh, "succeeded").get("message").asText()).isEqualTo("hello from the fleet");
        JsonNode l = awaitState(lua, "succeeded");
        assertThat(awaitState(quoted, "succeeded").get("message").asText()).isEqualTo("it's as typed");
        try (var c = Client.connect(redis.url())) {
            long ttl = redis.commands().ttl(new Keys("default").task(lua));
            assertThat(ttl).isBetween(3500L, 3600L); // --retention 1h
        }
        assertThat(l.get("outputs").get("n").asInt()).isEqualTo(1);
        var logs = run(dir, "task", "logs", sh, "--follow", "--redis-url", redis.url());
        assertThat(logs.out())
                .contains(
                        "--- running (attempt 1) on w1 ---",
                        "hello from the fleet",
                        "--- succeeded (attempt 1): hello from the fleet ---");
        var quiet = run(dir, "task", "logs", lua, "--redis-url", redis.url()); // it printed nothing: no events
        assertThat(quiet.out()).isEqualTo("--- succeeded (attempt 1): hi ---\n");
        var unknown = run(dir, "task", "logs", "default.tnosuchtask", "--follow", "--redis-url", redis.url());
        assertThat(unknown.exit()).isNotZero();
        assertThat(unknown.err()).contains("no task 'default.tnosuchtask' (unknown or expired)");
        var list = run(dir, "task", "list", "--redis-url", redis.url());
        assertThat(list.out()).contains(sh, lua, "succeeded");
        var workersList = run(dir, "worker", "list", "--redis-url", redis.url());
        assertThat(workersList.out()).contains("w1", "running", "zone=test");
        Path jsonl = dir.resolve("tasks.jsonl");
        Files.writeString(jsonl, "{\"command\": \"true\", \"retries\": 1}\n{\"lua\": \"return true\"}\n");
        var many = run(dir, "task", "submit", "--redis-url", redis.url(), "--from", jsonl.toString());
        assertThat(many.out().lines()).hasSize(2);
        var bad = run(dir, "task", "submit", "--redis-url", redis.url(), "--from", jsonl.toString(), "--retries", "x");
        assertThat(bad.exit()).isEqualTo(2);
    }

    @Test
    void aTaskOfAWorkerKilledWithSigkillIsReclaimedAndCompletedOnceByAnother() throws Exception {
        Process a = worker("wa");
        String id = submit(
                "--",
                "echo $DROVER_ATTEMPT >> " + dir.resolve("attempts.log") + "; sleep 2; echo done-$DROVER_ATTEMPT");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("attempts.log")));
        a.destroyForcibly(); // kill -9
        a.waitFor();
        worker("wb");
        JsonNode s = awaitState(id, "succeeded");
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> JSON
                        .readTree(run(dir, "worker", "list", "--redis-url", redis.url(), "--json")
                                .out())
                        .findValues("status")
                        .stream()
                        .map(JsonNode::asText)
                        .toList()
                        .containsAll(List.of("dead", "running")));
        assertThat(s.get("attempt").asInt()).isEqualTo(2);
        assertThat(s.get("message").asText()).isEqualTo("done-2");
        assertThat(s.get("worker").asText()).isEqualTo("wb");
    }

    @Test
    void aPausedWorkerThatWakesUpAfterItsLeaseCannotCompleteTheTask() throws Exception {
        Process a = worker("wa");
        String id = submit("--", "echo started > " + dir.resolve("started") + "; sleep 2; echo from-$DROVER_ATTEMPT");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("started")));
        signal(a, "STOP");
        worker("wb");
        JsonNode s = awaitState(id, "succeeded");
        assertThat(s.get("message").asText()).isEqualTo("from-2");
        signal(a, "CONT");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(dir.resolve("wa.log")).contains("refused")
                        || Files.readString(dir.resolve("wa.log")).contains("lease lost"));
        JsonNode after = status(id);
        assertThat(after.get("message").asText()).isEqualTo("from-2");
        assertThat(after.get("worker").asText()).isEqualTo("wb");
    }

    @Test
    void linesAPausedWorkersTaskPrintedAreNeverAppendedAfterTheTasksEnd() throws Exception {
        Process a = worker("wa");
        // attempt 1 prints without end (filling its pipe while its worker is stopped), attempt 2 one line
        String id = submit(
                "--",
                "if [ $DROVER_ATTEMPT = 1 ]; then echo > " + dir.resolve("started")
                        + "; while :; do echo tick-1; done; else echo tick-2; fi");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("started")));
        signal(a, "STOP"); // attempt 1 goes on printing into its pipe while its worker is stopped
        worker("wb");
        awaitState(id, "succeeded");
        signal(a, "CONT"); // wa reads what attempt 1 printed meanwhile, and more, until it learns the task is wb's
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.readString(dir.resolve("wa.log")).contains("refused"));
        try (var c = Client.connect(redis.url())) {
            // whatever wa wrote for attempt 1 reached Redis before a heartbeat record it writes after letting the
            // attempt
            // go (one connection, in order): an unfenced write sent before the pause would be in the stream by then
            Instant letGo = Instant.now();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Instant.parse(redis.commands().hget("drover:worker:wa", "last_heartbeat"))
                            .isAfter(letGo.plusMillis(100)));
            List<String> after = new ArrayList<>();
            boolean ended = false;
            String from = "0-0";
            for (var page = c.events(id, from, 0); !page.isEmpty(); page = c.events(id, from, 0)) {
                for (var e : page) {
                    if ("SUCCEEDED".equals(e.fields().get("state"))) ended = true;
                    else if (ended) after.add(e.fields().toString());
                    from = e.streamId();
                }
            }
            assertThat(ended)
                    .as("the end is in the task's events (late lines push old ones out)")
                    .isTrue();
            assertThat(after).as("events after the end").isEmpty();
        }
    }

    @Test
    void sigtermHandsRunningWorkBackAndTheWorkerExits() throws Exception {
        Process a = worker("wa");
        String id = submit("--", "echo $DROVER_ATTEMPT > " + dir.resolve("started") + "; sleep 300");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("started")));
        a.destroy(); // SIGTERM: 1s grace, then the task goes back to the queue
        assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(a.exitValue()).isZero();
        assertThat(status(id).get("state").asText()).isEqualTo("pending");
    }

    @Test
    void aLuaTaskThatHoldsMoreThanItsMemoryFailsAloneAndTheWorkerGoesOn() throws Exception {
        // a 256 MiB worker: a quarter of it is what one Lua task may hold
        Process w = worker(redis.url(), "small", List.of("-Xmx256m"), "--concurrency", "6");
        String beside = submit(
                "--lua",
                "local t = {} for i = 1, 20 do t[i] = string.rep('y', 1000); exec.run({'sleep', '0.2'}) end"
                        + " return true, 'kept ' .. #t");
        String bomb = submit("--lua", "local t = {} for i = 1, 1e9 do t[i] = tostring(i) .. string.rep('x', 200) end");
        JsonNode b = awaitState(bomb, "failed");
        assertThat(b.get("message").asText())
                .contains("the task holds more than 64 MiB of Lua values")
                .contains("(DROVER_LUA_MEMORY)");
        assertThat(awaitState(beside, "succeeded").get("message").asText()).isEqualTo("kept 20");
        assertThat(awaitState(submit("--", "echo after"), "succeeded")
                        .get("message")
                        .asText())
                .isEqualTo("after");
        // six at once, together more than the heap: each is held to its share of a nearly full heap, or, when one
        // allocates faster than collections let the shares be measured, its attempt runs out of memory; either way
        // each fails alone and the worker's own threads go on
        Path bombs = dir.resolve("bombs.jsonl");
        Files.writeString(
                bombs,
                ("{\"lua\": \"local t = {} for i = 1, 1e9 do t[i] = tostring(i) .. string.rep('x', 200) end\"}\n")
                        .repeat(6));
        var many = run(dir, "task", "submit", "--redis-url", redis.url(), "--from", bombs.toString());
        assertThat(many.exit()).as(many.err()).isZero();
        for (String id : many.out().strip().split("\n")) {
            assertThat(awaitState(id, "failed").get("message").asText())
                    .as(id)
                    .containsAnyOf("the task holds more than", "the attempt ran out of memory");
        }
        assertThat(awaitState(submit("--", "echo after all"), "succeeded")
                        .get("message")
                        .asText())
                .isEqualTo("after all");
        assertThat(Files.readString(dir.resolve("small.log"))).doesNotContain("OutOfMemoryError");
        w.destroy();
        assertThat(w.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(w.exitValue()).isZero();
    }
}
