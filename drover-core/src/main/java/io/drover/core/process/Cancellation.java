package io.drover.core.process;

import java.util.ArrayList;
import java.util.List;

/**
 * The stop signal of one attempt: set once, by a cancel or by the attempt's timeout. Code that blocks on user work
 * (a process, a Lua function) registers a callback that makes it stop. Thread-safe.
 */
public final class Cancellation {
    /** Why an attempt was stopped. */
    public enum Cause {
        CANCELLED,
        TIMED_OUT
    }

    private final List<Runnable> callbacks = new ArrayList<>();
    private volatile Cause cause;
    private volatile String reason;

    /** Stops the attempt; only the first call counts. Returns whether this call was the first. */
    public boolean cancel(Cause why, String text) {
        List<Runnable> toRun;
        synchronized (this) {
            if (cause != null) return false;
            reason = text;
            cause = why;
            toRun = new ArrayList<>(callbacks);
            callbacks.clear();
        }
        for (Runnable r : toRun) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // a failing stop action must not keep the others from running
            }
        }
        return true;
    }

    /** Runs {@code action} on cancel (now, if already cancelled). The returned handle unregisters it. */
    public Registration onCancel(Runnable action) {
        synchronized (this) {
            if (cause == null) {
                callbacks.add(action);
                return () -> {
                    synchronized (this) {
                        callbacks.remove(action);
                    }
                };
            }
        }
        action.run();
        return () -> {};
    }

    public boolean isCancelled() {
        return cause != null;
    }

    /** Null until cancelled. */
    public Cause cause() {
        return cause;
    }

    public String reason() {
        return reason;
    }

    /** Unregisters a cancel action. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
