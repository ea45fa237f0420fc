package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.lua.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the leader measures, against a real redis-server: every queue with tasks, served or not. */
class ControllerGaugesTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> status(Controller c) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.httpPort() + "/status"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return (Map<String, Object>) Json.read(r.body());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aQueueThatNoWorkerServesIsMeasuredAndRaisesItsDepthAlert() throws Exception {
        try (Client client = Client.connect(redis.url());
                Controller c = Controller.start(ControllerOptions.builder(redis.url())
                        .controllerId("gauges")
                        .port(0)
                        .build())) {
            redis.commands().flushall();
            List<TaskSubmission> tasks = new ArrayList<>();
            for (int i = 0; i < 120; i++) tasks.add(TaskSubmission.shell("true").withQueue("nobody-serves"));
            client.submitAll(tasks);
            assertThat(client.queues()).contains("nobody-serves", "default");
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Map<String, Object> s = status(c);
                Object q = ((Map<String, Object>) s.get("queues")).get("nobody-serves");
                List<Map<String, Object>> alerts = (List<Map<String, Object>>) s.get("alerts");
                return q != null
                        && ((Number) ((Map<String, Object>) q).get("depth")).longValue() == 120
                        && alerts.stream()
                                .anyMatch(a -> "queue_depth".equals(a.get("rule"))
                                        && String.valueOf(a.get("message"))
                                                .contains("queue nobody-serves holds 120 tasks"));
            });
        }
    }

    private static String metrics(Controller c) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.httpPort() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** Waits until {@code c} leads, so a controller started after it stands by (which one leads is a race otherwise). */
    private static Controller leading(Controller c) {
        await().atMost(Duration.ofSeconds(10)).until(c::isLeader);
        return c;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTaskCountersAreTheFleetsSoAStandbyServesThemAndTaskSubmitCounts(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        try (Client client = Client.connect(redis.url())) {
            redis.commands().flushall();
            try (Controller leader = leading(Controller.start(ControllerOptions.builder(redis.url())
                            .controllerId("lead")
                            .port(0)
                            .build()));
                    Controller standby = Controller.start(ControllerOptions.builder(redis.url())
                            .controllerId("stand")
                            .port(0)
                            .build());
                    Worker w = Worker.start(WorkerOptions.builder(redis.url())
                            .queue("counted")
                            .workdir(dir)
                            .build())) {
                List<String> ids = client.submitAll(List.of(
                        TaskSubmission.shell("true").withQueue("counted"),
                        TaskSubmission.shell("true").withQueue("counted"),
                        TaskSubmission.shell("exit 3").withQueue("counted")));
                for (String id : ids) client.await(id, Duration.ofSeconds(30));
                String cancelled = client.submit(
                        TaskSubmission.shell("true").withQueue("counted").withWorker(WorkerId.parse("nobody")));
                assertThat(client.cancel(cancelled)).isEqualTo("CANCELLED");
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> !standby.isLeader()
                                && metrics(standby).contains("drover_tasks_submitted_total{queue=\"counted\"} 4.0"));
                String m = metrics(standby);
                assertThat(m)
                        .contains(
                                "drover_tasks_completed_total{queue=\"counted\"} 2.0",
                                "drover_tasks_failed_total{queue=\"counted\"} 1.0",
                                "drover_tasks_cancelled_total{queue=\"counted\"} 1.0");
                assertThat(metrics(leader)).contains("drover_tasks_submitted_total{queue=\"counted\"} 4.0");
                // JSON answers carry numbers as numbers
                Object workers = Json.read(HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + standby.httpPort() + "/workers"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body());
                Map<String, Object> worker = (Map<String, Object>) ((List<Object>) workers).get(0);
                assertThat(worker.get("concurrency")).isInstanceOf(Number.class);
                assertThat(worker.get("processed")).isInstanceOf(Number.class);
                assertThat(worker.get("id")).isInstanceOf(String.class);
            }
        }
    }
}
