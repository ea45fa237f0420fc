package io.drover.core.state;

import java.nio.file.Path;
import java.time.Clock;

/**
 * Opens state stores of some URL schemes. Found with {@link java.util.ServiceLoader}: the {@code drover-state}
 * module provides {@code sqlite:} and {@code postgres://}, {@code drover-cluster} provides {@code redis://}.
 */
public interface StateStoreProvider {
    /** Whether this provider opens {@code url}. */
    boolean accepts(String url);

    /**
     * Opens the store (creating or migrating its schema), or fails with a {@link StateException} naming it.
     *
     * @param baseDir what a relative file path in the URL is resolved against
     * @param clock what times to live are measured with, where the store measures them in this process
     */
    StateStore open(String url, Path baseDir, Clock clock);

    /** Whether the store lives in a file of this machine (so that tasks elsewhere cannot reach it). */
    default boolean isLocalFile(String url) {
        return false;
    }
}
