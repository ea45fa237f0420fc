package io.drover.cluster.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.FencingToken;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.QueueTaskId;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskOutcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The log lines of an attempt a worker runs for another worker's executor ({@link ExecutorHost#run}). */
class RemoteAttemptLinesTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    @Test
    void linesNobodyHoldsTheTaskForWaitForANewHolderOnceThenEachBatchIsDroppedAtOnce() throws Exception {
        Duration lease = Duration.ofSeconds(1);
        try (Client client = Client.connect(redis.url());
                Worker w = Worker.start(WorkerOptions.builder(redis.url())
                        .workerId("host")
                        .lease(lease)
                        .workdir(dir.resolve("w"))
                        .build())) {
            // 5,000 lines at once: ten batches of 500, each refused (its holder "gone" never held the task)
            String id = client.submit(TaskSubmission.shell("seq 1 5000"));
            assertThat(client.await(id, Duration.ofSeconds(30)).state()).isEqualTo("SUCCEEDED");
            // the task's own stream and entry, acknowledged: nobody holds it
            var record = redis.commands().hgetall(new Keys("default").task(id));
            AttemptInput gone = new AttemptInput(
                    QueueTaskId.parse(id),
                    record.get("stream"),
                    record.get("entry"),
                    WorkerId.parse("gone"),
                    FencingToken.of(1),
                    2,
                    0,
                    "",
                    0);
            long t0 = System.nanoTime();
            Executed e = w.host().run(gone, new Cancellation(), line -> {}, List.of());
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertThat(e.outcome().status()).isEqualTo(TaskOutcome.Status.SUCCEEDED);
            // one wait of a lease for a new holder, then no more: a wait per batch would take ten leases
            assertThat(seconds).isLessThan(6);
            assertThat(client.events(id, "0", 0))
                    .noneMatch(ev -> "5000".equals(ev.fields().get("line"))
                            && ev.fields().get("attempt").equals("2"));
        }
    }
}
