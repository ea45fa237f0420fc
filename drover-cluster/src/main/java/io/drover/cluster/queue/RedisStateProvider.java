package io.drover.cluster.queue;

import io.drover.core.state.StateStore;
import io.drover.core.state.StateStoreProvider;
import java.nio.file.Path;
import java.time.Clock;

/** Opens {@code redis://}, {@code rediss://} (and sentinel, cluster) URLs as state stores ({@link RedisStateStore}). */
public final class RedisStateProvider implements StateStoreProvider {
    @Override
    public boolean accepts(String url) {
        return RedisUrls.isRedis(url);
    }

    @Override
    public StateStore open(String url, Path baseDir, Clock clock) {
        return new RedisStateStore(url);
    }
}
