package io.drover.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentTarget;
import io.drover.core.Suggestions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code drover.toml}: agents by name and the TLS files for agents given by address. Found at {@code --config},
 * else {@code $DROVER_CONFIG}, else {@code ./drover.toml}, else next to the workflow file; none is fine. Relative
 * paths in it resolve against its directory. Unknown keys are errors, with a suggestion.
 *
 * <pre>
 * [agents.build-box]
 * address = "build-box:50051"
 * token = "..."              # or token_env = "BUILD_BOX_TOKEN"
 * ca = "certs/ca.pem"        # TLS: the CA the agent's certificate chains to
 * cert = "certs/me.pem"      # mutual TLS: this side's certificate and key
 * key = "certs/me.key"
 *
 * [agents_tls]               # for agents given by address in delegate_to
 * ca = "certs/ca.pem"
 *
 * [nodes]                    # what drover node start starts, and drover doctor checks
 * mode = "distributed"       # or "single"
 * role = "hybrid"            # "controller", "worker" or "hybrid"
 * token_env = "DROVER_TOKEN" # or token = "..."
 * [bus]
 * backend = "redis"          # the only one; written by hivemind's users, so accepted
 * redis_url = "redis://redis:6379"
 * [controller]               # id, port, bind, lease
 * port = 7700
 * [worker]                   # id, concurrency, queue, tags, lease, grace, workdir
 * concurrency = 8
 * tags = { gpu = "yes" }
 * executor = "temporal"      # where attempts run: "local" (the default) or "temporal"
 * [temporal]                 # host, namespace, task_queue, tls, retries, heartbeat_timeout
 * host = "temporal:7233"
 * [state]                    # the state store of tasks run by this process (run, agent, worker)
 * url = "postgres://drover@db:5432/drover"
 * </pre>
 */
final class Config {
    private static final Set<String> TOP =
            Set.of("agents", "agents_tls", "nodes", "bus", "controller", "worker", "state", "temporal");
    private static final Set<String> NODES = Set.of("mode", "role", "token", "token_env");
    private static final Set<String> CONTROLLER = Set.of("id", "port", "bind", "lease");
    private static final Set<String> STATE = Set.of("url");
    /** The [temporal] table holds exactly the settings {@link Settings.Key} reads from it. */
    private static final Set<String> TEMPORAL = Settings.Key.keysOf("temporal");

    private static final Set<String> WORKER = Set.of(
            "id",
            "workers",
            "concurrency",
            "queue",
            "tags",
            "lease",
            "grace",
            "workdir",
            "file_store",
            "files_inline_max",
            "files_cache",
            "executor");
    private static final Set<String> BUS = Set.of("backend", "redis_url");
    private static final Set<String> AGENT =
            Set.of("address", "token", "token_env", "ca", "cert", "key", "send_config");
    private static final Set<String> TLS = Set.of("ca", "cert", "key");

    private final Path file;
    private final JsonNode root;

    private Config(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static Config find(Path explicit, Path workflowFile) {
        Path f = explicit;
        if (f == null
                && System.getenv("DROVER_CONFIG") != null
                && !System.getenv("DROVER_CONFIG").isBlank()) f = Path.of(System.getenv("DROVER_CONFIG"));
        if (f == null && Files.isRegularFile(Path.of("drover.toml"))) f = Path.of("drover.toml");
        if (f == null && workflowFile != null) {
            Path near = workflowFile.toAbsolutePath().getParent().resolve("drover.toml");
            if (Files.isRegularFile(near)) f = near;
        }
        if (f == null) return new Config(null, null);
        if (!Files.isRegularFile(f)) throw new Main.UserException("config file " + f + " does not exist");
        try {
            JsonNode node = new TomlMapper().readTree(f.toFile());
            Config c = new Config(f, node);
            c.checkKeys(node, TOP, "");
            return c;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new Main.UserException(f + (line > 0 ? ":" + line : "") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new Main.UserException("cannot read " + f + ": " + e.getMessage());
        }
    }

    Path file() {
        return file;
    }

    private void checkKeys(JsonNode node, Set<String> allowed, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new Main.UserException(file + ": unknown key '" + k + "'"
                        + (where.isEmpty() ? "" : " in [" + where + "]") + Suggestions.didYouMean(k, allowed));
            }
        }
    }

    /** {@code [nodes] mode}: "single" or "distributed", or null when the file does not say. */
    String mode() {
        if (root == null || !root.path("nodes").isObject()) return null;
        checkKeys(root.path("nodes"), NODES, "nodes");
        String m = text(root.path("nodes"), "mode", "nodes");
        if (m != null && !m.equals("single") && !m.equals("distributed")) {
            throw new Main.UserException(
                    file + ": mode in [nodes] must be \"single\" or \"distributed\", not \"" + m + "\"");
        }
        return m;
    }

    /** {@code [nodes] role}: "controller", "worker" or "hybrid" (both in one process), or null. */
    String role() {
        if (root == null || !root.path("nodes").isObject()) return null;
        checkKeys(root.path("nodes"), NODES, "nodes");
        String r = text(root.path("nodes"), "role", "nodes");
        if (r != null && !List.of("controller", "worker", "hybrid").contains(r)) {
            throw new Main.UserException(
                    file + ": role in [nodes] must be \"controller\", \"worker\" or \"hybrid\", not \"" + r + "\"");
        }
        return r;
    }

