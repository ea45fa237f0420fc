package io.drover.core.state;

import io.drover.core.DroverException;

/**
 * A state store call that failed: the store could not be reached ({@link #isRetryable()}: a later attempt may
 * succeed), or the call was wrong for what the key holds (not retryable). The message names the store with its
 * password masked, or the key.
 */
public class StateException extends DroverException {
    public StateException(String message, Throwable cause, boolean retryable) {
        super(message, cause, retryable);
    }

    public StateException(String message) {
        super(message);
    }
}
