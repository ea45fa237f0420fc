package io.drover.cluster.worker;

/**
 * Where a worker's held attempts run. {@code local} (the default) runs each in the worker's process; another
 * executor (the {@code drover-temporal} module's) runs it elsewhere and reports how it ended. Whatever runs it, the
 * worker keeps the task's lease and records its outcome through the same fenced completion. Found by name through
 * {@link AttemptExecutorProvider}s. Thread-safe.
 */
public interface AttemptExecutor extends AutoCloseable {
    /** The executor's name and where it runs attempts, for the worker's banner. */
    String describe();

    /** Runs a held attempt to its end, on the attempt's own thread. Never throws: a problem is a failed outcome. */
    Executed execute(HeldAttempt attempt);

    /** Stops what the executor started (its own threads and connections); running attempts are not awaited. */
    @Override
    default void close() {}

    /** The default: each attempt runs here. */
    AttemptExecutor LOCAL = new AttemptExecutor() {
        @Override
        public String describe() {
            return "local";
        }

        @Override
        public Executed execute(HeldAttempt attempt) {
            return attempt.runHere();
        }
    };
}
