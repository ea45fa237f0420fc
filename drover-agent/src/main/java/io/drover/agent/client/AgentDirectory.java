package io.drover.agent.client;

import io.drover.core.Suggestions;
import io.drover.core.model.Delegation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The agents a master knows: by name (drover.toml {@code [agents]}), plus what applies to agents given by address.
 * Resolves a task's {@code delegate_to}. Token precedence: the one in {@code delegate_to}, then the agent's entry,
 * then the default ({@code DROVER_AGENT_TOKEN}).
 *
 * @param defaultCa PEM CA for agents given by address (TLS when set), or {@code null}
 * @param configFiles the configuration these agents came from (drover.toml): with every TLS file it names, it
 *     never travels to an agent ({@link #privateFiles})
 */
public record AgentDirectory(
        Map<String, AgentTarget> byName,
        String defaultToken,
        Path defaultCa,
        Path defaultCert,
        Path defaultKey,
        Set<Path> configFiles) {
    public static final AgentDirectory EMPTY = new AgentDirectory(Map.of(), null, null, null, null);

    public AgentDirectory {
        byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
        configFiles = Set.copyOf(configFiles);
    }

    public AgentDirectory(
            Map<String, AgentTarget> byName, String defaultToken, Path defaultCa, Path defaultCert, Path defaultKey) {
        this(byName, defaultToken, defaultCa, defaultCert, defaultKey, Set.of());
    }

    /** The same agents, read from {@code file} (which, like the files it names, then never travels). */
    public AgentDirectory withConfigFile(Path file) {
        return file == null
                ? this
                : new AgentDirectory(
                        byName,
                        defaultToken,
                        defaultCa,
                        defaultCert,
                        defaultKey,
                        Set.of(file.toAbsolutePath().normalize()));
    }

    /**
     * Files that stay on this machine whatever a task's workspace holds: the configuration (other agents' tokens)
     * and every certificate and key it names (the master's mTLS key), as absolute paths.
     */
    public Set<Path> privateFiles() {
        Set<Path> out = new HashSet<>(configFiles);
        Consumer<Path> add = p -> {
            if (p != null) out.add(p.toAbsolutePath().normalize());
        };
        add.accept(defaultCa);
        add.accept(defaultCert);
        add.accept(defaultKey);
        for (AgentTarget t : byName.values()) {
            add.accept(t.ca());
            add.accept(t.cert());
            add.accept(t.key());
        }
        return out;
    }

    /** The default token from the environment, the rest as given. */
    public static AgentDirectory of(Map<String, AgentTarget> byName, Path ca, Path cert, Path key) {
        return new AgentDirectory(byName, System.getenv("DROVER_AGENT_TOKEN"), ca, cert, key);
    }

    public List<AgentTarget> resolve(Delegation d) {
        List<AgentTarget> out = new ArrayList<>();
        for (String name : d.agentNames()) {
            AgentTarget t = byName.get(name);
            if (t == null) {
                throw new IllegalArgumentException("unknown agent '" + name + "'"
                        + (byName.isEmpty()
                                ? " (no [agents] in drover.toml)"
                                : Suggestions.didYouMean(name, byName.keySet()) + " (known: "
                                        + String.join(", ", byName.keySet()) + ")"));
            }
            out.add(tokened(t, d.token()));
        }
        for (String address : d.addresses()) {
            AgentTarget named = byName.values().stream()
                    .filter(t -> t.address().equals(address))
                    .findFirst()
                    .orElse(null);
            out.add(tokened(
                    named != null ? named : new AgentTarget(address, address, null, defaultCa, defaultCert, defaultKey),
                    d.token()));
        }
        return out;
    }

    private AgentTarget tokened(AgentTarget t, String fromTask) {
        if (fromTask != null) return t.withToken(fromTask);
        if (t.token() != null) return t;
        return t.withToken(defaultToken);
    }

    /** Every agent known by name, in the file's order. */
    public Map<String, AgentTarget> all() {
        return new LinkedHashMap<>(byName);
    }
}
