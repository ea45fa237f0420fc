package io.drover.cli;

import io.drover.core.plan.Plan;
import io.drover.core.runner.TaskKinds;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code drover validate FILE}: loads and plans, runs nothing. */
@Command(
        name = "validate",
        description = {
            "Check a workflow file: syntax, fields, dependencies, cycles. Runs nothing.",
            "It refuses what drover run refuses: agents drover.toml does not name, task kinds this installation lacks."
        })
final class ValidateCommand implements Callable<Integer> {
    @Mixin
    WorkflowArgs workflow;

    @picocli.CommandLine.Option(
            names = "--config",
            paramLabel = "FILE",
            description = "drover.toml with agents by name."
                    + " Default: $DROVER_CONFIG, ./drover.toml, or next to the workflow.")
    Path config;

    @picocli.CommandLine.Option(
            names = "--fleet",
            description =
                    "The tasks run on a fleet's workers: their task kinds are" + " theirs, not this installation's.")
    boolean fleet;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Plan plan = workflow.checked(config, null, fleet ? null : TaskKinds.discover())
                .plan();
        spec.commandLine()
                .getOut()
                .printf(
                        "%s: ok (%d tasks in %d groups, %d levels)%n",
                        workflow.file, plan.size(), plan.workflow().groups().size(), plan.levelCount());
        return Main.OK;
    }
}
