package io.drover.cluster.worker;

import io.drover.core.DroverException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Makes {@link AttemptExecutor}s of one name ({@code drover worker --executor NAME}); found through
 * {@link ServiceLoader} in {@code META-INF/services/io.drover.cluster.worker.AttemptExecutorProvider}.
 */
public interface AttemptExecutorProvider {
    /** The name {@code --executor} takes. */
    String name();

    /**
     * Opens an executor for one worker: checks that what it needs answers (a worker whose executor cannot work
     * refuses to start), then starts whatever it runs in the worker's process.
     *
     * @param settings the executor's settings (its {@code drover.toml} table, flags and environment resolved)
     * @throws DroverException with one line naming what did not answer
     */
    AttemptExecutor open(Map<String, String> settings, ExecutorHost host);

    /**
     * Checks settings without connecting to anything (a command line checks them before it starts a worker).
     *
     * @throws DroverException with one line naming the bad setting
     */
    default void check(Map<String, String> settings) {}

    /**
     * Looks whether what the executor needs answers, and disconnects ({@code drover doctor}): one line saying what
     * answered.
     *
     * @throws DroverException with one line naming what did not answer
     */
    default String probe(Map<String, String> settings) {
        return name() + ": nothing to check";
    }

    /** The executor named {@code name}: {@code local}, or one a provider on the class path makes. */
    static AttemptExecutor open(String name, Map<String, String> settings, ExecutorHost host) {
        if (name == null || name.isEmpty() || name.equals("local")) return AttemptExecutor.LOCAL;
        return find(name)
                .orElseThrow(() -> new DroverException(
                        "unknown executor '" + name + "' (known here: " + String.join(", ", names()) + ")"))
                .open(settings, host);
    }

    /** The provider of executors named {@code name} on the class path, if any. */
    static Optional<AttemptExecutorProvider> find(String name) {
        for (AttemptExecutorProvider p : ServiceLoader.load(AttemptExecutorProvider.class)) {
            if (p.name().equals(name)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** Every executor's name: {@code local} and the providers' on the class path. */
    static List<String> names() {
        List<String> known = new ArrayList<>(List.of("local"));
        for (AttemptExecutorProvider p : ServiceLoader.load(AttemptExecutorProvider.class)) known.add(p.name());
        return known;
    }
}
