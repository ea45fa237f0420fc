package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.core.lua.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the leader measures, against a real redis-server: every queue with tasks, served or not. */
class ControllerGaugesTest {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @SuppressWarnings("unchecked")
  private static Map<String, Object> status(Controller c) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + c.httpPort() + "/status")).build(), HttpResponse.BodyHandlers.ofString());
    return (Map<String, Object>) Json.read(r.body());
  }

  @Test
  @SuppressWarnings("unchecked")
  void aQueueThatNoWorkerServesIsMeasuredAndRaisesItsDepthAlert() throws Exception {
    try (Client client = Client.connect(redis.url());
         Controller c = Controller.start(ControllerOptions.builder(redis.url()).controllerId("gauges").port(0).build())) {
      client.redis().flushall();
      List<TaskSubmission> tasks = new ArrayList<>();
      for (int i = 0; i < 120; i++) tasks.add(TaskSubmission.shell("true").withQueue("nobody-serves"));
      client.submitAll(tasks);
      assertThat(client.queues()).contains("nobody-serves", "default");
      await().atMost(Duration.ofSeconds(20)).until(() -> {
        Map<String, Object> s = status(c);
        Object q = ((Map<String, Object>) s.get("queues")).get("nobody-serves");
        List<Map<String, Object>> alerts = (List<Map<String, Object>>) s.get("alerts");
        return q != null && ((Number) ((Map<String, Object>) q).get("depth")).longValue() == 120
            && alerts.stream().anyMatch(a -> "queue_depth".equals(a.get("rule"))
                && String.valueOf(a.get("message")).contains("queue nobody-serves holds 120 tasks"));
      });
    }
  }
}
