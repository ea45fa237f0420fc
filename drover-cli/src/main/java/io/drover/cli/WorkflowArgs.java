package io.drover.cli;

import io.drover.agent.client.AgentDispatcher;
import io.drover.core.Suggestions;
import io.drover.core.WorkflowException;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.model.Command;
import io.drover.core.model.Delegation;
import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;
import io.drover.core.plan.Planner;
import io.drover.core.runner.TaskKinds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The workflow file and the part of it to use; shared by {@code run}, {@code plan} and {@code validate}. */
final class WorkflowArgs {
    @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file (Lua).")
    Path file;

    @Option(
            names = "--group",
            paramLabel = "GROUP",
            description = "Only this group (and what it depends on). Repeatable.")
    List<String> groups = new ArrayList<>();

    @Option(
            names = "--task",
            paramLabel = "TASK",
            description = "Only this task, as group.task or a unique name (and what it depends on). Repeatable.")
    List<String> tasks = new ArrayList<>();

    /** Loads and plans; every problem is a WorkflowException naming file and line. */
    Loaded load() {
        WorkflowLoader.Loaded loaded = WorkflowLoader.load(file);
        Plan plan = Planner.plan(loaded.workflow(), groups, tasks);
        return new Loaded(loaded, plan);
    }

    /**
     * Loads, plans and checks what running it needs, so {@code validate} refuses what {@code run} refuses: agents
     * that drover.toml does not name, and (when the tasks run here) task kinds this installation does not have.
     *
     * @param byDefault where tasks without delegate_to go ({@code run --agent}), or null
     * @param kinds the task kinds of the process that runs the tasks, or null when workers of a fleet run them
     */
    Loaded checked(Path config, Delegation byDefault, TaskKinds kinds) {
        Loaded l = load();
        AgentDispatcher.check(l.plan(), Config.find(config, file).agents(), byDefault);
        if (kinds == null) checkFleetWorkdirs(l.plan(), byDefault);
        if (kinds != null) {
            for (int i = 0; i < l.plan().size(); i++) {
                TaskSpec t = l.plan().task(i);
                if (t.command() instanceof Command.Plugin p && kinds.get(p.kind()) == null) {
                    throw new WorkflowException(
                            t.location(),
                            "task '" + t.id() + "': unknown task kind '" + p.kind() + "'"
                                    + (kinds.names().isEmpty()
                                            ? " (this installation has none)"
                                            : Suggestions.didYouMean(p.kind(), kinds.names())));
                }
            }
        }
        return l;
    }

    /**
     * Refuses a task bound for the fleet whose {@code workdir} is absolute or leads out of the run's workspace: on a
     * worker a task works inside its run's files, so such a directory would be another machine's (or nothing).
     * Tasks delegated to agents are not the fleet's: there the workdir is the workspace that travels.
     */
    static void checkFleetWorkdirs(Plan plan, Delegation byDefault) {
        for (int i = 0; i < plan.size(); i++) {
            TaskSpec t = plan.task(i);
            Delegation d = t.delegateTo() != null ? t.delegateTo() : byDefault;
            if (d != null && !d.isLocal()) continue;
            Path w = Path.of(t.workdir());
            if (w.isAbsolute() || w.normalize().startsWith("..")) {
                throw new WorkflowException(
                        t.location(),
                        "workdir '" + t.workdir() + "' of task '" + t.id()
                                + "' is outside the run's workspace: on the fleet a task works inside it (a relative"
                                + " path without ..)");
            }
        }
    }

    record Loaded(WorkflowLoader.Loaded workflow, Plan plan) {}
}
