package io.drover.cli;

import io.drover.core.engine.RunHandle;

/**
 * Ctrl-C and SIGTERM cancel the run (running process trees are killed, the record says CANCELLED) and the command
 * exits 130 once every task has stopped. A second signal exits at once.
 */
final class Signals {
  private Signals() {}

  static void onInterrupt(RunHandle run) {
    java.util.concurrent.atomic.AtomicInteger count = new java.util.concurrent.atomic.AtomicInteger();
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
          if (count.incrementAndGet() > 1) {
            System.err.println("\ndrover: interrupted again; exiting now");
            Runtime.getRuntime().halt(Main.INTERRUPTED);
          }
          System.err.println("\ndrover: interrupted (SIG" + name + "); stopping running tasks...");
          run.cancel("interrupted (SIG" + name + ")");
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // the signal is not available here (or the JVM uses it); the default behaviour stays
      }
    }
  }
}
