package io.drover.core.engine;

import java.util.Locale;

/** How a run stands: running, or how it ended. */
public enum RunStatus {
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The CLI's exit code for a run that ended this way: 0, 1 or 130. */
    public int exitCode() {
        return switch (this) {
            case SUCCEEDED -> 0;
            case FAILED, RUNNING -> 1;
            case CANCELLED -> 130;
        };
    }
}
