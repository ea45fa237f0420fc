package io.drover.agent.sync;

import io.drover.core.DroverException;

/** A transfer that breaks a safety rule or a limit. The whole transfer is refused; nothing of it is written. */
public final class TransferRejected extends DroverException {
    public TransferRejected(String message) {
        super(message);
    }
}
