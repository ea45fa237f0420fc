package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.temporal.TemporalTestServer;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code drover worker --executor temporal} as a user runs it: worker processes against a redis-server and Temporal's
 * test service (a real gRPC frontend on loopback), both started here.
 */
class TemporalWorkerEndToEndTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @RegisterExtension
    static final TemporalTestServer temporal = new TemporalTestServer();

    @TempDir
    Path dir;

    private Processes processes;
    private Client client;

    @BeforeEach
    void setUp() {
        processes = new Processes(dir);
        client = Client.connect(redis.url());
        redis.commands().flushall();
    }

    @AfterEach
    void tearDown() throws Exception {
        processes.stopAll();
        client.close();
    }

    private void worker(String name, String taskQueue) throws Exception {
        processes.worker(
                name,
                redis.url(),
                Map.of("TEMPORAL_HOST", temporal.host(), "TEMPORAL_NAMESPACE", "default"),
                "--executor",
                "temporal",
                "--temporal-task-queue",
                taskQueue,
                "--temporal-heartbeat-timeout",
                "2s");
        assertThat(processes.log(name))
                .contains("executor temporal at " + temporal.host() + " (namespace default, task queue " + taskQueue);
    }

    private List<String> logLines(String id) {
        List<String> lines = new ArrayList<>();
        for (Client.TaskEvent e : client.events(id, "0", 0)) {
            if ("log".equals(e.fields().get("type"))) lines.add(e.fields().get("line"));
        }
        return lines;
    }

    @Test
    void aWorkerKilledWithSigkillLeavesItsWorkflowRunningAndTheWorkerThatTakesTheTaskOverAttachesToIt()
            throws Exception {
        worker("wa", "e2e-kill");
        Path starts = dir.resolve("starts");
        String id = client.submit(
                TaskSubmission.shell(
                        "echo start >> " + starts
                                + "; for i in $(seq 1 50); do echo \"line $i\"; sleep 0.1; done; echo \"done=yes\" >> \"$DROVER_OUTPUT\""));
        await().atMost(Duration.ofSeconds(60)).until(() -> logLines(id).contains("line 10"));
        worker("wb", "e2e-kill");
        Process wa = processes.get("wa");
        wa.destroyForcibly(); // SIGKILL: no hand-back, no goodbye to Temporal
        assertThat(wa.waitFor(10, TimeUnit.SECONDS)).isTrue();
        TaskStatus s = client.await(id, Duration.ofSeconds(90));
        assertThat(s.state()).as(s.message()).isEqualTo("SUCCEEDED");
        assertThat(s.worker()).isEqualTo("wb");
        assertThat(s.outputs()).isEqualTo(Map.of("done", "yes"));
        assertThat(logLines(id))
                .anySatisfy(l -> assertThat(l)
                        .startsWith(
                                "temporal: activity attempt 2 on worker wb takes over from attempt 1 on worker wa"));
        List<HistoryEvent> h = temporal.client()
                .fetchHistory("drover-" + id + "-1")
                .getHistory()
                .getEventsList();
        assertThat(h)
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                .hasSize(1);
        assertThat(h) // wa started it, wb attached to it
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
                .hasSize(2);
        assertThat(h)
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
                .hasSize(1);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.readAllLines(starts).size() == 2);
    }

    @Test
    void doctorSaysWhetherTheWorkersTemporalAnswers() throws Exception {
        var ok = DroverProcess.run(
                dir,
                Map.of("DROVER_EXECUTOR", "temporal", "TEMPORAL_HOST", temporal.host()),
                "doctor",
                "--redis-url",
                redis.url());
        assertThat(ok.out())
                .contains("ok    executor       Temporal at " + temporal.host()
                        + " answers (namespace default, task queue drover) (executor temporal from $DROVER_EXECUTOR)");
        var down = DroverProcess.run(
                dir,
                Map.of("DROVER_EXECUTOR", "temporal", "TEMPORAL_HOST", "127.0.0.1:1"),
                "doctor",
                "--redis-url",
                redis.url());
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.out()).contains("FAIL  executor       cannot reach Temporal at 127.0.0.1:1");
        var local = DroverProcess.run(dir, "doctor", "--redis-url", redis.url());
        assertThat(local.out()).doesNotContain("executor");
    }

    @Test
    void aWorkerWhoseTemporalDoesNotAnswerRefusesToStartWithOneLineNamingTheAddress() throws Exception {
        var r = DroverProcess.run(
                dir,
                Map.of("TEMPORAL_HOST", "127.0.0.1:1"),
                "worker",
                "--redis-url",
                redis.url(),
                "--executor",
                "temporal");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).startsWith("drover: cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_HOST, --temporal-host)");
        var bad = DroverProcess.run(
                dir,
                "worker",
                "--redis-url",
                redis.url(),
                "--executor",
                "temporal",
                "--temporal-heartbeat-timeout",
                "soon");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).startsWith("drover: bad Temporal heartbeat_timeout:");
        Files.writeString(
                dir.resolve("drover.toml"), "[worker]\nexecutor = \"temporal\"\n[temporal]\nhost = \"127.0.0.1:1\"\n");
        var fromFile = DroverProcess.run(dir, "worker", "--redis-url", redis.url());
        assertThat(fromFile.exit()).isEqualTo(1);
        assertThat(fromFile.err()).startsWith("drover: cannot reach Temporal at 127.0.0.1:1");
        Files.writeString(dir.resolve("drover.toml"), "[temporal]\nhots = \"x:1\"\n");
        var typo = DroverProcess.run(dir, "worker", "--redis-url", redis.url(), "--executor", "temporal");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("unknown key 'hots' in [temporal]");
    }
}
