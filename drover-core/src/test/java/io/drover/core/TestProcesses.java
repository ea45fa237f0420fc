package io.drover.core;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Waiting on processes a task started, by the pid it wrote to a file. Shared by the dispatcher tests of every module. */
public final class TestProcesses {
  private TestProcesses() {}

  /** Waits until {@code file} holds a pid (the first line) and returns it. */
  public static long awaitPid(Path file) {
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(file) && !Files.readString(file).isBlank());
    try {
      return Long.parseLong(Files.readAllLines(file).get(0).strip());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Waits until the process is gone (killed with its task's tree). */
  public static void awaitGone(long pid) {
    await().atMost(Duration.ofSeconds(10)).until(() -> !alive(pid));
  }
}
