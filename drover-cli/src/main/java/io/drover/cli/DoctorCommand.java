package io.drover.cli;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.WorkerRecords;
import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.drover.core.Version;
import io.drover.core.record.RunJson;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStores;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code drover doctor}: what this setup needs, checked. In single mode nothing outside this machine is needed; in
 * distributed mode: Redis reachable and recent enough, persistence that keeps tasks, authentication, live
 * workers, clocks. Exit code 1 when a check fails (warnings do not fail).
 */
@Command(
        name = "doctor",
        description = {
            "Check the setup: Redis, workers and clocks; exit code 1 when a check fails.",
            "In distributed mode: Redis reachable, >= 6.2, persistence and auth; workers alive; clock skew."
        })
final class DoctorCommand implements Callable<Integer> {
    @Option(
            names = "--redis-url",
            paramLabel = "URL",
            description =
                    "The fleet's Redis. Default: $DROVER_REDIS_URL, else [bus] redis_url in drover.toml; none means single mode.")
    String redisUrl;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "drover.toml. Default: $DROVER_CONFIG or ./drover.toml.")
    Path config;

    @Option(
            names = "--state-url",
            paramLabel = "URL",
            description = "The state store to check. Default: $DROVER_STATE_URL, else [state] url in drover.toml.")
    String stateUrl;

    @Option(names = "--json", description = "One JSON object with every check.")
    boolean json;

    @Spec
    CommandLine.Model.CommandSpec spec;

    private record Check(String name, String level, String detail) {}

    private final List<Check> checks = new ArrayList<>();

    private void add(String name, String level, String detail) {
        checks.add(new Check(name, level, detail));
    }

    @Override
    public Integer call() {
        Config cfg = Config.find(config, null);
        String url = redisUrl;
        if (url == null
                && System.getenv("DROVER_REDIS_URL") != null
                && !System.getenv("DROVER_REDIS_URL").isBlank()) url = System.getenv("DROVER_REDIS_URL");
        if (url == null) url = cfg.redisUrl();
        String mode = cfg.mode() != null ? cfg.mode() : url != null ? "distributed" : "single";
        if (mode.equals("distributed") && url == null) {
            add(
                    "redis",
                    "FAIL",
                    "distributed mode needs a Redis URL: --redis-url, $DROVER_REDIS_URL or [bus] redis_url");
        } else if (mode.equals("single")) {
            add(
                    "mode",
                    "ok",
                    "single: tasks run on this machine (and on agents named in delegate_to); no cluster checks are needed");
        } else {
            distributed(url, cfg);
        }
        state(mode.equals("distributed"));
        executor();
        return report(mode, url);
    }

    /** Where workers run their tasks, when not here ($DROVER_EXECUTOR, [worker] executor): whether that answers. */
    private void executor() {
        Settings.Executor e;
        try {
            e = Settings.load(config).executor(Settings.ExecutorFlags.NONE);
        } catch (Main.UserException ex) {
            add("executor", "FAIL", ex.getMessage());
            return;
        }
        if (e.provider() == null) return; // local: nothing more to look at
        try {
            add(
                    "executor",
                    "ok",
                    e.provider().probe(e.settings()) + " (executor " + e.name() + " from " + e.from() + ")");
        } catch (DroverException ex) {
            add("executor", "FAIL", ex.getMessage());
        }
    }

    /** The state store tasks use: opened and read once when one is configured (nothing is written). */
    private void state(boolean fleet) {
        Settings.Value v = Settings.load(config).get(Settings.Key.STATE_URL, stateUrl);
        if (v.value() == null) {
            add(
                    "state",
                    "ok",
                    "no store configured: tasks run here use " + StateStores.DEFAULT_URL
                            + (fleet ? ", workers the fleet's Redis" : ""));
            return;
        }
        String shown = StateStores.masked(v.value());
        try (StateStore store = StateStores.open(v.value(), Path.of("").toAbsolutePath(), Clock.systemUTC())) {
            store.get("doctor", "doctor");
            boolean local = StateStores.isLocalFile(v.value());
            add(
                    "state",
                    fleet && local ? "warn" : "ok",
                    shown + " (from " + v.from() + ") answers"
                            + (fleet && local ? "; a file of this machine: workers refuse it" : ""));
        } catch (RuntimeException e) {
            add("state", "FAIL", Errors.describe(e));
        }
    }

    private void distributed(String url, Config cfg) {
        add("mode", "ok", "distributed: Redis at " + RedisUrls.masked(url));
        Client client;
        try {
            client = Client.connect(url);
        } catch (RuntimeException e) {
            add("redis", "FAIL", e.getMessage());
            return;
        }
        try (client) {
            Map<String, String> server = client.serverInfo("server");
            String version = server.getOrDefault("redis_version", "?");
            add("redis", "ok", "reachable, version " + version);
            add(
                    "redis version",
                    atLeast(version, 6, 2) ? "ok" : "FAIL",
                    atLeast(version, 6, 2)
                            ? version + " >= 6.2"
                            : version + " is older than 6.2 (XAUTOCLAIM and GETEX are needed)");
            try {
                String aof = client.serverConfig("appendonly");
                add(
                        "persistence",
                        aof.equals("yes") ? "ok" : "warn",
                        aof.equals("yes")
                                ? "AOF on"
                                : "AOF is off: a Redis restart loses queued and running tasks (appendonly yes, appendfsync everysec or always)");
                String policy = client.serverConfig("maxmemory-policy");
                add(
                        "eviction",
                        policy.equals("noeviction") ? "ok" : "warn",
                        policy.equals("noeviction")
                                ? "maxmemory-policy noeviction"
                                : "maxmemory-policy " + policy
                                        + " may evict task records and streams under memory pressure; use noeviction");
            } catch (RuntimeException e) {
                add(
                        "persistence",
                        "warn",
                        "cannot read the server's configuration (CONFIG GET refused): check AOF and maxmemory-policy by hand");
            }
            boolean auth = url.matches("^[a-z-]+://[^/@]*:[^@/]+@.*") || url.matches("^[a-z-]+://[^/@:]+@.*");
            add(
                    "auth",
                    auth ? "ok" : "warn",
                    auth
                            ? "the URL carries credentials"
                            : "the URL has no password: anyone who reaches this Redis can run commands on the workers; set requirepass or ACL users");
            String agentToken = System.getenv("DROVER_AGENT_TOKEN");
            add(
                    "token",
                    agentToken != null && !agentToken.isBlank() ? "ok" : "warn",
                    agentToken != null && !agentToken.isBlank()
                            ? "DROVER_AGENT_TOKEN is set"
                            : "DROVER_AGENT_TOKEN is not set: agents must listen on loopback or get a token from drover.toml");
            Instant redisNow = client.serverTime();
            long skewMs = Math.abs(Duration.between(redisNow, Instant.now()).toMillis());
            add(
                    "clock",
                    skewMs <= 500 ? "ok" : skewMs <= 5000 ? "warn" : "FAIL",
                    "this machine and Redis differ by " + skewMs + " ms");
            workers(client, redisNow);
            controllers(client, redisNow, cfg);
        }
    }

    private void controllers(Client client, Instant redisNow, Config cfg) {
        String env = System.getenv("DROVER_TOKEN");
        String file = cfg.nodeToken();
        boolean set = env != null && !env.isBlank() || file != null && !file.isBlank();
        add(
                "controller token",
                set ? "ok" : "warn",
                env != null && !env.isBlank()
                        ? "DROVER_TOKEN is set"
                        : set
                                ? "[nodes] token of " + cfg.file() + " is set"
                                : "no controller token (DROVER_TOKEN or [nodes] token in drover.toml): controllers serve their HTTP API on loopback only");
        List<String> alive = new ArrayList<>();
        List<String> skewed = new ArrayList<>();
        for (Map<String, String> h : client.runs().controllers()) {
            String id = h.getOrDefault("id", "?");
            try {
                long age = Duration.between(Instant.parse(h.get("last_heartbeat")), redisNow)
                        .toMillis();
                if (age < 5000) alive.add(id + " (" + h.getOrDefault("role", "?") + ")");
                if (age < -1000) skewed.add(id + " (" + -age + " ms ahead)");
            } catch (RuntimeException ignored) {
                // no heartbeat time
            }
        }
        add(
                "controllers",
                alive.isEmpty() ? "warn" : "ok",
                alive.isEmpty()
                        ? "no controller is alive: drover run --redis-url schedules runs itself, drover submit waits (drover controller --redis-url ...)"
                        : alive.size() + " alive: " + String.join(", ", alive)
                                + client.runs()
                                        .leaseHolder()
                                        .map(l -> "; leader " + l.controllerId())
                                        .orElse("; none leads yet"));
        if (!skewed.isEmpty()) add("controller clocks", "warn", "clocks ahead of Redis: " + String.join(", ", skewed));
    }

    private void workers(Client client, Instant redisNow) {
        int alive = 0, late = 0, dead = 0;
        List<String> skewed = new ArrayList<>();
        for (Map<String, String> h : client.workers().list()) {
            String id = h.get("id");
            String state = WorkerRecords.liveness(h);
            switch (state) {
                case "dead" -> dead++;
                case "late" -> late++;
                default -> alive++;
            }
            try {
                long ahead = Duration.between(redisNow, Instant.parse(h.get("last_heartbeat")))
                        .toMillis();
                if (ahead > 1000) skewed.add(id + " (" + ahead + " ms ahead)");
            } catch (RuntimeException ignored) {
                // no heartbeat time
            }
            String v = h.getOrDefault("version", "");
            if (!v.isEmpty() && !WorkerRecords.compatible(v)) {
                add(
                        "worker " + id,
                        "warn",
                        "runs drover " + v + ", this is " + Version.current() + " (major.minor differ)");
            }
        }
        add(
                "workers",
                alive > 0 ? "ok" : "warn",
                alive + " alive, " + late + " late, " + dead + " dead"
                        + (alive == 0
                                ? ": queued tasks wait until a worker runs (drover worker --redis-url ...)"
                                : ""));
        add(
                "worker clocks",
                skewed.isEmpty() ? "ok" : "warn",
                skewed.isEmpty()
                        ? "no worker clock ahead of Redis by more than 1 s"
                        : "clocks ahead of Redis: " + String.join(", ", skewed));
    }

    static boolean atLeast(String version, int major, int minor) {
        try {
            String[] p = version.split("\\.");
            int ma = Integer.parseInt(p[0]), mi = Integer.parseInt(p[1]);
            return ma > major || (ma == major && mi >= minor);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private int report(String mode, String url) {
        boolean failed = checks.stream().anyMatch(c -> c.level().equals("FAIL"));
        var out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", mode);
            if (url != null) m.put("redis_url", RedisUrls.masked(url));
            m.put("ok", !failed);
            List<Map<String, String>> list = new ArrayList<>();
            for (Check c : checks) list.add(Map.of("check", c.name(), "level", c.level(), "detail", c.detail()));
            m.put("checks", list);
            out.println(RunJson.write(m, false));
        } else {
            for (Check c : checks) out.printf("%-5s %-14s %s%n", c.level(), c.name(), c.detail());
            out.println(
                    failed
                            ? "doctor: a check failed"
                            : "doctor: all checks passed"
                                    + (checks.stream().anyMatch(c -> c.level().equals("warn"))
                                            ? " (with warnings)"
                                            : ""));
        }
        out.flush();
        return failed ? Main.TASK_FAILED : Main.OK;
    }
}
