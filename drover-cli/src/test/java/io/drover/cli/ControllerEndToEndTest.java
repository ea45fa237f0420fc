package io.drover.cli;

import static io.drover.cli.DroverProcess.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RunRecords;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * drover controller, worker, run, submit, runs and node as processes against a redis-server of the test's own:
 * whole workflows on the fleet, leader failover (kill -9, and a paused leader that wakes up stale), drain, the
 * version gate and the HTTP API's token.
 */
class ControllerEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "controller-test-token";

    @org.junit.jupiter.api.extension.RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private final Map<String, Process> started = new LinkedHashMap<>();

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : started.values()) {
            if (p.isAlive()) {
                new ProcessBuilder("kill", "-CONT", Long.toString(p.pid()))
                        .start()
                        .waitFor();
                p.destroy();
            }
        }
        for (Process p : started.values()) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        try (var c = Client.connect(redis.url())) {
            redis.commands().flushall();
        }
    }

    private Process start(String name, List<String> jvm, String... args) throws Exception {
        return start(name, jvm, Map.of(), args);
    }

    private Process start(String name, List<String> jvm, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder b = DroverProcess.builder(dir, jvm, args)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        b.environment().putAll(env);
        Process p = b.start();
        started.put(name, p);
        return p;
    }

    private String log(String name) throws Exception {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Starts a controller and returns its HTTP port. */
    private int controller(String name, String... extra) throws Exception {
        List<String> args = new ArrayList<>(
                List.of("controller", "--redis-url", redis.url(), "--port", "0", "--id", name, "--lease", "1s"));
        args.addAll(List.of(extra));
        start(name, List.of(), args.toArray(new String[0]));
        Pattern port = Pattern.compile("drover controller " + name + ": .*http://127\\.0\\.0\\.1:(\\d+)");
        int[] found = new int[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher m = port.matcher(log(name));
            if (!m.find()) return false;
            found[0] = Integer.parseInt(m.group(1));
            return true;
        });
        return found[0];
    }

    private void worker(String name, String... jvm) throws Exception {
        worker(name, List.of(jvm));
    }

    private void worker(String name, List<String> jvm, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "worker",
                "--redis-url",
                redis.url(),
                "--worker-id",
                name,
                "--concurrency",
                "4",
                "--lease",
                "1s",
                "--grace",
                "1s",
                "--workdir",
                dir.resolve(name).toString(),
                "--ttl",
                "2s"));
        args.addAll(List.of(extra));
        start(name, jvm, args.toArray(new String[0]));
        await().atMost(Duration.ofSeconds(30)).until(() -> log(name).contains("drover worker " + name));
    }

    private String leader() {
        try (var c = Client.connect(redis.url())) {
            String lease = redis.commands().get(Keys.LEASE);
            return RunRecords.Lease.parse(lease)
                    .map(RunRecords.Lease::controllerId)
                    .orElse(null);
        }
    }

    private String awaitLeader() {
        String[] l = new String[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> (l[0] = leader()) != null);
        return l[0];
    }

    private JsonNode workers() throws Exception {
        var r = run(dir, "worker", "list", "--redis-url", redis.url(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    /**
     * {@link #processed} once it can change no more: nothing is left on the queue (waiting or held), and every
     * worker has written its record since with nothing running, so every outcome it recorded is counted in it.
     */
    private int finalProcessed() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            try (var c = Client.connect(redis.url())) {
                return c.backlog("default").isEmpty();
            }
        });
        java.time.Instant drained = java.time.Instant.now();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            for (JsonNode w : workers()) {
                if (!w.path("running").asText().isEmpty()) return false;
                if (java.time.Instant.parse(w.get("last_heartbeat").asText()).isBefore(drained)) return false;
            }
            return true;
        });
        return processed();
    }

    /** Tasks the workers finished, all together: each one completion accepted. */
    private int processed() throws Exception {
        int n = 0;
        for (JsonNode w : workers()) n += w.get("processed").asInt();
        return n;
    }

    private long queueTasks() {
        try (var c = Client.connect(redis.url())) {
            return c.indexed("default");
        }
    }

    private JsonNode runStatus(String id) throws Exception {
        var r = run(dir, "runs", "status", id, "--redis-url", redis.url(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        return JSON.readTree(r.out());
    }

    private Process runInBackground(String name, String... params) throws Exception {
        List<String> args = new ArrayList<>(
                List.of("run", DroverProcess.example("fleet.lua").toString(), "--redis-url", redis.url(), "--json"));
        for (String p : params) args.addAll(List.of("--param", p));
        Process p = DroverProcess.builder(dir, args.toArray(new String[0]))
                .redirectOutput(dir.resolve(name + ".json").toFile())
                .redirectError(dir.resolve(name + ".err").toFile())
                .start();
        started.put(name, p);
        return p;
    }

    /** The id of the one run on the controllers, once it runs and at least one task runs on a worker. */
    private String awaitRunningTasks() {
        String[] id = new String[1];
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try (var c = Client.connect(redis.url())) {
                var runs = new RunRecords(redis.commands()).list(5);
                if (runs.isEmpty()) return false;
                id[0] = runs.get(0).id().toString();
                return c.indexed("default") >= 6; // the six squares are on the queue
            }
        });
        return id[0];
    }

    private static Map<String, JsonNode> byTask(JsonNode result) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        for (JsonNode t : result.get("tasks"))
            m.put(t.get("group").asText() + "." + t.get("name").asText(), t);
        return m;
    }

    private static void signal(Process p, String sig) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid()))
                .redirectInput(new File("/dev/null"))
                .start()
                .waitFor();
    }

    @Test
    void aTwentyTaskDagWithOutputsRunsOnTwoWorkersAndMatchesTheLocalResult() throws Exception {
        controller("ctl-a");
        controller("ctl-b");
        worker("w1");
        worker("w2");
        awaitLeader();
        var local = run(dir, "run", DroverProcess.example("fleet.lua").toString(), "--json");
        assertThat(local.exit()).as(local.err()).isZero();
        var fleet =
                run(dir, "run", DroverProcess.example("fleet.lua").toString(), "--redis-url", redis.url(), "--json");
        assertThat(fleet.exit()).as(fleet.out() + fleet.err()).isZero();
        assertThat(fleet.err()).contains("submitted to the controllers");
        Map<String, JsonNode> here = byTask(JSON.readTree(local.out()));
        Map<String, JsonNode> there = byTask(JSON.readTree(fleet.out()));
        assertThat(there.keySet()).hasSize(20).isEqualTo(here.keySet());
        for (String task : here.keySet()) {
            assertThat(there.get(task).get("status"))
                    .as(task)
                    .isEqualTo(here.get(task).get("status"));
            assertThat(there.get(task).get("outputs"))
                    .as(task)
                    .isEqualTo(here.get(task).get("outputs"));
        }
        assertThat(there.get("fleet.sum").get("outputs").get("total").asInt()).isEqualTo(188);
        await().atMost(Duration.ofSeconds(10)).until(() -> processed() == 20);

        var listed = run(dir, "runs", "list", "--redis-url", redis.url());
        assertThat(listed.out()).containsPattern("succeeded +[0-9-]+ [0-9:]+Z +20 +default +ctl-");
        String id = JSON.readTree(fleet.out()).get("run_id").asText();
        // where each task ran: a worker column in runs status, a worker field in its JSON and in the run's result
        var status = run(dir, "runs", "status", id, "--redis-url", redis.url());
        assertThat(status.out())
                .containsPattern("TASK +STATUS +ATTEMPTS +DURATION +WORKER +MESSAGE")
                .containsPattern("fleet\\.sum +succeeded +1 +[0-9.]+m?s +w[12] +total 188");
        for (JsonNode t : runStatus(id).get("task_states"))
            assertThat(t.get("worker").asText()).as(t.toString()).matches("w[12]");
        assertThat(there.get("fleet.sum").get("worker").asText()).matches("w[12]");
        var logs = run(
                dir, "node", "logs", "--run", id, "--controller-url", "http://127.0.0.1:" + controllerPort("ctl-a"));
        assertThat(logs.exit()).as(logs.err()).isZero();
        assertThat(logs.out())
                .contains("fleet.sum running -> succeeded: total 188")
                .contains("run succeeded");
        // found through Redis (the leader registered its address), and --follow of an ended run ends
        var followed = run(dir, Map.of("DROVER_REDIS_URL", redis.url()), "node", "logs", "--run", id, "--follow");
        assertThat(followed.exit()).as(followed.err()).isZero();
        assertThat(followed.out().strip()).endsWith("run succeeded");
        var unknown = run(dir, Map.of("DROVER_REDIS_URL", redis.url()), "node", "logs", "--run", "nosuch");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err().strip()).startsWith("drover: no run 'nosuch'");

        // /events: server-sent events with ids (ENTRY/INDEX: a stream entry holds a flush's events); Last-Event-ID
        // replays from there on
        String base = "http://127.0.0.1:" + controllerPort("ctl-a") + "/events?run=" + id;
        List<String> ids =
                sseIds(HttpRequest.newBuilder(URI.create(base + "&after=0")).build(), 5);
        assertThat(ids)
                .hasSize(5)
                .doesNotHaveDuplicates()
                .isSortedAccordingTo(Comparator.comparing((String x) -> Long.parseLong(x.split("[-/]")[0]))
                        .thenComparing(x -> Long.parseLong(x.split("[-/]")[1]))
                        .thenComparing(x -> Long.parseLong(x.split("[-/]")[2])));
        List<String> replayed = sseIds(
                HttpRequest.newBuilder(URI.create(base))
                        .header("Last-Event-ID", ids.get(2))
                        .build(),
                2);
        assertThat(replayed).containsExactly(ids.get(3), ids.get(4));
        // every run's events: several to a stream entry, each with an id of its own
        String all = "http://127.0.0.1:" + controllerPort("ctl-a") + "/events";
        List<String> allIds =
                sseIds(HttpRequest.newBuilder(URI.create(all + "?after=0")).build(), 40);
        assertThat(allIds).doesNotHaveDuplicates().allMatch(x -> x.matches("\\d+-\\d+/\\d+"));
        assertThat(sseIds(
                        HttpRequest.newBuilder(URI.create(all))
                                .header("Last-Event-ID", allIds.get(20))
                                .build(),
                        3))
                .containsExactly(allIds.get(21), allIds.get(22), allIds.get(23));
        var everything = run(dir, "node", "logs", "--controller-url", "http://127.0.0.1:" + controllerPort("ctl-a"));
        assertThat(everything.out()).contains(id + " fleet.sum running -> succeeded: total 188");
    }

    /** The ids of the first {@code n} server-sent events of a request, then the stream is dropped. */
    private static List<String> sseIds(HttpRequest request, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        HttpResponse<Stream<String>> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        try (var lines = r.body()) {
            var it = lines.iterator();
            while (ids.size() < n && it.hasNext()) {
                String line = it.next();
                if (line.startsWith("id: ")) ids.add(line.substring(4));
            }
        }
        return ids;
    }

    private int controllerPort(String name) throws Exception {
        Matcher m = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)").matcher(log(name));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void whenTheLeaderIsKilledMidRunAStandbyFinishesItAndEveryTaskIsAcceptedOnce() throws Exception {
        controller("ctl-a");
        controller("ctl-b");
        worker("w1");
        worker("w2");
        String first = awaitLeader();
        Process runner = runInBackground("run", "pause=2");
        String id = awaitRunningTasks();
        started.get(first).destroyForcibly().waitFor(); // kill -9
        assertThat(runner.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue())
                .as(Files.readString(dir.resolve("run.err")))
                .isZero();
        JsonNode result = JSON.readTree(dir.resolve("run.json").toFile());
        assertThat(byTask(result).get("fleet.sum").get("outputs").get("total").asInt())
                .isEqualTo(188);
        // a task that ran across the takeover keeps its whole duration (it sleeps 2 s)
        assertThat(byTask(result).get("fleet.square_1").get("duration_ms").asLong())
                .isGreaterThanOrEqualTo(1900);
        String second = first.equals("ctl-a") ? "ctl-b" : "ctl-a";
        assertThat(log(second)).contains("resumed run " + id);
        assertThat(runStatus(id).get("epoch").asInt()).isEqualTo(2);
        assertThat(finalProcessed()).isEqualTo(20);
        assertThat(queueTasks()).isEqualTo(20); // one queue task per task: nothing dispatched twice
    }

    @Test
    void aLeaderPausedPastItsLeaseWakesUpStaleAndChangesNothing() throws Exception {
        controller("ctl-a");
        String first = awaitLeader();
        controller("ctl-b");
        worker("w1");
        worker("w2");
        Process runner = runInBackground("run", "pause=3");
        String id = awaitRunningTasks();
        signal(started.get(first), "STOP");
        await().atMost(Duration.ofSeconds(20)).until(() -> log("ctl-b").contains("resumed run " + id));
        signal(started.get(first), "CONT");
        await().atMost(Duration.ofSeconds(20)).until(() -> log(first).contains("no longer leading (epoch 1)"));
        assertThat(runner.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.exitValue())
                .as(Files.readString(dir.resolve("run.err")))
                .isZero();
        assertThat(leader()).isEqualTo("ctl-b");
        JsonNode status = runStatus(id);
        assertThat(status.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(status.get("epoch").asInt()).isEqualTo(2);
        assertThat(status.get("controller").asText()).isEqualTo("ctl-b");
        await().atMost(Duration.ofSeconds(10)).until(() -> processed() == 20);
        assertThat(queueTasks()).isEqualTo(20);
    }

    @Test
    void drainKeepsAWorkerAliveWithoutNewTasksAndTheApiDemandsTheToken() throws Exception {
        int port = controller("ctl-a", "--token", TOKEN);
        awaitLeader();
        worker("w1");
        worker("w2");
        String url = "http://127.0.0.1:" + port;
        Map<String, String> env = Map.of("DROVER_TOKEN", TOKEN, "DROVER_CONTROLLER_URL", url);

        HttpClient http = HttpClient.newHttpClient();
        var health = http.send(
                HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        for (String path : List.of("/status", "/workers", "/runs", "/metrics", "/events")) {
            var refused = http.send(
                    HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(path).isEqualTo(401);
        }
        var wrong = run(dir, Map.of("DROVER_TOKEN", "wrong", "DROVER_CONTROLLER_URL", url), "node", "status");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("refused the token");

        var drain = run(dir, env, "node", "drain", "w1");
        assertThat(drain.exit()).as(drain.err()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            var r = run(dir, env, "node", "workers", "--json");
            for (JsonNode w : JSON.readTree(r.out()))
                if (w.get("id").asText().equals("w1"))
                    return w.get("status").asText().equals("draining");
            return false;
        });
        for (int i = 0; i < 8; i++) {
            var s = run(dir, "task", "submit", "--redis-url", redis.url(), "--", "echo", "hi");
            assertThat(s.exit()).as(s.err()).isZero();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> processed() == 8);
        for (JsonNode w : workers()) {
            if (w.get("id").asText().equals("w1")) {
                assertThat(w.get("processed").asInt()).isZero();
                assertThat(w.get("status").asText()).isEqualTo("draining");
            }
        }
        var status = run(dir, env, "node", "status");
        assertThat(status.out())
                .contains("leader: ctl-a (epoch 1)")
                .contains("1 draining")
                .contains("1 running");
        var doctor = run(dir, env, "doctor", "--redis-url", redis.url());
        assertThat(doctor.out())
                .containsPattern("ok +controllers +1 alive: ctl-a \\(leader\\); leader ctl-a")
                .containsPattern("ok +controller token +DROVER_TOKEN is set");
        var resume = run(dir, env, "node", "resume", "w1");
        assertThat(resume.exit()).as(resume.err()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (JsonNode w : workers())
                if (w.get("id").asText().equals("w1"))
                    return w.get("status").asText().equals("running");
            return false;
        });
        var metrics = http.send(
                HttpRequest.newBuilder(URI.create(url + "/metrics"))
                        .header("Authorization", "Bearer " + TOKEN)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body())
                .contains("drover_workers_alive 2.0")
                .contains("drover_queue_depth{queue=\"default\"}");
    }

    @Test
    void aWorkerOfAnotherMajorMinorGetsNothingAndShowsAsIncompatible() throws Exception {
        controller("ctl-a");
        awaitLeader();
        worker("w-old", "-Ddrover.version=9.9.0");
        worker("w1");
        var r = run(dir, "run", DroverProcess.example("fleet.lua").toString(), "--redis-url", redis.url());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        for (JsonNode w : workers()) {
            if (w.get("id").asText().equals("w-old")) {
                assertThat(w.get("status").asText()).isEqualTo("incompatible");
                assertThat(w.get("processed").asInt()).isZero();
            } else {
                assertThat(w.get("processed").asInt()).isEqualTo(20);
            }
        }
    }

    @Test
    void aTaggedTaskOfAWorkflowRunsOnlyOnAWorkerWithItsTags() throws Exception {
        controller("ctl-a");
        awaitLeader();
        worker("w-gpu", List.of(), "--tags", "gpu=yes");
        worker("w1");
        Files.writeString(dir.resolve("tags.lua"), """
        local tasks = {}
        for i = 1, 6 do
          tasks[#tasks + 1] = { name = "gpu" .. i, tags = { gpu = "yes" }, command = 'basename "$(dirname "$PWD")"' }
          tasks[#tasks + 1] = { name = "any" .. i, command = 'sleep 0.2; basename "$(dirname "$PWD")"' }
        end
        TaskDefinitions = { t = { tasks = tasks } }
        """);
        var r = run(dir, "run", "tags.lua", "--redis-url", redis.url(), "--json");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        Set<String> untaggedRanOn = new HashSet<>();
        for (var e : byTask(JSON.readTree(r.out())).entrySet()) {
            if (e.getKey().startsWith("t.gpu"))
                assertThat(e.getValue().get("message").asText()).as(e.getKey()).isEqualTo("w-gpu");
            else untaggedRanOn.add(e.getValue().get("message").asText());
        }
        assertThat(untaggedRanOn).contains("w1");
    }

    @Test
    void nodeStartRunsWhatDroverTomlSaysWithTheEnvironmentOverridingTheFile() throws Exception {
        Files.writeString(dir.resolve("drover.toml"), """
        [nodes]
        mode = "distributed"
        role = "worker"
        [bus]
        redis_url = "%s"
        [controller]
        port = 0
        id = "ctl-node"
        [worker]
        id = "w-node"
        concurrency = 3
        tags = { zone = "a" }
        """.formatted(redis.url()));
        start("node", List.of(), Map.of("DROVER_ROLE", "hybrid"), "node", "start");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> log("node").contains("drover node hybrid: redis " + redis.url()));
        assertThat(log("node"))
                .contains("drover node: controller ctl-node")
                .contains("drover node: worker w-node, queue default, concurrency 3");
        var r = run(dir, "run", DroverProcess.example("fleet.lua").toString(), "--redis-url", redis.url());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.err() + r.out()).contains("submitted to the controllers");
        assertThat(workers().get(0).get("tags").asText()).isEqualTo("zone=a");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> processed() == 20); // the record is written at each heartbeat
        signal(started.get("node"), "TERM");
        assertThat(started.get("node").waitFor(30, TimeUnit.SECONDS)).isTrue();
        // epoch 1, or a later one if a loaded machine starved the lease thread past its lease and it took the lease
        // again
        assertThat(log("node")).containsPattern("gave the lease up \\(epoch \\d+\\)");

        Files.writeString(dir.resolve("drover.toml"), "[nodes]\nmode = \"single\"\n");
        var single = run(dir, "node", "start");
        assertThat(single.exit()).isEqualTo(2);
        assertThat(single.err()).contains("drover.toml: [nodes] mode is \"single\": there is nothing to start");
    }

    @Test
    void theLeaderRaisesAlertsWhenNoWorkerLivesAndTheQueueFillsAndClearsThem() throws Exception {
        int port = controller("ctl-a");
        awaitLeader();
        Map<String, String> env = Map.of("DROVER_CONTROLLER_URL", "http://127.0.0.1:" + port);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 150; i++) lines.add("{\"command\": \"true\"}");
        Files.write(dir.resolve("many.jsonl"), lines);
        var s = run(dir, "task", "submit", "--redis-url", redis.url(), "--from", "many.jsonl");
        assertThat(s.exit()).as(s.err()).isZero();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> run(dir, env, "node", "status").out().contains("queue default holds 150 tasks (> 100)"));
        var status = run(dir, env, "node", "status");
        assertThat(status.out())
                .contains("alert critical: no live worker")
                .contains("alert warning: queue default holds 150 tasks (> 100)");
        assertThat(status.exit()).isEqualTo(1); // a critical alert fires
        assertThat(log("ctl-a")).contains("alert critical: no live worker");
        worker("w1");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> run(dir, env, "node", "status").out().contains("alerts: none"));
        assertThat(run(dir, env, "node", "status").exit()).isZero();
        assertThat(log("ctl-a")).contains("alert cleared: no_workers").contains("alert cleared: queue_depth");
    }

    @Test
    void submitPrintsTheRunIdAndCancelStopsTheRun() throws Exception {
        controller("ctl-a");
        awaitLeader();
        worker("w1");
        var s = run(
                dir,
                "submit",
                DroverProcess.example("fleet.lua").toString(),
                "--redis-url",
                redis.url(),
                "--param",
                "pause=30");
        assertThat(s.exit()).as(s.err()).isZero();
        String id = s.out().strip();
        assertThat(id).matches("\\d{8}-\\d{6}-[0-9a-f]{4}");
        await().atMost(Duration.ofSeconds(30)).until(() -> queueTasks() >= 4);
        var c = run(dir, "runs", "cancel", id, "--redis-url", redis.url());
        assertThat(c.exit()).as(c.err()).isZero();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> runStatus(id).get("state").asText().equals("CANCELLED"));
        var again = run(dir, "runs", "cancel", id, "--redis-url", redis.url());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("no active run '" + id + "'");
    }
}
