package io.drover.core.state;

import io.drover.core.InvalidInputException;
import io.drover.core.Urls;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Opens a state store by URL with the providers on the class path. */
public final class StateStores {
    /** The embedded default: a SQLite file in the run's {@code .drover} directory. */
    public static final String DEFAULT_URL = "sqlite:.drover/state.db";

    private StateStores() {}

    /**
     * Opens the store {@code url} names.
     *
     * @throws InvalidInputException when no provider knows its scheme
     * @throws StateException when the store cannot be opened
     */
    public static StateStore open(String url, Path baseDir, Clock clock) {
        return provider(url).open(url, baseDir, clock);
    }

    /** Whether {@code url} names a file of this machine (SQLite), which tasks on other machines cannot reach. */
    public static boolean isLocalFile(String url) {
        return provider(url).isLocalFile(url);
    }

    /**
     * Refuses a URL no provider opens.
     *
     * @throws InvalidInputException naming the URL (password masked) and the schemes that work
     */
    public static void check(String url) {
        provider(url);
    }

    private static StateStoreProvider provider(String url) {
        List<String> known = new ArrayList<>();
        for (StateStoreProvider p : ServiceLoader.load(StateStoreProvider.class, StateStores.class.getClassLoader())) {
            if (p.accepts(url)) return p;
            known.add(p.getClass().getSimpleName());
        }
        throw new InvalidInputException("bad state store URL '" + masked(url)
                + "': use sqlite:PATH, postgres://USER@HOST:PORT/DATABASE or redis://HOST:PORT"
                + (known.isEmpty() ? " (no state store is on the class path)" : ""));
    }

    /** The URL as it may be shown: its password masked ({@link Urls#masked}). */
    public static String masked(String url) {
        return Urls.masked(url);
    }
}
