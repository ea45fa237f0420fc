package io.drover.core.runner;

import io.drover.core.Errors;
import java.time.Instant;
import java.util.Map;

/**
 * How one attempt ended. Outputs are JSON-like values: strings, numbers, booleans, lists and maps of them.
 *
 * @param status how it ended
 * @param message one line for people: a function's message, a shell task's last line, or the error
 * @param outputs values for dependents (empty unless SUCCEEDED)
 * @param ran where and when it ran, when a dispatcher knows it from the other side (a worker's record), else null
 */
public record TaskOutcome(Status status, String message, Map<String, Object> outputs, Ran ran) {
    /**
     * Where an attempt ran, and when it started and ended there, by that side's clock: the attempt's duration is
     * measured between them, however late the scheduler hears of its end and whatever it knew of its start (a
     * controller that took the run over meanwhile).
     *
     * @param on the worker (or agent) that ran it
     * @param started when it started there, or null when unknown
     * @param finished when it ended, or null when unknown
     */
    public record Ran(String on, Instant started, Instant finished) {}

    public TaskOutcome(Status status, String message, Map<String, Object> outputs) {
        this(status, message, outputs, null);
    }

    /** This outcome, said to have run on {@code ran}. */
    public TaskOutcome withRan(Ran ran) {
        return new TaskOutcome(status, message, outputs, ran);
    }

    /** How an attempt ended. */
    public enum Status {
        SUCCEEDED,
        FAILED,
        SKIPPED,
        CANCELLED
    }

    public static final TaskOutcome OK = new TaskOutcome(Status.SUCCEEDED, "", Map.of());

    public TaskOutcome {
        message = message == null ? "" : message;
        outputs = outputs == null || outputs.isEmpty() ? Map.of() : outputs;
    }

    public static TaskOutcome succeeded(String message, Map<String, Object> outputs) {
        return new TaskOutcome(Status.SUCCEEDED, message, outputs);
    }

    public static TaskOutcome failed(String message) {
        return new TaskOutcome(Status.FAILED, message, Map.of());
    }

    /**
     * The one line for an attempt ended by an Error rather than by its command: out of memory, a stack overflow, or
     * any other Throwable that escaped the runner.
     */
    public static String describe(Throwable e) {
        if (e instanceof OutOfMemoryError) return "the attempt ran out of memory (" + e.getMessage() + ")";
        if (e instanceof StackOverflowError) return "the attempt overflowed its stack (endless recursion?)";
        return e.getClass().getSimpleName() + ": " + Errors.describe(e);
    }

    public static TaskOutcome skipped(String message) {
        return new TaskOutcome(Status.SKIPPED, message, Map.of());
    }

    public static TaskOutcome cancelled(String message) {
        return new TaskOutcome(Status.CANCELLED, message, Map.of());
    }
}
