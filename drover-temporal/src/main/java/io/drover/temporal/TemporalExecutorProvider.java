package io.drover.temporal;

import io.drover.cluster.worker.AttemptExecutor;
import io.drover.cluster.worker.AttemptExecutorProvider;
import io.drover.cluster.worker.ExecutorHost;
import java.util.Map;

/** {@code --executor temporal}: {@link TemporalExecutor} with the settings of {@link TemporalSettings}. */
public final class TemporalExecutorProvider implements AttemptExecutorProvider {
    @Override
    public String name() {
        return "temporal";
    }

    @Override
    public void check(Map<String, String> settings) {
        TemporalSettings.of(settings);
    }

    @Override
    public String probe(Map<String, String> settings) {
        return TemporalExecutor.probe(TemporalSettings.of(settings));
    }

    @Override
    public AttemptExecutor open(Map<String, String> settings, ExecutorHost host) {
        return TemporalExecutor.open(TemporalSettings.of(settings), host);
    }
}
