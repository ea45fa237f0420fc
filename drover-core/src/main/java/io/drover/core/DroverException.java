package io.drover.core;

/**
 * The root of every exception Drover throws on purpose. Unchecked, so callers decide where to handle it.
 *
 * <p>{@link #isRetryable()} tells a worker whether the failed operation may succeed if tried again (a lost
 * connection) or never will (an invalid workflow).
 */
public class DroverException extends RuntimeException {
    private final boolean retryable;

    public DroverException(String message) {
        this(message, null, false);
    }

    public DroverException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public DroverException(String message, Throwable cause, boolean retryable) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean isRetryable() {
        return retryable;
    }
}
