package io.drover.core.model;

import java.util.List;

/**
 * Where a task should run other than in the local process: agents by address or by name, with an optional token,
 * what its transfers leave out ({@code exclude}: gitignore patterns on top of the workspace's
 * {@code .droverignore}), and whether links the task leaves pointing out of the workspace may come back
 * ({@code linksOut}; by default such a link fails the task, as the next local step would write through it). {@link #LOCAL} (written {@code delegate_to = false}) forces a task to run locally even
 * when its group delegates.
 */
public record Delegation(
        List<String> addresses, List<String> agentNames, String token, List<String> exclude, boolean linksOut) {
    public static final Delegation LOCAL = new Delegation(List.of(), List.of(), null);

    public Delegation {
        addresses = List.copyOf(addresses);
        agentNames = List.copyOf(agentNames);
        exclude = List.copyOf(exclude);
    }

    public Delegation(List<String> addresses, List<String> agentNames, String token) {
        this(addresses, agentNames, token, List.of(), false);
    }

    public boolean isLocal() {
        return addresses.isEmpty() && agentNames.isEmpty();
    }

    @Override
    public String toString() {
        if (isLocal()) return "local";
        StringBuilder sb = new StringBuilder();
        addresses.forEach(a -> sb.append(sb.isEmpty() ? "" : ", ").append(a));
        agentNames.forEach(a ->
                sb.append(sb.isEmpty() ? "" : ", ").append("agent '").append(a).append('\''));
        return sb.toString(); // never the token
    }
}
