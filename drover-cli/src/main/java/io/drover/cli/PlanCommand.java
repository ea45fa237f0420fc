package io.drover.cli;

import io.drover.core.plan.Plan;
import io.drover.core.plan.PlanFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover plan FILE}: the DAG as levels, or as a dot / mermaid graph. */
@Command(name = "plan", description = "Print the order a workflow would run in: its levels, or a graph.")
final class PlanCommand implements Callable<Integer> {
    enum Format {
        text,
        dot,
        mermaid
    }

    @Mixin
    WorkflowArgs workflow;

    @Option(
            names = "--format",
            defaultValue = "text",
            description = "text (levels), dot (Graphviz) or mermaid. Default: ${DEFAULT-VALUE}.")
    Format format;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Plan plan = workflow.load().plan();
        String text = switch (format) {
            case text -> PlanFormat.text(plan);
            case dot -> PlanFormat.dot(plan);
            case mermaid -> PlanFormat.mermaid(plan);
        };
        spec.commandLine().getOut().print(text);
        return Main.OK;
    }
}
