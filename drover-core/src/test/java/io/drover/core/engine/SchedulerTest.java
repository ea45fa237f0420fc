package io.drover.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/** Scheduler rules that need a dispatcher answering in ways the local one never does. */
class SchedulerTest {
    private static final Command NOOP = new Command.Plugin("noop", Map.of());

    private static RunResult run(Dispatcher d, TaskSpec... tasks) {
        Workflow wf = Workflow.ofTasks(WorkflowSource.none("test"), List.of(tasks));
        return Scheduler.run(
                Planner.plan(wf), d, RunOptions.builder().concurrency(2).build());
    }

    @Test
    void aTaskCancelledByItsDispatcherFailsTheRunAndSkipsItsDependents() {
        TaskId a = new TaskId("g", "a");
        TaskId b = new TaskId("g", "b");
        RunResult r = run(
                (req, sink) -> {
                    sink.completed(TaskOutcome.cancelled("the worker lost it"));
                    return reason -> {};
                },
                TaskSpec.of(a, NOOP, List.of()),
                TaskSpec.of(b, NOOP, List.of(a)));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.task(a).state()).isEqualTo(TaskState.CANCELLED);
        assertThat(r.task(b).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.task(b).message()).isEqualTo("skipped: dependency g.a was cancelled");
    }

    @Test
    void aDuplicateOrLateReportOfAnAttemptIsIgnored() {
        List<TaskSink> sinks = new ArrayList<>();
        RunResult r = run(
                (req, sink) -> {
                    sinks.add(sink);
                    sink.completed(TaskOutcome.OK);
                    sink.completed(TaskOutcome.failed("a second report"));
                    return reason -> {};
                },
                TaskSpec.of(new TaskId("g", "a"), NOOP, List.of()));
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(sinks).hasSize(1);
    }

    @Test
    void aDispatcherThatThrowsFailsTheAttemptNotTheRun() {
        RunResult r = run(
                (req, sink) -> {
                    throw new IllegalStateException("no agent reachable");
                },
                TaskSpec.of(new TaskId("g", "a"), NOOP, List.of()),
                TaskSpec.of(new TaskId("g", "b"), NOOP, List.of()));
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
        assertThat(r.task(new TaskId("g", "a")).message()).isEqualTo("could not start: no agent reachable");
        assertThat(r.task(new TaskId("g", "b")).state()).isEqualTo(TaskState.FAILED);
    }

    @Test
    void aResumedRunNeverRerunsWhatEndedAndDispatchesInFlightAttemptsAgainUnderTheSameNumber() {
        TaskId a = new TaskId("g", "a");
        TaskId b = new TaskId("g", "b");
        TaskId c = new TaskId("g", "c");
        TaskId d = new TaskId("g", "d");
        TaskId e = new TaskId("g", "e");
        Workflow wf = Workflow.ofTasks(
                WorkflowSource.none("test"),
                List.of(
                        TaskSpec.of(a, NOOP, List.of()),
                        TaskSpec.of(b, NOOP, List.of(a)),
                        TaskSpec.of(c, NOOP, List.of(b)),
                        TaskSpec.of(d, NOOP, List.of()),
                        TaskSpec.of(e, NOOP, List.of(d))));
        List<String> dispatched = new ArrayList<>();
        List<Map<TaskId, Map<String, Object>>> seen = new ArrayList<>();
        Map<TaskId, TaskResult> before = Map.of(
                a, new TaskResult(a, TaskState.SUCCEEDED, 1, 5, "", Map.of("x", 1L)),
                b, new TaskResult(b, TaskState.RUNNING, 2, 0, "", Map.of()),
                // e still shows PENDING: the earlier scheduler stopped before it wrote the skip down
                d, new TaskResult(d, TaskState.FAILED, 1, 3, "exit 1", Map.of()));
        RunResult r = Scheduler.run(
                Planner.plan(wf),
                (req, sink) -> {
                    synchronized (dispatched) {
                        dispatched.add(req.task().id() + "#" + req.attempt());
                        seen.add(req.dependencyOutputs());
                    }
                    sink.completed(TaskOutcome.OK);
                    return reason -> {};
                },
                RunOptions.builder().concurrency(2).resume(before).build());
        assertThat(dispatched).containsExactly("g.b#2", "g.c#1");
        assertThat(seen.get(0)).isEqualTo(Map.of(a, Map.of("x", 1L)));
        assertThat(r.task(a).state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(r.task(a).outputs()).isEqualTo(Map.of("x", 1L));
        assertThat(r.task(b).attempts()).isEqualTo(2);
        assertThat(r.task(d).message()).isEqualTo("exit 1");
        assertThat(r.task(e).state()).isEqualTo(TaskState.SKIPPED);
        assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    }

    /** A ticker the test moves: its time stands still until {@link #advance}; a park waits a millisecond at most. */
    private static final class FakeTicker implements io.drover.core.Ticker {
        private final java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        private final java.util.concurrent.atomic.AtomicInteger timedParks =
                new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public long nanos() {
            return now.get();
        }

        @Override
        public void park(Object blocker, long nanos) {
            timedParks.incrementAndGet();
            java.util.concurrent.locks.LockSupport.parkNanos(blocker, Math.min(nanos, 1_000_000));
        }

        void advance(java.time.Duration d) {
            now.addAndGet(d.toNanos());
        }

        /** Waits (in real time) until the loop has looked at this ticker's time and parked {@code n} more times. */
        void awaitParks(int n) {
            int target = timedParks.get() + n;
            org.awaitility.Awaitility.await("the run loop waits on the ticker")
                    .atMost(java.time.Duration.ofSeconds(10))
                    .pollInterval(java.time.Duration.ofMillis(1))
                    .until(() -> timedParks.get() >= target);
        }
    }

    @Test
    void aRetryWaitsItsBackoffOnTheRunsTickerAndNotOnTheWallClock() throws Exception {
        TaskId a = new TaskId("g", "a");
        TaskSpec flaky = new TaskSpec(
                a,
                "",
                NOOP,
                List.of(),
                Map.of(),
                Map.of(),
                "",
                1,
                new io.drover.core.model.Backoff(
                        java.time.Duration.ofHours(1), java.time.Duration.ofHours(1), 2, false),
                null,
                null,
                null,
                null,
                Map.of(),
                List.of(),
                null,
                null);
        Workflow wf = Workflow.ofTasks(WorkflowSource.none("test"), List.of(flaky));
        List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
        FakeTicker ticker = new FakeTicker();
        RunHandle h = Scheduler.start(
                Planner.plan(wf),
                (req, sink) -> {
                    attempts.add(req.attempt());
                    sink.completed(req.attempt() == 1 ? TaskOutcome.failed("boom") : TaskOutcome.OK);
                    return reason -> {};
                },
                RunOptions.builder().ticker(ticker).build());
        ticker.awaitParks(3); // the first attempt failed and the loop waits for the retry, at time 0
        assertThat(attempts).containsExactly(1);
        ticker.advance(java.time.Duration.ofMinutes(59));
        ticker.awaitParks(3); // looked again at 59 minutes: not due
        assertThat(attempts).containsExactly(1);
        ticker.advance(java.time.Duration.ofMinutes(1));
        RunResult r = h.result().get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(attempts).containsExactly(1, 2);
    }

    @Test
    void aDetachedRunStopsSchedulingAndCancelsNothing() throws Exception {
        TaskId a = new TaskId("g", "a");
        TaskId b = new TaskId("g", "b");
        Workflow wf = Workflow.ofTasks(
                WorkflowSource.none("test"),
                List.of(TaskSpec.of(a, NOOP, List.of()), TaskSpec.of(b, NOOP, List.of(a))));
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<TaskSink> first = new CompletableFuture<>();
        RunHandle h = Scheduler.start(
                Planner.plan(wf),
                (req, sink) -> {
                    events.add("dispatch " + req.task().id());
                    first.complete(sink);
                    return reason -> events.add("cancel " + reason);
                },
                RunOptions.builder().build());
        TaskSink sink = first.get(5, TimeUnit.SECONDS);
        h.detach();
        Assertions.assertThatThrownBy(() -> h.result().get(5, TimeUnit.SECONDS))
                .isInstanceOf(CancellationException.class);
        // the result completes as the loop's thread leaves it: nobody reads a completion posted now
        sink.completed(TaskOutcome.OK);
        assertThat(events).containsExactly("dispatch g.a");
    }

    @Test
    void anAttemptThatStartedOnItsWorkerBeforeTheSchedulerKnewIsMeasuredFromThatStart() {
        // a controller that took a run over dispatches a running attempt again and hears of its end: the worker's
        // start and end, on its own clock, are what the duration spans, whatever the taken-over snapshot held
        Instant end = Instant.now();
        TaskId a = new TaskId("g", "a");
        RunResult r = run(
                (req, sink) -> {
                    sink.completed(TaskOutcome.OK.withRan(new TaskOutcome.Ran("w1", end.minusMillis(2000), end)));
                    return reason -> {};
                },
                TaskSpec.of(a, NOOP, List.of()));
        assertThat(r.task(a).durationMillis()).isBetween(1990L, 2500L);
    }
}
