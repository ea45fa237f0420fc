package io.drover.cli;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGINT (Ctrl-C) and SIGTERM for a long-running command: the first asks its target to stop gracefully, the
 * second to stop now. Installed before the target exists; a signal that comes earlier reaches it as soon as it
 * is attached.
 *
 * <p>A signal the process inherited as ignored (SIGINT of a job a non-interactive shell put in the background,
 * like {@code nohup}) stays ignored: the JVM does not take it over.
 */
final class Signals {
    /** What a signal stops. */
    interface Target {
        /** The first signal: stop gracefully. */
        void stop(String reason);

        /** A second signal: stop at once. */
        void stopNow(String reason);
    }

    private final AtomicReference<Target> target = new AtomicReference<>();
    private final AtomicReference<String> early = new AtomicReference<>();
    private final AtomicInteger count = new AtomicInteger();

    private Signals() {}

    static Signals install() {
        Signals s = new Signals();
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> s.received("SIG" + name));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // the signal is not available here (or the JVM uses it); the default behaviour stays
            }
        }
        return s;
    }

    private void received(String name) {
        boolean first = count.incrementAndGet() == 1;
        Target t = target.get();
        if (t == null) {
            early.compareAndSet(null, name);
            t = target.get(); // attached meanwhile
            if (t == null) return;
        }
        if (first) t.stop(name);
        else t.stopNow(name);
    }

    /** Whether a stop signal came (before a target was attached, too). */
    boolean stopRequested() {
        return count.get() > 0;
    }

    void attach(Target t) {
        target.set(t);
        String name = early.get();
        if (name != null) t.stop(name);
    }
}
