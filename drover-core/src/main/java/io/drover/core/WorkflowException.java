package io.drover.core;

import io.drover.core.model.SourceLocation;

/**
 * Invalid input: a workflow that does not parse, names something unknown, has a cycle, or holds a bad value. Its
 * message is one line that starts with where ({@code flow.lua:14: }) and says what is wrong; the CLI prints it
 * as is and exits 2.
 */
public class WorkflowException extends InvalidInputException {
    private final SourceLocation location;
    private final String problem;

    public WorkflowException(SourceLocation location, String problem) {
        super(format(location, problem));
        this.location = location == null ? SourceLocation.UNKNOWN : location;
        this.problem = problem;
    }

    private static String format(SourceLocation location, String problem) {
        String where = location == null ? "" : location.toString();
        return where.isEmpty() ? problem : where + ": " + problem;
    }

    public SourceLocation location() {
        return location;
    }

    /** The message without the location. */
    public String problem() {
        return problem;
    }
}
