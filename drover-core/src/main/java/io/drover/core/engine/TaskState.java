package io.drover.core.engine;

import io.drover.core.Transitions;
import java.util.Locale;
import java.util.Set;

/**
 * The states of a task within a run, and the transitions allowed between them (the table is {@link #next()}).
 *
 * <pre>
 * PENDING -> READY -> RUNNING -> SUCCEEDED | FAILED | CANCELLED | SKIPPED
 *                       |  ^
 *                       v  |  (RETRYING -> READY when the backoff has passed)
 *                     RETRYING
 * </pre>
 *
 * PENDING, READY and RETRYING may also end as CANCELLED (the run was cancelled) or SKIPPED (a dependency did not
 * succeed).
 */
public enum TaskState {
    PENDING,
    READY,
    RUNNING,
    RETRYING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    SKIPPED;

    private static final Transitions<TaskState> TABLE = Transitions.of(TaskState.class)
            .allow(PENDING, READY, CANCELLED, SKIPPED)
            .allow(READY, RUNNING, CANCELLED, SKIPPED)
            .allow(RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED, RETRYING)
            .allow(RETRYING, READY, CANCELLED, SKIPPED);

    /** Whether this state may move to {@code to}. */
    public boolean canMoveTo(TaskState to) {
        return TABLE.allows(this, to);
    }

    /** The states this one may move to; empty for one that ends the machine. */
    public Set<TaskState> next() {
        return TABLE.next(this);
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == SKIPPED;
    }

    /** Checks a transition, throwing {@link IllegalTransitionException} naming the task and both states. */
    public TaskState checkMoveTo(TaskState to, Object task) {
        if (!canMoveTo(to)) throw new IllegalTransitionException(task, this, to);
        return to;
    }

    /** Lower case, as printed and written to JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
