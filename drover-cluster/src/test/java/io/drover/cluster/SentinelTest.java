package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker and a client reach the master through Sentinel (redis-sentinel://host:port#master). */
class SentinelTest {
    @TempDir
    Path dir;

    @Test
    void workersAndClientsFindTheMasterThroughSentinel() throws Exception {
        try (RedisServer master = RedisServer.start()) {
            int port;
            try (ServerSocket ss = new ServerSocket(0)) {
                port = ss.getLocalPort();
            }
            Path conf = dir.resolve("sentinel.conf");
            Files.writeString(
                    conf,
                    "port " + port + "\nbind 127.0.0.1\ndir " + dir + "\n" + "sentinel monitor drovermaster 127.0.0.1 "
                            + master.port() + " 1\n");
            Process sentinel = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sentinel.log").toFile())
                    .redirectInput(new File("/dev/null"))
                    .start();
            try {
                String url = "redis-sentinel://127.0.0.1:" + port + "#drovermaster";
                Client client = connectWhenReady(url);
                try (client) {
                    Worker w = Worker.start(WorkerOptions.builder(url)
                            .workdir(dir.resolve("w"))
                            .grace(Duration.ofSeconds(1))
                            .build());
                    try {
                        String id = client.submit(TaskSubmission.shell("echo through sentinel"));
                        TaskStatus s = client.await(id, Duration.ofSeconds(30));
                        assertThat(s.state()).isEqualTo("SUCCEEDED");
                        assertThat(s.message()).isEqualTo("through sentinel");
                    } finally {
                        w.shutdownNow();
                        w.awaitTermination(Duration.ofSeconds(20));
                    }
                }
            } finally {
                sentinel.destroy();
                if (!sentinel.waitFor(10, TimeUnit.SECONDS)) sentinel.destroyForcibly();
            }
        }
    }

    /** Sentinel needs a moment after it starts before it answers about its master. */
    private static Client connectWhenReady(String url) {
        Client[] client = new Client[1];
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .ignoreExceptions()
                .until(() -> (client[0] = Client.connect(url)) != null);
        return client[0];
    }
}
