package io.drover.cli;

import io.drover.core.record.RunJson;
import io.drover.core.record.RunStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drover runs list} and {@code drover runs show ID}: the runs recorded under {@code .drover/runs}. */
@Command(name = "runs", description = "Runs recorded in this directory (.drover/runs).",
    subcommands = {RunsCommand.ListRuns.class, RunsCommand.ShowRun.class})
final class RunsCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return Main.OK;
  }

  static RunStore store() {
    return RunStore.in(Path.of("").toAbsolutePath());
  }

  @Command(name = "list", description = "List recorded runs, newest first.")
  static final class ListRuns implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON array on stdout.") boolean json;

    @Option(names = {"-n", "--limit"}, defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).") int limit;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      RunStore store = store();
      PrintWriter out = spec.commandLine().getOut();
      List<String> ids = store.list();
      List<Map<String, Object>> records = new ArrayList<>();
      for (String id : ids.subList(0, Math.min(limit, ids.size()))) store.read(id).ifPresent(records::add);
      if (json) {
        for (Map<String, Object> r : records) r.remove("tasks");
        out.println(RunJson.write(records, false));
        return Main.OK;
      }
      if (records.isEmpty()) {
        out.println("no runs recorded under " + store.root());
        return Main.OK;
      }
      List<List<String>> rows = new ArrayList<>();
      for (Map<String, Object> r : records) {
        rows.add(List.of(str(r.get("run_id")), str(r.get("status")), str(r.get("started_at")).replace('T', ' ').replaceAll("\\.\\d+Z$", "Z"),
            duration(r), counts(r), str(r.get("workflow"))));
      }
      out.print(Format.table(List.of("RUN", "STATUS", "STARTED", "DURATION", "TASKS", "WORKFLOW"), rows));
      return Main.OK;
    }
  }

  @Command(name = "show", description = "Show one run: every task's result; with --logs, their logs.")
  static final class ShowRun implements Callable<Integer> {
    @Parameters(paramLabel = "ID", description = "A run id, a unique prefix of one, or 'last'.") String id;

    @Option(names = "--json", description = "The run record as JSON.") boolean json;

    @Option(names = "--logs", description = "Also print each task's log.") boolean logs;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      RunStore store = store();
      String runId;
      try {
        runId = store.resolve(id);
      } catch (IllegalArgumentException e) {
        throw new Main.UserException(e.getMessage());
      }
      Map<String, Object> r = store.read(runId).orElseThrow(() -> new Main.UserException("no run '" + id + "'"));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(RunJson.write(r, true));
        return Main.OK;
      }
      out.println("run " + runId + ": " + str(r.get("status")) + " (" + str(r.get("workflow")) + ", started " + str(r.get("started_at")) + ", " + duration(r) + ")");
      if (r.get("params") instanceof Map<?, ?> p && !p.isEmpty()) out.println("params: " + p);
      List<List<String>> rows = new ArrayList<>();
      for (Map<String, Object> t : tasks(r)) {
        long attempts = ((Number) t.getOrDefault("attempts", 0)).longValue();
        rows.add(List.of(str(t.get("group")) + "." + str(t.get("name")), str(t.get("status")), Long.toString(attempts),
            attempts == 0 ? "-" : Format.seconds(((Number) t.getOrDefault("duration_ms", 0)).longValue()),
            Format.clip(str(t.get("message")), 80)));
      }
      out.println();
      out.print(Format.table(List.of("TASK", "STATUS", "ATTEMPTS", "DURATION", "MESSAGE"), rows));
      if (logs) {
        for (Map<String, Object> t : tasks(r)) {
          String task = str(t.get("group")) + "." + str(t.get("name"));
          Path f = store.logFile(runId, task);
          if (!Files.exists(f)) continue;
          out.println();
          out.println("== " + task + " ==");
          out.print(Files.readString(f, StandardCharsets.UTF_8));
        }
      }
      return Main.OK;
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> tasks(Map<String, Object> r) {
    Object t = r.get("tasks");
    return t instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
  }

  static String str(Object o) {
    return o == null ? "" : o.toString();
  }

  static String duration(Map<String, Object> r) {
    try {
      Instant start = Instant.parse(str(r.get("started_at")));
      Instant end = r.get("finished_at") == null ? Instant.now() : Instant.parse(str(r.get("finished_at")));
      return Format.seconds(Duration.between(start, end).toMillis()) + (r.get("finished_at") == null ? "+" : "");
    } catch (RuntimeException e) {
      return "?";
    }
  }

  static String counts(Map<String, Object> r) {
    List<Map<String, Object>> ts = tasks(r);
    if (ts.isEmpty()) return r.get("task_count") == null ? "" : str(r.get("task_count"));
    long ok = ts.stream().filter(t -> "succeeded".equals(t.get("status"))).count();
    return ok + "/" + ts.size() + " ok";
  }
}
