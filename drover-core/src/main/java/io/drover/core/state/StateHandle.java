package io.drover.core.state;

import java.nio.file.Path;
import java.time.Clock;

/**
 * The state store of a process that runs tasks, opened on first use (a workflow that never calls {@code state}
 * never creates a file or a connection) and closed with the process. Thread-safe.
 */
public final class StateHandle implements AutoCloseable {
    private final String url;
    private final Path baseDir;
    private final Clock clock;
    private StateStore store;
    private boolean closed;

    private StateHandle(String url, Path baseDir, Clock clock) {
        this.url = url;
        this.baseDir = baseDir;
        this.clock = clock;
    }

    /** A handle on {@code url}, relative file paths resolved against {@code baseDir}. */
    public static StateHandle of(String url, Path baseDir) {
        return new StateHandle(url, baseDir, Clock.systemUTC());
    }

    /** A handle for tasks that have no store: each use fails with one line saying how to give one. */
    public static StateHandle none() {
        return new StateHandle(null, null, Clock.systemUTC());
    }

    /**
     * The store, opened now if it is not yet.
     *
     * @throws StateException when there is none or it cannot be opened (naming it)
     */
    public synchronized StateStore store() {
        if (closed) throw new StateException("state: the store is closed");
        if (store == null) {
            if (url == null) {
                throw new StateException("state: no state store here: give one with --state-url, DROVER_STATE_URL or"
                        + " [state] url in drover.toml");
            }
            store = StateStores.open(url, baseDir, clock);
        }
        return store;
    }

    /** The store's URL, password masked, or "none". */
    public String describe() {
        return url == null ? "none" : StateStores.masked(url);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (store != null) store.close();
        store = null;
    }
}
