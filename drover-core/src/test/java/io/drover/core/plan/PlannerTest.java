package io.drover.core.plan;

import static io.drover.core.TestWorkflows.load;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.core.WorkflowException;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.Workflow;
import io.drover.core.model.WorkflowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final String FLOW = """
      TaskDefinitions = {
        build = { tasks = {
          { name = "version", command = "true" },
          { name = "api", depends_on = "version", command = "true" },
          { name = "web", depends_on = "version", command = "true" },
          { name = "test", depends_on = { "api", "web" }, command = "true" },
        } },
        deploy = { tasks = { { name = "ship", depends_on = "build.test", command = "true" } } },
        docs = { tasks = { { name = "site", command = "true" } } },
      }""";

    private static Workflow flow() {
        return load(FLOW).workflow();
    }

    @Test
    void putsEachTaskOneLevelAfterItsDeepestDependency() {
        Plan p = Planner.plan(flow());
        assertThat(p.levels())
                .extracting(l -> l.stream().map(TaskId::toString).toList())
                .containsExactly(
                        List.of("build.version", "docs.site"),
                        List.of("build.api", "build.web"),
                        List.of("build.test"),
                        List.of("deploy.ship"));
        assertThat(PlanFormat.text(p))
                .startsWith("level 0: build.version docs.site\n")
                .endsWith("6 tasks in 4 levels\n");
    }

    @Test
    void selectsTasksWithEverythingTheyDependOn() {
        Plan p = Planner.plan(flow(), List.of(), List.of("build.api"));
        assertThat(idsOf(p)).containsExactly("build.version", "build.api");
        Plan byName = Planner.plan(flow(), List.of(), List.of("ship"));
        assertThat(idsOf(byName))
                .containsExactly("build.version", "build.api", "build.web", "build.test", "deploy.ship");
        Plan group = Planner.plan(flow(), List.of("docs"), List.of());
        assertThat(idsOf(group)).containsExactly("docs.site");
    }

    @Test
    void rejectsUnknownSelectionsWithASuggestion() {
        assertThatThrownBy(() -> Planner.plan(flow(), List.of("biuld"), List.of()))
                .isInstanceOf(WorkflowException.class)
                .hasMessage("unknown group 'biuld'; did you mean 'build'?");
        assertThatThrownBy(() -> Planner.plan(flow(), List.of(), List.of("build.tset")))
                .isInstanceOf(WorkflowException.class)
                .hasMessage("unknown task 'build.tset'; did you mean 'build.test'?");
    }

    @Test
    void printsDotAndMermaidGraphs() {
        Plan p = Planner.plan(flow(), List.of(), List.of("build.api"));
        assertThat(PlanFormat.dot(p)).contains("\"build.version\" -> \"build.api\";");
        assertThat(PlanFormat.mermaid(p))
                .isEqualTo("graph TD\n  t0[\"build.version\"]\n  t1[\"build.api\"]\n  t0 --> t1\n");
    }

    @Test
    void plansAMillionTaskChainWithoutRecursion() {
        List<TaskSpec> tasks = new ArrayList<>();
        Command noop = new Command.Plugin("noop", Map.of());
        for (int i = 0; i < 1_000_000; i++) {
            tasks.add(TaskSpec.of(
                    new TaskId("g", "t" + i), noop, i == 0 ? List.of() : List.of(new TaskId("g", "t" + (i - 1)))));
        }
        Plan p = Planner.plan(Workflow.ofTasks(WorkflowSource.none("chain"), tasks));
        assertThat(p.levelCount()).isEqualTo(1_000_000);
    }

    @Test
    void aTaskThatListsADependencyTwiceWaitsForItOnceAndIsAmongItsDependentsOnce() {
        Command noop = new Command.Plugin("noop", Map.of());
        TaskId a = new TaskId("g", "a");
        TaskId b = new TaskId("g", "b");
        Plan p = Planner.plan(Workflow.ofTasks(
                WorkflowSource.none("dup"),
                List.of(
                        TaskSpec.of(a, noop, List.of()),
                        TaskSpec.of(b, noop, List.of()),
                        TaskSpec.of(new TaskId("g", "c"), noop, List.of(a, b, a, b, a)))));
        int c = p.indexOf(new TaskId("g", "c"));
        assertThat(p.dependenciesOf(c)).containsExactly(p.indexOf(a), p.indexOf(b));
        assertThat(p.dependentsOf(p.indexOf(a))).containsExactly(c);
        assertThat(p.dependentsOf(p.indexOf(b))).containsExactly(c);
        assertThat(p.levelOf(c)).isEqualTo(1);
    }

    private static List<String> idsOf(Plan p) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) out.add(p.task(i).id().toString());
        return out;
    }
}
