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
 * @param submittedMicros times in microseconds since the epoch (0 if not yet)
 */
public record TaskStatus(String id, String queue, String kind, String command, String state, int attempt,
    int failures, int maxAttempts, boolean dead, String worker, String message, Map<String, Object> outputs,
    List<String> errors, long submittedMicros, long startedMicros, long finishedMicros) {

  public boolean isFinished() {
    return state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED") || state.equals("SKIPPED");
  }
}
