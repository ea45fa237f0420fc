package io.drover.cluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.core.engine.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ControllerMetricsTest {
    private static List<String> rules(List<ControllerMetrics.Alert> alerts) {
        return alerts.stream().map(ControllerMetrics.Alert::rule).toList();
    }

    @Test
    void aNewLeaderRaisesNoWorkerAlertBeforeItHasCountedTheWorkers() {
        ControllerMetrics m = new ControllerMetrics();
        List<String> log = new ArrayList<>();
        assertThat(rules(m.evaluate(log::add))).doesNotContain("no_workers");
        assertThat(m.scrape()).contains("drover_workers_alive NaN");
        m.workersAlive(0);
        assertThat(rules(m.evaluate(log::add))).contains("no_workers");
        m.unmeasured(); // stepped down; leading again later starts from no count
        assertThat(rules(m.evaluate(log::add))).doesNotContain("no_workers");
        assertThat(log).containsExactly("alert critical: no live worker", "alert cleared: no_workers (no live worker)");
    }

    @Test
    void aFailureRateAlertFiresOverItsWindowAndClearsWhenTheWindowHasPassedOnTheClock() {
        AtomicLong now = new AtomicLong(1_000_000);
        ControllerMetrics m = new ControllerMetrics(now::get);
        List<String> log = new ArrayList<>();
        for (int i = 0; i < 8; i++) m.ended(TaskState.SUCCEEDED, 5);
        m.ended(TaskState.FAILED, 5);
        assertThat(rules(m.evaluate(log::add))).doesNotContain("failure_rate"); // 9 tasks: too few to judge
        m.ended(TaskState.FAILED, 5);
        assertThat(rules(m.evaluate(log::add))).contains("failure_rate"); // 2 of 10 failed
        now.addAndGet(Duration.ofMinutes(5).toMillis() - 1);
        assertThat(rules(m.evaluate(log::add))).contains("failure_rate"); // still inside the five minutes
        now.addAndGet(2);
        assertThat(rules(m.evaluate(log::add))).doesNotContain("failure_rate");
        assertThat(log)
                .containsExactly(
                        "alert warning: 2 of the last 10 tasks failed (20% > 10%)",
                        "alert cleared: failure_rate (2 of the last 10 tasks failed (20% > 10%))");
    }

    @Test
    void aLongWaitAlertFiresForAMinuteOnTheClock() {
        AtomicLong now = new AtomicLong(1_000_000);
        ControllerMetrics m = new ControllerMetrics(now::get);
        m.waited(61_000);
        assertThat(rules(m.evaluate(s -> {}))).contains("wait_time");
        now.addAndGet(Duration.ofMinutes(1).toMillis() + 1);
        assertThat(rules(m.evaluate(s -> {}))).doesNotContain("wait_time");
    }
}
