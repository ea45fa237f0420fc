package io.drover.cluster.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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
}
