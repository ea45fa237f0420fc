package io.drover.core.engine;

import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Replaces secret values with {@code ***} in log lines and messages. A value is secret when its parameter or
 * environment key looks like one ({@code TOKEN}, {@code password}, {@code api_key}, ...). Immutable, thread-safe.
 */
public final class SecretMasker {
    /** Keys whose values are masked. */
    public static final Pattern SECRET_KEY =
            Pattern.compile("(?i).*(secret|token|passw(or)?d|pwd|api[_-]?key|credential|private[_-]?key|auth).*");

    public static final String MASK = "***";
    static final SecretMasker NONE = new SecretMasker(List.of());

    private final String[] secrets;

    public SecretMasker(Iterable<String> values) {
        Set<String> set = new LinkedHashSet<>();
        for (String v : values) if (v != null && v.length() >= 3) set.add(v);
        List<String> sorted = new ArrayList<>(set);
        sorted.sort(Comparator.comparingInt(String::length).reversed()); // longest first, so a prefix never leaks
        this.secrets = sorted.toArray(new String[0]);
    }

    /** Secrets from the run parameters and from every task's params, env and {@code delegate_to} token. */
    public static SecretMasker of(Plan plan, Map<String, ?> runParams) {
        List<String> values = new ArrayList<>();
        collect(runParams, values);
        for (int i = 0; i < plan.size(); i++) {
            TaskSpec t = plan.task(i);
            if (!t.params().isEmpty()) collect(t.params(), values);
            if (!t.env().isEmpty()) collect(t.env(), values);
        }
        values.addAll(delegationTokens(plan));
        return values.isEmpty() ? NONE : new SecretMasker(values);
    }

    /** The tokens written in the workflow's {@code delegate_to} fields. */
    public static Set<String> delegationTokens(Plan plan) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < plan.size(); i++) {
            var d = plan.task(i).delegateTo();
            if (d != null && d.token() != null) out.add(d.token());
        }
        return out;
    }

    /** Secrets among the values of these maps (parameters, environments). */
    @SafeVarargs
    public static SecretMasker ofMaps(Map<String, ?>... maps) {
        List<String> values = new ArrayList<>();
        for (Map<String, ?> m : maps) collect(m, values);
        return values.isEmpty() ? NONE : new SecretMasker(values);
    }

    private static void collect(Map<String, ?> map, List<String> into) {
        map.forEach((k, v) -> {
            if (v != null && SECRET_KEY.matcher(k).matches()) into.add(String.valueOf(v));
        });
    }

    public boolean isEmpty() {
        return secrets.length == 0;
    }

    /**
     * Outputs as records and answers show them: a value under a secret-looking key ({@link #SECRET_KEY}), at any
     * depth, becomes {@link #MASK}, and secrets inside other strings are masked. Dependents still receive the real
     * values: this is for what is written for people and served, never for what a task is given.
     */
    public Map<String, Object> maskOutputs(Map<String, ?> outputs) {
        if (outputs == null || outputs.isEmpty()) return Map.of();
        Map<String, Object> out = new LinkedHashMap<>();
        outputs.forEach((k, v) -> out.put(k, SECRET_KEY.matcher(k).matches() && v != null ? MASK : maskValue(v)));
        return out;
    }

    /** {@link #maskOutputs} by keys alone, where the run's secret values are not at hand. */
    public static Map<String, Object> outputsMaskedByKey(Map<String, ?> outputs) {
        return NONE.maskOutputs(outputs);
    }

    private Object maskValue(Object v) {
        if (v instanceof String s) return mask(s);
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(
                    String.valueOf(k),
                    x != null && SECRET_KEY.matcher(String.valueOf(k)).matches() ? MASK : maskValue(x)));
            return out;
        }
        if (v instanceof List<?> l) return l.stream().map(this::maskValue).toList();
        return v;
    }

    public String mask(String text) {
        if (text == null || secrets.length == 0) return text;
        String out = text;
        for (String s : secrets) {
            if (out.contains(s)) out = out.replace(s, MASK);
        }
        return out;
    }
}
