package io.drover.cli;

import io.drover.core.WorkflowException;
import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;

/**
 * This build runs every task in process. A task delegated to an agent is refused up front, with its location,
 * rather than run somewhere the user did not ask for.
 */
final class LocalOnly {
  private LocalOnly() {}

  static void check(Plan plan) {
    for (int i = 0; i < plan.size(); i++) {
      TaskSpec t = plan.task(i);
      if (t.delegateTo() != null && !t.delegateTo().isLocal()) {
        throw new WorkflowException(t.location(), "task '" + t.id() + "' is delegated to " + t.delegateTo()
            + ", but this drover runs tasks on this machine only (no agent support yet); remove delegate_to or set delegate_to = false");
      }
    }
  }
}
