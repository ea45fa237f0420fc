package io.drover.core.state;

import io.drover.core.model.Durations;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongFunction;

/**
 * {@code with_lock}: takes a lock (waiting for it up to a limit), keeps it alive while the body runs (renewing it
 * every third of its time to live, so a long body keeps it and a dead process loses it within one time to live),
 * and releases it on every exit, errors included.
 */
public final class StateLocks {
    private StateLocks() {}

    /** What a wait for a lock checks between tries: throws to stop waiting (the task was cancelled). */
    @FunctionalInterface
    public interface StopCheck {
        void check();
    }

    /**
     * Runs {@code body} with the lock held, passing its fencing token.
     *
     * @param wait how long to wait for a lock held by another, or null (or zero) to try once
     * @throws StateException when the lock is not acquired in time
     */
    public static <T> T withLock(
            StateScope scope, String name, Duration ttl, Duration wait, StopCheck stop, LongFunction<T> body) {
        StateLimits.key(name);
        StateLimits.positive(name, ttl);
        long token = acquire(scope, name, ttl, wait, stop);
        Thread renewer = Thread.ofVirtual().name("drover-state-lock").start(() -> renew(scope, name, token, ttl));
        try {
            return body.apply(token);
        } finally {
            renewer.interrupt();
            try {
                renewer.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            scope.unlock(name, token);
        }
    }

    static long acquire(StateScope scope, String name, Duration ttl, Duration wait, StopCheck stop) {
        long deadline = System.nanoTime() + (wait == null ? 0 : wait.toNanos());
        long pause = Duration.ofMillis(5).toNanos();
        while (true) {
            long token = scope.lock(name, ttl);
            if (token > 0) return token;
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new StateException("state: lock '" + name + "' is held by another holder"
                        + (wait == null || wait.isZero()
                                ? ""
                                : " and was not released within " + Durations.format(wait)));
            }
            LockSupport.parkNanos(Math.min(pause, left));
            stop.check();
            pause = Math.min(pause * 2, Duration.ofMillis(250).toNanos());
        }
    }

    private static void renew(StateScope scope, String name, long token, Duration ttl) {
        long every = Math.max(ttl.toMillis() / 3, 10);
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(every);
            } catch (InterruptedException e) {
                return;
            }
            try {
                if (!scope.renew(name, token, ttl)) return; // lost it (expired while the store was away)
            } catch (StateException e) {
                // the store is away for now: try again at the next beat, the lock lives until its ttl
            }
        }
    }
}
