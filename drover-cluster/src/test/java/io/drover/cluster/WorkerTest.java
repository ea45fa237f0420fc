package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.Scripts;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.queue.WorkerStore;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.DroverException;
import io.drover.core.model.Backoff;
import io.drover.core.runner.TaskContext;
import io.drover.core.runner.TaskKind;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.XReadArgs;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers and the client against a real redis-server started for these tests. */
class WorkerTest {
    @org.junit.jupiter.api.extension.RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private Client client;
    private final List<Worker> workers = new ArrayList<>();

    @BeforeEach
    void connect() {
        client = Client.connect(redis.url());
        redis.commands().flushall();
    }

    @AfterEach
    void stopWorkers() throws Exception {
        for (Worker w : workers) w.shutdownNow();
        for (Worker w : workers) w.awaitTermination(Duration.ofSeconds(20));
        client.close();
    }

    private Worker worker(int concurrency, Duration lease) {
        Worker w = Worker.start(WorkerOptions.builder(redis.url())
                .concurrency(concurrency)
                .lease(lease)
                .grace(Duration.ofSeconds(5))
                .workdir(dir.resolve("w" + workers.size()))
                .build());
        workers.add(w);
        return w;
    }

    private TaskStatus finished(String id) throws InterruptedException {
        TaskStatus s = client.await(id, Duration.ofSeconds(30));
        assertThat(s.isFinished()).as("task %s finished, is %s", id, s.state()).isTrue();
        return s;
    }

    private Worker tagged(String id, int concurrency, Map<String, String> tags) {
        Worker w = Worker.start(WorkerOptions.builder(redis.url())
                .workerId(id)
                .concurrency(concurrency)
                .lease(Duration.ofSeconds(2))
                .grace(Duration.ofSeconds(5))
                .workdir(dir.resolve(id))
                .tags(tags)
                .build());
        workers.add(w);
        return w;
    }

