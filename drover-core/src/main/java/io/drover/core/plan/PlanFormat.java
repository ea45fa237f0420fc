package io.drover.core.plan;

import io.drover.core.model.TaskId;
import java.util.List;

/** Prints a {@link Plan} as text levels, Graphviz dot or Mermaid. */
public final class PlanFormat {
    private PlanFormat() {}

    public static String text(Plan plan) {
        StringBuilder sb = new StringBuilder();
        List<List<TaskId>> levels = plan.levels();
        for (int l = 0; l < levels.size(); l++) {
            sb.append("level ").append(l).append(':');
            for (TaskId id : levels.get(l)) sb.append(' ').append(id);
            sb.append('\n');
        }
        sb.append(plan.size())
                .append(plan.size() == 1 ? " task" : " tasks")
                .append(" in ")
                .append(levels.size())
                .append(levels.size() == 1 ? " level" : " levels")
                .append('\n');
        return sb.toString();
    }

    public static String dot(Plan plan) {
        StringBuilder sb = new StringBuilder("digraph drover {\n  rankdir=LR;\n  node [shape=box];\n");
        for (int i = 0; i < plan.size(); i++) {
            sb.append("  \"").append(plan.task(i).id()).append("\";\n");
        }
        for (int i = 0; i < plan.size(); i++) {
            for (int d : plan.dependenciesOf(i)) {
                sb.append("  \"")
                        .append(plan.task(d).id())
                        .append("\" -> \"")
                        .append(plan.task(i).id())
                        .append("\";\n");
            }
        }
        return sb.append("}\n").toString();
    }

    public static String mermaid(Plan plan) {
        StringBuilder sb = new StringBuilder("graph TD\n");
        for (int i = 0; i < plan.size(); i++) {
            sb.append("  ")
                    .append(node(i))
                    .append("[\"")
                    .append(plan.task(i).id())
                    .append("\"]\n");
        }
        for (int i = 0; i < plan.size(); i++) {
            for (int d : plan.dependenciesOf(i)) {
                sb.append("  ").append(node(d)).append(" --> ").append(node(i)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String node(int i) {
        return "t" + i;
    }
}
