package io.drover.agent.server;

import io.drover.agent.sync.Limits;
import io.drover.core.state.StateStores;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How an agent serves. Build with {@link #builder()}; {@link Builder#build()} checks the combination (a token or a
 * loopback address, a key with a certificate).
 *
 * @param bind the address to listen on ({@code null}: every interface with a token, 127.0.0.1 without)
 * @param port the port (0: any free one)
 * @param token the shared token callers must present, or {@code null} for none (loopback only)
 * @param tlsCert PEM certificate chain, or {@code null} for plaintext
 * @param tlsKey PEM private key for {@code tlsCert}
 * @param tlsClientCa PEM CA that client certificates must chain to (mutual TLS), or {@code null}
 * @param workdir where tasks' private directories live
 * @param maxTasks tasks run at once; more wait for a slot
 * @param limits the most one upload may hold
 * @param stateUrl the state store of the tasks it runs (state.scope, memory)
 * @param keepWorkspaces directories of finished tasks kept for the next task of the same master workspace (0: each
 *     task's directory is removed when it ends)
 */
public record AgentOptions(
        String name,
        String bind,
        int port,
        String token,
        Path tlsCert,
        Path tlsKey,
        Path tlsClientCa,
        Path workdir,
        int maxTasks,
        Limits limits,
        int keepWorkspaces,
        String stateUrl) {

    public static Builder builder() {
        return new Builder();
    }

    public boolean tls() {
        return tlsCert != null;
    }

    /** True when the agent binds to a loopback address only. */
    public boolean loopbackOnly() {
        return bind.equals("127.0.0.1") || bind.equals("::1") || bind.equals("localhost");
    }

    public static final class Builder {
        private String name;
        private String bind;
        private int port = 50051;
        private String token;
        private Path tlsCert;
        private Path tlsKey;
        private Path tlsClientCa;
        private Path workdir;
        private int maxTasks = Runtime.getRuntime().availableProcessors();
        private Limits limits = Limits.DEFAULT;
        private int keepWorkspaces = 4;
        private String stateUrl = StateStores.DEFAULT_URL;

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder bind(String v) {
            bind = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder token(String v) {
            token = v == null || v.isEmpty() ? null : v;
            return this;
        }

        public Builder tls(Path cert, Path key, Path clientCa) {
            tlsCert = cert;
            tlsKey = key;
            tlsClientCa = clientCa;
            return this;
        }

        public Builder workdir(Path v) {
            workdir = v;
            return this;
        }

        public Builder maxTasks(int v) {
            maxTasks = v;
            return this;
        }

        public Builder limits(Limits v) {
            limits = Objects.requireNonNull(v);
            return this;
        }

        public Builder keepWorkspaces(int v) {
            keepWorkspaces = v;
            return this;
        }

        /** The state store of the tasks the agent runs ({@code sqlite:} paths relative to its directory). */
        public Builder stateUrl(String v) {
            stateUrl = v == null ? StateStores.DEFAULT_URL : v;
            return this;
        }

        public AgentOptions build() {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
            if (keepWorkspaces < 0)
                throw new IllegalArgumentException("--keep-workspaces must be >= 0, got " + keepWorkspaces);
            if (maxTasks < 1) throw new IllegalArgumentException("--max-tasks must be at least 1, got " + maxTasks);
            if ((tlsCert == null) != (tlsKey == null))
                throw new IllegalArgumentException("--tls-cert and --tls-key go together");
            if (tlsClientCa != null && tlsCert == null)
                throw new IllegalArgumentException("--tls-client-ca needs --tls-cert and --tls-key");
            for (Path p : new Path[] {tlsCert, tlsKey, tlsClientCa}) {
                if (p != null && !Files.isReadable(p)) throw new IllegalArgumentException("cannot read " + p);
            }
            String b = bind;
            if (b == null) b = token == null ? "127.0.0.1" : "0.0.0.0";
            AgentOptions o = new AgentOptions(
                    name == null || name.isBlank() ? hostname() : name,
                    b,
                    port,
                    token,
                    tlsCert,
                    tlsKey,
                    tlsClientCa,
                    workdir == null ? Path.of(System.getProperty("java.io.tmpdir"), "drover-agent-" + port) : workdir,
                    maxTasks,
                    limits,
                    keepWorkspaces,
                    stateUrl);
            if (token == null && !o.loopbackOnly()) {
                throw new IllegalArgumentException("refusing to listen on " + b
                        + " without a token: give --token (or DROVER_AGENT_TOKEN), or bind to 127.0.0.1");
            }
            return o;
        }
    }

    static String hostname() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) return h;
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "agent";
        }
    }
}
