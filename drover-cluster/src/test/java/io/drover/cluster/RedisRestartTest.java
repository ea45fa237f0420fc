package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redis with AOF (fsync always) killed and restarted while a worker drains a queue: nothing acknowledged is lost. */
class RedisRestartTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedTaskCompletesAfterRedisIsKilledAndRestartedUnderLoad() throws Exception {
        try (RedisServer redis = RedisServer.start(true)) {
            List<String> ids = new ArrayList<>();
            try (Client c = Client.connect(redis.url())) {
                for (int i = 0; i < 300; i++) ids.add(c.submit(TaskSubmission.shell("sleep 0.01")));
            }
            Worker w = Worker.start(WorkerOptions.builder(redis.url())
                    .concurrency(4)
                    .lease(Duration.ofSeconds(1))
                    .grace(Duration.ofSeconds(1))
                    .workdir(dir)
                    .build());
            try {
                try (Client c = Client.connect(redis.url())) {
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> c.list("default", "SUCCEEDED", 1000).size() >= 50);
                }
                redis.kill();
                redis.launch();
                try (Client c = Client.connect(redis.url())) {
                    await().atMost(Duration.ofSeconds(90))
                            .pollInterval(Duration.ofMillis(500))
                            .until(() -> ids.stream()
                                    .allMatch(id -> c.status(id)
                                            .map(TaskStatus::state)
                                            .orElse("LOST")
                                            .equals("SUCCEEDED")));
                    for (String id : ids) assertThat(c.status(id)).isPresent();
                }
            } finally {
                w.shutdownNow();
                w.awaitTermination(Duration.ofSeconds(20));
            }
        }
    }
}
