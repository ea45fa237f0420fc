package io.drover.core.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.core.FakeDeadlines;
import io.drover.core.TestWorkflows;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.model.TaskId;
import io.drover.core.process.Cancellation;
import io.drover.core.state.StateHandle;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A task's timeout is measured on the runner's {@code Deadlines}: an hour on a fake one passes at once, exactly. */
class TaskRunnerDeadlinesTest {
    @TempDir
    Path dir;

    private static final String FLOW = """
            TaskDefinitions = { g = { tasks = {
              { name = "spin", timeout = "1h", command = function() while true do end end },
              { name = "sleep", timeout = "1h", command = "sleep 3600" },
              { name = "quick", timeout = "1h", command = "true" },
            } } }
            """;

    private TaskOutcome run(FakeDeadlines clock, String task) {
        WorkflowLoader.Loaded loaded = TestWorkflows.load(FLOW);
        TaskRunner runner = new TaskRunner(loaded.lua(), TaskKinds.none(), StateHandle.none(), clock);
        TaskRequest request =
                new TaskRequest("r1", loaded.workflow().tasks().get(TaskId.parse(task)), 1, Map.of(), Map.of());
        return runner.run(request, new TaskContext(dir, dir.resolve(".scratch"), line -> {}, new Cancellation()));
    }

    @Test
    void aTimeoutFiresWhenTheRunnersDeadlinesReachItAndNotAMomentBefore() throws Exception {
        for (String task : new String[] {"g.spin", "g.sleep"}) {
            FakeDeadlines clock = new FakeDeadlines();
            CompletableFuture<TaskOutcome> outcome = CompletableFuture.supplyAsync(() -> run(clock, task));
            await().atMost(Duration.ofSeconds(20)).until(() -> clock.pending() == 1);
            clock.advance(Duration.ofMinutes(59).plusSeconds(59));
            assertThat(clock.pending()).as(task + ": its timeout has not come").isEqualTo(1);
            assertThat(outcome).as(task).isNotDone();
            clock.advance(Duration.ofSeconds(1));
            TaskOutcome o = outcome.get(20, TimeUnit.SECONDS);
            assertThat(o.status()).as(task).isEqualTo(TaskOutcome.Status.FAILED);
            assertThat(o.message()).as(task).isEqualTo("timed out after 1h");
            assertThat(clock.pending()).isZero();
        }
    }

    @Test
    void aTaskThatEndsInTimeCancelsItsDeadline() {
        FakeDeadlines clock = new FakeDeadlines();
        assertThat(run(clock, "g.quick").status()).isEqualTo(TaskOutcome.Status.SUCCEEDED);
        assertThat(clock.pending()).isZero();
    }
}
