package io.drover.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.worker.AttemptInput;
import io.drover.cluster.worker.Executed;
import io.drover.cluster.worker.ExecutorHost;
import io.drover.cluster.worker.HeldAttempt;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.DroverException;
import io.drover.core.model.Backoff;
import io.drover.core.process.Cancellation;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Workers with {@code --executor temporal} against a real redis-server and Temporal's test service, both on loopback. */
class TemporalExecutorTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @RegisterExtension
    static final TemporalTestServer temporal = new TemporalTestServer();

    @TempDir
    Path dir;

    private Client client;
    private final List<Worker> workers = new ArrayList<>();
    private String taskQueue;

    @BeforeEach
    void connect(org.junit.jupiter.api.TestInfo info) {
        client = Client.connect(redis.url());
        redis.commands().flushall();
        taskQueue = "drover-" + info.getTestMethod().orElseThrow().getName(); // each test's workflows apart
    }

    @AfterEach
    void stop() throws Exception {
        for (Worker w : workers) w.shutdownNow();
        for (Worker w : workers) w.awaitTermination(Duration.ofSeconds(30));
        client.close();
    }

    private Worker worker(String id, Map<String, String> extra) {
        Map<String, String> settings =
                new HashMap<>(Map.of("host", temporal.host(), "task_queue", taskQueue, "heartbeat_timeout", "2s"));
        settings.putAll(extra);
        Worker w = Worker.start(WorkerOptions.builder(redis.url())
                .workerId(id)
                .concurrency(4)
                .lease(Duration.ofSeconds(2))
                .grace(Duration.ofSeconds(5))
                .workdir(dir.resolve(id))
                .executor("temporal", settings)
                .build());
        workers.add(w);
        return w;
    }

    private TaskStatus finished(String id) throws InterruptedException {
        TaskStatus s = client.await(id, Duration.ofSeconds(60));
        assertThat(s.isFinished()).as("task %s finished, is %s", id, s.state()).isTrue();
        return s;
    }

    private List<String> logLines(String id) {
        List<String> lines = new ArrayList<>();
        for (Client.TaskEvent e : client.events(id, "0", 0)) {
            if ("log".equals(e.fields().get("type"))) lines.add(e.fields().get("line"));
        }
        return lines;
    }

    private WorkflowStub workflow(String taskId, int attempt) {
        return temporal.client().newUntypedWorkflowStub("drover-" + taskId + "-" + attempt);
    }

    private List<HistoryEvent> history(String taskId, int attempt) {
        return temporal.client()
                .fetchHistory("drover-" + taskId + "-" + attempt)
                .getHistory()
                .getEventsList();
    }

    private static long pidIn(Path file) throws Exception {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(file) && !Files.readString(file).isBlank());
        return Long.parseLong(Files.readString(file).trim());
    }

    @Test
    void aTaskRunsAsOneWorkflowWhoseActivityRunsItAndItsOutputsAndLinesComeBack() throws Exception {
        Worker w = worker("w1", Map.of());
        assertThat(w.executor()).startsWith("temporal at " + temporal.host()).contains("task queue " + taskQueue);
        String id = client.submit(TaskSubmission.shell(
                        "echo \"hello $DROVER_PARAM_WHO\"; echo \"greeting=$DROVER_PARAM_WHO\" >> \"$DROVER_OUTPUT\"")
                .withParams(Map.of("who", "temporal")));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.outputs()).isEqualTo(Map.of("greeting", "temporal"));
        assertThat(logLines(id)).containsExactly("hello temporal");
        WorkflowStub wf = workflow(id, 1);
        assertThat(wf.describe().getStatus()).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
        assertThat(wf.getResult(TaskResult.class).status()).isEqualTo("SUCCEEDED");
        assertThat(history(id, 1))
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
                .hasSize(1);
    }

    @Test
    void aLuaTaskRunsThroughTheSameRunner() throws Exception {
        worker("w1", Map.of());
        String id = client.submit(TaskSubmission.lua("return true, 'hi ' .. params.who, { n = 4 }")
                .withParams(Map.of("who", "lua")));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.message()).isEqualTo("hi lua");
        assertThat(s.outputs()).isEqualTo(Map.of("n", 4L));
    }

    @Test
    void aTasksParamsAndEnvironmentNeverReachTemporal() throws Exception {
        worker("w1", Map.of());
        String id = client.submit(TaskSubmission.shell("echo ok")
                .withParams(Map.of("token", "s3cr3t-param-value"))
                .withEnv(Map.of("API_KEY", "s3cr3t-env-value")));
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        String history = history(id, 1).toString();
        assertThat(history).contains(id).doesNotContain("s3cr3t-param-value").doesNotContain("s3cr3t-env-value");
    }

    @Test
    void aFailedTaskFailsWithItsErrorTextAndTheQueueMakesItsRetries() throws Exception {
        worker("w1", Map.of());
        String id = client.submit(TaskSubmission.shell("echo \"went wrong on try $DROVER_ATTEMPT\"; exit 3")
                .withRetries(1));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(s.message()).contains("went wrong on try 2");
        // one workflow per attempt of the queue's, each with one activity attempt
        for (int attempt = 1; attempt <= 2; attempt++) {
            assertThat(workflow(id, attempt).getResult(TaskResult.class).message())
                    .contains("went wrong on try " + attempt);
        }
    }

    @Test
    void withTemporalRetriesTemporalRetriesTheActivityAndTheQueueNone() throws Exception {
        worker("w1", Map.of("retries", "true"));
        String id = client.submit(TaskSubmission.shell("echo try >> " + dir.resolve("tries") + "; exit 1")
                .withRetries(2)
                .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), 1.0, false)));
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(Files.readAllLines(dir.resolve("tries"))).hasSize(3);
        assertThat(workflow(id, 1).getResult(TaskResult.class).retried()).isTrue();
        assertThat(history(id, 1))
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
                .hasSize(1); // the activity's retries are inside one scheduled activity; it failed once, at the end
        assertThatThrownBy(() -> workflow(id, 2).describe()).isInstanceOf(WorkflowNotFoundException.class);
    }

    @Test
    void aTimeoutKillsTheTasksProcessTree() throws Exception {
        worker("w1", Map.of());
        Path pid = dir.resolve("child.pid");
        String id = client.submit(
                TaskSubmission.shell("sleep 300 & echo $! > " + pid + "; wait").withTimeout(Duration.ofSeconds(2)));
        long child = pidIn(pid);
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(s.message()).contains("timed out");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void aCancelCancelsTheWorkflowAndTheActivityKillsTheTree() throws Exception {
        worker("w1", Map.of());
        Path pid = dir.resolve("child.pid");
        String id = client.submit(TaskSubmission.shell("sleep 300 & echo $! > " + pid + "; wait"));
        long child = pidIn(pid);
        client.cancel(id);
        TaskStatus s = finished(id);
        assertThat(s.state()).as(s.message()).isEqualTo("CANCELLED");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
        assertThat(history(id, 1))
                .extracting(HistoryEvent::getEventType)
                .contains(
                        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
                        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED);
        assertThat(workflow(id, 1).describe().getStatus())
                .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
    }

    @Test
    void aStoppedActivityWorkerIsRetriedOnAnotherWithItsHeartbeatAndTheTaskIsAttachedNotStartedAgain()
            throws Exception {
        Worker a = worker("wa", Map.of());
        Path count = dir.resolve("starts");
        String id = client.submit(TaskSubmission.shell(
                "echo start >> " + count + "; for i in $(seq 1 40); do echo \"line $i\"; sleep 0.1; done"));
        await().atMost(Duration.ofSeconds(30)).until(() -> logLines(id).contains("line 15"));
        worker("wb", Map.of());
        a.shutdownNow(); // hands the task back and stops its activity: Temporal retries that on wb
        assertThat(a.awaitTermination(Duration.ofSeconds(30))).isTrue();
        TaskStatus s = finished(id);
        assertThat(s.state()).isEqualTo("SUCCEEDED");
        assertThat(s.worker()).isEqualTo("wb");
        assertThat(logLines(id))
                .anySatisfy(l -> assertThat(l)
                        .matches("temporal: activity attempt 2 on worker wb takes over from attempt 1 on worker wa,"
                                + " whose last heartbeat was at line [0-9]+.*"));
        assertThat(Files.readAllLines(count)).hasSize(2); // the task ran twice, once per activity attempt
        List<HistoryEvent> h = history(id, 1);
        assertThat(h)
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                .hasSize(1);
        assertThat(h)
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
                .hasSize(2); // wa started it, wb attached
        assertThat(h)
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
                .hasSize(1);
    }

    @Test
    void aWorkflowThatEndedIsNeverStartedAgainItsResultStands() throws Exception {
        worker("w1", Map.of());
        Path count = dir.resolve("starts");
        String id = client.submit(TaskSubmission.shell("echo start >> " + count + "; echo done"));
        assertThat(finished(id).state()).isEqualTo("SUCCEEDED");
        // a second start of the same attempt (a worker that took the task over after the workflow ended) reads the
        // result; nothing runs again
        try (TemporalExecutor second = TemporalExecutor.open(
                TemporalSettings.of(Map.of("host", temporal.host(), "task_queue", taskQueue + "-other")),
                new ExecutorHost() {
                    @Override
                    public Executed run(
                            AttemptInput input, Cancellation cancellation, Consumer<String> tap, List<String> preface) {
                        throw new AssertionError("nothing may run again");
                    }

                    @Override
                    public Retries retries(AttemptInput input) {
                        throw new AssertionError("no plan is needed");
                    }

                    @Override
                    public WorkerId workerId() {
                        return WorkerId.parse("second");
                    }

                    @Override
                    public int concurrency() {
                        return 1;
                    }
                })) {
            TaskResult first = workflow(id, 1).getResult(TaskResult.class);
            AttemptInput again = new AttemptInput(
                    QueueTaskId.parse(id), "s", "0-1", WorkerId.parse("second"), FencingToken.of(2), 2, 0, "", 0);
            var executed = second.execute(new HeldAttempt() {
                private final Cancellation c = new Cancellation();

                @Override
                public AttemptInput input() {
                    return again;
                }

                @Override
                public Cancellation cancellation() {
                    return c;
                }

                @Override
                public boolean cancelRequested() {
                    return false;
                }

                @Override
                public Executed runHere() {
                    throw new AssertionError("nothing may run here");
                }
            });
            assertThat(executed.outcome().status().name()).isEqualTo(first.status());
            assertThat(executed.outcome().message()).isEqualTo(first.message());
        }
        assertThat(Files.readAllLines(count)).hasSize(1);
        assertThat(history(id, 1))
                .filteredOn(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
                .hasSize(1);
    }

    @Test
    void aWorkerWhoseTemporalDoesNotAnswerRefusesToStartNamingTheAddress() {
        assertThatThrownBy(() -> Worker.start(WorkerOptions.builder(redis.url())
                        .workerId("nowhere")
                        .workdir(dir.resolve("nowhere"))
                        .executor("temporal", Map.of("host", "127.0.0.1:1"))
                        .build()))
                .isInstanceOf(DroverException.class)
                .hasMessageStartingWith("cannot reach Temporal at 127.0.0.1:1");
    }
}
