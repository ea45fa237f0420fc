package io.drover.cluster.queue;

import io.drover.core.engine.SecretMasker;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A task as recorded in Redis.
 *
 * @param state PENDING, RUNNING, RETRYING, SUCCEEDED, FAILED or CANCELLED
 * @param attempt deliveries so far (the current lease's fencing token)
 * @param failures failed attempts so far
 * @param dead whether it failed for good (dead letter)
 * @param errors every failed attempt's error, oldest first
 * @param submittedMicros times in microseconds since the epoch (0 if not yet); an attempt's start is written with
 *     its outcome, so a running task's {@code startedMicros} is 0
 * @param files for a workflow task of a run with files: the reference of what its last attempt changed in them
 *     ({@code io.drover.cluster.files.Listing}), else empty
 */
public record TaskStatus(
        String id,
        String queue,
        String kind,
        String command,
        String state,
        int attempt,
        int failures,
        int maxAttempts,
        boolean dead,
        String worker,
        String message,
        Map<String, Object> outputs,
        List<String> errors,
        long submittedMicros,
        long startedMicros,
        long finishedMicros,
        String files) {
    public TaskStatus {
        files = files == null ? "" : files;
    }

    /** As {@code drover task status --json} and the controller's {@code /tasks/ID} show it. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("queue", queue);
        m.put("kind", kind);
        m.put("state", state.toLowerCase(Locale.ROOT));
        m.put("attempt", attempt);
        m.put("failures", failures);
        m.put("max_attempts", maxAttempts);
        m.put("dead", dead);
        m.put("worker", worker);
        m.put("message", message);
        m.put("outputs", SecretMasker.outputsMaskedByKey(outputs));
        m.put("errors", errors);
        m.put("attempts", attempts());
        m.put("submitted_at", time(submittedMicros));
        m.put("started_at", time(startedMicros));
        m.put("finished_at", time(finishedMicros));
        m.put("duration_ms", durationMillis());
        return m;
    }

    private static String time(long micros) {
        Instant t = instant(micros);
        return t == null ? null : t.toString();
    }

    private static Instant instant(long micros) {
        return micros <= 0 ? null : Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    /** When the last recorded attempt started, by its worker's clock, or null when not known. */
    public Instant startedAt() {
        return instant(startedMicros);
    }

    /** When the last attempt ended, by its worker's clock, or null while it has not. */
    public Instant finishedAt() {
        return instant(finishedMicros);
    }

    /** How long the last attempt ran (start to end), or null while it is not known. */
    public Long durationMillis() {
        return startedMicros > 0 && finishedMicros >= startedMicros ? (finishedMicros - startedMicros) / 1000 : null;
    }

    /**
     * The attempts in words a person reads once: {@code attempt 2 of 3 (1 failed)}, {@code 3 of 3 attempts failed},
     * {@code dead-lettered after 6 deliveries without an outcome}. {@code attempt} counts deliveries, which a worker
     * that died mid-attempt raises without a failure, so it is said as deliveries when it passes the attempts allowed.
     */
    public String attempts() {
        String failed = failures == 0 ? "" : " (" + failures + " failed)";
        return switch (state) {
            case "PENDING" ->
                attempt == 0
                        ? "not started; up to " + plural(maxAttempts, "attempt")
                        : "waiting again after " + plural(attempt, "delivery", "deliveries") + failed;
            case "RUNNING" ->
                (attempt <= maxAttempts
                                ? "attempt " + attempt + " of " + maxAttempts
                                : "delivery " + attempt + ", " + plural(maxAttempts, "attempt") + " allowed")
                        + failed;
            case "RETRYING" -> failures + " of " + plural(maxAttempts, "attempt") + " failed; retrying";
            case "SUCCEEDED" ->
                failures == 0
                        ? "succeeded on the first attempt"
                        : "succeeded after " + plural(failures, "failed attempt");
            case "FAILED" ->
                dead && failures < maxAttempts
                        ? "dead-lettered after " + plural(attempt, "delivery", "deliveries") + " without an outcome"
                                + failed
                        : "all " + plural(maxAttempts, "attempt") + " failed";
            case "CANCELLED" ->
                attempt == 0
                        ? "cancelled before it ran"
                        : "cancelled after " + plural(attempt, "delivery", "deliveries") + failed;
            case "SKIPPED" -> "skipped by its run_if";
            default -> "attempt " + attempt + " of " + maxAttempts + failed;
        };
    }

    private static String plural(int n, String one) {
        return plural(n, one, one + "s");
    }

    private static String plural(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** The record's state as the queue's state table knows it ({@link QueueTaskState}). */
    public QueueTaskState queueState() {
        return QueueTaskState.parse(state);
    }

    public boolean isFinished() {
        return queueState().isFinished();
    }
}
