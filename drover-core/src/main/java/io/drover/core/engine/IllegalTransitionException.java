package io.drover.core.engine;

import io.drover.core.DroverException;

/** A task was asked to move between two states the state machine does not connect: a bug, never user error. */
public final class IllegalTransitionException extends DroverException {
    private final TaskState from;
    private final TaskState to;

    public IllegalTransitionException(Object task, TaskState from, TaskState to) {
        super("task '" + task + "' cannot move from " + from + " to " + to);
        this.from = from;
        this.to = to;
    }

    public TaskState from() {
        return from;
    }

    public TaskState to() {
        return to;
    }
}
