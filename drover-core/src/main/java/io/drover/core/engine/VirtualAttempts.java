package io.drover.core.engine;

import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskOutcome;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Attempts that block a thread while they run (a local process, a call to an agent), each on a virtual thread of
 * its own, with a {@link Cancellation} the returned handle trips. Reports exactly one outcome per attempt, also
 * when the work throws. Shared by the dispatchers that work this way. Thread-safe.
 */
public final class VirtualAttempts implements AutoCloseable {
    /** The work of one attempt; it watches its cancellation and returns how it ended. */
    @FunctionalInterface
    public interface Work {
        TaskOutcome run(Cancellation cancellation) throws Exception;
    }

    private final ExecutorService executor;
    private final Set<Cancellation> running = ConcurrentHashMap.newKeySet();

    public VirtualAttempts(String threadPrefix) {
        this.executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name(threadPrefix, 0).factory());
    }

    public AttemptHandle start(TaskSink sink, Work work) {
        Cancellation cancellation = new Cancellation();
        running.add(cancellation);
        executor.execute(() -> {
            TaskOutcome outcome;
            try {
                outcome = work.run(cancellation);
            } catch (Throwable t) {
                outcome = TaskOutcome.failed("internal error: " + t);
            } finally {
                running.remove(cancellation);
            }
            sink.completed(outcome);
        });
        return reason -> cancellation.cancel(Cancellation.Cause.CANCELLED, reason);
    }

    /** Cancels what still runs, stops taking work, and waits a little for the attempts to report. */
    @Override
    public void close() {
        for (Cancellation c : running) c.cancel(Cancellation.Cause.CANCELLED, "dispatcher closed");
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