    /** {@code [nodes] token} (or the variable {@code token_env} names): what the controllers' API demands. */
    String nodeToken() {
        if (root == null || !root.path("nodes").isObject()) return null;
        String t = text(root.path("nodes"), "token", "nodes");
        String env = text(root.path("nodes"), "token_env", "nodes");
        return t != null ? t : env != null ? System.getenv(env) : null;
    }

    /** A string of {@code [controller]}, {@code [worker]} or {@code [state]}, or null. */
    String setting(String table, String key) {
        JsonNode t = section(table);
        if (t == null) return null;
        JsonNode v = t.get(key);
        if (v == null || v.isNull()) return null;
        if (v.isNumber() || v.isBoolean()) return v.asText();
        if (!v.isTextual())
            throw new Main.UserException(
                    file + ": " + key + " in [" + table + "] must be a string, a number or a boolean");
        return v.asText();
    }

    /** A whole number of {@code [controller]} or {@code [worker]} from min to max, or null when the file does not say. */
    Integer number(String table, String key, int min, int max) {
        String v = setting(table, key);
        return v == null ? null : whole(v, key + " in [" + table + "] of " + file, min, max);
    }

    /** A whole number from min to max, or invalid input naming where it came from ({@code what}) and the value. */
    static int whole(String value, String what, int min, int max) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new Main.UserException(
                what + " must be a whole number from " + min + " to " + max + ", not '" + Terminal.escape(value) + "'");
    }

    /** {@code [worker] tags = { k = "v" }}. */
    Map<String, String> workerTags() {
        JsonNode t = section("worker");
        if (t == null || t.get("tags") == null) return Map.of();
        if (!t.get("tags").isObject())
            throw new Main.UserException(file + ": tags in [worker] must be a table like { gpu = \"yes\" }");
        Map<String, String> m = new LinkedHashMap<>();
        t.get("tags")
                .fields()
                .forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    private JsonNode section(String table) {
        if (root == null || !root.path(table).isObject()) return null;
        checkKeys(
                root.path(table),
                switch (table) {
                    case "controller" -> CONTROLLER;
                    case "state" -> STATE;
                    case "temporal" -> TEMPORAL;
                    default -> WORKER;
                },
                table);
        return root.path(table);
    }

    /** {@code [bus] redis_url}, or null. */
    String redisUrl() {
        if (root == null || !root.path("bus").isObject()) return null;
        checkKeys(root.path("bus"), BUS, "bus");
        String backend = text(root.path("bus"), "backend", "bus");
        if (backend != null && !backend.equals("redis")) {
            throw new Main.UserException(file + ": backend in [bus] must be \"redis\" (the only bus Drover has), not \""
                    + Terminal.escape(backend) + "\"");
        }
        return text(root.path("bus"), "redis_url", "bus");
    }

    /** The agents by name and the defaults for agents by address. */
    AgentDirectory agents() {
        Map<String, AgentTarget> named = new LinkedHashMap<>();
        Path ca = null, cert = null, key = null;
        if (root != null) {
            JsonNode agents = root.path("agents");
            for (Iterator<Map.Entry<String, JsonNode>> it = agents.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String where = "agents." + e.getKey();
                JsonNode a = e.getValue();
                if (!a.isObject())
                    throw new Main.UserException(
                            file + ": [" + where + "] must be a table with address = \"host:port\"");
                checkKeys(a, AGENT, where);
                String address = text(a, "address", where);
                if (address == null) throw new Main.UserException(file + ": [" + where + "] has no address");
                String token = text(a, "token", where);
                String tokenEnv = text(a, "token_env", where);
                if (token == null && tokenEnv != null) token = System.getenv(tokenEnv);
                try {
                    JsonNode send = a.path("send_config");
                    if (!send.isMissingNode() && !send.isBoolean()) {
                        throw new Main.UserException(
                                file + ": send_config in [" + where + "] must be true or false, not " + send);
                    }
                    named.put(
                            e.getKey(),
                            new AgentTarget(
                                    e.getKey(),
                                    address,
                                    token,
                                    path(a, "ca", where),
                                    path(a, "cert", where),
                                    path(a, "key", where),
                                    send.asBoolean(false)));
                } catch (IllegalArgumentException ex) {
                    throw new Main.UserException(file + ": [" + where + "]: " + ex.getMessage());
                }
            }
            JsonNode tls = root.path("agents_tls");
            if (tls.isObject()) {
                checkKeys(tls, TLS, "agents_tls");
                ca = path(tls, "ca", "agents_tls");
                cert = path(tls, "cert", "agents_tls");
                key = path(tls, "key", "agents_tls");
            }
        }
        return AgentDirectory.of(named, ca, cert, key).withConfigFile(file);
    }

    private String text(JsonNode n, String k, String where) {
        JsonNode v = n.get(k);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw new Main.UserException(file + ": " + k + " in [" + where + "] must be a string");
        return v.asText();
    }

    private Path path(JsonNode n, String k, String where) {
        String t = text(n, k, where);
        if (t == null) return null;
        Path p = file.toAbsolutePath().getParent().resolve(t).normalize();
        if (!Files.isReadable(p))
            throw new Main.UserException(file + ": " + k + " in [" + where + "]: cannot read " + p);
        return p;
    }
}
