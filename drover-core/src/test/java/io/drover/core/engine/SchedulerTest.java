package io.drover.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scheduler rules that need a dispatcher answering in ways the local one never does. */
class SchedulerTest {
  private static final Command NOOP = new Command.Plugin("noop", Map.of());

  private static RunResult run(Dispatcher d, TaskSpec... tasks) {
    Workflow wf = Workflow.ofTasks(WorkflowSource.none("test"), List.of(tasks));
    return Scheduler.run(Planner.plan(wf), d, RunOptions.builder().concurrency(2).build());
  }

  @Test
  void aTaskCancelledByItsDispatcherFailsTheRunAndSkipsItsDependents() {
    TaskId a = new TaskId("g", "a");
    TaskId b = new TaskId("g", "b");
    RunResult r = run((req, sink) -> {
      sink.completed(TaskOutcome.cancelled("the worker lost it"));
      return reason -> {};
    }, TaskSpec.of(a, NOOP, List.of()), TaskSpec.of(b, NOOP, List.of(a)));
    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.task(a).state()).isEqualTo(TaskState.CANCELLED);
    assertThat(r.task(b).state()).isEqualTo(TaskState.SKIPPED);
    assertThat(r.task(b).message()).isEqualTo("skipped: dependency g.a was cancelled");
  }

  @Test
  void aDuplicateOrLateReportOfAnAttemptIsIgnored() {
    List<TaskSink> sinks = new ArrayList<>();
    RunResult r = run((req, sink) -> {
      sinks.add(sink);
      sink.completed(TaskOutcome.OK);
      sink.completed(TaskOutcome.failed("a second report"));
      return reason -> {};
    }, TaskSpec.of(new TaskId("g", "a"), NOOP, List.of()));
    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(sinks).hasSize(1);
  }

  @Test
  void aDispatcherThatThrowsFailsTheAttemptNotTheRun() {
    RunResult r = run((req, sink) -> {
      throw new IllegalStateException("no agent reachable");
    }, TaskSpec.of(new TaskId("g", "a"), NOOP, List.of()), TaskSpec.of(new TaskId("g", "b"), NOOP, List.of()));
    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.task(new TaskId("g", "a")).message()).isEqualTo("could not start: no agent reachable");
    assertThat(r.task(new TaskId("g", "b")).state()).isEqualTo(TaskState.FAILED);
  }
}
