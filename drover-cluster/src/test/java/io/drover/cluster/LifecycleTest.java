package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.Lifecycle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Worker and controller stop the same way: shutdown returns at once, is idempotent, and the end can be awaited. */
class LifecycleTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    @Test
    void aWorkerAndAControllerShutDownAtOnceIdempotentlyAndCanBeAwaited() throws Exception {
        Worker w = Worker.start(
                WorkerOptions.builder(redis.url()).workdir(dir.resolve("w")).build());
        Controller c = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId("ctl-life")
                .port(0)
                .build());
        for (Lifecycle part : List.<Lifecycle>of(w, c)) {
            assertThat(part.isTerminated()).isFalse();
            part.shutdown();
            part.shutdown(); // a second request changes nothing
            part.shutdownNow();
            assertThat(part.awaitTermination(Duration.ofSeconds(30))).isTrue();
            assertThat(part.isTerminated()).isTrue();
        }
        assertThat(redis.commands().exists(Keys.worker(w.id()), Keys.controller("ctl-life")))
                .as("records removed on the way out")
                .isZero();
    }
}
