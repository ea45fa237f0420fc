package io.drover.cli;

import io.drover.agent.sync.Sizes;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.worker.AttemptExecutorProvider;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.DroverException;
import io.drover.core.InvalidInputException;
import io.drover.core.model.Durations;
import io.drover.core.state.StateStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Where each setting of a fleet node comes from, the same for {@code drover worker}, {@code drover controller} and
 * {@code drover node start}: its flag, else its environment variable, else drover.toml, else its default. A bad
 * value is invalid input (exit 2) naming where it came from.
 *
 * <table>
 *   <tr><th>setting</th><th>flag</th><th>environment</th><th>drover.toml</th><th>default</th></tr>
 *   <tr><td>Redis</td><td>--redis-url</td><td>DROVER_REDIS_URL</td><td>[bus] redis_url</td><td>redis://127.0.0.1:6379</td></tr>
 *   <tr><td>queue</td><td>--queue</td><td>DROVER_QUEUE</td><td>[worker] queue</td><td>default</td></tr>
 *   <tr><td>concurrency</td><td>-c</td><td>DROVER_CONCURRENCY</td><td>[worker] concurrency</td><td>1</td></tr>
 *   <tr><td>worker id</td><td>--worker-id</td><td>DROVER_WORKER_ID</td><td>[worker] id</td><td>host-pid-random</td></tr>
 *   <tr><td>worker lease</td><td>--lease</td><td>DROVER_WORKER_LEASE</td><td>[worker] lease</td><td>30s</td></tr>
 *   <tr><td>grace</td><td>--grace</td><td>DROVER_WORKER_GRACE</td><td>[worker] grace</td><td>30s</td></tr>
 *   <tr><td>workdir</td><td>--workdir</td><td>DROVER_WORKER_WORKDIR</td><td>[worker] workdir</td><td>a temporary directory</td></tr>
 *   <tr><td>file store</td><td>--file-store</td><td>DROVER_FILE_STORE</td><td>[worker] file_store</td><td>none</td></tr>
 *   <tr><td>files inline max</td><td>--files-inline-max</td><td>DROVER_FILES_INLINE_MAX</td><td>[worker] files_inline_max</td><td>16m</td></tr>
 *   <tr><td>files cache</td><td>--files-cache</td><td>DROVER_FILES_CACHE_MAX</td><td>[worker] files_cache</td><td>2g</td></tr>
 *   <tr><td>tags</td><td>--tags</td><td>DROVER_WORKER_TAGS (k=v,...)</td><td>[worker] tags</td><td>none</td></tr>
 *   <tr><td>controller id</td><td>--id</td><td>DROVER_CONTROLLER_ID</td><td>[controller] id</td><td>ctl-host-pid</td></tr>
 *   <tr><td>port</td><td>--port</td><td>DROVER_CONTROLLER_PORT</td><td>[controller] port</td><td>7700</td></tr>
 *   <tr><td>bind</td><td>--bind</td><td>DROVER_CONTROLLER_BIND</td><td>[controller] bind</td><td>127.0.0.1</td></tr>
 *   <tr><td>controller lease</td><td>--lease</td><td>DROVER_CONTROLLER_LEASE</td><td>[controller] lease</td><td>2s</td></tr>
 *   <tr><td>state store</td><td>--state-url</td><td>DROVER_STATE_URL</td><td>[state] url</td><td>sqlite:.drover/state.db (run, agent); the fleet's Redis (worker)</td></tr>
 *   <tr><td>executor</td><td>--executor</td><td>DROVER_EXECUTOR</td><td>[worker] executor</td><td>local</td></tr>
 *   <tr><td>Temporal</td><td>--temporal-host</td><td>TEMPORAL_HOST</td><td>[temporal] host</td><td>localhost:7233</td></tr>
 *   <tr><td>namespace</td><td>--temporal-namespace</td><td>TEMPORAL_NAMESPACE</td><td>[temporal] namespace</td><td>default</td></tr>
 *   <tr><td>task queue</td><td>--temporal-task-queue</td><td>TEMPORAL_TASK_QUEUE</td><td>[temporal] task_queue</td><td>drover</td></tr>
 *   <tr><td>TLS</td><td>--temporal-tls</td><td>TEMPORAL_TLS</td><td>[temporal] tls</td><td>false</td></tr>
 *   <tr><td>retries by Temporal</td><td>--temporal-retries</td><td>DROVER_TEMPORAL_RETRIES</td><td>[temporal] retries</td><td>false</td></tr>
 *   <tr><td>heartbeat timeout</td><td>--temporal-heartbeat-timeout</td><td>DROVER_TEMPORAL_HEARTBEAT_TIMEOUT</td><td>[temporal] heartbeat_timeout</td><td>5s</td></tr>
 *   <tr><td>token</td><td>--token, --token-file</td><td>DROVER_TOKEN</td><td>[nodes] token, token_env</td><td>none</td></tr>
 * </table>
 */
