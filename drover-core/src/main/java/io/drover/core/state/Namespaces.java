package io.drover.core.state;

import java.util.Map;
import java.util.TreeMap;

/**
 * The namespaces of {@code state.scope(...)}: {@code "run"} (this run's id), {@code "workflow"} (the workflow's
 * name: its file name without {@code .lua}), {@code "global"}, or a table of names and values ({@code { ns =
 * "team-a", key = "prod" }}) whose order does not matter. The same scope gives the same namespace in every mode.
 */
public final class Namespaces {
    public static final String GLOBAL = "global";

    private Namespaces() {}

    /**
     * The namespace of a named scope.
     *
     * @throws StateException when the name is none of run, workflow, global
     */
    public static String named(String scope, String runId, String workflow) {
        return switch (scope) {
            case "run" -> "run:" + runId;
            case "workflow" -> "workflow:" + workflowName(workflow);
            case GLOBAL -> GLOBAL;
            default ->
                throw new StateException("state.scope: unknown scope '" + scope
                        + "': use \"run\", \"workflow\", \"global\" or a table like { ns = \"team-a\" }");
        };
    }

    /** The namespace of a table scope: its entries sorted by name, escaped, joined. */
    public static String of(Map<String, String> fields) {
        if (fields.isEmpty()) throw new StateException("state.scope: a table scope needs at least one name = value");
        StringBuilder sb = new StringBuilder("scope:");
        boolean first = true;
        for (Map.Entry<String, String> e : new TreeMap<>(fields).entrySet()) {
            if (!first) sb.append(',');
            first = false;
            escape(sb, e.getKey());
            sb.append('=');
            escape(sb, e.getValue());
        }
        return StateLimits.key(sb.toString());
    }

    private static void escape(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '=' || c == '\\') sb.append('\\');
            sb.append(c);
        }
    }

    /** {@code flow.lua} and {@code dir/flow.lua} are the workflow {@code flow}. */
    public static String workflowName(String sourceName) {
        String n = sourceName == null || sourceName.isEmpty() ? "workflow" : sourceName;
        int slash = n.lastIndexOf('/');
        if (slash >= 0) n = n.substring(slash + 1);
        return n.endsWith(".lua") && n.length() > 4 ? n.substring(0, n.length() - 4) : n;
    }
}
