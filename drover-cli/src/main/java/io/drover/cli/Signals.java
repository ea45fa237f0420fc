package io.drover.cli;

import io.drover.core.engine.RunHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ctrl-C and SIGTERM cancel the run (running process trees are killed, the record says CANCELLED) and the command
 * exits 130 once every task has stopped. A second signal exits at once. Installed before the run starts; a signal
 * that comes before the run exists cancels it as soon as it is attached.
 *
 * <p>A signal the process inherited as ignored (SIGINT of a job a non-interactive shell put in the background,
 * like {@code nohup}) stays ignored: the JVM does not take it over.
 */
final class Signals {
  private final AtomicReference<RunHandle> run = new AtomicReference<>();
  private final AtomicReference<String> early = new AtomicReference<>();
  private final AtomicInteger count = new AtomicInteger();

  private Signals() {}

  static Signals install() {
    Signals s = new Signals();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> s.received(name));
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // the signal is not available here (or the JVM uses it); the default behaviour stays
      }
    }
    return s;
  }

  private void received(String name) {
    if (count.incrementAndGet() > 1) {
      System.err.println("\ndrover: interrupted again; exiting now");
      Runtime.getRuntime().halt(Main.INTERRUPTED);
    }
    System.err.println("\ndrover: interrupted (SIG" + name + "); stopping running tasks...");
    String reason = "interrupted (SIG" + name + ")";
    RunHandle h = run.get();
    if (h != null) {
      h.cancel(reason);
    } else {
      early.set(reason);
      RunHandle late = run.get(); // attached meanwhile
      if (late != null) late.cancel(reason);
    }
  }

  void attach(RunHandle handle) {
    run.set(handle);
    String reason = early.get();
    if (reason != null) handle.cancel(reason);
  }
}
