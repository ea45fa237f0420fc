package io.drover.cli;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.drover.core.Log;
import io.drover.core.Version;
import io.drover.core.lua.Json;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.record.RunJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code drover node ...}: the fleet as a controller's HTTP API shows it. */
@Command(
        name = "node",
        description = {
            "Start a fleet node, or see and steer the fleet through a controller's HTTP API.",
            "  drover node start | status | workers | drain WORKER | resume WORKER | logs [--run ID] [--follow]"
        },
        subcommands = {
            NodeCommand.Start.class,
            NodeCommand.Status.class,
            NodeCommand.Workers.class,
            NodeCommand.Drain.class,
            NodeCommand.Resume.class,
            NodeCommand.Logs.class
        })
final class NodeCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return Main.OK;
    }

    /** Where the controller is and what it demands. */
    static final class Api {
        @Option(
                names = "--controller-url",
                paramLabel = "URL",
                description = "Default: $DROVER_CONTROLLER_URL, else the leader's"
                        + " address as it registered it in the Redis of $DROVER_REDIS_URL, else http://127.0.0.1:7700.")
        String url;

        @Option(names = "--token", description = "Default: $DROVER_TOKEN.")
        String token;

        private HttpClient http; // made when a call needs it: building one sets TLS up, a third of a second

        private HttpClient http() {
            if (http == null)
                http = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
            return http;
        }

        private String found;

        String base() {
            String u = url != null ? url : System.getenv("DROVER_CONTROLLER_URL");
            if (u == null || u.isBlank()) u = fromRedis();
            if (u == null || u.isBlank()) u = "http://127.0.0.1:7700";
            return u.replaceAll("/+$", "");
        }

        /**
         * With $DROVER_REDIS_URL set, the leading controller's address as it registered it in Redis (any live one
         * when none leads); a controller bound to every interface is reached on loopback.
         */
        private String fromRedis() {
            if (found != null) return found.isEmpty() ? null : found;
            found = "";
            String redisUrl = System.getenv("DROVER_REDIS_URL");
            if (redisUrl == null || redisUrl.isBlank()) return null;
            try (var c = Client.connect(redisUrl)) {
                var runs = c.runs();
                List<String> ids = new ArrayList<>();
                runs.leaseHolder().ifPresent(l -> ids.add(l.controllerId())); // the leader first
                for (Map<String, String> h : runs.controllers()) ids.add(h.getOrDefault("id", ""));
                for (String id : ids) {
                    String http = runs.controllerRecord(id).get("http");
                    if (http == null) continue;
                    found = "http://" + http.replaceFirst("^(0\\.0\\.0\\.0|::|\\[::\\]):", "127.0.0.1:");
                    return found;
                }
            } catch (RuntimeException e) {
                // no Redis to ask: the default address
            }
            return null;
        }

        HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path));
            String t = token != null ? token : System.getenv("DROVER_TOKEN");
            if (t != null && !t.isBlank()) b.header("Authorization", "Bearer " + t);
            return b;
        }

        Object get(String path) {
            return call(request(path).timeout(Duration.ofSeconds(30)).GET().build());
        }

        Object post(String path) {
            return call(request(path)
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
        }

        private Object call(HttpRequest req) {
            HttpResponse<String> r;
            try {
                r = http().send(req, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new DroverException("cannot reach the controller at " + base() + ": " + Errors.describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DroverException("interrupted");
            }
            check(r.statusCode(), r.body());
            return Json.read(r.body());
        }

        void check(int code, String body) {
            if (code == 401)
                throw new DroverException(
                        "the controller at " + base() + " refused the token (--token or $DROVER_TOKEN)");
            if (code >= 400) {
                Object err = body == null || body.isBlank() ? null : Json.read(body);
                String msg = err instanceof Map<?, ?> m && m.get("error") != null
                        ? String.valueOf(m.get("error"))
                        : "HTTP " + code;
                throw code == 404 ? new Main.UserException(msg) : new DroverException(msg);
            }
        }

        InputStream stream(String path) {
            try {
                HttpResponse<InputStream> r = http().send(
                                request(path)
                                        .header("Accept", "text/event-stream")
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    String body;
                    try (InputStream in = r.body()) {
                        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    check(r.statusCode(), body);
                }
                return r.body();
            } catch (IOException e) {
                throw new DroverException("cannot reach the controller at " + base() + ": " + Errors.describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DroverException("interrupted");
            }
        }
    }

    /**
     * What drover.toml's {@code [nodes] role} says to run, in this process. Flags override environment variables,
     * which override the file.
     */
    @Command(
            name = "start",
            description = {
                "Start what drover.toml says: [nodes] role = controller, worker or hybrid (both in this process).",
                "Flags override environment variables ($DROVER_ROLE, $DROVER_REDIS_URL, $DROVER_TOKEN, $DROVER_QUEUE, $DROVER_CONCURRENCY), which override the file."
            })
    static final class Start implements Callable<Integer> {
        @Option(
                names = "--config",
                paramLabel = "FILE",
                description = "drover.toml. Default: $DROVER_CONFIG or ./drover.toml.")
        Path config;

        @Option(names = "--role", description = "controller, worker or hybrid.")
        String role;

        @Option(names = "--redis-url", paramLabel = "URL")
        String redisUrl;

        @Option(names = "--token", description = "What the controller's API demands.")
        String token;

        @Option(names = "--port", description = "The controller's HTTP port.")
        Integer port;

        @Option(names = "--queue", description = "The worker's queue.")
        String queue;

        @Option(
                names = {"-c", "--concurrency"},
                description = "The worker's tasks at once.")
        Integer concurrency;

        @Option(
                names = "--tags",
                split = ",",
                paramLabel = "K=V",
                description = "The worker's tags (override [worker] tags), like gpu=yes.")
        Map<String, String> tags;

        @Option(
                names = "--fail-fast",
                description = "Exit when Redis cannot be reached at start, instead of trying again with backoff.")
        boolean failFast;

        @picocli.CommandLine.Mixin
        LogOptions logging;

        @Option(
                names = "--workers",
                paramLabel = "N",
                description = "Workers in this process (default 1; [worker] workers), each with"
                        + " the concurrency given, ids ID-1..ID-N.")
        Integer workers;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            LuaInterpreter.checkSettings();
            logging.apply(Log.Level.INFO);
            Settings settings = Settings.load(config);
            Config cfg = settings.config();
            if ("single".equals(cfg.mode())) {
                throw new Main.UserException(
                        (cfg.file() == null ? "" : cfg.file() + ": ")
                                + "[nodes] mode is \"single\": there is nothing to start (drover run runs workflows here); set mode = \"distributed\"");
            }
            String r = pick(role, "DROVER_ROLE", cfg.role());
            if (r == null)
                throw new Main.UserException(
                        "no role: set [nodes] role in drover.toml, $DROVER_ROLE or --role (controller, worker or hybrid)");
            if (!List.of("controller", "worker", "hybrid").contains(r))
                throw new Main.UserException("role must be controller, worker or hybrid, not '" + r + "'");
            if (settings.get(Settings.Key.REDIS_URL, redisUrl).from().equals("the default")) {
                throw new Main.UserException(
                        "no Redis: set [bus] redis_url in drover.toml, $DROVER_REDIS_URL or --redis-url");
            }
            Controller controller = null;
            List<Worker> started = new ArrayList<>();
            var err = spec.commandLine().getErr();
            Signals signals = Signals.install();
            try {
                if (!r.equals("worker")) {
                    ControllerOptions o;
                    try {
                        o = settings.controller(new Settings.ControllerFlags(redisUrl, null, port, null, null, token))
                                .build();
                    } catch (IllegalArgumentException e) {
                        throw new Main.UserException(e.getMessage());
                    }
                    controller = Controller.start(o);
                    err.printf(
                            "drover node: controller %s on http://%s:%d%n",
                            controller.id(), o.bind(), controller.httpPort());
                }
                if (!r.equals("controller")) {
                    Integer n = workers != null ? workers : cfg.number("worker", "workers", 1, 1000);
                    int count = n == null ? 1 : n;
                    if (count < 1) throw new Main.UserException("--workers must be at least 1, not " + count);
                    String base = settings.string(Settings.Key.WORKER_ID, null);
                    if (base == null && count > 1)
                        base = settings.worker(flags(null)).build().workerId().toString();
                    for (int k = 1; k <= count; k++) {
                        WorkerOptions options;
                        try {
                            options = settings.worker(flags(count > 1 ? base + "-" + k : base))
                                    .build();
                        } catch (IllegalArgumentException e) {
                            throw new Main.UserException(e.getMessage());
                        }
                        var worker = WorkerCommand.startWhenRedisAnswers(options, failFast, signals, err);
                        if (worker == null) { // stopped while waiting for Redis
                            for (var w : started) w.shutdownNow();
                            if (controller != null) controller.close();
                            return Main.INTERRUPTED;
                        }
                        started.add(worker);
                        err.printf(
                                "drover node: worker %s, queue %s, concurrency %d%n",
                                worker.id(), options.queue(), options.concurrency());
                    }
                }
            } catch (IllegalArgumentException e) {
                for (var w : started) w.shutdownNow();
                if (controller != null) controller.close();
                throw new Main.UserException(e.getMessage());
            }
            err.printf(
                    "drover node %s: redis %s, version %s%n",
                    r, RedisUrls.masked(settings.string(Settings.Key.REDIS_URL, redisUrl)), Version.current());
            err.flush();
            var ctl = controller;
            var wrk = List.copyOf(started);
            signals.attach(new Signals.Target() {
                @Override
                public void stop(String signal) {
                    System.err.println("drover node: stopping (" + signal + ")");
                    Thread.ofPlatform().start(() -> {
                        for (var w : wrk) w.shutdown();
                        if (ctl != null) ctl.close();
                    });
                }

                @Override
                public void stopNow(String signal) {
                    System.err.println("drover node: stopping now, handing running tasks back");
                    for (var w : wrk)
                        w.shutdownNow(); // hands tasks back and removes the workers' records, as drover worker does
                    for (var w : wrk) {
                        try {
                            w.awaitTermination(Duration.ofSeconds(5));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    Runtime.getRuntime().halt(Main.INTERRUPTED);
                }
            });
            for (var w : wrk)
                while (!w.awaitTermination(Duration.ofSeconds(1))) {
                    /* until stopped */
                }
            if (ctl != null) ctl.awaitStop();
            return Main.OK;
        }

        /** The worker settings this command's flags give ({@link Settings} fills in the rest). */
        Settings.WorkerFlags flags(String workerId) {
            return new Settings.WorkerFlags(
                    redisUrl,
                    queue,
                    concurrency,
                    workerId,
                    null,
                    null,
                    null,
                    tags,
                    null,
                    null,
                    null,
                    null,
                    Settings.ExecutorFlags.NONE);
        }

        /** The flag, else the environment variable, else the file's value. */
        private static String pick(String flag, String env, String file) {
            if (flag != null && !flag.isBlank()) return flag;
            String e = env == null ? null : System.getenv(env);
            if (e != null && !e.isBlank()) return e;
            return file;
        }
    }

    @Command(
            name = "status",
            description = "Leader, controllers, workers, queue depths, active runs and alerts firing.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Api api;

        @Option(names = "--json", description = "One JSON object.")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() {
            Map<String, Object> s = (Map<String, Object>) api.get("/status");
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(RunJson.write(s, false));
                return Main.OK;
            }
            Map<String, Object> leader = (Map<String, Object>) s.getOrDefault("leader", Map.of());
            out.println("leader: "
                    + (leader.isEmpty()
                            ? "none (no controller holds the lease)"
                            : leader.get("id") + " (epoch " + leader.get("epoch") + ")"));
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> c : (List<Map<String, Object>>) s.getOrDefault("controllers", List.of())) {
                rows.add(List.of(
                        str(c.get("id")),
                        str(c.get("role")),
                        str(c.get("epoch")),
                        str(c.get("http")),
                        str(c.get("version")),
                        str(c.get("runs")),
                        str(c.get("last_heartbeat"))));
            }
            out.print(Format.table(
                    List.of("CONTROLLER", "ROLE", "EPOCH", "HTTP", "VERSION", "RUNS", "LAST HEARTBEAT"), rows));
            Map<String, Object> workers = (Map<String, Object>) s.getOrDefault("workers", Map.of());
            out.println("workers: " + (workers.isEmpty() ? "none" : join(workers)));
            Map<String, Object> queues = (Map<String, Object>) s.getOrDefault("queues", Map.of());
            List<String> qs = new ArrayList<>();
            queues.forEach((q, v) -> qs.add(q + " " + ((Map<String, Object>) v).get("depth") + " waiting"));
            out.println("queues: " + String.join(", ", qs));
            out.println("active runs: " + s.get("active_runs"));
            List<Map<String, Object>> alerts = (List<Map<String, Object>>) s.getOrDefault("alerts", List.of());
            if (alerts.isEmpty()) out.println("alerts: none");
            for (Map<String, Object> a : alerts) out.println("alert " + a.get("severity") + ": " + a.get("message"));
            return alerts.stream().anyMatch(a -> "critical".equals(a.get("severity"))) ? Main.TASK_FAILED : Main.OK;
        }
    }

    private static String join(Map<String, Object> m) {
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(v + " " + k));
        return String.join(", ", parts);
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    @Command(name = "workers", description = "Every worker: running, draining, stopping, incompatible, late or dead.")
    static final class Workers implements Callable<Integer> {
        @Mixin
        Api api;

        @Option(names = "--json", description = "One JSON array.")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() {
            List<Map<String, String>> rows = new ArrayList<>();
            for (Object o : (List<Object>) api.get("/workers")) {
                Map<String, String> m = new LinkedHashMap<>();
                ((Map<String, Object>) o).forEach((k, v) -> m.put(k, str(v)));
                rows.add(m);
            }
            WorkerCommand.printWorkers(spec.commandLine().getOut(), rows, json);
            return Main.OK;
        }
    }

    @Command(
            name = "drain",
            description =
                    "A worker stops claiming tasks, finishes what it runs, shows DRAINING and keeps heartbeating.")
    static final class Drain implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "WORKER")
        String worker;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return drain(api, spec, worker, true);
        }
    }

    @Command(name = "resume", description = "A drained worker claims tasks again.")
    static final class Resume implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "WORKER")
        String worker;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return drain(api, spec, worker, false);
        }
    }

    private static int drain(Api api, CommandLine.Model.CommandSpec spec, String worker, boolean drain) {
        api.post("/workers/" + worker + (drain ? "/drain" : "/resume"));
        spec.commandLine()
                .getOut()
                .println("worker " + worker + (drain ? " drains: no new tasks" : " claims tasks again")
                        + " from its next heartbeat on");
        return Main.OK;
    }

    @Command(
            name = "logs",
            description =
                    "Task state changes and log lines of every run (or one): the recent ones, or with --follow as they come.")
    static final class Logs implements Callable<Integer> {
        @Mixin
        Api api;

        @Option(names = "--run", paramLabel = "ID", description = "Only this run.")
        String run;

        @Option(
                names = {"-f", "--follow"},
                description = "Keep streaming until interrupted; with --run, until the run has ended.")
        boolean follow;

        @Option(names = "--json", description = "One JSON object a line.")
        boolean json;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        @SuppressWarnings("unchecked")
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            if (run != null)
                api.get("/runs/" + URLEncoder.encode(run, StandardCharsets.UTF_8)); // an unknown run is an error
            String path =
                    "/events?after=0" + (run == null ? "" : "&run=" + URLEncoder.encode(run, StandardCharsets.UTF_8));
            try (InputStream in = api.stream(path);
                    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                long quietSince = System.nanoTime();
                String line;
                // Without --follow: what is there now; the stream goes quiet once it has sent the backlog.
                while ((line = readLine(r, follow, quietSince)) != null) {
                    if (!line.startsWith("data: ")) continue;
                    quietSince = System.nanoTime();
                    Map<String, Object> e = (Map<String, Object>) Json.read(line.substring(6));
                    if (json) out.println(RunJson.write(e, false));
                    else out.println(format(e));
                    out.flush();
                }
            }
            return Main.OK;
        }

        private static String readLine(BufferedReader r, boolean follow, long quietSince) throws IOException {
            if (follow) return r.readLine();
            while (!r.ready()) {
                if (System.nanoTime() - quietSince > 1_000_000_000L) return null;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return null;
                }
            }
            return r.readLine();
        }

        private static String format(Map<String, Object> e) {
            String run = str(e.get("run"));
            String prefix = run.isEmpty() ? "" : run + " ";
            return switch (str(e.get("type"))) {
                case "log" -> prefix + str(e.get("task")) + " | " + str(e.get("line"));
                case "state" ->
                    prefix + str(e.get("task")) + " " + str(e.get("from")).toLowerCase(Locale.ROOT) + " -> "
                            + str(e.get("to")).toLowerCase(Locale.ROOT)
                            + (str(e.get("attempt")).equals("1")
                                            || str(e.get("attempt")).equals("0")
                                    ? ""
                                    : " (attempt " + e.get("attempt") + ")")
                            + (str(e.get("message")).isEmpty() ? "" : ": " + e.get("message"));
                case "run" -> prefix + "run " + str(e.get("state")).toLowerCase(Locale.ROOT);
                default -> prefix + str(e.get("message"));
            };
        }
    }
}
