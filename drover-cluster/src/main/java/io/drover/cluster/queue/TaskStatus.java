package io.drover.cluster.queue;

import java.util.List;
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
 */
public record TaskStatus(String id, String queue, String kind, String command, String state, int attempt,
    int failures, int maxAttempts, boolean dead, String worker, String message, Map<String, Object> outputs,
    List<String> errors, long submittedMicros, long startedMicros, long finishedMicros) {

  /** As {@code drover task status --json} and the controller's {@code /tasks/ID} show it. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("id", id);
    m.put("queue", queue);
    m.put("kind", kind);
    m.put("state", state.toLowerCase(java.util.Locale.ROOT));
    m.put("attempt", attempt);
    m.put("failures", failures);
    m.put("max_attempts", maxAttempts);
    m.put("dead", dead);
    m.put("worker", worker);
    m.put("message", message);
    m.put("outputs", io.drover.core.engine.SecretMasker.outputsMaskedByKey(outputs));
    m.put("errors", errors);
    return m;
  }

  public boolean isFinished() {
    return state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED") || state.equals("SKIPPED");
  }
}
