package io.drover.cluster.queue;

import io.drover.core.Transitions;
import java.util.Set;

/**
 * The states of a task on a queue, as its record ({@code drover:{q}:task:ID}, field {@code state}) and
 * {@link TaskStatus} show them, and the transitions the scripts make:
 *
 * <pre>
 * PENDING -> RUNNING (claimed: shown while its entry is pending for a worker) -> SUCCEEDED | FAILED | CANCELLED
 *    |   ^      |  |                                                            | SKIPPED
 *    |   +------+  +-> RETRYING (failed, a retry is due later) -> PENDING (promote) | CANCELLED
 *    |   (handed back or released by a stopping worker)
 *    +-> CANCELLED (cancelled before a worker had it)
 * </pre>
 */
public enum QueueTaskState {
    PENDING,
    RUNNING,
    RETRYING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    SKIPPED,
    /** A record whose state field is missing or unreadable. */
    UNKNOWN;

    private static final Transitions<QueueTaskState> TABLE = Transitions.of(QueueTaskState.class)
            .allow(PENDING, RUNNING, CANCELLED)
            .allow(RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED, RETRYING, PENDING)
            .allow(RETRYING, PENDING, CANCELLED);

    public boolean canMoveTo(QueueTaskState to) {
        return TABLE.allows(this, to);
    }

    /** The states this one may move to; empty for one that ends the machine. */
    public Set<QueueTaskState> next() {
        return TABLE.next(this);
    }

    /** Whether the task ended for good (nothing runs it again). */
    public boolean isFinished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == SKIPPED;
    }

    /** The state a record names; {@link #UNKNOWN} for none or another. */
    public static QueueTaskState parse(String s) {
        if (s == null) return UNKNOWN;
        try {
            return valueOf(s);
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
