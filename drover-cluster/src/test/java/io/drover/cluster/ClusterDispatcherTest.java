package io.drover.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.SourceRef;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.run.ClusterDispatcher;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.TestProcesses;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.RunHandle;
import io.drover.core.engine.RunListener;
import io.drover.core.engine.RunOptions;
import io.drover.core.engine.RunResult;
import io.drover.core.engine.RunStatus;
import io.drover.core.engine.Scheduler;
import io.drover.core.engine.TaskState;
import io.drover.core.lua.Json;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Whole workflows whose tasks run on workers through a real redis-server, scheduled by the shared engine. */
class ClusterDispatcherTest {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    @TempDir
    Path dir;

    private Client client;
    private Worker worker;
    private ClusterDispatcher dispatcher;
    private final ConcurrentLinkedQueue<String> logs = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() {
        client = Client.connect(redis.url());
        worker = Worker.start(WorkerOptions.builder(redis.url())
                .queue("flows")
                .concurrency(4)
                .workdir(dir.resolve("w"))
                .lease(Duration.ofSeconds(2))
                .build());
    }

    @AfterEach
    void stop() throws Exception {
        if (dispatcher != null) dispatcher.close();
        worker.shutdownNow();
        worker.awaitTermination(Duration.ofSeconds(20));
        redis.commands().flushall();
        client.close();
    }

    private RunHandle start(String lua) {
        WorkflowLoader.Loaded wf = WorkflowLoader.load(new WorkflowSource("flow.lua", lua));
        dispatcher = new ClusterDispatcher(client, wf.lua().source(), "flows");
        RunListener listener = new RunListener() {
            @Override
            public void onTaskLog(TaskSpec task, int attempt, String line) {
                logs.add(task.id() + " | " + line);
            }
        };
        return Scheduler.start(
                Planner.plan(wf.workflow()),
                dispatcher,
                RunOptions.builder()
                        .concurrency(4)
                        .listener(listener)
                        .params(Map.of("who", "fleet"))
                        .build());
    }

    private static TaskId id(String s) {
        return TaskId.parse(s);
    }

    @Test
    void aWorkflowRunsOnTheFleetWithOutputsRetriesRunIfAndTimeouts() throws Exception {
        Path counter = dir.resolve("attempts.txt");
        RunResult r = start("""
        TaskDefinitions = { g = { tasks = {
          { name = "a", command = "echo v=7 >> \\"$DROVER_OUTPUT\\"; echo made v" },
          { name = "b", depends_on = "a", command = function(params, deps)
              log.info("b sees " .. deps.a.v .. " for " .. params.who)
              return true, "b ok", { x = tonumber(deps.a.v) * 6 }
            end },
          { name = "c", depends_on = "b", command = "echo \\"got $DROVER_DEP_B_X\\"" },
          { name = "flaky", retries = 2, backoff = "10ms",
            command = "echo x >> %s; [ $(wc -l < %s) -ge 2 ] && echo second time lucky" },
          { name = "never", run_if = function() return false end, command = "echo never" },
          { name = "slow", timeout = "1s", command = "sleep 30" },
        } } }""".formatted(counter, counter)).await(Duration.ofSeconds(60));
        assertThat(r).isNotNull();
        assertThat(r.task(id("g.c")).message()).isEqualTo("got 42");
        assertThat(r.task(id("g.b")).outputs()).containsEntry("x", 42L);
        assertThat(r.task(id("g.flaky")).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(id("g.flaky")).attempts()).isEqualTo(2);
        assertThat(r.task(id("g.never")).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(id("g.slow")).state()).isEqualTo(TaskState.FAILED);
        assertThat(r.task(id("g.slow")).message()).isEqualTo("timed out after 1s");
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(logs).contains("g.b | [info] b sees 7 for fleet", "g.a | made v");
    }

    @Test
    void cancellingTheRunKillsTheTaskOnItsWorker() throws Exception {
        Path pid = dir.resolve("pid");
        RunHandle h = start("""
        TaskDefinitions = { g = { tasks = { { name = "long", command = "sleep 300 & echo $! > %s; wait" } } } }""".formatted(pid));
        long child = TestProcesses.awaitPid(pid);
        h.cancel("test");
        RunResult r = h.await(Duration.ofSeconds(30));
        assertThat(r.task(id("g.long")).state()).isEqualTo(TaskState.CANCELLED);
        TestProcesses.awaitGone(child);
    }

    @Test
    void anAttemptCarriesAReferenceToTheWorkflowSourceWhichIsStoredOncePerRun() throws Exception {
        String marker = "-- a long comment that must not travel with every attempt " + "x".repeat(2000);
        RunResult r = start(marker + """

        TaskDefinitions = { g = { tasks = {
          { name = "a", command = function() return true, "a ran" end },
          { name = "b", depends_on = "a", command = function() return true, "b ran" end },
        } } }""").await(Duration.ofSeconds(60));
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(r.task(id("g.b")).message()).isEqualTo("b ran");
        var sources = redis.commands().keys("drover:source:*");
        assertThat(sources).hasSize(1);
        assertThat(redis.commands().hget(sources.get(0), "text")).startsWith(marker);
        assertThat(redis.commands().ttl(sources.get(0))).isPositive();
        for (String task : redis.commands().keys("drover:{flows}:task:*")) {
            String spec = redis.commands().hget(task, "spec");
            assertThat(spec)
                    .doesNotContain("a long comment")
                    .contains("\"source\":\"" + sources.get(0).substring("drover:source:".length()));
            assertThat(Json.read(spec))
                    .asInstanceOf(InstanceOfAssertFactories.MAP)
                    .extractingByKey("request")
                    .isInstanceOf(Map.class); // one object, not JSON in a string
        }
    }

    @Test
    void anAttemptWhoseSourceIsGoneFailsWithOneLineNamingIt() throws Exception {
        SourceRef missing = SourceRef.of(new WorkflowSource("gone.lua", "x = 1"));
        TaskSpec spec = new TaskSpec(
                id("g.a"),
                "",
                new Command.LuaFunction("g", 1, "command"),
                List.of(),
                Map.of(),
                Map.of(),
                "",
                0,
                null,
                null,
                null,
                null,
                null,
                Map.of(),
                List.of(),
                null,
                null);
        String taskId =
                client.submit(TaskSubmission.workflow(missing, new TaskRequest("r1", spec, 1, Map.of(), Map.of()))
                        .withQueue("flows"));
        var s = client.await(taskId, Duration.ofSeconds(30));
        assertThat(s.state()).isEqualTo("FAILED");
        assertThat(s.message())
                .isEqualTo("the worker could not run it: the workflow's source " + missing
                        + " is not in Redis (its run ended longer ago than the retention?)");
    }
}
