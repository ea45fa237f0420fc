package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Lists a workspace: every directory, file and link under a root, without following links, files hashed with
 * SHA-256. Hashes are remembered by path and {@link FileEntry.Stamp}, so a file that did not change since the last
 * scan is not read again (what makes a second sync cheap). Thread-safe; one scanner per workspace root.
 */
public final class Scanner {
  /** Never part of a workspace: Drover's own records and staging directories at the root. */
  public static final String OWN_DIR = ".drover";

  private static final int S_IFMT = 0170000;
  private final Map<String, FileEntry> known = new ConcurrentHashMap<>();

  /** Remembers an entry whose hash is known (a file just written from known content). */
  public void remember(FileEntry e) {
    if (e.isFile() && e.stamp() != null) known.put(e.path(), e);
  }

  /**
   * Entries just written from known contents: each one's stamp read from disk (a stat, no hashing) and remembered;
   * those in {@code unchanged} (a listing taken before the writes) as they were.
   */
  public List<FileEntry> stamped(Path root, List<FileEntry> entries, Map<String, FileEntry> unchanged) throws IOException {
    List<FileEntry> out = new ArrayList<>(entries.size());
    for (FileEntry e : entries) {
      FileEntry same = unchanged.get(e.path());
      if (same != null && same.sameAs(e)) { // on disk already, stamp known: no stat
        out.add(same);
        continue;
      }
      if (!e.isFile()) {
        out.add(e);
        continue;
      }
      FileEntry s = new FileEntry(e.path(), e.kind(), e.mode(), e.size(), e.hash(), "", stat(root, root.resolve(e.path())).stamp());
      known.put(s.path(), s);
      out.add(s);
    }
    return out;
  }

  /** Every entry under {@code root}, sorted by path (parents before children). One stat per path. */
  public List<FileEntry> scan(Path root) throws IOException {
    List<FileEntry> out = new ArrayList<>();
    List<Integer> toHash = new ArrayList<>();
    Files.walkFileTree(root, java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            if (dir.equals(root)) return java.nio.file.FileVisitResult.CONTINUE;
            if (isOwn(root, dir)) return java.nio.file.FileVisitResult.SKIP_SUBTREE;
            out.add(entry(root, dir, attrs));
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            if (isOwn(root, file)) return java.nio.file.FileVisitResult.CONTINUE;
            FileEntry e = entry(root, file, attrs);
            FileEntry prior = e.isFile() ? known.get(e.path()) : null;
            if (prior != null && e.stamp().equals(prior.stamp())) {
              e = new FileEntry(e.path(), e.kind(), e.mode(), e.size(), prior.hash(), "", e.stamp());
            } else if (e.isFile()) {
              toHash.add(out.size());
            }
            out.add(e);
            return java.nio.file.FileVisitResult.CONTINUE;
          }
        });
    hashAll(root, out, toHash);
    out.sort(Comparator.comparing(FileEntry::path));
    return out;
  }

  private static boolean isOwn(Path root, Path p) {
    return p.getNameCount() > root.getNameCount() && p.getName(root.getNameCount()).toString().equals(OWN_DIR);
  }

  /** An entry for one path, without its hash. */
  public static FileEntry stat(Path root, Path p) throws IOException {
    return entry(root, p, Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
  }

  private static FileEntry entry(Path root, Path p, BasicFileAttributes a) throws IOException {
    if (!(a instanceof PosixFileAttributes)) a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    PosixFileAttributes px = (PosixFileAttributes) a;
    EntryKind kind;
    if (a.isRegularFile()) kind = EntryKind.FILE;
    else if (a.isDirectory()) kind = EntryKind.DIRECTORY;
    else if (a.isSymbolicLink()) kind = EntryKind.SYMLINK;
    else kind = switch ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT) {
      case 0010000 -> EntryKind.FIFO;
      case 0140000 -> EntryKind.SOCKET;
      default -> EntryKind.DEVICE;
    };
    int mode = 0;
    for (var perm : px.permissions()) mode |= 1 << (8 - perm.ordinal());
    long size = kind == EntryKind.FILE ? a.size() : 0;
    String target = kind == EntryKind.SYMLINK ? Files.readSymbolicLink(p).toString() : "";
    FileEntry.Stamp stamp = new FileEntry.Stamp(size, a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.fileKey());
    return new FileEntry(PathRules.relative(root, p), kind, mode, size, null, target, stamp);
  }

  private void hashAll(Path root, List<FileEntry> entries, List<Integer> indexes) throws IOException {
    if (indexes.isEmpty()) return;
    int threads = Math.min(indexes.size(), Math.max(1, Runtime.getRuntime().availableProcessors()));
    if (threads == 1 || indexes.size() < 4) {
      for (int i : indexes) entries.set(i, hashed(root, entries.get(i)));
      return;
    }
    try (ExecutorService pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("drover-hash-", 0).factory())) {
      List<Future<FileEntry>> futures = new ArrayList<>(indexes.size());
      for (int i : indexes) {
        FileEntry e = entries.get(i);
        futures.add(pool.submit(() -> hashed(root, e)));
      }
      for (int k = 0; k < indexes.size(); k++) entries.set(indexes.get(k), futures.get(k).get());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      throw new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while hashing", e);
    }
  }

  private FileEntry hashed(Path root, FileEntry e) throws IOException {
    byte[] hash = hash(root.resolve(e.path()));
    FileEntry h = new FileEntry(e.path(), e.kind(), e.mode(), e.size(), hash, "", e.stamp());
    known.put(h.path(), h);
    return h;
  }

  public static byte[] hash(Path file) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    }
    return md.digest();
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
