package io.drover.agent.client;

import io.drover.agent.sync.FileEntry;
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

  /**
   * The listing an agent reported keeping for this workspace after its last task here (the upload with the task's
   * changes), by agent address: the base the next upload to that agent is sent as a delta on top of.
   */
  private final java.util.Map<String, Base> bases = new java.util.concurrent.ConcurrentHashMap<>();

  /** A listing an agent keeps, named by the agent. */
  record Base(String id, java.util.List<FileEntry> entries) {
    /** The contents the listing holds, as SHA-256 hashes. */
    java.util.Set<java.nio.ByteBuffer> contents() {
      java.util.Set<java.nio.ByteBuffer> h = new java.util.HashSet<>();
      for (FileEntry e : entries) if (e.isFile()) h.add(java.nio.ByteBuffer.wrap(e.hash()));
      return h;
    }
  }

  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** A listing of the root without the files that stay here ({@link #kept}). */
  java.util.List<FileEntry> withoutKept(java.util.List<FileEntry> listing) {
    if (kept.isEmpty()) return listing;
    java.util.List<FileEntry> out = new java.util.ArrayList<>(listing.size());
    for (FileEntry e : listing) if (!kept.contains(e.path())) out.add(e);
    return out;
  }

  /** A result may not write or delete what stays here: a task on an agent cannot replace this machine's drover.toml. */
  void refuseKept(io.drover.agent.sync.Changes changes) {
    if (kept.isEmpty()) return;
    for (FileEntry e : changes.written()) {
      if (kept.contains(e.path())) throw new io.drover.agent.sync.TransferRejected("the result writes '" + e.path()
          + "', Drover's configuration (or a file it names) here, which never travels");
    }
    for (String d : changes.deleted()) {
      if (kept.contains(d)) throw new io.drover.agent.sync.TransferRejected("the result deletes '" + d
          + "', Drover's configuration (or a file it names) here, which never travels");
    }
  }

  Base base(String agent) {
    return bases.get(agent);
  }

  /** Remembers what an agent now keeps; an empty id means it keeps nothing. */
  void agentKeeps(String agent, String id, java.util.List<FileEntry> entries) {
    if (id.isEmpty()) bases.remove(agent);
    else bases.put(agent, new Base(id, entries));
  }

  /** Paths under the root that never travel: Drover's configuration and the files it names. */
  private final java.util.Set<String> kept;

  Workspace(Path root, Path baseDir, java.util.Set<Path> privateFiles) {
    this.root = root;
    java.util.Set<String> k = new java.util.HashSet<>();
    for (Path p : privateFiles) {
      for (Path q : new Path[] {p, real(p)}) {
        if (q != null && q.startsWith(root) && !q.equals(root)) k.add(root.relativize(q).toString());
      }
    }
    this.kept = java.util.Set.copyOf(k);
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
    loadBases();
  }

  /**
   * Writes the hashes of this workspace's files and the listings agents keep of it next to each other, so the next
   * run hashes only what changed and sends its first upload to an agent as a delta too. Best effort.
   */
  void save() {
    scanner.save(index);
    Path file = agentsFile();
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (var out = new java.io.DataOutputStream(new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(tmp)))) {
        out.writeInt(BASES_VERSION);
        out.writeInt(bases.size());
        for (var b : bases.entrySet()) {
          out.writeUTF(b.getKey());
          out.writeUTF(b.getValue().id());
          out.writeInt(b.getValue().entries().size());
          for (FileEntry e : b.getValue().entries()) {
            out.writeUTF(e.path());
            out.writeInt(e.kind().getNumber());
            out.writeInt(e.mode());
            out.writeLong(e.size());
            out.writeByte(e.hash().length);
            out.write(e.hash());
            out.writeUTF(e.linkTarget());
          }
        }
      }
      java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.io.IOException | RuntimeException e) {
      // only an optimisation: the next upload is a full listing
    }
  }

  private static final int BASES_VERSION = 1;

  private Path agentsFile() {
    return index.resolveSibling(index.getFileName() + ".agents");
  }

  private void loadBases() {
    Path file = agentsFile();
    if (!java.nio.file.Files.isRegularFile(file)) return;
    try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file)))) {
      if (in.readInt() != BASES_VERSION) return;
      for (int n = in.readInt(); n > 0; n--) {
        String agent = in.readUTF();
        String id = in.readUTF();
        int count = in.readInt();
        java.util.List<FileEntry> entries = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          String path = in.readUTF();
          var kind = io.drover.agent.wire.EntryKind.forNumber(in.readInt());
          int mode = in.readInt();
          long size = in.readLong();
          byte[] hash = in.readNBytes(in.readUnsignedByte());
          entries.add(new FileEntry(path, kind, mode, size, hash, in.readUTF(), null));
        }
        bases.put(agent, new Base(id, entries));
      }
    } catch (java.io.IOException | RuntimeException e) {
      bases.clear();
    }
  }
}
