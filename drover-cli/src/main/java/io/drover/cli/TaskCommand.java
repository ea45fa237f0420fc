package io.drover.cli;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskStatus;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.drover.core.Suggestions;
import io.drover.core.WorkflowException;
import io.drover.core.engine.SecretMasker;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaBody;
import io.drover.core.model.Backoff;
import io.drover.core.model.Durations;
import io.drover.core.record.RunJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drover task submit|status|list|cancel}: tasks on a Redis queue. */
@Command(
        name = "task",
        description = "Tasks on a Redis queue.",
        subcommands = {
            TaskCommand.Submit.class,
            TaskCommand.Status.class,
            TaskCommand.ListTasks.class,
            TaskCommand.Cancel.class,
            TaskCommand.Logs.class
        })
final class TaskCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.OK;
    }

    @Command(
            name = "submit",
            description =
                    "Put a task on a queue and print its id: a shell command after --, or --lua CODE, or --from FILE.jsonl.")
    static final class Submit implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Option(
                names = "--retries",
                defaultValue = "0",
                paramLabel = "N",
                description =
                        "Attempts after a failed one, 0 to 1000."
                                + " Default 0, as for a workflow's tasks: a command is run again only when it is said to be safe to repeat.")
        int retries;

        @Option(
                names = "--backoff",
                paramLabel = "DURATION",
                description = "The wait before the first retry, like 2s; it doubles"
                        + " each time, with jitter, up to 5m. Default 1s.")
        String backoff;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "Limit of one attempt, like 10m.")
        String timeout;

        @Option(names = "--queue", defaultValue = "default", paramLabel = "QUEUE")
        String queue;

        @Option(
                names = {"-p", "--param"},
                paramLabel = "KEY=VALUE",
                description = "A parameter of the task: the params table of"
                        + " a --lua body, $DROVER_PARAM_KEY of a shell command. Repeatable.")
        Map<String, String> params = new LinkedHashMap<>();

        @Option(
                names = {"-e", "--env"},
                paramLabel = "NAME=VALUE",
                description = "An environment variable of the task. Repeatable.")
        Map<String, String> env = new LinkedHashMap<>();

        @Option(
                names = "--lua",
                paramLabel = "CODE",
                description = "The body of a Lua function (params) returning ok, message, outputs.")
        String lua;

        @Option(
                names = "--idempotency-key",
                paramLabel = "KEY",
                description = "Submitting the same key again returns the first task.")
        String idempotencyKey;

        @Option(
                names = "--tags",
                split = ",",
                paramLabel = "K=V",
                description = "Only workers with all these tags take the task, like gpu=yes.")
        Map<String, String> tags = new LinkedHashMap<>();

        @Option(
                names = "--from",
                paramLabel = "FILE",
                description =
                        "One JSON object a line: command or lua, retries, timeout, queue, idempotency_key, tags (an object).")
        Path from;

        @Parameters(
                paramLabel = "COMMAND",
                arity = "0..*",
                description =
                        "After --: one argument is a shell command line "
                                + "('make && make test'); several are a command and its arguments, each passed as given (sh -c 'echo a; echo b').")
        List<String> command = new ArrayList<>();

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            List<TaskSubmission> subs = new ArrayList<>();
            try {
                if (from != null) {
                    int n = 0;
                    for (String line : lines(from)) {
                        n++;
                        if (line.isBlank()) continue;
                        subs.add(fromJson(line, from + ":" + n));
                    }
                } else if (lua != null) {
                    subs.add(flags(checkedLua(lua, "--lua")));
                } else if (!command.isEmpty()) {
                    subs.add(flags(TaskSubmission.shell(commandLine(command))));
                } else {
                    throw new Main.UserException(
                            "nothing to submit: give a command after --, --lua CODE or --from FILE");
                }
            } catch (IllegalArgumentException e) {
                throw new Main.UserException(e.getMessage());
            }
            try (Client c = Client.connect(redis.url())) {
                PrintWriter out = spec.commandLine().getOut();
                for (String id : c.submitAll(subs)) out.println(id);
            }
            return Main.OK;
        }

        private TaskSubmission flags(TaskSubmission s) {
            TaskSubmission t = options(s, retries, timeout, queue, idempotencyKey)
                    .withTags(tags)
                    .withParams(params)
                    .withEnv(env);
            return backoff == null ? t : t.withBackoff(Backoff.startingAt(Durations.parse(backoff)));
        }

        private static List<String> lines(Path file) {
            try {
                return Files.readAllLines(file);
            } catch (NoSuchFileException e) {
                throw new Main.UserException("--from: no such file: " + file);
            } catch (CharacterCodingException e) {
                throw new Main.UserException("--from: " + file + " is not UTF-8 text");
            } catch (IOException e) {
                throw new Main.UserException("--from: cannot read " + file + ": " + Errors.describe(e));
            }
        }

        /** A Lua task whose body compiles, as the worker will compile it (nothing that fails there is queued). */
        private static TaskSubmission checkedLua(String body, String where) {
            try {
                LuaBody.check(body);
            } catch (WorkflowException e) {
                throw new IllegalArgumentException(where + ": the Lua body does not compile: " + e.getMessage());
            }
            return TaskSubmission.lua(body);
        }

        private static TaskSubmission options(TaskSubmission s, int retries, String timeout, String queue, String key) {
            TaskSubmission t = s.withRetries(retries).withQueue(queue).withIdempotencyKey(key);
            return timeout == null ? t : t.withTimeout(Durations.parse(timeout));
        }

        /** An object of strings: tags, params or env of a --from line. */
        private static Map<String, String> tagsOf(Object o, String where, String field) {
            if (o == null) return Map.of();
            if (!(o instanceof Map<?, ?> m))
                throw new IllegalArgumentException(
                        where + ": \"" + field + "\" must be an object like {\"name\": \"value\"}");
            Map<String, String> t = new LinkedHashMap<>();
            m.forEach((k, v) -> t.put(String.valueOf(k), String.valueOf(v)));
            return t;
        }

        private static final List<String> FROM_FIELDS = List.of(
                "command", "lua", "retries", "backoff", "timeout", "queue", "idempotency_key", "tags", "params", "env");

        private static TaskSubmission fromJson(String line, String where) {
            Object o;
            try {
                o = Json.read(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException(where + ": expected a JSON object");
            for (Object k : m.keySet()) {
                if (!FROM_FIELDS.contains(String.valueOf(k))) {
                    throw new IllegalArgumentException(where + ": unknown field '" + Terminal.escape(String.valueOf(k))
                            + "'" + Suggestions.didYouMean(String.valueOf(k), FROM_FIELDS));
                }
            }
            TaskSubmission base;
            if (m.get("command") != null) base = TaskSubmission.shell(String.valueOf(m.get("command")));
            else if (m.get("lua") != null) base = checkedLua(String.valueOf(m.get("lua")), where);
            else throw new IllegalArgumentException(where + ": needs \"command\" or \"lua\"");
            Object retriesValue = m.get("retries");
            if (retriesValue != null && !(retriesValue instanceof Integer || retriesValue instanceof Long)) {
                throw new IllegalArgumentException(where + ": \"retries\" must be a whole number from 0 to 1000");
            }
            int r = retriesValue == null ? 0 : ((Number) retriesValue).intValue();
            try {
                TaskSubmission t = options(
                                base,
                                r,
                                m.get("timeout") == null ? null : String.valueOf(m.get("timeout")),
                                m.get("queue") == null ? "default" : String.valueOf(m.get("queue")),
                                m.get("idempotency_key") == null ? null : String.valueOf(m.get("idempotency_key")))
                        .withTags(tagsOf(m.get("tags"), where, "tags"))
                        .withParams(tagsOf(m.get("params"), where, "params"))
                        .withEnv(tagsOf(m.get("env"), where, "env"));
                return m.get("backoff") == null
                        ? t
                        : t.withBackoff(Backoff.startingAt(Durations.parse(String.valueOf(m.get("backoff")))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "status", description = "One task's state, attempts, message, outputs and errors.")
    static final class Status implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--json")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Client c = Client.connect(redis.url())) {
                TaskStatus s = c.status(id)
                        .orElseThrow(() -> new Main.UserException("no task '" + id + "' (unknown or expired)"));
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(RunJson.write(s.toMap(), false));
                } else {
                    out.printf("%s: %s (%s)%n", s.id(), s.state().toLowerCase(Locale.ROOT), s.attempts());
                    Map<String, Object> m = s.toMap();
                    StringBuilder times = new StringBuilder("submitted " + m.get("submitted_at"));
                    if (m.get("started_at") != null) times.append(", started ").append(m.get("started_at"));
                    if (m.get("finished_at") != null)
                        times.append(", finished ").append(m.get("finished_at"));
                    if (s.durationMillis() != null)
                        times.append(", ran ").append(Durations.format(Duration.ofMillis(s.durationMillis())));
                    out.println(times);
                    if (s.worker() != null && !s.worker().isEmpty()) out.println("worker: " + s.worker());
                    if (!s.message().isEmpty()) out.println("message: " + s.message());
                    if (!s.outputs().isEmpty())
                        out.println("outputs: " + Json.write(SecretMasker.outputsMaskedByKey(s.outputs())));
                    for (String e : s.errors()) out.println("error: " + e);
                }
                return Main.OK;
            }
        }
    }

    @Command(name = "list", description = "Tasks of a queue, newest first.")
    static final class ListTasks implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Option(names = "--status", description = "pending, running, retrying, succeeded, failed, cancelled, or dead.")
        String status;

        static final List<String> STATES =
                List.of("pending", "running", "retrying", "succeeded", "failed", "cancelled", "dead");

        @Option(names = "--queue", defaultValue = "default", paramLabel = "QUEUE")
        String queue;

        @Option(
                names = "--all-queues",
                description = "Tasks of every queue (drover queue list shows them), newest first.")
        boolean allQueues;

        @Option(
                names = {"-n", "--limit"},
                defaultValue = "50",
                paramLabel = "N")
        int limit;

        @Option(names = "--json")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (status != null && !STATES.contains(status.toLowerCase(Locale.ROOT))) {
                throw new Main.UserException("--status must be one of " + String.join(", ", STATES) + ", not '"
                        + Terminal.escape(status) + "'" + Suggestions.didYouMean(status, STATES));
            }
            if (limit < 1) throw new Main.UserException("--limit must be at least 1, not " + limit);
            try (Client c = Client.connect(redis.url())) {
                List<TaskStatus> tasks = new ArrayList<>();
                for (String q : allQueues ? c.queues() : Set.of(queue)) tasks.addAll(c.list(q, status, limit));
                if (allQueues) {
                    tasks.sort(Comparator.comparingLong(TaskStatus::submittedMicros)
                            .reversed());
                    if (tasks.size() > limit) tasks = new ArrayList<>(tasks.subList(0, limit));
                }
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(
                            RunJson.write(tasks.stream().map(TaskStatus::toMap).toList(), false));
                    return Main.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (TaskStatus s : tasks) {
                    Long ran = s.durationMillis();
                    rows.add(List.of(
                            s.id(),
                            s.state().toLowerCase(Locale.ROOT),
                            s.attempts(),
                            s.worker() == null ? "" : s.worker(),
                            ran == null ? "" : Durations.format(Duration.ofMillis(ran)),
                            Format.clip(s.message(), 60),
                            Format.clip(s.command(), 40)));
                }
                out.print(Format.table(
                        List.of("TASK", "STATE", "ATTEMPTS", "WORKER", "RAN", "MESSAGE", "COMMAND"), rows));
                return Main.OK;
            }
        }
    }

    /**
     * The shell command line a task runs: one argument is taken as a command line as it is; several are a command
     * and its arguments, each quoted for the shell where it needs it, so they reach the command as they were typed.
     */
    static String commandLine(List<String> args) {
        if (args.size() == 1) return args.get(0);
        StringBuilder sb = new StringBuilder();
        for (String a : args) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    private static String stateLine(String state, String attempt, String worker, String message) {
        return "--- " + state.toLowerCase(Locale.ROOT) + (attempt == null ? "" : " (attempt " + attempt + ")")
                + (worker == null ? "" : " on " + worker) + (message.isEmpty() ? "" : ": " + message) + " ---";
    }

    @Command(name = "logs", description = "A task's log lines and state changes; with --follow, until it has finished.")
    static final class Logs implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Parameters(paramLabel = "ID")
        String id;

        @Option(
                names = {"-f", "--follow"},
                description = "Keep printing as events come, until the task has finished.")
        boolean follow;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Client c = Client.connect(redis.url())) {
                PrintWriter out = spec.commandLine().getOut();
                String after = "0";
                boolean done = false;
                // state events are written only for tasks someone follows (or that log)
                if (follow ? !c.follow(id) : c.status(id).isEmpty()) {
                    if (c.events(id, "0", 0).isEmpty())
                        throw new Main.UserException("no task '" + id + "' (unknown or expired)");
                }
                String lastState = null;
                while (true) {
                    List<Client.TaskEvent> events = c.events(id, after, follow && !done ? 1000 : 0);
                    for (Client.TaskEvent e : events) {
                        after = e.streamId();
                        Map<String, String> f = e.fields();
                        if ("log".equals(f.get("type"))) {
                            // a line a stalled worker sends after the task ended (someone else finished it) is not its
                            // log
                            if (!done) out.println(Terminal.escape(f.getOrDefault("line", "")));
                        } else if ("state".equals(f.get("type"))) {
                            // the claim and the worker may both announce one start: one header per state and attempt
                            String state = f.getOrDefault("state", "") + "/" + f.get("attempt");
                            if (!state.equals(lastState) && !done) {
                                out.println(stateLine(
                                        f.getOrDefault("state", ""),
                                        f.get("attempt"),
                                        f.get("worker"),
                                        f.getOrDefault("message", "")));
                            }
                            lastState = state;
                        }
                        done |= e.isFinal();
                    }
                    if (!done && events.isEmpty()) {
                        // a quiet task that ended before anyone followed it has no end event: its record has the end
                        TaskStatus s = c.status(id).orElse(null);
                        if (s != null && s.isFinished()) {
                            out.println(stateLine(s.state(), Integer.toString(s.attempt()), null, s.message()));
                            done = true;
                        }
                    }
                    out.flush();
                    if (!follow || done) {
                        if (events.isEmpty() || !follow) return Main.OK;
                    }
                }
            } catch (DroverException e) {
                throw new Main.UserException(e.getMessage());
            }
        }
    }

    @Command(name = "cancel", description = "Cancel a task: a queued one never starts, a running one is killed.")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        RedisOption redis;

        @Parameters(paramLabel = "ID")
        String id;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try (Client c = Client.connect(redis.url())) {
                spec.commandLine().getOut().println(id + ": " + c.cancel(id).toLowerCase(Locale.ROOT));
                return Main.OK;
            } catch (DroverException e) {
                throw new Main.UserException(e.getMessage());
            }
        }
    }
}
