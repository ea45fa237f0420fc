package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Keys;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.FakeDeadlines;
import io.drover.core.engine.TaskResult;
import io.drover.core.engine.TaskState;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import io.drover.core.model.WorkflowSource;
import io.lettuce.core.cluster.SlotHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How a leader takes runs: each file is evaluated off the control loop, against a real redis-server. */
class ControllerTakeTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private Client client;
    private Controller controller;

    @BeforeEach
    void connect() {
        client = Client.connect(redis.url());
        redis.commands().flushall();
    }

    @AfterEach
    void stop() {
        if (controller != null) controller.close();
        client.close();
    }

    /** Starts the controller, waits until it leads, and gives the records it reads. */
    private RunRecords lead(String id) {
        controller = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId(id)
                .port(0)
                .lease(Duration.ofSeconds(2))
                .build());
        await().atMost(Duration.ofSeconds(10)).until(controller::isLeader);
        return new RunRecords(redis.commands());
    }

    @Test
    void theLeaderWritesARunsTasksWhenItsFlushIntervalHasPassedOnItsDeadlinesAndNotBefore() {
        FakeDeadlines deadlines = new FakeDeadlines();
        controller = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId("ctl-f")
                .port(0)
                .flushEvery(Duration.ofMillis(200))
                .deadlines(deadlines)
                .build());
        await().atMost(Duration.ofSeconds(10)).until(controller::isLeader);
        RunRecords runs = new RunRecords(redis.commands());
        RunId id = submit(
                runs, "one.lua", "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'sleep 30' } } } }");
        // dispatched: the task is on its queue, and the journal holds it as queued
        await().atMost(Duration.ofSeconds(10))
                .until(() -> client.backlog("default").waiting() == 1);
        assertThat(deadlines.pending()).isEqualTo(1); // the one wait for the next flush, nothing else
        assertThat(runs.get(id).orElseThrow().tasks()).isEmpty();
        deadlines.advance(Duration.ofMillis(199));
        assertThat(deadlines.pending()).isEqualTo(1);
        assertThat(runs.get(id).orElseThrow().tasks()).isEmpty();
        deadlines.advance(Duration.ofMillis(1));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> runs.get(id).orElseThrow().tasks().size() == 1);
        assertThat(task(runs, id, "g.a").state()).isEqualTo(TaskState.RUNNING);
        // the next wait starts when that flush ended
        await().atMost(Duration.ofSeconds(10)).until(() -> deadlines.pending() == 1);
    }

    private RunId submit(RunRecords runs, String name, String text) {
        return runs.submit(new RunRecords.Submission(
                new WorkflowSource(name, text), List.of(), List.of(), Map.of(), "default", 4, false, null));
    }

    @Test
    void aRunSubmittedOrAskedToCancelWakesTheLeaderWhoseNextLookAtTheRunsIsMinutesAway() {
        controller = Controller.start(ControllerOptions.builder(redis.url())
                .controllerId("ctl-w")
                .port(0)
                .pollEvery(Duration.ofMinutes(5))
                .build());
        await().atMost(Duration.ofSeconds(10)).until(controller::isLeader);
        RunRecords runs = new RunRecords(redis.commands());
        // the look it takes on becoming leader has found nothing: its next one is five minutes away. A record written
        // as leader comes after that look; the next record, a second later, surely does
        String record = Keys.controller("ctl-w");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "leader".equals(redis.commands().hget(record, "role")));
        String beat = redis.commands().hget(record, "last_heartbeat");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !beat.equals(redis.commands().hget(record, "last_heartbeat")));
        RunId id = submit(
                runs, "one.lua", "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'sleep 30' } } } }");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> client.backlog("default").waiting() == 1); // taken and dispatched, no worker yet
        assertThat(runs.requestCancel(id, "no longer wanted")).isTrue();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> "CANCELLED".equals(runs.get(id).orElseThrow().state()));
        assertThat(client.backlog("default").waiting()).isZero(); // its queued attempt was cancelled with it
    }

    @Test
    void aFileWhoseTopLevelNeverReturnsFailsItsOwnRunAloneAndStallsNoOther() {
        RunRecords runs = lead("ctl-t");
        RunId stuck = submit(runs, "stuck.lua", "while true do end");
        // claimed: the leader is evaluating its file now
        await().atMost(Duration.ofSeconds(5))
                .until(() -> !"0".equals(redis.commands().hget(Keys.run(stuck), "epoch")));
        RunId fine = submit(
                runs, "fine.lua", "TaskDefinitions = { g = { tasks = { { name = 'a', command = 'sleep 30' } } } }");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> "RUNNING".equals(runs.get(fine).orElseThrow().state()));
        assertThat(runs.get(stuck).orElseThrow().state()).isEqualTo("SUBMITTED");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> runs.get(stuck).orElseThrow().ended());
        RunRecords.RunView failed = runs.get(stuck).orElseThrow();
        assertThat(failed.state()).isEqualTo("FAILED");
        assertThat(failed.fields().get("message"))
                .isEqualTo(
                        "stuck.lua:1: stopped: the file's top level did not finish within 10s (a loop at the top level?)");
        assertThat(runs.get(fine).orElseThrow().state()).isEqualTo("RUNNING");
    }

    @Test
    void aRunsTasksAreListedInThePlansOrderThoughTheirHashKeepsNone() {
        RunRecords runs = lead("ctl-o");
        StringBuilder tasks = new StringBuilder();
        List<String> declared = new ArrayList<>();
        for (int i = 200; i > 0; i--) { // more fields than Redis keeps in insertion order (a listpack holds 128)
            tasks.append("{ name = 't").append(i).append("', command = 'sleep 30' },\n");
            declared.add("g.t" + i);
        }
        RunId id = submit(runs, "many.lua", "TaskDefinitions = { g = { tasks = {\n" + tasks + "} } }");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> runs.get(id).orElseThrow().tasks().size() == 200);
        assertThat(runs.get(id).orElseThrow().tasks().keySet())
                .extracting(Object::toString)
                .containsExactlyElementsOf(declared);
    }

    @Test
    void aTaskThatEndedWhileNoControllerLedKeepsTheDurationItRanForAndShowsItsWorker(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (Worker w = Worker.start(WorkerOptions.builder(redis.url())
                .workerId("w-one")
                .concurrency(2)
                .workdir(dir)
                .build())) {
            RunRecords runs = lead("ctl-a");
            RunId id = submit(
                    runs,
                    "gap.lua",
                    "TaskDefinitions = { g = { tasks = {\n"
                            + "{ name = 'a', command = 'sleep 1' },\n{ name = 'b', depends_on = 'a', command = 'echo after' } } } }");
            // while it runs, the run's record says where
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> "w-one".equals(task(runs, id, "g.a").ranOn()));
            assertThat(task(runs, id, "g.a").state()).isEqualTo(TaskState.RUNNING);
            controller.close(); // no leader now: g.a ends on the worker meanwhile
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> !client.list("default", "succeeded", 10).isEmpty());
            Thread.sleep(2500); // the gap before the next leader: what the old duration counted in
            RunRecords later = lead("ctl-b");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> "SUCCEEDED".equals(later.get(id).orElseThrow().state()));
            TaskResult a = task(later, id, "g.a");
            assertThat(a.ranOn()).isEqualTo("w-one");
            assertThat(a.durationMillis())
                    .as("g.a slept 1 s; the next leader heard of its end 2.5 s later")
                    .isBetween(900L, 2400L);
            assertThat(task(later, id, "g.b").ranOn()).isEqualTo("w-one");
        }
    }

    private static TaskResult task(RunRecords runs, RunId run, String task) {
        return runs.get(run)
                .orElseThrow()
                .tasks()
                .getOrDefault(
                        TaskId.parse(task), new TaskResult(TaskId.parse(task), TaskState.PENDING, 0, 0, "", Map.of()));
    }

    @Test
    void aRunIsSubmittedInOneStepAndItsEndTakesItOffTheActiveSetAndSetsItsExpiryInTheSameWrite() {
        RunRecords runs = new RunRecords(redis.commands());
        RunId id = submit(
                runs,
                "a.lua",
                "TaskDefinitions = { g = { tasks = { { name = 'a', command = function() return true end } } } }");
        // written together before any controller runs: record, first event, index and active set
        assertThat(redis.commands().hget(Keys.run(id), "state")).isEqualTo("SUBMITTED");
        assertThat(runs.events(id, "0", 0))
                .extracting(e -> e.type() + " " + e.fields().get("state"))
                .containsExactly("run SUBMITTED");
        assertThat(redis.commands().zscore(Keys.RUN_INDEX, id.toString())).isNotNull();
        assertThat(redis.commands().sismember(Keys.ACTIVE_RUNS, id.toString())).isTrue();
        assertThat(SlotHash.getSlot(Keys.run(id)))
                .isEqualTo(SlotHash.getSlot(Keys.ACTIVE_RUNS))
                .isEqualTo(SlotHash.getSlot(Keys.RUN_INDEX));
        assertThat(runs.requestCancel(RunId.parse("no-such-run"), "x")).isFalse();

        lead("ctl-e"); // no worker: the run ends when it is cancelled
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "RUNNING".equals(runs.get(id).orElseThrow().state()));
        assertThat(runs.requestCancel(id, "test")).isTrue();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> runs.get(id).orElseThrow().ended());
        assertThat(redis.commands().sismember(Keys.ACTIVE_RUNS, id.toString())).isFalse();
        assertThat(redis.commands().ttl(Keys.run(id)))
                .isBetween(RunRecords.ENDED_RUN_KEEP.toSeconds() - 60, RunRecords.ENDED_RUN_KEEP.toSeconds());
        assertThat(redis.commands().ttl(Keys.runEvents(id))).isPositive();
        assertThat(runs.requestCancel(id, "too late")).isFalse();
    }
}
