package io.drover.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
        for (String name : new String[] {"INT", "TERM"}) handle(name, () -> s.received("SIG" + name));
        return s;
    }

    /**
     * Runs {@code action} when the process gets signal {@code name}, through {@code sun.misc.Signal} (module
     * jdk.unsupported), the JVM's only way to hear SIGTERM apart from SIGINT. Reached by reflection: javac warns about
     * every compiled use of that class and no annotation silences it, and the build fails on warnings.
     */
    private static void handle(String name, Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object proxy = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, (p, m, args) -> {
                switch (m.getName()) {
                    case "handle" -> action.run();
                    case "hashCode" -> {
                        return System.identityHashCode(p);
                    }
                    case "equals" -> {
                        return p == args[0];
                    }
                    case "toString" -> {
                        return "drover's SIG" + name + " handler";
                    }
                    default -> {}
                }
                return null;
            });
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance(name), proxy);
        } catch (InvocationTargetException e) {
            // IllegalArgumentException: the signal is not available here (or the JVM uses it); the default stays
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no sun.misc.Signal in this runtime: the default behaviour stays
        }
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
