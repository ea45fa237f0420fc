package io.drover.agent.client;

import io.drover.agent.sync.Scanner;
import java.nio.file.Path;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A directory on the master that delegated tasks work in: its scanner (hashes remembered between tasks) and a lock,
 * so listing it for an upload never sees another task's changes half-applied.
 */
final class Workspace {
  final Path root;
  final Scanner scanner = new Scanner();
  final ReadWriteLock lock = new ReentrantReadWriteLock();

  Workspace(Path root) {
    this.root = root;
  }
}
