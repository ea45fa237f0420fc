package io.drover.cli;

import io.drover.core.plan.Plan;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code drover validate FILE}: loads and plans, runs nothing. */
@Command(name = "validate", description = "Check a workflow file: syntax, fields, dependencies, cycles. Runs nothing.")
final class ValidateCommand implements Callable<Integer> {
  @Mixin WorkflowArgs workflow;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Plan plan = workflow.load().plan();
    spec.commandLine().getOut().printf("%s: ok (%d tasks in %d groups, %d levels)%n", workflow.file,
        plan.size(), plan.workflow().groups().size(), plan.levelCount());
    return Main.OK;
  }
}
