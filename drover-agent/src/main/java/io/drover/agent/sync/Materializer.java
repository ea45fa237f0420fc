package io.drover.agent.sync;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes a checked listing into an empty directory: directories, files copied from their contents, links; then
 * permission bits (directories last, deepest first, so a read-only directory does not stop its own filling).
 * Returns the entries with their on-disk stamps, so a later {@link Scanner} pass hashes only what changed.
 */
public final class Materializer {
  private Materializer() {}

  public static List<FileEntry> write(Path root, List<FileEntry> entries, Function<String, Path> content) throws IOException {
    List<FileEntry> written = new ArrayList<>(entries.size());
    List<FileEntry> dirs = new ArrayList<>();
    for (FileEntry e : entries) { // sorted: parents first
      Path p = root.resolve(e.path());
      switch (e.kind()) {
        case DIRECTORY -> {
          Files.createDirectory(p);
          dirs.add(e);
        }
        case FILE -> {
          Files.copy(content.apply(e.hashHex()), p);
          Files.setPosixFilePermissions(p, permissions(e.mode()));
        }
        case SYMLINK -> Files.createSymbolicLink(p, Path.of(e.linkTarget()));
        default -> throw new TransferRejected("'" + e.path() + "' cannot be written: " + e.kind());
      }
    }
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Files.setPosixFilePermissions(root.resolve(dirs.get(i).path()), permissions(dirs.get(i).mode()));
    }
    for (FileEntry e : entries) {
      if (!e.isFile()) {
        written.add(e);
        continue;
      }
      FileEntry.Stamp s = Scanner.stat(root, root.resolve(e.path())).stamp();
      written.add(new FileEntry(e.path(), e.kind(), e.mode(), e.size(), e.hash(), "", s));
    }
    return written;
  }

  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int bit = 0; bit < 9; bit++) if ((mode & (1 << bit)) != 0) s.add(order[bit]);
    return s;
  }

  /** Removes a tree, making directories writable first so a task's read-only directories do not stop it. */
  public static void delete(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
    try (var walk = Files.walk(root)) {
      for (Path p : walk.filter(q -> Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS)).toList()) {
        try {
          Files.setPosixFilePermissions(p, permissions(0700));
        } catch (IOException e) {
          // best effort
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      // best effort
    }
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException | java.io.UncheckedIOException e) {
      // leftovers of a private directory are harmless
    }
  }
}
