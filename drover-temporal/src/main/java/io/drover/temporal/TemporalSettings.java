package io.drover.temporal;

import io.drover.core.DroverException;
import io.drover.core.model.Durations;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Where the Temporal executor finds Temporal and how its activities run; read from the worker's executor settings
 * (flags, {@code TEMPORAL_HOST}/{@code TEMPORAL_NAMESPACE}, {@code drover.toml}'s {@code [temporal]} table).
 *
 * @param host the frontend's {@code host:port}
 * @param tls whether to connect with TLS (the JVM's trusted certificates)
 * @param heartbeatTimeout how long an activity may go without a heartbeat before Temporal retries it elsewhere
 * @param retries whether Temporal makes the task's retries (its backoff between activity attempts) instead of the
 *     queue
 * @param activityAttempts attempts of one activity at most when the queue makes the retries: a crashed or stopped
 *     activity worker is retried on another until then
 */
public record TemporalSettings(
        String host,
        String namespace,
        String taskQueue,
        boolean tls,
        Duration heartbeatTimeout,
        boolean retries,
        int activityAttempts) {
    public static final String DEFAULT_HOST = "localhost:7233";
    public static final String DEFAULT_NAMESPACE = "default";
    public static final String DEFAULT_TASK_QUEUE = "drover";
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_ACTIVITY_ATTEMPTS = 4;

    private static final Set<String> KEYS =
            Set.of("host", "namespace", "task_queue", "tls", "heartbeat_timeout", "retries", "activity_attempts");

    /** Reads settings; an unknown key or a bad value is a {@link DroverException} naming it. */
    public static TemporalSettings of(Map<String, String> s) {
        for (String k : s.keySet()) {
            if (!KEYS.contains(k)) {
                throw new DroverException("unknown Temporal setting '" + k + "' (known: "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
        }
        String host = s.getOrDefault("host", DEFAULT_HOST);
        if (!host.matches("[A-Za-z0-9_.\\-\\[\\]:]+:[0-9]{1,5}")) {
            throw new DroverException("bad Temporal host '" + host + "': expected host:port, e.g. localhost:7233");
        }
        Duration beat;
        try {
            beat = Durations.parse(s.getOrDefault("heartbeat_timeout", "5s"));
        } catch (IllegalArgumentException e) {
            throw new DroverException("bad Temporal heartbeat_timeout: " + e.getMessage(), e);
        }
        if (beat.toMillis() < 500) throw new DroverException("the Temporal heartbeat_timeout must be at least 500ms");
        int attempts;
        try {
            attempts =
                    Integer.parseInt(s.getOrDefault("activity_attempts", Integer.toString(DEFAULT_ACTIVITY_ATTEMPTS)));
        } catch (NumberFormatException e) {
            throw new DroverException(
                    "bad Temporal activity_attempts '" + s.get("activity_attempts") + "': not a number", e);
        }
        if (attempts < 1) throw new DroverException("the Temporal activity_attempts must be at least 1");
        return new TemporalSettings(
                host,
                nonEmpty(s.getOrDefault("namespace", DEFAULT_NAMESPACE), "namespace"),
                nonEmpty(s.getOrDefault("task_queue", DEFAULT_TASK_QUEUE), "task_queue"),
                bool(s.getOrDefault("tls", "false"), "tls"),
                beat,
                bool(s.getOrDefault("retries", "false"), "retries"),
                attempts);
    }

    private static String nonEmpty(String v, String key) {
        if (v.isBlank()) throw new DroverException("the Temporal " + key + " must not be empty");
        return v;
    }

    private static boolean bool(String v, String key) {
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new DroverException("bad Temporal " + key + " '" + v + "': expected true or false");
        };
    }
}