final class Settings {
    /** One setting: its flag (for messages), environment variable, drover.toml table and key, and default. */
    enum Key {
        REDIS_URL("--redis-url", "DROVER_REDIS_URL", "bus", "redis_url", RedisOption.DEFAULT),
        QUEUE("--queue", "DROVER_QUEUE", "worker", "queue", "default"),
        CONCURRENCY("--concurrency", "DROVER_CONCURRENCY", "worker", "concurrency", "1"),
        WORKER_ID("--worker-id", "DROVER_WORKER_ID", "worker", "id", null),
        WORKER_LEASE("--lease", "DROVER_WORKER_LEASE", "worker", "lease", "30s"),
        GRACE("--grace", "DROVER_WORKER_GRACE", "worker", "grace", "30s"),
        WORKDIR("--workdir", "DROVER_WORKER_WORKDIR", "worker", "workdir", null),
        FILE_STORE("--file-store", "DROVER_FILE_STORE", "worker", "file_store", null),
        FILES_INLINE_MAX("--files-inline-max", "DROVER_FILES_INLINE_MAX", "worker", "files_inline_max", "16m"),
        FILES_CACHE("--files-cache", "DROVER_FILES_CACHE_MAX", "worker", "files_cache", "2g"),
        CONTROLLER_ID("--id", "DROVER_CONTROLLER_ID", "controller", "id", null),
        PORT("--port", "DROVER_CONTROLLER_PORT", "controller", "port", "7700"),
        BIND("--bind", "DROVER_CONTROLLER_BIND", "controller", "bind", "127.0.0.1"),
        CONTROLLER_LEASE("--lease", "DROVER_CONTROLLER_LEASE", "controller", "lease", "2s"),
        STATE_URL("--state-url", "DROVER_STATE_URL", "state", "url", null),
        EXECUTOR("--executor", "DROVER_EXECUTOR", "worker", "executor", "local"),
        TEMPORAL_HOST("--temporal-host", "TEMPORAL_HOST", "temporal", "host", "localhost:7233"),
        TEMPORAL_NAMESPACE("--temporal-namespace", "TEMPORAL_NAMESPACE", "temporal", "namespace", "default"),
        TEMPORAL_TASK_QUEUE("--temporal-task-queue", "TEMPORAL_TASK_QUEUE", "temporal", "task_queue", "drover"),
        TEMPORAL_TLS("--temporal-tls", "TEMPORAL_TLS", "temporal", "tls", "false"),
        TEMPORAL_RETRIES("--temporal-retries", "DROVER_TEMPORAL_RETRIES", "temporal", "retries", "false"),
        TEMPORAL_HEARTBEAT(
                "--temporal-heartbeat-timeout",
                "DROVER_TEMPORAL_HEARTBEAT_TIMEOUT",
                "temporal",
                "heartbeat_timeout",
                "5s");

        final String flag;
        final String env;
        final String table;
        final String key;
        final String fallback;

        Key(String flag, String env, String table, String key, String fallback) {
            this.flag = flag;
            this.env = env;
            this.table = table;
            this.key = key;
            this.fallback = fallback;
        }

        /** The drover.toml keys of {@code table} that settings are read from. */
        static Set<String> keysOf(String table) {
            Set<String> keys = new LinkedHashSet<>();
            for (Key k : values()) if (k.table.equals(table)) keys.add(k.key);
            return Set.copyOf(keys);
        }
    }

    /** A setting's value and where it came from ("--lease", "$DROVER_WORKER_LEASE", "lease in [worker] of FILE", "the default"). */
    record Value(String value, String from) {}

    private final Config config;
    private final Map<String, String> env;

    Settings(Config config, Map<String, String> env) {
        this.config = config;
        this.env = env;
    }

    /** drover.toml from {@code --config}, $DROVER_CONFIG or ./drover.toml, and the process's environment. */
    static Settings load(Path configFlag) {
        return new Settings(Config.find(configFlag, null), System.getenv());
    }

