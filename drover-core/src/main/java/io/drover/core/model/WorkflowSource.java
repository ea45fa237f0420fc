package io.drover.core.model;

import java.util.Collection;
import java.util.Objects;

/**
 * The Lua text a workflow came from and the name its errors use ({@code flow.lua}). Travels with a run to
 * wherever its Lua functions execute.
 */
public record WorkflowSource(String name, String text) {
    public WorkflowSource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
    }

    /**
     * This source with every string literal that holds one of {@code secrets} (quoted with ' or ") replaced by
     * {@code "***"}: what goes to an agent or a worker, which evaluate the file but never need a {@code delegate_to}
     * token. Code and other strings are left as they are, so the file means the same there.
     */
    public WorkflowSource redact(Collection<String> secrets) {
        String t = text;
        for (String s : secrets) {
            if (s == null || s.isEmpty()) continue;
            t = t.replace("\"" + s + "\"", "\"***\"").replace("'" + s + "'", "'***'");
        }
        return t.equals(text) ? this : new WorkflowSource(name, t);
    }

    /** For workflows built in Java, with no Lua behind them. */
    public static WorkflowSource none(String name) {
        return new WorkflowSource(name, "");
    }
}
