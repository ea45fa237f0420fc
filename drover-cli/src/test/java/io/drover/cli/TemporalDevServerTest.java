package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.RedisExtension;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code drover worker --executor temporal} against a real Temporal dev server ({@code temporal server start-dev}), for
 * a user who has the {@code temporal} binary: tagged {@code temporal-server}, left out unless asked for
 * ({@code ./scripts/test -Dgroups=temporal-server -Dsurefire.excludedGroups=}), and skipped without the binary on
 * PATH (none can be installed on the build machine: it is no Debian or npm package).
 */
@Tag("temporal-server")
@EnabledIf("temporalOnPath")
class TemporalDevServerTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    static boolean temporalOnPath() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, "temporal"))) return true;
        }
        return false;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void aTaskRunsThroughARealTemporalDevServer() throws Exception {
        int port = freePort();
        Process server = new ProcessBuilder(List.of(
                        "temporal",
                        "server",
                        "start-dev",
                        "--ip",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(port),
                        "--ui-port",
                        Integer.toString(freePort()),
                        "--headless",
                        "--log-level",
                        "error"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("temporal.log").toFile())
                .start();
        Processes processes = new Processes(dir);
        try (Client client = Client.connect(redis.url())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            processes.start(
                    "w",
                    Map.of("TEMPORAL_HOST", "127.0.0.1:" + port, "TEMPORAL_NAMESPACE", "default"),
                    "worker",
                    "--redis-url",
                    redis.url(),
                    "--worker-id",
                    "w",
                    "--executor",
                    "temporal",
                    "--workdir",
                    dir.resolve("w").toString());
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> processes.log("w").contains("drover worker w"));
            String id = client.submit(TaskSubmission.shell("echo \"answer=42\" >> \"$DROVER_OUTPUT\"; echo done"));
            TaskStatus s = client.await(id, Duration.ofSeconds(60));
            assertThat(s.state()).as(processes.log("w")).isEqualTo("SUCCEEDED");
            assertThat(s.outputs()).isEqualTo(Map.of("answer", "42"));
        } finally {
            processes.stopAll();
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) server.destroyForcibly().waitFor();
        }
    }
}
