package io.drover.agent.client;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One agent as the master reaches it.
 *
 * @param name its name in drover.toml, or its address when given by address
 * @param address {@code host:port}
 * @param token the token to present, or {@code null}
 * @param ca PEM CA to trust for TLS, or {@code null} for plaintext
 * @param cert PEM client certificate for mutual TLS, or {@code null}
 * @param key PEM key of {@code cert}
 * @param sendsConfig whether Drover's configuration (drover.toml and the files it names, TLS keys included) travels
 *     to this agent with the workspace; by default it never does
 */
public record AgentTarget(
        String name, String address, String token, Path ca, Path cert, Path key, boolean sendsConfig) {
    public AgentTarget(String name, String address, String token, Path ca, Path cert, Path key) {
        this(name, address, token, ca, cert, key, false);
    }

    public AgentTarget {
        Objects.requireNonNull(address, "address");
        name = name == null ? address : name;
        token = token == null || token.isEmpty() ? null : token;
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("agent address '" + address + "' must be host:port");
        }
        try {
            int port = Integer.parseInt(address.substring(colon + 1));
            if (port < 1 || port > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("agent address '" + address + "' has a bad port");
        }
        if ((cert == null) != (key == null))
            throw new IllegalArgumentException("agent " + name + ": a client certificate needs its key");
    }

    public boolean tls() {
        return ca != null;
    }

    public AgentTarget withToken(String t) {
        return new AgentTarget(name, address, t, ca, cert, key, sendsConfig);
    }

    @Override
    public String toString() {
        return name.equals(address) ? address : name + " (" + address + ")"; // never the token
    }
}