    @Test
    void aTaggedTaskGoesOnlyToWorkersWithAllItsTagsAndUntaggedOnesGoAnywhere() throws Exception {
        tagged("plain", 2, Map.of());
        tagged("gpu", 1, Map.of("gpu", "yes"));
        tagged("gpu-a", 3, Map.of("gpu", "yes", "zone", "a"));
        List<String> gpu = new ArrayList<>();
        List<String> gpuZoneA = new ArrayList<>();
        List<String> any = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            gpu.add(client.submit(TaskSubmission.shell("sleep 0.05").withTags(Map.of("gpu", "yes"))));
            gpuZoneA.add(client.submit(TaskSubmission.shell("sleep 0.05").withTags(Map.of("zone", "a", "gpu", "yes"))));
            any.add(client.submit(TaskSubmission.shell("sleep 0.05")));
        }
        String nobody = client.submit(TaskSubmission.shell("true").withTags(Map.of("gpu", "no")));
        Set<String> ranAny = new HashSet<>();
        for (String id : gpu) assertThat(finished(id).worker()).isIn("gpu", "gpu-a");
        for (String id : gpuZoneA) assertThat(finished(id).worker()).isEqualTo("gpu-a");
        for (String id : any) ranAny.add(finished(id).worker());
        assertThat(ranAny).contains("plain"); // the plain worker takes its share; tagged workers may help
        assertThat(redis.commands().smembers(new Keys("default").taggedStreams()))
                .containsExactlyInAnyOrder(
                        new Keys("default").stream(Map.of("gpu", "yes")),
                        new Keys("default").stream(Map.of("gpu", "yes", "zone", "a")),
                        new Keys("default").stream(Map.of("gpu", "no")));
        // each worker reads again after nobody's submit: a task sent to it after that one has run there (these
        // come after the look at the tagged streams: a task sent to a worker adds its stream there)
        for (String w : List.of("plain", "gpu", "gpu-a")) {
            assertThat(finished(client.submit(TaskSubmission.shell("true").withWorker(WorkerId.parse(w))))
                            .worker())
                    .isEqualTo(w);
        }
        assertThat(client.status(nobody).orElseThrow().state()).isEqualTo("PENDING"); // no worker has gpu=no
    }

    @Test
    void aSubmittedTaskIsRecordedPendingAtOnce() {
        String id = client.submit(TaskSubmission.shell("true"));
        assertThat(client.status(id).orElseThrow().state()).isEqualTo("PENDING");
        assertThat(client.list("default", "PENDING", 10))
                .extracting(TaskStatus::id)
                .containsExactly(id);
    }

    @Test
    void tasksAreListedNewestFirst() {
        List<String> ids = new ArrayList<>(client.submitAll(Collections.nCopies(2500, TaskSubmission.shell("true"))));
        ids.addAll(client.submitAll(List.of(TaskSubmission.lua("return true"))));
        Collections.reverse(ids);
        // more than one read of 1,000 from the end of the index's list
        assertThat(client.list("default", null, 2200))
                .extracting(TaskStatus::id)
                .containsExactlyElementsOf(ids.subList(0, 2200));
        assertThat(client.list("default", "PENDING", 3))
                .extracting(TaskStatus::id)
                .containsExactlyElementsOf(ids.subList(0, 3));
        assertThat(client.indexed("default")).isEqualTo(2501);
    }

    @Test
    void runsShellAndLuaTasksWithTheirOutputs() throws Exception {
        worker(2, Duration.ofSeconds(5));
        String sh = client.submit(
                TaskSubmission.shell("echo \"greeting=$DROVER_PARAM_WHO\" >> \"$DROVER_OUTPUT\"; echo done")
                        .withParams(Map.of("who", "fleet")));
        String lua = client.submit(TaskSubmission.lua("return true, 'hi ' .. params.who, { n = 1 }")
                .withParams(Map.of("who", "lua")));
        TaskStatus s = finished(sh);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.message()).isEqualTo("done");
        assertThat(s.outputs()).isEqualTo(Map.of("greeting", "fleet"));
        TaskStatus l = finished(lua);
        assertThat(l.state()).isEqualTo("SUCCEEDED");
        assertThat(l.message()).isEqualTo("hi lua");
        assertThat(l.outputs()).isEqualTo(Map.of("n", 1L));
    }

    @Test
    void everyAttemptsDirectoryIsGoneOnceItsOutcomeIsRecorded() throws Exception {
        worker(2, Duration.ofSeconds(5));
        Path root = dir.resolve("w0");
        String sh = client.submit(TaskSubmission.shell("echo kept > file.txt; pwd"));
        // a Lua function makes its directory only when it uses fs (or exec); the worker removes it then too
        String usesFs = client.submit(TaskSubmission.lua("fs.write('a/b.txt', 'x'); return true, fs.read('a/b.txt')"));
        String quiet = client.submit(TaskSubmission.lua("return true, 'no files'"));
        TaskStatus s = finished(sh);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.message()).startsWith(root.toString()); // it ran in a directory of its own under the workdir
        assertThat(finished(usesFs).message()).isEqualTo("x");
        assertThat(finished(quiet).message()).isEqualTo("no files");
        try (var left = Files.list(root)) {
            assertThat(left.toList()).isEmpty();
        }
    }

    @Test
    void aLuaTaskThatDoesNotCompileFailsWithTheLineAndTheWorkerGoesOn() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String bad = client.submit(TaskSubmission.lua("return true,"));
        String good = client.submit(TaskSubmission.lua("return true, 'fine'"));
        TaskStatus b = finished(bad);
        assertThat(b.state()).isEqualTo("FAILED");
        assertThat(b.message()).startsWith("task.lua:");
        assertThat(finished(good).message()).isEqualTo("fine");
    }

    @Test
    void aLuaBodyIsCompiledOnItsOwnAndCannotCloseItsFunctionToRunCodeOutsideItsTask() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String escape = client.submit(TaskSubmission.lua("return true end while true do end local function f()"));
        String brackets = client.submit(TaskSubmission.lua("return true, ']]' .. ']=]' .. ']==]'"));
        TaskStatus e = finished(escape);
        assertThat(e.state()).isEqualTo("FAILED");
        assertThat(e.message()).startsWith("task.lua:1:");
        assertThat(finished(brackets).message()).isEqualTo("]]]=]]==]");
    }

    @Test
    void aTasksLogLinesAndStateChangesAreInItsEventStream() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("echo one; echo two >&2; exit 1")
                .withRetries(1)
                .withBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(50), 1, false)));
        finished(id);
        List<String> seen = new ArrayList<>();
        for (Client.TaskEvent e : client.events(id, "0", 0)) {
            seen.add(
                    e.fields().get("type").equals("log")
                            ? e.fields().get("line")
                            : e.fields().get("state") + "#" + e.fields().get("attempt"));
        }
        assertThat(seen)
                .containsExactly("RUNNING#1", "one", "two", "RETRYING#1", "RUNNING#2", "one", "two", "FAILED#2");
        assertThat(redis.commands().ttl(new Keys("default").events(id))).isPositive();
    }

    @Test
    void aQuietTaskWritesNoEventsUnlessSomeoneFollowsIt() throws Exception {
        Keys keys = new Keys("default");
        String followed = client.submit(TaskSubmission.lua("return true, 'seen'"));
        assertThat(client.follow(followed)).isTrue(); // before it starts: its RUNNING event comes too
        assertThat(client.follow("default.tnosuchtask")).isFalse();
        assertThat(redis.commands().exists(keys.task("default.tnosuchtask"))).isZero();
        worker(1, Duration.ofSeconds(5));
        String quiet = client.submit(TaskSubmission.lua("return true, 'done'"));
        assertThat(finished(quiet).message()).isEqualTo("done");
        assertThat(redis.commands().exists(keys.events(quiet))).isZero();

        finished(followed);
        List<String> seen = new ArrayList<>();
        for (Client.TaskEvent e : client.events(followed, "0", 0))
            seen.add(e.fields().get("state") + "#" + e.fields().get("attempt"));
        assertThat(seen).containsExactly("RUNNING#1", "SUCCEEDED#1");
        assertThat(redis.commands().ttl(keys.events(followed))).isPositive();
        assertThat(redis.commands().exists(keys.following())).isZero(); // taken out of the set once it started
    }

    @Test
    void aRunningTaskShowsItsWorkerAndAttemptAndFollowingItThenWritesItsRunningEvent() throws Exception {
        Keys keys = new Keys("default");
        Worker w = worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("sleep 1"));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.status(id).orElseThrow().state().equals("RUNNING"));
        TaskStatus s = client.status(id).orElseThrow();
        assertThat(s.worker()).isEqualTo(w.id().toString());
        assertThat(s.attempt()).isEqualTo(1);
        assertThat(client.list("default", "RUNNING", 10))
                .extracting(TaskStatus::id)
                .containsExactly(id);
        assertThat(client.follow(id)).isTrue();
        assertThat(redis.commands().exists(keys.following())).isZero(); // it runs: no need for the claim to look
        assertThat(client.events(id, "0", 0))
                .extracting(e -> e.fields().get("state") + "#" + e.fields().get("worker"))
                .containsExactly("RUNNING#" + w.id());
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        assertThat(client.list("default", "RUNNING", 10)).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    void streamsAreTrimmedOfFinishedEntriesButNeverOfPendingOrUndeliveredOnes() {
        Keys keys = new Keys("default");
        var r = redis.commands();
        Client.ensureGroup(r, keys);
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < 1000; i++) entries.add(r.xadd(keys.stream(), Map.of("v", "1", "id", "default.t" + i)));
        var me = Consumer.from(Keys.GROUP, "w");
        r.xreadgroup(me, XReadArgs.Builder.count(600), XReadArgs.StreamOffset.lastConsumed(keys.stream()));
        for (int i = 0; i < 600; i++) if (i != 250) r.xack(keys.stream(), Keys.GROUP, entries.get(i)); // 250 still runs
        long trimmed = Scripts.run(r, Scripts.TRIM, ScriptOutputType.INTEGER, new String[] {keys.stream()});
        assertThat(trimmed).isPositive();
        assertThat(r.xlen(keys.stream())).isEqualTo(1000 - trimmed);
        assertThat(r.xrange(keys.stream(), Range.create(entries.get(250), entries.get(250))))
                .hasSize(1);
        assertThat(r.xrange(keys.stream(), Range.create(entries.get(600), "+"))).hasSize(400);
        assertThat(Client.backlog(r, keys.stream())).isEqualTo(new Client.Backlog(400, 1));
        r.xdel(keys.stream(), entries.get(700)); // a deletion among undelivered entries: Redis no longer knows the lag
        assertThat(Client.backlog(r, keys.stream())).isEqualTo(new Client.Backlog(399, 1));

        for (int i = 600; i < 1000; i++)
            r.xack(keys.stream(), Keys.GROUP, entries.get(i)); // never delivered: no effect
        r.xack(keys.stream(), Keys.GROUP, entries.get(250));
        Scripts.run(r, Scripts.TRIM, ScriptOutputType.INTEGER, new String[] {keys.stream()});
        assertThat(r.xrange(keys.stream(), Range.create(entries.get(600), "+"))).hasSize(399); // not delivered yet
    }

    @Test
    void runsTaskKindsRegisteredInJavaAndReportsEachOutcomeToTheCallback() throws Exception {
        List<String> done = new CopyOnWriteArrayList<>();
        TaskKind greet = new TaskKind() {
            @Override
            public String name() {
                return "greet";
            }

            @Override
            public TaskOutcome run(Map<String, Object> config, TaskRequest request, TaskContext context) {
                return TaskOutcome.succeeded("hello " + config.get("who"), Map.of("len", 5));
            }
        };
        Worker w = Worker.start(WorkerOptions.builder(redis.url())
                .workdir(dir.resolve("k"))
                .kinds(TaskKinds.none().with(greet))
                .onTaskDone((id, attempt, outcome, accepted) -> {
                    done.add(id + ":" + outcome.status() + ":" + accepted);
                    throw new IllegalStateException("a failing callback must not stop the worker");
                })
                .build());
        workers.add(w);
        String a = client.submit(TaskSubmission.kind("greet", Map.of("who", "java")));
        String b = client.submit(TaskSubmission.kind("unknown-kind", Map.of()));
        assertThat(finished(a).message()).isEqualTo("hello java");
        assertThat(client.status(a).orElseThrow().outputs()).isEqualTo(Map.of("len", 5L));
        assertThat(finished(b).message()).isEqualTo("unknown task kind 'unknown-kind' (known: greet)");
        // the callback hears the outcome with Redis's answer (accepted), so after the record shows it: wait for it
        await().atMost(Duration.ofSeconds(10)).until(() -> done.size() >= 2);
        assertThat(done).contains(a + ":SUCCEEDED:true", b + ":FAILED:true");
    }

    @Test
    void connectsWithAPasswordAndNeverPrintsIt() throws Exception {
        assertThat(RedisUrls.masked("redis://user:s3cr3t@host:6379/0")).isEqualTo("redis://user:***@host:6379/0");
        assertThat(RedisUrls.masked("rediss://:s3cr3t@host")).isEqualTo("rediss://:***@host");
        assertThat(RedisUrls.masked("redis-cluster://app:s3cr3t@h1:7000,h2:7001"))
                .isEqualTo("redis-cluster://app:***@h1:7000,h2:7001");
        try (RedisServer secured = RedisServer.start(false, "--requirepass", "s3cr3t")) {
            String url = "redis://:s3cr3t@127.0.0.1:" + secured.port();
            try (Client c = Client.connect(url)) {
                assertThat(c.status(c.submit(TaskSubmission.shell("true")))).isPresent();
            }
            try {
                Client.connect("redis://:wrong@127.0.0.1:" + secured.port()).close();
                throw new AssertionError("a wrong password was accepted");
            } catch (DroverException e) {
                assertThat(e.getMessage()).doesNotContain("wrong").contains("redis://:***@127.0.0.1");
            }
        }
    }

    @Test
    void secretParametersAreMaskedInLogsAndMessages() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("echo \"using $DROVER_PARAM_API_TOKEN\"")
                .withParams(Map.of("api_token", "tok-12345")));
        TaskStatus s = finished(id);
        assertThat(s.message()).isEqualTo("using ***");
        List<String> lines = new ArrayList<>();
        for (Client.TaskEvent e : client.events(id, "0", 0))
            if ("log".equals(e.fields().get("type"))) lines.add(e.fields().get("line"));
        assertThat(lines).containsExactly("using ***");
    }

    @Test
    void retriesWithBackoffThenDeadLettersKeepingEveryError() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("echo \"try $DROVER_ATTEMPT\"; exit 3")
                .withRetries(2)
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), 1, false)));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(s.dead()).isTrue();
        assertThat(s.failures()).isEqualTo(3);
        assertThat(s.errors())
                .containsExactly(
                        "attempt 1: exit code 3: try 1",
                        "attempt 2: exit code 3: try 2",
                        "attempt 3: exit code 3: try 3");
        assertThat(client.list("default", "dead", 10))
                .extracting(TaskStatus::id)
                .containsExactly(id);
    }

    @Test
    void showsRetryingWhileWaitingForTheNextAttempt() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("exit 1")
                .withRetries(1)
                .withBackoff(new Backoff(Duration.ofSeconds(3), Duration.ofSeconds(3), 1, false)));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.status(id).orElseThrow().state().equals("RETRYING"));
        assertThat(client.status(id).orElseThrow().failures()).isEqualTo(1);
        assertThat(client.status(id).orElseThrow().attempts()).isEqualTo("1 of 2 attempts failed; retrying");
        TaskStatus end = finished(id);
        assertThat(end.failures()).isEqualTo(2);
        assertThat(end.attempts()).isEqualTo("all 2 attempts failed");
        assertThat(end.durationMillis()).isNotNull();
        assertThat(end.toMap()).containsKeys("submitted_at", "started_at", "finished_at", "duration_ms");
    }

    @Test
    void aTaskCancelledWhileWaitingToRetryIsNotSaidToHaveNeverRun() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("exit 1")
                .withRetries(1)
                .withBackoff(new Backoff(Duration.ofSeconds(30), Duration.ofSeconds(30), 1, false)));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.status(id).orElseThrow().state().equals("RETRYING"));
        assertThat(client.cancel(id)).isEqualTo("CANCELLED");
        TaskStatus s = client.status(id).orElseThrow();
        assertThat(s.message()).isEqualTo("cancelled while waiting to retry");
        assertThat(s.attempts()).isEqualTo("cancelled after 1 delivery (1 failed)");
    }

    @Test
    void aWorkerRemovesItsDefaultDirectoryAndThoseOfKilledPredecessors() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        String host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "_");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        Path left = Files.createDirectories(tmp.resolve("drover-worker-" + host + "-" + gone.pid() + "-beef")
                .resolve("task-1"));
        Files.writeString(left.resolve("out.txt"), "left by a worker killed with -9");
        Path alive = Files.createDirectories(tmp.resolve(
                "drover-worker-" + host + "-" + ProcessHandle.current().pid() + "-cafe"));
        try {
            Worker w = Worker.start(WorkerOptions.builder(redis.url())
                    .queue("sweep")
                    .grace(Duration.ofSeconds(1))
                    .build());
            Path own = w.workdir();
            assertThat(left.getParent()).doesNotExist();
            assertThat(alive).exists(); // its process lives: not ours to remove
            assertThat(own).exists();
            w.close();
            assertThat(own).doesNotExist();
        } finally {
            Files.deleteIfExists(alive);
        }
    }

    @Test
    void submittingTheSameIdempotencyKeyTwiceMakesOneTask() {
        String a = client.submit(TaskSubmission.shell("true").withIdempotencyKey("nightly-2026-11-22"));
        String b = client.submit(TaskSubmission.shell("true").withIdempotencyKey("nightly-2026-11-22"));
        assertThat(b).isEqualTo(a);
        assertThat(client.list("default", null, 10)).hasSize(1);
    }

    @Test
    void aCancelledQueuedTaskNeverStarts() throws Exception {
        String id = client.submit(TaskSubmission.shell("touch " + dir.resolve("ran")));
        assertThat(client.cancel(id)).isEqualTo("CANCELLED");
        worker(1, Duration.ofSeconds(5));
        String after = client.submit(TaskSubmission.shell("true"));
        finished(after); // the worker has read past the cancelled one
        assertThat(client.status(id).orElseThrow().state()).isEqualTo("CANCELLED");
        assertThat(dir.resolve("ran")).doesNotExist();
    }

    @Test
    void aCancelledRunningTaskIsKilled() throws Exception {
        worker(1, Duration.ofMillis(900));
        String id = client.submit(TaskSubmission.shell("echo $$ > " + dir.resolve("pid") + "; sleep 300"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("pid")));
        assertThat(client.cancel(id)).isEqualTo("CANCELLING");
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("CANCELLED");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void aTaskRunningThreeTimesItsLeaseOnAHealthyWorkerIsNeverReclaimed() throws Exception {
        worker(1, Duration.ofMillis(600));
        worker(1, Duration.ofMillis(600)); // idle, reclaiming whatever lapses
        String id = client.submit(TaskSubmission.shell("sleep 2; echo $DROVER_ATTEMPT"));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.attempt()).isEqualTo(1);
        assertThat(s.message()).isEqualTo("1");
    }

    @Test
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    void anOutcomeWithAStaleAttemptIsRefused() throws Exception {
        // A paused worker ("zombie") wakes up after its task was taken over by another worker ("other").
        Keys keys = new Keys("default");
        String id = client.submit(TaskSubmission.shell("true"));
        var r = redis.commands();
        var first =
                r.xreadgroup(Consumer.from(Keys.GROUP, "zombie"), XReadArgs.StreamOffset.lastConsumed(keys.stream()));
        String entry = first.get(0).getId();
        assertThat(client.status(id).orElseThrow().worker()).isEqualTo("zombie");
        r.xclaim(keys.stream(), Consumer.from(Keys.GROUP, "other"), 0, entry); // the take-over: delivery 2
        TaskStatus running = client.status(id).orElseThrow();
        assertThat(running.state()).isEqualTo("RUNNING");
        assertThat(running.worker()).isEqualTo("other");
        assertThat(running.attempt()).isEqualTo(2);
        assertThat(complete(keys, id, "zombie", entry, 1, "late")).containsExactly(0L);
        assertThat(complete(keys, id, "other", entry, 1, "stale token")).containsExactly(0L);
        assertThat(client.status(id).orElseThrow().state()).isEqualTo("RUNNING");
        assertThat(complete(keys, id, "other", entry, 2, "on time")).containsExactly(1L);
        TaskStatus s = client.status(id).orElseThrow();
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.message()).isEqualTo("on time");
        assertThat(s.worker()).isEqualTo("other");
        assertThat(s.attempt()).isEqualTo(2);
        assertThat(complete(keys, id, "other", entry, 2, "twice"))
                .containsExactly(0L); // acknowledged: no second outcome
        assertThat(client.status(id).orElseThrow().message()).isEqualTo("on time");
    }

    private List<Long> complete(Keys keys, String id, String worker, String entry, long token, String message) {
        return completeAll(keys, worker, 1, List.of(id), List.of(entry), token, message);
    }

    /**
     * The store's complete for several tasks of the queue's stream, each with delivery count {@code token}; its one look
     * at the worker's pending entries spans the first to the last of them and brings at most {@code limit}.
     */
    private List<Long> completeAll(
            Keys keys, String worker, int limit, List<String> ids, List<String> entries, long token, String message) {
        List<WorkerStore.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            outcomes.add(new WorkerStore.Outcome(
                    QueueTaskId.parse(ids.get(i)),
                    keys.stream(),
                    entries.get(i),
                    FencingToken.of(token),
                    (int) token,
                    1,
                    "SUCCEEDED",
                    message,
                    "{}",
                    1,
                    false,
                    "",
                    ""));
        }
        try (var store = WorkerStore.open(redis.url(), WorkerId.parse(worker), keys, List.of(keys.stream()))) {
            return store.complete(outcomes, Duration.ofSeconds(60), 1, limit).stream()
                    .map(ok -> ok ? 1L : 0L)
                    .toList();
        }
    }

    @Test
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    void outcomesAreFencedByOneLookAtTheWorkersPendingEntriesOrOneByOneWhenThatLookIsCutShort() {
        // The complete script reads the worker's pending entries between the first and last of its batch in one
        // XPENDING of at most `limit`; entries a cut-short reply did not bring are looked up alone, never refused for
        // it.
        Keys keys = new Keys("default");
        List<String> ids = client.submitAll(Collections.nCopies(4, TaskSubmission.shell("true")));
        var r = redis.commands();
        List<String> entries = r
                .xreadgroup(
                        Consumer.from(Keys.GROUP, "w"),
                        XReadArgs.Builder.count(4),
                        XReadArgs.StreamOffset.lastConsumed(keys.stream()))
                .stream()
                .map(m -> m.getId())
                .toList();
        assertThat(entries).hasSize(4);
        r.xclaim(keys.stream(), Consumer.from(Keys.GROUP, "other"), 0, entries.get(1)); // now someone else's
        // the batch: tasks 0, 1 (not this worker's any more) and 3; task 2 stays pending for w, inside the span
        List<String> batchIds = List.of(ids.get(0), ids.get(1), ids.get(3));
        List<String> batchEntries = List.of(entries.get(0), entries.get(1), entries.get(3));
        assertThat(completeAll(keys, "w", 1, batchIds, batchEntries, 1, "cut short"))
                .containsExactly(1L, 0L, 1L);
        assertThat(client.status(ids.get(3)).orElseThrow().message()).isEqualTo("cut short");
        assertThat(client.status(ids.get(1)).orElseThrow().state()).isEqualTo("RUNNING");
        assertThat(completeAll(keys, "w", 100, List.of(ids.get(2)), List.of(entries.get(2)), 1, "whole"))
                .containsExactly(1L);
        assertThat(completeAll(keys, "w", 100, List.of(ids.get(2)), List.of(entries.get(2)), 1, "again"))
                .containsExactly(0L);
        assertThat(client.status(ids.get(2)).orElseThrow().message()).isEqualTo("whole");
        assertThat(Keys.compareEntryIds("1700000000000-10", "1700000000000-9")).isPositive();
        assertThat(Keys.compareEntryIds("999-5", "1000-0")).isNegative();
        assertThat(Keys.compareEntryIds(entries.get(0), entries.get(0))).isZero();
    }

    @Test
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    void aTaskDeliveredAgainAndAgainWithoutAnOutcomeIsDeadLettered() {
        // Each delivery below stands for a worker that took the task and crashed before reporting; the next one
        // reclaims the entry (XCLAIM, as XAUTOCLAIM does once the lease lapsed), which counts one more delivery.
        Keys keys = new Keys("default");
        String id = client.submit(TaskSubmission.shell("kill -9 $PPID"));
        var r = redis.commands();
        var crashy = Consumer.from(Keys.GROUP, "crashy");
        String entry = r.xreadgroup(crashy, XReadArgs.StreamOffset.lastConsumed(keys.stream()))
                .get(0)
                .getId();
        List<Object> tokens = new ArrayList<>();
        try (var store = WorkerStore.open(redis.url(), WorkerId.parse("crashy"), keys, List.of(keys.stream()))) {
            for (int i = 0; i < 5; i++) {
                if (i > 0) r.xclaim(keys.stream(), crashy, 0, entry);
                var out = store.claim(keys.stream(), List.of(entry), 3, 1);
                // dead-lettered instead of taken the fifth time
                tokens.add(
                        !out.isEmpty() && out.get(0) instanceof WorkerStore.Taken t
                                ? t.token().value()
                                : "not taken");
            }
        }
        assertThat(tokens).containsExactly(1L, 2L, 3L, 4L, "not taken");
        TaskStatus s = client.status(id).orElseThrow();
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(s.dead()).isTrue();
        assertThat(s.message())
                .isEqualTo("dead-lettered after 5 deliveries without an outcome (1 allowed for its attempts,"
                        + " 3 extra for crashed workers): a poison task?");
        assertThat(r.xpending(keys.stream(), Keys.GROUP).getCount()).isZero(); // acknowledged
    }

    @Test
    void malformedStreamEntriesAreSetAsideAndWorkGoesOn() throws Exception {
        Keys keys = new Keys("default");
        Client.ensureGroup(redis.commands(), keys);
        redis.commands().xadd(keys.stream(), Map.of("garbage", "yes"));
        redis.commands().xadd(keys.stream(), Map.of("v", "9", "id", "tfuture"));
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("true"));
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        assertThat(redis.commands().xlen(keys.stream() + ":rejected")).isEqualTo(2);
    }

    @Test
    void entriesWithASpecThatIsNoObjectOrAnIdOfAnotherQueueOrAPathAreSetAsideAndNothingIsWrittenOutsideTheWorkdir()
            throws Exception {
        Keys keys = new Keys("default");
        Client.ensureGroup(redis.commands(), keys);
        String spec = "{\"kind\":\"shell\",\"command\":\"touch escaped\"}";
        redis.commands().xadd(keys.stream(), Map.of("v", "2", "id", "default.tarray", "spec", "[1,2]"));
        redis.commands()
                .xadd(keys.stream(), Map.of("v", "2", "id", "default.tgarbage", "spec", "{\u0000\u00ff not json}"));
        redis.commands().xadd(keys.stream(), Map.of("v", "2", "id", "../x", "spec", spec));
        redis.commands().xadd(keys.stream(), Map.of("v", "2", "id", "default./../../x", "spec", spec));
        redis.commands().xadd(keys.stream(), Map.of("v", "2", "id", "other.tforeign", "spec", spec));
        worker(1, Duration.ofSeconds(5));
        String id = client.submit(TaskSubmission.shell("true"));
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        assertThat(redis.commands().xlen(keys.stream() + ":rejected")).isEqualTo(5);
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString()).toList()).containsExactly("w0");
        }
    }

    @Test
    void anAttemptEndedByAnErrorOrAMemoryBombRecordsItsOutcomeAndFreesItsSlot() throws Exception {
        worker(1, Duration.ofSeconds(5));
        String deep = client.submit(TaskSubmission.lua("local function f(n) return 1 + f(n + 1) end; return f(1)"));
        String bomb = client.submit(TaskSubmission.lua("local s = 'x'; while true do s = s .. s end"));
        String after = client.submit(TaskSubmission.shell("echo still here"));
        TaskStatus d = finished(deep);
        assertThat(d.state()).isEqualTo("FAILED");
        assertThat(d.message()).contains("overflowed its stack");
        TaskStatus b = finished(bomb);
        assertThat(b.state()).isEqualTo("FAILED");
        assertThat(b.message()).contains("'..' would make a string of 536870912 bytes, over Drover's limit");
        assertThat(finished(after).message()).isEqualTo("still here");
    }

    @Test
    void duplicateEntriesOfOneTaskRunApartAndGiveTheirSlotsBack() throws Exception {
        Keys keys = new Keys("default");
        Client.ensureGroup(redis.commands(), keys);
        String id = client.submit(TaskSubmission.shell("mkdir -p sub && echo x > sub/f && sleep 0.3 && rm -r sub"));
        var entry =
                redis.commands().xrange(keys.stream(), Range.create("-", "+")).get(0);
        redis.commands().xadd(keys.stream(), entry.getBody());
        redis.commands().xadd(keys.stream(), entry.getBody());
        worker(2, Duration.ofSeconds(5));
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        List<String> later = new ArrayList<>();
        for (int i = 0; i < 3; i++) later.add(client.submit(TaskSubmission.shell("echo later")));
        for (String l : later) assertThat(finished(l).state()).isEqualTo("SUCCEEDED");
    }

    @Test
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    void tasksDeliveredTwiceWithoutAnOutcomeRunOneAtATimeSoACrashIsChargedToOneOfThem() throws Exception {
        // Each of these entries was delivered twice to a worker ("crashy") that stopped before reporting: suspects.
        Keys keys = new Keys("default");
        Path log = dir.resolve("order.log");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(client.submit(TaskSubmission.shell("echo start >> " + log + "; sleep 0.3; echo end >> " + log)));
        }
        var r = redis.commands();
        var crashy = Consumer.from(Keys.GROUP, "crashy");
        List<String> entries = new ArrayList<>();
        for (var m : r.xreadgroup(crashy, XReadArgs.StreamOffset.lastConsumed(keys.stream()))) {
            entries.add(m.getId());
        }
        assertThat(entries).hasSize(3);
        for (String e : entries) r.xclaim(keys.stream(), crashy, 0, e); // the second delivery, lost with its worker too
        worker(3, Duration.ofMillis(300)); // takes them over once idle for its lease: the third delivery
        for (String id : ids) assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        assertThat(Files.readAllLines(log)).containsExactly("start", "end", "start", "end", "start", "end");
    }

    @Test
    void gracefulShutdownHandsUnfinishedWorkBackAtOnce() throws Exception {
        Worker a = Worker.start(WorkerOptions.builder(redis.url())
                .lease(Duration.ofSeconds(30))
                .grace(Duration.ofMillis(200))
                .workdir(dir.resolve("a"))
                .build());
        String id =
                client.submit(TaskSubmission.shell("echo $DROVER_ATTEMPT > " + dir.resolve("attempt") + "; sleep 300"));
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("attempt")));
        a.shutdown();
        assertThat(a.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(client.status(id).orElseThrow().state()).isEqualTo("PENDING"); // not left to a 30s lease
    }
}
