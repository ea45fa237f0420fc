package io.drover.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.model.Backoff;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Temporal going away while a worker waits for a task's workflow (a class of its own: it stops its server). */
class TemporalOutageTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @RegisterExtension
    static final TemporalTestServer temporal = new TemporalTestServer();

    @TempDir
    Path dir;

    @Test
    void whenTemporalStopsAnsweringTheAttemptFailsSayingSoAndTheQueuesRetriesApply() throws Exception {
        try (Client client = Client.connect(redis.url());
                Worker w = Worker.start(WorkerOptions.builder(redis.url())
                        .workerId("w")
                        .concurrency(2)
                        .workdir(dir.resolve("w"))
                        .grace(Duration.ZERO)
                        .executor(
                                "temporal",
                                Map.of("host", temporal.host(), "task_queue", "outage", "heartbeat_timeout", "1s"))
                        .build())) {
            String id =
                    client.submit(TaskSubmission.shell("for i in $(seq 1 600); do echo \"line $i\"; sleep 0.1; done")
                            .withRetries(1)
                            .withBackoff(new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), 1.0, false)));
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> client.events(id, "0", 0).stream()
                            .anyMatch(e -> "line 5".equals(e.fields().get("line"))));
            temporal.stop();
            TaskStatus s = client.await(id, Duration.ofSeconds(60));
            assertThat(s.state()).isEqualTo("FAILED");
            assertThat(s.errors()).hasSize(2);
            assertThat(s.errors().get(0))
                    .startsWith("attempt 1: Temporal at " + temporal.host() + " stopped answering while the task ran");
            assertThat(s.errors().get(1)) // the retry could not even start its workflow
                    .startsWith("attempt 2: Temporal at " + temporal.host()
                            + " did not answer within 10s when asked to start");
        }
    }
}
