package io.drover.core.engine;

import io.drover.core.Ticker;
import io.drover.core.model.RunId;
import io.drover.core.model.TaskId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How to run a plan. Immutable; build with {@link #builder()}, which validates at {@link Builder#build()}.
 *
 * @param runId the run's id; see {@link io.drover.core.model.RunId}
 * @param concurrency how many attempts may run at once
 * @param failFast cancel everything else once a task has failed for good
 * @param params run parameters ({@code --param k=v}); they override a task's own {@code params}
 * @param listener observes the run
 * @param random jitter source for retry backoff
 * @param resume where an earlier scheduler of this run left each task (empty for a new run); see
 *     {@link Builder#resume}
 * @param ticker the time the run loop measures durations and waits for retries on ({@link Ticker#SYSTEM}; a fake
 *     one in tests)
 */
public record RunOptions(
        String runId,
        int concurrency,
        boolean failFast,
        Map<String, Object> params,
        RunListener listener,
        RandomGenerator random,
        Map<TaskId, TaskResult> resume,
        Ticker ticker) {

    public static final int DEFAULT_CONCURRENCY = Runtime.getRuntime().availableProcessors();

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .runId(runId)
                .concurrency(concurrency)
                .failFast(failFast)
                .params(params)
                .listener(listener)
                .random(random)
                .resume(resume)
                .ticker(ticker);
    }

    /** Builds {@link RunOptions}; not thread-safe. */
    public static final class Builder {
        private String runId;
        private int concurrency = DEFAULT_CONCURRENCY;
        private boolean failFast;
        private Map<String, Object> params = new LinkedHashMap<>();
        private RunListener listener = RunListener.NOOP;
        private RandomGenerator random;
        private Map<TaskId, TaskResult> resume = Map.of();
        private Ticker ticker = Ticker.SYSTEM;

        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder failFast(boolean failFast) {
            this.failFast = failFast;
            return this;
        }

        public Builder params(Map<String, ?> params) {
            this.params = new LinkedHashMap<>(params);
            return this;
        }

        public Builder param(String key, Object value) {
            this.params.put(key, value);
            return this;
        }

        public Builder listener(RunListener listener) {
            this.listener = listener;
            return this;
        }

        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        /**
         * Takes a run over from an earlier scheduler (one that stopped, e.g. a controller that lost its lease): tasks
         * that ended keep their state and outputs and never run again; a task RUNNING attempt {@code n} is dispatched as
         * attempt {@code n} again, which a dispatcher with idempotent submits (the fleet's) turns into following the
         * attempt already in flight; a RETRYING task goes on with its next attempt. Tasks not named start PENDING.
         */
        public Builder resume(Map<TaskId, TaskResult> resume) {
            this.resume = Map.copyOf(resume);
            return this;
        }

        /** The time the run loop measures and waits on; for tests. */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        public RunOptions build() {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
            }
            Objects.requireNonNull(listener, "listener");
            return new RunOptions(
                    runId == null ? RunId.next().toString() : runId,
                    concurrency,
                    failFast,
                    Collections.unmodifiableMap(new LinkedHashMap<>(params)),
                    listener,
                    random == null ? RandomGenerator.getDefault() : random,
                    resume,
                    ticker);
        }
    }
}
