package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.RunWorkspace;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.files.Versions;
import io.drover.cluster.files.WorkerFiles;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RedisStateStore;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.RunState;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.model.Backoff;
import io.drover.core.model.RunId;
import io.drover.core.model.WorkflowSource;
import io.drover.core.state.StateScope;
import io.lettuce.core.cluster.SlotHash;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers, controllers and clients over a redis-cluster:// URL, against a three-node Redis Cluster of the test's own. */
class RedisClusterModeTest {
    private static RedisClusterServers cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = RedisClusterServers.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) cluster.close();
    }

    @Test
    void queuesOnDifferentNodesRunTheirTasksWithRetriesDeadLettersCancelAndIdempotency() throws Exception {
        List<String> queues = List.of("alpha", "beta", "gamma", "delta");
        Set<Integer> slots = new HashSet<>();
        for (String q : queues) slots.add(SlotHash.getSlot("drover:{" + q + "}:stream") * 3 / 16384);
        assertThat(slots).as("the queues live on more than one node").hasSizeGreaterThan(1);

        List<Worker> workers = new ArrayList<>();
        try (Client client = Client.connect(cluster.url())) {
            for (String q : queues) {
                workers.add(Worker.start(WorkerOptions.builder(cluster.url())
                        .queue(q)
                        .concurrency(4)
                        .workdir(dir.resolve(q))
                        .lease(Duration.ofSeconds(2))
                        .build()));
            }
            List<String> ids = new ArrayList<>();
            for (String q : queues) {
                for (int i = 0; i < 5; i++)
                    ids.add(client.submit(TaskSubmission.lua("return true, 'ok " + i + "', { q = '" + q + "' }")
                            .withQueue(q)));
            }
            for (String id : ids) {
                TaskStatus s = client.await(id, Duration.ofSeconds(30));
                assertThat(s.state()).as(id).isEqualTo("SUCCEEDED");
            }
            String failing = client.submit(TaskSubmission.shell("echo nope; exit 3")
                    .withQueue("beta")
                    .withRetries(1)
                    .withBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(50), 1, false)));
            TaskStatus f = client.await(failing, Duration.ofSeconds(30));
            assertThat(f.state()).isEqualTo("FAILED");
            assertThat(f.dead()).isTrue();
            assertThat(f.errors()).hasSize(2);
            assertThat(client.list("beta", "dead", 10))
                    .extracting(TaskStatus::id)
                    .contains(failing);

            String first = client.submit(
                    TaskSubmission.shell("true").withQueue("gamma").withIdempotencyKey("nightly-1"));
            String again = client.submit(
                    TaskSubmission.shell("true").withQueue("gamma").withIdempotencyKey("nightly-1"));
            assertThat(again).isEqualTo(first);

            String running = client.submit(TaskSubmission.shell("sleep 30").withQueue("delta"));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> client.status(running)
                            .map(TaskStatus::state)
                            .orElse("")
                            .equals("RUNNING"));
            client.cancel(running);
            assertThat(client.await(running, Duration.ofSeconds(20)).state()).isEqualTo("CANCELLED");
        } finally {
            for (Worker w : workers) w.shutdownNow();
            for (Worker w : workers) w.awaitTermination(Duration.ofSeconds(20));
        }
    }

    @Test
    void aControllerOnTheClusterIsWokenByASubmittedRunAndByItsCancel() throws Exception {
        try (Client client = Client.connect(cluster.url());
                Controller controller = Controller.start(ControllerOptions.builder(cluster.url())
                        .controllerId("ctl-c")
                        .port(0)
                        .pollEvery(Duration.ofMinutes(5)) // only the wake can bring the run in time
                        .build())) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(controller::isLeader);
            RunRecords runs = client.runs();
            // the look at the runs it takes on becoming leader comes before a record written as leader; the next
            // record, a second later, surely follows it: after that only the wake brings a run in
            String[] beat = new String[1];
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> (beat[0] = leaderBeat(runs)) != null);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !beat[0].equals(leaderBeat(runs)));
            RunId id = runs.submit(new RunRecords.Submission(
                    new WorkflowSource(
                            "one.lua",
                            "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'sleep 30' } } } }"),
                    List.of(),
                    List.of(),
                    Map.of(),
                    "omega",
                    4,
                    false,
                    null));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> client.backlog("omega").waiting() == 1); // taken and dispatched; no worker
            assertThat(runs.requestCancel(id, "no longer wanted")).isTrue();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> runs.state(id).orElseThrow() == RunState.CANCELLED);
        }
    }

    /** The last heartbeat of controller ctl-c's record while it says it leads, else null. */
    private static String leaderBeat(RunRecords runs) {
        return runs.controllers().stream()
                .filter(c -> "ctl-c".equals(c.get("id")) && "leader".equals(c.get("role")))
                .map(c -> c.get("last_heartbeat"))
                .findFirst()
                .orElse(null);
    }

    @Test
    void theStateStoreWorksOnAClusterWithEachNamespacesKeysInOneSlot() {
        try (RedisStateStore store = new RedisStateStore(cluster.url())) {
            for (int n = 0; n < 20; n++) { // namespaces spread over the nodes
                StateScope s = store.scope("ns-" + n);
                long v = s.set("k", "1", null);
                assertThat(s.cas("k", v, "2", null)).isGreaterThan(v);
                assertThat(s.incr("n", 3)).isEqualTo(3);
                s.append("h", "\"x\"", 2, null);
                assertThat(s.keys("")).containsExactly("h", "k", "n");
                long token = s.lock("l", Duration.ofMinutes(1));
                assertThat(s.unlock("l", token)).isTrue();
            }
        }
    }

    @Test
    void aRunsFilesTravelByContentAcrossTheClustersNodes() throws Exception {
        try (Client client = Client.connect(cluster.url())) {
            FleetFiles files =
                    new FleetFiles(client.blobs(), null, FleetFiles.DEFAULT_INLINE_MAX, Duration.ofMinutes(5));
            Path base = Files.createDirectories(dir.resolve("base"));
            for (int i = 0; i < 40; i++) Files.writeString(base.resolve("f" + i + ".txt"), "content " + i);
            SyncBack.Submitted s = SyncBack.upload(files, base);
            Set<Integer> nodes = new HashSet<>();
            for (var e : s.stored()) nodes.add(SlotHash.getSlot(Keys.blob(e.hashHex())) * 3 / 16384);
            assertThat(nodes).as("the contents live on more than one node").hasSizeGreaterThan(1);
            RunWorkspace ws = new RunWorkspace(files, new Versions(files), s.ref(), h -> {});
            WorkerFiles worker = new WorkerFiles(files, dir.resolve("worker"), 1 << 30);
            Path attempt = dir.resolve("attempt");
            WorkerFiles.Prepared p = worker.prepare("run-1", ws.head(), attempt);
            assertThat(Files.readString(attempt.resolve("f39.txt"))).isEqualTo("content 39");
            Files.writeString(attempt.resolve("f0.txt"), "changed on the worker");
            ws.apply(worker.collect(p, attempt, List.of()).ref(), "g.t");
            SyncBack.apply(files, base, s, ws.head());
            assertThat(Files.readString(base.resolve("f0.txt"))).isEqualTo("changed on the worker");
        }
    }
}
