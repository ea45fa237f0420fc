package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskSubmission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** drover queue list and task list --all-queues, in process, against a redis-server of the test's own. */
class QueueCommandTest {
  @RegisterExtension static final io.drover.cluster.RedisExtension redis = new io.drover.cluster.RedisExtension();

  @Test
  void queueListShowsEveryQueueWithTasksAndTaskListCanShowThemAll() {
    try (Client c = Client.connect(redis.url())) {
      c.redis().flushall();
      c.submit(TaskSubmission.shell("echo one").withQueue("builds"));
      c.submit(TaskSubmission.shell("echo two").withQueue("builds"));
      c.submit(TaskSubmission.shell("echo three").withQueue("nightly"));
    }
    var r = CliHelpAndInputTest.drover("queue", "list", "--redis-url", redis.url());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).first().asString().startsWith("QUEUE").contains("WAITING", "OLDEST WAITING", "WORKERS");
    assertThat(r.out()).containsPattern("builds +2 +0 +\\S+ ago +0").containsPattern("nightly +1 +0 +\\S+ ago +0")
        .containsPattern("default +0 +0 +0");
    var all = CliHelpAndInputTest.drover("task", "list", "--all-queues", "--redis-url", redis.url());
    assertThat(all.out()).contains("echo one", "echo two", "echo three");
    var one = CliHelpAndInputTest.drover("task", "list", "--queue", "nightly", "--redis-url", redis.url());
    assertThat(one.out()).contains("echo three").doesNotContain("echo one");
  }
}