    Config config() {
        return config;
    }

    /** The value of {@code key}: the flag's when given, else the environment's, else the file's, else the default. */
    Value get(Key key, Object flag) {
        if (flag != null && !String.valueOf(flag).isBlank()) return new Value(String.valueOf(flag), key.flag);
        String e = env.get(key.env);
        if (e != null && !e.isBlank()) return new Value(e.strip(), "$" + key.env);
        String f = key.table.equals("bus") ? config.redisUrl() : config.setting(key.table, key.key);
        if (f != null) return new Value(f, key.key + " in [" + key.table + "] of " + config.file());
        return new Value(key.fallback, "the default");
    }

    String string(Key key, Object flag) {
        return get(key, flag).value();
    }

    int whole(Key key, Object flag, int min, int max) {
        Value v = get(key, flag);
        return Config.whole(v.value(), v.from(), min, max);
    }

    /** A size ({@code 16m}, {@code 2g}, a number of bytes), refused naming where it came from. */
    long size(Key key, Object flag) {
        Value v = get(key, flag);
        try {
            return Sizes.parse(v.value());
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(v.from() + ": " + e.getMessage());
        }
    }

    Duration duration(Key key, Object flag) {
        Value v = get(key, flag);
        try {
            return Durations.parse(v.value());
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(v.from() + ": " + e.getMessage());
        }
    }

