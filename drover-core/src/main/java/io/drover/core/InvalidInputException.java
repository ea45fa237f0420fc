package io.drover.core;

/**
 * Input that can never work as given: a bad flag value, a malformed URL, an unknown id, a workflow that does not
 * load. Its message is one line naming the input and what is wrong with it; the CLI prints it and exits 2.
 */
public class InvalidInputException extends DroverException {
    public InvalidInputException(String message) {
        super(message);
    }
}
