package io.drover.cli;

import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Sizes;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.wire.EntryKind;
import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.Versions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.model.RunId;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drover runs list} and {@code drover runs show ID}: the runs recorded under {@code .drover/runs}. */
@Command(
        name = "runs",
        description = {
            "Runs recorded in this directory (.drover/runs), and with --redis-url the runs on the controllers.",
            "  drover runs list [--redis-url URL] | show ID | status ID | cancel ID | files ID [--get PATH]"
        },
        subcommands = {
            RunsCommand.ListRuns.class,
            RunsCommand.ShowRun.class,
            RunsCommand.RunStatusCommand.class,
            RunsCommand.CancelRun.class,
            RunsCommand.RunFiles.class
        })
final class RunsCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.OK;
    }

    static RunStore store() {
        return RunStore.in(Path.of("").toAbsolutePath());
    }

    @Command(
            name = "list",
            description =
                    "List recorded runs, newest first; with --redis-url (or $DROVER_REDIS_URL) the runs on the controllers.")
    static final class ListRuns implements Callable<Integer> {
        @Option(names = "--json", description = "One JSON array on stdout.")
        boolean json;

        @picocli.CommandLine.Mixin
        RedisOption redis;

        @Option(
                names = {"-n", "--limit"},
                defaultValue = "20",
                description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(
                names = "--local",
                description = "This directory's runs (.drover/runs), even when $DROVER_REDIS_URL is set.")
        boolean local;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (local && redis.url != null) throw new Main.UserException("--local and --redis-url: choose one");
            if (limit < 1) throw new Main.UserException("--limit must be at least 1, not " + limit);
            if (!local && (redis.url != null || System.getenv("DROVER_REDIS_URL") != null)) return fleet(out);
            RunStore store = store();
            List<String> ids = store.list();
            List<Map<String, Object>> records = new ArrayList<>();
            for (String id : ids.subList(0, Math.min(limit, ids.size())))
                store.read(id).ifPresent(records::add);
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
                rows.add(List.of(
                        str(r.get("run_id")),
                        str(r.get("status")),
                        str(r.get("started_at")).replace('T', ' ').replaceAll("\\.\\d+Z$", "Z"),
                        duration(r),
                        counts(r),
                        str(r.get("workflow"))));
            }
            out.print(Format.table(List.of("RUN", "STATUS", "STARTED", "DURATION", "TASKS", "WORKFLOW"), rows));
            return Main.OK;
        }

        private int fleet(PrintWriter out) {
            try (var c = Client.connect(redis.url())) {
                var runs = c.runs().list(limit);
                if (json) {
                    List<Map<String, String>> rows = new ArrayList<>();
                    for (var v : runs) rows.add(v.fields());
                    out.println(RunJson.write(rows, false));
                    return Main.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (var v : runs) {
                    Map<String, String> f = v.fields();
                    rows.add(List.of(
                            f.getOrDefault("id", ""),
                            f.getOrDefault("state", "").toLowerCase(Locale.ROOT),
                            f.getOrDefault("submitted_at", "").replace('T', ' ').replaceAll("\\.\\d+Z$", "Z"),
                            f.getOrDefault("task_count", ""),
                            f.getOrDefault("queue", ""),
                            f.getOrDefault("controller", ""),
                            f.getOrDefault("workflow", "")));
                }
                if (rows.isEmpty()) out.println("no runs on the controllers at " + RedisUrls.masked(redis.url()));
                else
                    out.print(Format.table(
                            List.of("RUN", "STATE", "SUBMITTED", "TASKS", "QUEUE", "CONTROLLER", "WORKFLOW"), rows));
                return Main.OK;
            }
        }
    }

    @Command(
            name = "status",
            description = "One run on the controllers: its state and every task's (drover submit / run --redis-url).")
    static final class RunStatusCommand implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The run id.")
        String id;

        @Option(names = "--json", description = "One JSON object.")
        boolean json;

        @picocli.CommandLine.Mixin
        RedisOption redis;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (var c = Client.connect(redis.url())) {
                printRun(spec.commandLine().getOut(), runOnControllers(c, id, redis.url()), json);
                return Main.OK;
            }
        }
    }

    /** A run on the controllers, or one line saying there is none. */
    static RunRecords.RunView runOnControllers(Client c, String id, String url) {
        return RunId.tryParse(id) // what is no run id names no run
                .flatMap(c.runs()::get)
                .orElseThrow(() ->
                        new Main.UserException("no run '" + id + "' on the controllers at " + RedisUrls.masked(url)));
    }

    /** A run on the controllers, as {@code runs status} and {@code node} show it. */
    static void printRun(PrintWriter out, RunRecords.RunView v, boolean json) {
        if (json) {
            out.println(RunJson.write(RunRecords.toMap(v), false));
            return;
        }
        Map<String, String> f = v.fields();
        out.println("run " + v.id() + ": " + v.state().toLowerCase(Locale.ROOT) + " (" + f.getOrDefault("workflow", "")
                + ", queue " + f.getOrDefault("queue", "") + ", submitted " + f.getOrDefault("submitted_at", "")
                + (f.containsKey("controller")
                        ? ", controller " + f.get("controller") + " epoch " + f.getOrDefault("epoch", "")
                        : "")
                + ")");
        if (f.containsKey("message")) out.println(f.get("message"));
        if (!v.tasks().isEmpty()) {
            out.println();
            out.print(Format.tasks(
                    v.tasks().values().stream().map(RunCommand::row).toList()));
        }
    }

    @Command(
            name = "cancel",
            description = "Cancel a run on the controllers: queued tasks never start, running ones are killed.")
    static final class CancelRun implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The run id.")
        String id;

        @picocli.CommandLine.Mixin
        RedisOption redis;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (var c = Client.connect(redis.url())) {
                boolean requested = RunId.tryParse(id)
                        .map(run -> c.runs().requestCancel(run, "cancelled by drover runs cancel"))
                        .orElse(false);
                if (!requested) {
                    throw new Main.UserException("no active run '" + id + "' on the controllers (ended or unknown)");
                }
                spec.commandLine()
                        .getOut()
                        .println("cancel of run " + id + " requested; the leading controller stops its tasks");
                return Main.OK;
            }
        }
    }

    @Command(
            name = "files",
            description = {
                "The files a run on the controllers left on the fleet (what drover run applies to its workdir).",
                "--get PATH prints one file's content."
            })
    static final class RunFiles implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The run id.")
        String id;

        @Option(names = "--get", paramLabel = "PATH", description = "Print this file's content (a path of the list).")
        String get;

        @Option(names = "--json", description = "One JSON array: path, kind, size, mode, sha256 (or link target).")
        boolean json;

        @picocli.CommandLine.Mixin
        RedisOption redis;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            try (var c = Client.connect(redis.url())) {
                var v = runOnControllers(c, id, redis.url());
                String head = RunRecords.filesOf(v.fields())
                        .orElseThrow(() -> new Main.UserException("run " + id + " has no files on the fleet"));
                FleetFiles files;
                try {
                    files = FleetFiles.fromEnvironment(c.blobs(), c.retention());
                } catch (IllegalArgumentException e) {
                    throw new Main.UserException(e.getMessage());
                }
                List<FileEntry> listing;
                try {
                    listing = new Versions(files).resolve(head);
                } catch (TransferRejected e) {
                    throw new Main.UserException("run " + id + ": " + e.getMessage());
                }
                return get == null ? list(listing) : get(files, listing);
            }
        }

        private int list(List<FileEntry> listing) {
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (FileEntry e : listing) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("path", e.path());
                    m.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
                    m.put("size", e.size());
                    m.put("mode", String.format("%04o", e.mode()));
                    if (e.isFile()) m.put("sha256", e.hashHex());
                    if (!e.linkTarget().isEmpty()) m.put("target", e.linkTarget());
                    rows.add(m);
                }
                out.println(RunJson.write(rows, false));
                return Main.OK;
            }
            if (listing.isEmpty()) {
                out.println("run " + id + " has no files");
                return Main.OK;
            }
            List<List<String>> rows = new ArrayList<>();
            for (FileEntry e : listing) {
                rows.add(List.of(
                        e.path() + (e.kind() == EntryKind.DIRECTORY ? "/" : ""),
                        e.isFile()
                                ? Sizes.format(e.size())
                                : e.kind() == EntryKind.SYMLINK ? "-> " + e.linkTarget() : "",
                        String.format("%04o", e.mode())));
            }
            out.print(Format.table(List.of("PATH", "SIZE", "MODE"), rows));
            return Main.OK;
        }

        private int get(FleetFiles files, List<FileEntry> listing) throws IOException {
            FileEntry e = listing.stream()
                    .filter(x -> x.path().equals(get))
                    .findFirst()
                    .orElseThrow(() -> new Main.UserException("run " + id + " has no file '" + get + "'"));
            if (!e.isFile())
                throw new Main.UserException(
                        "'" + get + "' is a " + e.kind().name().toLowerCase(Locale.ROOT) + ", not a file");
            Path tmp = Files.createTempFile("drover-get-", ".part");
            try {
                files.download(Map.of(e.hashHex(), e.size()), h -> tmp);
                spec.commandLine().getOut().flush();
                Files.copy(tmp, System.out);
                System.out.flush();
            } catch (TransferRejected x) {
                throw new Main.UserException("run " + id + ": " + x.getMessage());
            } finally {
                Files.deleteIfExists(tmp);
            }
            return Main.OK;
        }
    }

    @Command(name = "show", description = "Show one run: every task's result; with --logs, their logs.")
    static final class ShowRun implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "A run id, a unique prefix of one, or 'last'.")
        String id;

        @Option(names = "--json", description = "The run record as JSON.")
        boolean json;

        @Option(names = "--logs", description = "Also print each task's log.")
        boolean logs;

        @Spec
        CommandLine.Model.CommandSpec spec;

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
            out.println("run " + runId + ": " + str(r.get("status")) + " (" + str(r.get("workflow")) + ", started "
                    + str(r.get("started_at")) + ", " + duration(r) + ")");
            if (r.get("params") instanceof Map<?, ?> p && !p.isEmpty()) out.println("params: " + p);
            List<Format.TaskRow> rows = new ArrayList<>();
            for (Map<String, Object> t : tasks(r)) {
                rows.add(new Format.TaskRow(
                        str(t.get("group")) + "." + str(t.get("name")),
                        str(t.get("status")),
                        ((Number) t.getOrDefault("attempts", 0)).longValue(),
                        ((Number) t.getOrDefault("duration_ms", 0)).longValue(),
                        str(t.get("worker")),
                        str(t.get("message"))));
            }
            out.println();
            out.print(Format.tasks(rows));
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
