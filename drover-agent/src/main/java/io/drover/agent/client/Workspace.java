package io.drover.agent.client;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.wire.EntryKind;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    private final Map<String, Base> bases = new ConcurrentHashMap<>();

    /** A listing an agent keeps, named by the agent. */
    record Base(String id, List<FileEntry> entries) {
        /** The contents the listing holds, as SHA-256 hashes. */
        Set<ByteBuffer> contents() {
            Set<ByteBuffer> h = new HashSet<>();
            for (FileEntry e : entries) if (e.isFile()) h.add(ByteBuffer.wrap(e.hash()));
            return h;
        }
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return null;
        }
    }

    /** A listing of the root without the files that stay here ({@link #kept}). */
    List<FileEntry> withoutKept(List<FileEntry> listing) {
        if (kept.isEmpty()) return listing;
        List<FileEntry> out = new ArrayList<>(listing.size());
        for (FileEntry e : listing) if (!kept.contains(e.path())) out.add(e);
        return out;
    }

    /** A result may not write or delete what stays here: a task on an agent cannot replace this machine's drover.toml. */
    void refuseKept(Changes changes) {
        if (kept.isEmpty()) return;
        for (FileEntry e : changes.written()) {
            if (kept.contains(e.path()))
                throw new TransferRejected("the result writes '" + e.path()
                        + "', Drover's configuration (or a file it names) here, which never travels");
        }
        for (String d : changes.deleted()) {
            if (kept.contains(d))
                throw new TransferRejected("the result deletes '" + d
                        + "', Drover's configuration (or a file it names) here, which never travels");
        }
    }

    Base base(String agent) {
        return bases.get(agent);
    }

    /** Remembers what an agent now keeps; an empty id means it keeps nothing. */
    void agentKeeps(String agent, String id, List<FileEntry> entries) {
        if (id.isEmpty()) bases.remove(agent);
        else bases.put(agent, new Base(id, entries));
    }

    /** Paths under the root that never travel: Drover's configuration and the files it names. */
    private final Set<String> kept;

    Workspace(Path root, Path baseDir, Set<Path> privateFiles) {
        this.root = root;
        Set<String> k = new HashSet<>();
        for (Path p : privateFiles) {
            for (Path q : new Path[] {p, real(p)}) {
                if (q != null && q.startsWith(root) && !q.equals(root))
                    k.add(root.relativize(q).toString());
            }
        }
        this.kept = Set.copyOf(k);
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "?";
        }
        this.key = HexFormat.of()
                .formatHex(Scanner.sha256().digest((host + "\0" + root).getBytes(StandardCharsets.UTF_8)));
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
            try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
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
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // only an optimisation: the next upload is a full listing
        }
    }

    private static final int BASES_VERSION = 1;

    private Path agentsFile() {
        return index.resolveSibling(index.getFileName() + ".agents");
    }

    private void loadBases() {
        Path file = agentsFile();
        if (!Files.isRegularFile(file)) return;
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != BASES_VERSION) return;
            for (int n = in.readInt(); n > 0; n--) {
                String agent = in.readUTF();
                String id = in.readUTF();
                int count = in.readInt();
                List<FileEntry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    String path = in.readUTF();
                    var kind = EntryKind.forNumber(in.readInt());
                    int mode = in.readInt();
                    long size = in.readLong();
                    byte[] hash = in.readNBytes(in.readUnsignedByte());
                    entries.add(new FileEntry(path, kind, mode, size, hash, in.readUTF(), null));
                }
                bases.put(agent, new Base(id, entries));
            }
        } catch (IOException | RuntimeException e) {
            bases.clear();
        }
    }
}
