package io.drover.cluster.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.queue.WorkerRecords;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.engine.TaskResult;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Affinity and the rescue of tasks sent to a worker that no longer takes them, against a real redis-server. */
class AffinityTest {
    @RegisterExtension
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
    void stop() throws Exception {
        for (Worker w : workers) w.shutdownNow();
        for (Worker w : workers) w.awaitTermination(Duration.ofSeconds(20));
        client.close();
    }

    private void worker(String id, int concurrency) {
        workers.add(Worker.start(WorkerOptions.builder(redis.url())
                .workerId(id)
                .concurrency(concurrency)
                .workdir(dir.resolve(id))
                .lease(Duration.ofSeconds(2))
                .build()));
    }

    @Test
    void everyTaskOfAChainRunsOnTheWorkerThatRanItsDependency() {
        worker("w1", 4);
        worker("w2", 4);
        StringBuilder lua = new StringBuilder("TaskDefinitions = { c = { tasks = {\n");
        // each link prints the worker whose directory it runs in
        lua.append("  { name = 't1', command = 'basename \"$(dirname \"$PWD\")\"' },\n");
        for (int i = 2; i <= 8; i++) {
            lua.append("  { name = 't")
                    .append(i)
                    .append("', depends_on = 't")
                    .append(i - 1)
                    .append("', command = 'basename \"$(dirname \"$PWD\")\"' },\n");
        }
        lua.append("} } }");
        WorkflowLoader.Loaded wf = WorkflowLoader.load(new WorkflowSource("chain.lua", lua.toString()));
        for (int round = 0; round < 3; round++) {
            RunResult r;
            try (ClusterDispatcher d = new ClusterDispatcher(client, wf.lua().source(), "default")) {
                r = Scheduler.run(
                        Planner.plan(wf.workflow()),
                        d,
                        RunOptions.builder().concurrency(4).build());
            }
            assertThat(r.status()).as(r.tasks().toString()).isEqualTo(RunStatus.SUCCEEDED);
            Set<String> ranOn = new HashSet<>();
            for (TaskResult t : r.tasks()) ranOn.add(t.message());
            assertThat(ranOn).as("round %d", round).hasSize(1).isSubsetOf("w1", "w2");
        }
    }

    @Test
    void dependentsPickedTogetherFillTheirWorkersRoomAndTheRestGoToTheSharedStream() {
        worker("w1", 4);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> client.workers().list().size() == 1);
        WorkerId w1 = WorkerId.parse("w1");
        TaskId root = new TaskId("g", "root");
        Affinity a = new Affinity(client);
        a.ended(root, w1, null);
        // ten leaves released by the root's end, picked in one batch before any of them is submitted or ends
        List<WorkerId> picked = new ArrayList<>();
        for (int i = 0; i < 10; i++) picked.add(a.pick(leaf(root, i), "default"));
        assertThat(picked.stream().filter(w1::equals)).hasSize(4);
        assertThat(picked.subList(4, 10)).containsOnlyNulls();
        // a slot comes back when a task sent there ends, or was not put there after all
        a.ended(new TaskId("g", "leaf0"), w1, w1);
        a.notSent(w1);
        assertThat(a.pick(leaf(root, 10), "default")).isEqualTo(w1);
        assertThat(a.pick(leaf(root, 11), "default")).isEqualTo(w1);
        assertThat(a.pick(leaf(root, 12), "default")).isNull();
    }

    private static TaskSpec leaf(TaskId root, int i) {
        return TaskSpec.of(new TaskId("g", "leaf" + i), new Command.Shell("true"), List.of(root));
    }

    @Test
    void tasksSentToAWorkerThatIsGoneGoBackToTheSharedStream() throws Exception {
        worker("w1", 2);
        String id = client.submit(TaskSubmission.shell("echo rescued").withWorker(WorkerId.parse("ghost")));
        // w1, the only worker, reads again after that submit: a task queued after that one has run there
        String later = client.submit(TaskSubmission.shell("true"));
        assertThat(client.await(later, Duration.ofSeconds(20)).worker()).isEqualTo("w1");
        assertThat(client.status(id).orElseThrow().state()).isEqualTo("PENDING"); // nobody reads the ghost's stream
        Affinity a = new Affinity(client);
        a.pick(
                TaskSpec.of(new TaskId("g", "x"), new Command.Shell("true"), List.of()),
                "default"); // registers the queue
        assertThat(a.rescue()).isEqualTo(1);
        TaskStatus s = client.await(id, Duration.ofSeconds(20));
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.worker()).isEqualTo("w1");
        assertThat(s.message()).isEqualTo("rescued");
        assertThat(redis.commands().smembers(new Keys("default").taggedStreams()))
                .isEmpty();
    }

    @Test
    void aWorkerThatDrainsHasItsWaitingTasksMovedButKeepsWhatItRuns() throws Exception {
        worker("w1", 1);
        new WorkerRecords(redis.commands()).drain(WorkerId.parse("w1"), true);
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(() -> "draining".equals(redis.commands().hget(Keys.worker(WorkerId.parse("w1")), "status")));
        String id = client.submit(TaskSubmission.shell("true").withWorker(WorkerId.parse("w1")));
        Affinity a = new Affinity(client);
        a.pick(TaskSpec.of(new TaskId("g", "x"), new Command.Shell("true"), List.of()), "default");
        assertThat(a.rescue()).isEqualTo(1);
        assertThat(redis.commands().hget(new Keys("default").task(id), "stream"))
                .isEqualTo(new Keys("default").stream());
        worker("w2", 1);
        assertThat(client.await(id, Duration.ofSeconds(20)).worker()).isEqualTo("w2");
    }
}
