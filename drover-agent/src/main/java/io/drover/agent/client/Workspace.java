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
  /** Names this workspace to agents (host and path, hashed), so they can keep its directory between tasks. */
  final String key;

  /** Where the hashes of this workspace's files are kept between runs (under the run's base directory). */
  final Path index;

  Workspace(Path root, Path baseDir) {
    this.root = root;
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "?";
    }
    this.key = java.util.HexFormat.of().formatHex(Scanner.sha256().digest(
        (host + "\0" + root).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    this.index = baseDir.resolve(Scanner.OWN_DIR).resolve("sync-index").resolve(key.substring(0, 32));
    scanner.load(index);
  }
}
