package io.drover.agent.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The agent's content-addressed cache: every file content it received, by SHA-256, so the next task that needs
 * the same content does not transfer it again. Bounded: when it holds more than its capacity, the least recently
 * used contents not in use by a running task are removed. Thread-safe.
 */
public final class BlobStore {
  private final Path dir;
  private final long capacity;
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();
  private final Map<String, Integer> pins = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();

  public BlobStore(Path dir, long capacity) throws IOException {
    this.dir = dir;
    this.capacity = capacity;
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        if (name.startsWith(".")) {
          Files.deleteIfExists(p); // a transfer cut short by a crash
        } else if (name.length() == 64) {
          long size = Files.size(p);
          sizes.put(name, size);
          bytes.addAndGet(size);
        }
      }
    }
  }

  public Path dir() {
    return dir;
  }

  public Path path(String hex) {
    return dir.resolve(hex);
  }

  public boolean has(String hex) {
    return sizes.containsKey(hex) && Files.exists(dir.resolve(hex));
  }

  public long bytes() {
    return bytes.get();
  }

  /** Keeps these contents from eviction until {@link #unpin}. */
  public void pin(Iterable<String> hexes) {
    for (String h : hexes) pins.merge(h, 1, Integer::sum);
  }

  public void unpin(Iterable<String> hexes) {
    for (String h : hexes) pins.computeIfPresent(h, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Records contents that a {@link BlobReceiver} just wrote into {@link #dir()}. */
  public void added(Map<String, Long> received) {
    received.forEach((hex, size) -> {
      if (sizes.put(hex, size) == null) bytes.addAndGet(size);
    });
  }

  /** Marks contents as just used (their modification time orders eviction). */
  public void touch(Iterable<String> hexes) {
    FileTime now = FileTime.fromMillis(System.currentTimeMillis());
    for (String h : hexes) {
      try {
        Files.setLastModifiedTime(dir.resolve(h), now);
      } catch (IOException e) {
        // evicted meanwhile: harmless
      }
    }
  }

  /** Removes least recently used, unpinned contents until the store fits its capacity. */
  public synchronized void trim() {
    if (bytes.get() <= capacity) return;
    record Aged(String hex, long size, long mtime) {}
    List<Aged> all = new ArrayList<>();
    sizes.forEach((hex, size) -> {
      try {
        all.add(new Aged(hex, size, Files.getLastModifiedTime(dir.resolve(hex)).toMillis()));
      } catch (IOException e) {
        all.add(new Aged(hex, size, 0));
      }
    });
    all.sort(Comparator.comparingLong(Aged::mtime));
    for (Aged a : all) {
      if (bytes.get() <= capacity) break;
      if (pins.containsKey(a.hex())) continue;
      try {
        Files.deleteIfExists(dir.resolve(a.hex()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (sizes.remove(a.hex()) != null) bytes.addAndGet(-a.size());
    }
  }
}
