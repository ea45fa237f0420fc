package io.drover.cli;

import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.plan.Plan;
import io.drover.core.plan.Planner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The workflow file and the part of it to use; shared by {@code run}, {@code plan} and {@code validate}. */
final class WorkflowArgs {
  @Parameters(index = "0", paramLabel = "FILE", description = "The workflow file (Lua).")
  Path file;

  @Option(names = "--group", paramLabel = "GROUP", description = "Only this group (and what it depends on). Repeatable.")
  List<String> groups = new ArrayList<>();

  @Option(names = "--task", paramLabel = "TASK", description = "Only this task, as group.task or a unique name (and what it depends on). Repeatable.")
  List<String> tasks = new ArrayList<>();

  /** Loads and plans; every problem is a WorkflowException naming file and line. */
  Loaded load() {
    WorkflowLoader.Loaded loaded = WorkflowLoader.load(file);
    Plan plan = Planner.plan(loaded.workflow(), groups, tasks);
    return new Loaded(loaded, plan);
  }

  record Loaded(WorkflowLoader.Loaded workflow, Plan plan) {}
}