    /** The worker's tags: the flag's, else $DROVER_WORKER_TAGS (k=v,...), else [worker] tags. */
    Map<String, String> tags(Map<String, String> flag) {
        if (flag != null && !flag.isEmpty()) return flag;
        String e = env.get("DROVER_WORKER_TAGS");
        if (e != null && !e.isBlank()) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String kv : e.split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0)
                    throw new Main.UserException("$DROVER_WORKER_TAGS: '" + Terminal.escape(kv) + "' is not k=v");
                m.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
            }
            return m;
        }
        return config.workerTags();
    }

    /** The flags a worker's settings may come from; null for a flag not given. */
    record WorkerFlags(
            String redisUrl,
            String queue,
            Integer concurrency,
            String workerId,
            String lease,
            String grace,
            Path workdir,
            Map<String, String> tags,
            Path fileStore,
            String filesInlineMax,
            String filesCache,
            String stateUrl,
            ExecutorFlags executor) {}

    /** Where a worker runs its attempts: {@code --executor} and the executor's own flags (null: not given). */
    record ExecutorFlags(
            String name,
            String temporalHost,
            String temporalNamespace,
            String temporalTaskQueue,
            Boolean temporalTls,
            Boolean temporalRetries,
            String temporalHeartbeatTimeout) {
        static final ExecutorFlags NONE = new ExecutorFlags(null, null, null, null, null, null, null);
    }

    /**
     * The executor's name and settings: {@code local}, or one an {@link AttemptExecutorProvider} on the class path
     * makes, its settings checked here (a bad one is invalid input naming where it came from).
     */
    private void executor(WorkerOptions.Builder b, ExecutorFlags f) {
        Executor e = executor(f);
        if (e.provider() != null) b.executor(e.name(), e.settings());
    }

    /**
     * An executor's name, its provider (null for {@code local}) and its settings, checked.
     *
     * @param from where the name came from, for messages
     */
    record Executor(String name, String from, AttemptExecutorProvider provider, Map<String, String> settings) {}

    /** The executor these flags, the environment and drover.toml name, its settings checked (exit 2 when bad). */
    Executor executor(ExecutorFlags f) {
        Value name = get(Key.EXECUTOR, f.name());
        if (name.value().equals("local")) return new Executor("local", name.from(), null, Map.of());
        AttemptExecutorProvider provider = AttemptExecutorProvider.find(name.value())
                .orElseThrow(() -> new Main.UserException(name.from() + ": unknown executor '"
                        + Terminal.escape(name.value()) + "' (known: "
                        + String.join(", ", AttemptExecutorProvider.names()) + ")"));
        Map<String, String> settings = new LinkedHashMap<>();
        if (name.value().equals("temporal")) {
            settings.put("host", string(Key.TEMPORAL_HOST, f.temporalHost()));
            settings.put("namespace", string(Key.TEMPORAL_NAMESPACE, f.temporalNamespace()));
            settings.put("task_queue", string(Key.TEMPORAL_TASK_QUEUE, f.temporalTaskQueue()));
            settings.put("tls", string(Key.TEMPORAL_TLS, f.temporalTls()));
            settings.put("retries", string(Key.TEMPORAL_RETRIES, f.temporalRetries()));
            settings.put("heartbeat_timeout", string(Key.TEMPORAL_HEARTBEAT, f.temporalHeartbeatTimeout()));
        }
        try {
            provider.check(settings);
        } catch (DroverException e) {
            throw new Main.UserException(e.getMessage());
        }
        return new Executor(name.value(), name.from(), provider, settings);
    }

    /** A worker's options, each setting from its flag, environment variable, drover.toml or default. */
    WorkerOptions.Builder worker(WorkerFlags f) {
        String workdir = string(Key.WORKDIR, f.workdir());
        Value store = get(Key.FILE_STORE, f.fileStore());
        if (store.value() != null && !Files.isDirectory(Path.of(store.value())))
            throw new Main.UserException(store.from() + ": " + store.value() + " is not a directory");
        long inline = size(Key.FILES_INLINE_MAX, f.filesInlineMax());
        long cache = size(Key.FILES_CACHE, f.filesCache());
        String stateUrl = fleetStateUrl(f.stateUrl());
        try {
            WorkerOptions.Builder b = WorkerOptions.builder(string(Key.REDIS_URL, f.redisUrl()))
                    .queue(string(Key.QUEUE, f.queue()))
                    .concurrency(whole(Key.CONCURRENCY, f.concurrency(), 1, 100_000))
                    .workerId(string(Key.WORKER_ID, f.workerId()))
                    .lease(duration(Key.WORKER_LEASE, f.lease()))
                    .grace(duration(Key.GRACE, f.grace()))
                    .workdir(workdir == null ? null : Path.of(workdir))
                    .tags(tags(f.tags()))
                    .fileStore(
                            store.value() == null
                                    ? null
                                    : Path.of(store.value()).toAbsolutePath())
                    .filesInlineMax(inline)
                    .filesCacheMax(cache)
                    .stateUrl(stateUrl);
            executor(b, f.executor() == null ? ExecutorFlags.NONE : f.executor());
            return b;
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }
    }

    /**
     * The state store of a process that runs tasks on this machine ({@code drover run}, an agent, {@code drover
     * state}): flag, environment, drover.toml, else the SQLite file in {@code .drover}.
     */
    String localStateUrl(String flag) {
        Value v = get(Key.STATE_URL, flag);
        String url = v.value() == null ? StateStores.DEFAULT_URL : v.value();
        try {
            StateStores.check(url);
        } catch (InvalidInputException e) {
            throw new Main.UserException(v.from() + ": " + e.getMessage());
        }
        return url;
    }

    /**
     * A worker's state store: flag, environment, drover.toml, else null (the fleet's Redis). A SQLite file is
     * refused: the other workers of the fleet could not reach it.
     */
    String fleetStateUrl(String flag) {
        Value v = get(Key.STATE_URL, flag);
        if (v.value() == null) return null;
        try {
            if (StateStores.isLocalFile(v.value())) {
                throw new Main.UserException(v.from() + ": " + StateStores.masked(v.value()) + " is a file of this"
                        + " machine, which the fleet's other workers cannot reach: give every worker one store they all"
                        + " reach with --state-url, $DROVER_STATE_URL or [state] url (postgres://... or redis://...;"
                        + " the default is the fleet's Redis)");
            }
        } catch (InvalidInputException e) {
            if (e instanceof Main.UserException) throw e;
            throw new Main.UserException(v.from() + ": " + e.getMessage());
        }
        return v.value();
    }

    /** The flags a controller's settings may come from; null for a flag not given. */
    record ControllerFlags(String redisUrl, String id, Integer port, String bind, String lease, String token) {}

    /** A controller's options, each setting from its flag, environment variable, drover.toml or default. */
    ControllerOptions.Builder controller(ControllerFlags f) {
        String token = f.token() != null ? f.token() : env.get("DROVER_TOKEN");
        if (token == null || token.isBlank()) token = config.nodeToken();
        return ControllerOptions.builder(string(Key.REDIS_URL, f.redisUrl()))
                .controllerId(string(Key.CONTROLLER_ID, f.id()))
                .port(whole(Key.PORT, f.port(), 0, 65535))
                .bind(string(Key.BIND, f.bind()))
                .lease(duration(Key.CONTROLLER_LEASE, f.lease()))
                .token(token);
    }
}
