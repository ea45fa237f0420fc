package io.drover.core.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts processes in a process group of their own (through {@code setsid}) and kills whole trees: the group, and
 * every descendant still linked to the process. Thread-safe; all methods are static.
 */
public final class ProcessTree {
  /** How long a tree gets between SIGTERM and SIGKILL. */
  public static final long DEFAULT_GRACE_MILLIS = 2000;

  private static final String SETSID = findSetsid();
  private static final File DEV_NULL = new File("/dev/null");

  private ProcessTree() {}

  private static String findSetsid() {
    for (String p : List.of("/usr/bin/setsid", "/bin/setsid")) {
      if (Files.isExecutable(Path.of(p))) return p;
    }
    return null;
  }

  /** Whether new processes get their own process group (false only where {@code setsid} is missing). */
  public static boolean hasProcessGroups() {
    return SETSID != null;
  }

  /**
   * Starts {@code argv} in {@code dir} with {@code env} added to this process's environment; stdin is /dev/null.
   *
   * @param mergeStderr whether stderr goes into stdout
   */
  public static Process start(List<String> argv, Path dir, Map<String, String> env, boolean mergeStderr)
      throws IOException {
    List<String> cmd = argv;
    if (SETSID != null) {
      cmd = new java.util.ArrayList<>(argv.size() + 1);
      cmd.add(SETSID);
      cmd.addAll(argv);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(DEV_NULL);
    pb.redirectErrorStream(mergeStderr);
    if (!env.isEmpty()) pb.environment().putAll(env);
    return pb.start();
  }

  /**
   * Kills the process and everything it started: SIGTERM to its group and descendants, then, after up to
   * {@code graceMillis} for it to exit, SIGKILL to whatever is left. Returns when the process has exited.
   */
  public static void kill(Process process, long graceMillis) {
    List<ProcessHandle> descendants = process.descendants().toList();
    signalGroup(process.pid(), "TERM");
    process.destroy();
    descendants.forEach(ProcessHandle::destroy);
    try {
      process.waitFor(graceMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    killRemains(process);
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGKILL to what is left of the process's group: background children that outlived their shell. */
  public static void killRemains(Process process) {
    signalGroup(process.pid(), "KILL");
  }

  private static void signalGroup(long pgid, String signal) {
    if (SETSID == null) return;
    try {
      Process k = new ProcessBuilder("/bin/sh", "-c", "kill -" + signal + " -- -" + pgid + " 2>/dev/null")
          .redirectInput(DEV_NULL).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      k.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      // nothing more we can do; the descendants are destroyed one by one as well
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
