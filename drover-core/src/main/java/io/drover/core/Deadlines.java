package io.drover.core;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs an action once a delay has passed: what a task's timeout is measured on ({@code TaskRunner}), so that a test
 * runs it on a fake one, exactly, instead of waiting in real time. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Deadlines {
    /**
     * Runs {@code action} after {@code delay}, on a thread of the implementation's.
     *
     * @return what cancels the action if it has not run yet (idempotent)
     */
    Runnable after(Duration delay, Runnable action);

    /** One daemon thread of the machine's clock, shared by every user in the process. */
    Deadlines SYSTEM = new Deadlines() {
        private final ScheduledExecutorService timer = timer();

        private static ScheduledExecutorService timer() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "drover-timeouts");
                th.setDaemon(true);
                return th;
            });
            t.setRemoveOnCancelPolicy(true);
            return Executors.unconfigurableScheduledExecutorService(t);
        }

        @Override
        public Runnable after(Duration delay, Runnable action) {
            ScheduledFuture<?> f = timer.schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }
    };
}
