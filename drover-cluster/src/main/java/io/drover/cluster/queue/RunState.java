package io.drover.cluster.queue;

import io.drover.core.Transitions;
import java.util.Set;

/**
 * The states of a run on the fleet, as its record ({@code drover:{runs}:run:ID}, field {@code state}) shows them,
 * and the transitions a controller may write:
 *
 * <pre>
 * SUBMITTED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED
 *     |          ^  |
 *     |          +--+  (a leader that takes a running run over writes RUNNING again)
 *     +-> FAILED       (its file no longer loads)
 * </pre>
 *
 * A write of any other transition is a bug and throws {@link IllegalStateException} naming the run and both
 * states ({@link #checkMoveTo}).
 */
public enum RunState {
    SUBMITTED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    private static final Transitions<RunState> TABLE = Transitions.of(RunState.class)
            .allow(SUBMITTED, RUNNING, FAILED)
            .allow(RUNNING, RUNNING, SUCCEEDED, FAILED, CANCELLED);

    public boolean canMoveTo(RunState to) {
        return TABLE.allows(this, to);
    }

    /** The states this one may move to; empty for one that ends the machine. */
    public Set<RunState> next() {
        return TABLE.next(this);
    }

    public boolean isEnded() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** Returns {@code to}, or throws when this state may not move there: a bug, never user error. */
    public RunState checkMoveTo(RunState to, String runId) {
        if (!canMoveTo(to))
            throw new IllegalStateException("run '" + runId + "' cannot move from " + this + " to " + to);
        return to;
    }

    /** The state a record's field names; null for none or an unknown one. */
    public static RunState parse(String s) {
        if (s == null) return null;
        try {
            return valueOf(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
