package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lists a workspace: every directory, file and link under a root, without following links, files hashed with
 * SHA-256. Hashes are remembered by path and {@link FileEntry.Stamp}, so a file that did not change since the last
 * scan is not read again (what makes a second sync cheap). Thread-safe; one scanner per workspace root.
 */
public final class Scanner {
    /** Never part of a workspace: Drover's own records and staging directories at the root. */
    public static final String OWN_DIR = ".drover";

    private static final int S_IFMT = 0170000;
    /** Listing and hashing threads, shared by every scanner of the process: as many as cores, idle ones exit. */
    private static final ExecutorService POOL = pool();

    private final Map<String, FileEntry> known = new ConcurrentHashMap<>();

    /**
     * Writes what this scanner remembers (path, stamp, hash of each file) to {@code file}, so a later process listing
     * the same tree hashes only what changed since. Best effort: an index that cannot be written is just not there.
     */
    public void save(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeInt(INDEX_VERSION);
                out.writeInt(known.size());
                for (FileEntry e : known.values()) {
                    out.writeUTF(e.path());
                    out.writeLong(e.stamp().size());
                    out.writeLong(e.stamp().mtimeNanos());
                    out.writeUTF(e.stamp().fileKey());
                    out.write(e.hash());
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            // only an optimisation
        }
    }

    /** Remembers what {@link #save} wrote; a missing, old or damaged index is ignored. */
    public void load(Path file) {
        if (!Files.isRegularFile(file)) return;
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != INDEX_VERSION) return;
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String path = in.readUTF();
                FileEntry.Stamp stamp = new FileEntry.Stamp(in.readLong(), in.readLong(), in.readUTF());
                byte[] hash = in.readNBytes(32);
                known.put(path, new FileEntry(path, EntryKind.FILE, 0, stamp.size(), hash, "", stamp));
            }
        } catch (IOException | RuntimeException e) {
            known.clear();
        }
    }

    private static final int INDEX_VERSION = 1;

    /** Remembers an entry whose hash is known (a file just written from known content). */
    public void remember(FileEntry e) {
        if (e.isFile() && e.stamp() != null) known.put(e.path(), e);
    }

    /**
     * Entries just written from known contents: each one's stamp read from disk (a stat, no hashing) and remembered;
     * those the same as in {@code before} (a listing taken before the writes) as they were. Both lists sorted by path.
     */
    public List<FileEntry> stamped(Path root, List<FileEntry> entries, List<FileEntry> before) throws IOException {
        List<FileEntry> out = new ArrayList<>(entries.size());
        int i = 0;
        for (FileEntry e : entries) {
            while (i < before.size() && before.get(i).path().compareTo(e.path()) < 0) i++;
            FileEntry same = i < before.size() && before.get(i).path().equals(e.path()) ? before.get(i) : null;
            if (same != null && same.sameAs(e)) { // on disk already, stamp known: no stat
                out.add(same);
                continue;
            }
            if (!e.isFile()) {
                out.add(e);
                continue;
            }
            FileEntry s = new FileEntry(
                    e.path(),
                    e.kind(),
                    e.mode(),
                    e.size(),
                    e.hash(),
                    "",
                    stat(root, root.resolve(e.path())).stamp());
            known.put(s.path(), s);
            out.add(s);
        }
        return out;
    }

    /**
     * Every entry under {@code root}, sorted by path (parents before children), but what its {@link IgnoreRules}
     * ({@code .droverignore}) keep out. One stat per path; the top-level subtrees are listed in parallel, and only
     * files whose stamp changed are read and hashed.
     */
    public List<FileEntry> scan(Path root) throws IOException {
        return scan(root, List.of());
    }

    /** {@link #scan(Path)}, leaving out what {@code exclude} (gitignore patterns) names too. */
    public List<FileEntry> scan(Path root, List<String> exclude) throws IOException {
        String prefix = root.toString() + "/";
        IgnoreRules rules = IgnoreRules.load(root, exclude);
        List<Path> tops = new ArrayList<>();
        List<FileEntry> out = new ArrayList<>();
        try (var children = Files.newDirectoryStream(root)) {
            for (Path c : children) if (!c.getFileName().toString().equals(OWN_DIR)) tops.add(c);
        }
        tops.sort(null);
        List<Future<List<FileEntry>>> parts = new ArrayList<>(tops.size());
        for (Path top : tops) parts.add(POOL.submit(() -> walk(top, prefix, known, rules)));
        for (Future<List<FileEntry>> f : parts) out.addAll(await(f));
        // each part comes sorted (on its thread) and the parts in name order, so this mostly merges sorted runs
        out.sort(BY_PATH);
        markOutsideHardLinks(out);
        List<Integer> toHash = new ArrayList<>();
        for (int i = 0; i < out.size(); i++)
            if (out.get(i).isFile() && out.get(i).hash().length == 0) toHash.add(i);
        hashAll(root, out, toHash);
        out.removeIf(Objects::isNull); // files removed before they could be read
        return out;
    }

    /**
     * A file with more names than the workspace holds has a name elsewhere: its content is not the workspace's to
     * send (a hard link to a file outside would ship that file), so it is listed as a hard link, which a transfer
     * refuses. Files whose every name is inside the workspace travel as files.
     */
    private static void markOutsideHardLinks(List<FileEntry> entries) {
        Map<String, Integer> names = null;
        for (FileEntry e : entries) {
            if (e.isFile() && e.links() > 1) {
                if (names == null) names = new HashMap<>();
                names.merge(e.stamp().fileKey(), 1, Integer::sum);
            }
        }
        if (names == null) return;
        for (int i = 0; i < entries.size(); i++) {
            FileEntry e = entries.get(i);
            if (e.isFile() && e.links() > names.getOrDefault(e.stamp().fileKey(), 0)) {
                entries.set(i, new FileEntry(e.path(), EntryKind.HARDLINK, e.mode(), 0, new byte[0], "", e.stamp()));
            }
        }
    }

    /** What one stat tells of a path (the "unix" view: mode with the type bits, link count, size, time, inode). */
    private record Attrs(int mode, int links, long size, long mtimeNanos, String fileKey) {
        boolean isDirectory() {
            return (mode & S_IFMT) == 0040000;
        }
    }

    private static Attrs attrs(Path p) throws IOException {
        Map<String, Object> a =
                Files.readAttributes(p, "unix:mode,nlink,size,lastModifiedTime,fileKey", LinkOption.NOFOLLOW_LINKS);
        return new Attrs(
                (Integer) a.get("mode"),
                (Integer) a.get("nlink"),
                (Long) a.get("size"),
                ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
                String.valueOf(a.get("fileKey")));
    }

    /**
     * One subtree (or a single path) without following links, sorted by path. Walked by hand rather than with
     * {@code Files.walkFileTree}, whose attributes are not POSIX ones: reading the mode would stat every path twice.
     */
    private static List<FileEntry> walk(Path top, String prefix, Map<String, FileEntry> known, IgnoreRules rules)
            throws IOException {
        List<FileEntry> out = new ArrayList<>();
        walk(top, attrs(top), prefix, known, rules, out);
        out.sort(BY_PATH);
        return out;
    }

    /** Files whose stamp is the one remembered get their remembered hash here; the others are hashed afterwards. */
    private static void walk(
            Path p, Attrs a, String prefix, Map<String, FileEntry> known, IgnoreRules rules, List<FileEntry> out)
            throws IOException {
        if (!rules.isEmpty() && rules.ignored(p.toString().substring(prefix.length()), a.isDirectory())) return;
        FileEntry e = entry(prefix, p, a);
        if (e.isFile()) {
            FileEntry prior = known.get(e.path());
            if (prior != null && e.stamp().equals(prior.stamp())) e = e.withHash(prior.hash());
        }
        out.add(e);
        if (!a.isDirectory()) return;
        try (var children = Files.newDirectoryStream(p)) {
            for (Path c : children) {
                Attrs ca;
                try {
                    ca = attrs(c);
                } catch (NoSuchFileException gone) { // removed between the listing of its directory and its stat
                    continue;
                }
                walk(c, ca, prefix, known, rules, out);
            }
        } catch (NoSuchFileException gone) {
            // a directory removed while it was walked is listed empty: what is gone is not part of the workspace
        }
    }

    /** The order of every listing. */
    static final Comparator<FileEntry> BY_PATH = Comparator.comparing(FileEntry::path);

    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof UncheckedIOException u) throw u.getCause();
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while listing", e);
        }
    }

    /** An entry for one path, without its hash. */
    public static FileEntry stat(Path root, Path p) throws IOException {
        return entry(root.toString() + "/", p, attrs(p));
    }

    private static FileEntry entry(String prefix, Path p, Attrs a) throws IOException {
        EntryKind kind = switch (a.mode() & S_IFMT) {
            case 0100000 -> EntryKind.FILE;
            case 0040000 -> EntryKind.DIRECTORY;
            case 0120000 -> EntryKind.SYMLINK;
            case 0010000 -> EntryKind.FIFO;
            case 0140000 -> EntryKind.SOCKET;
            default -> EntryKind.DEVICE;
        };
        int mode = a.mode() & 0777; // setuid, setgid and sticky bits never travel
        long size = kind == EntryKind.FILE ? a.size() : 0;
        String target = kind == EntryKind.SYMLINK ? Files.readSymbolicLink(p).toString() : "";
        FileEntry.Stamp stamp = new FileEntry.Stamp(size, a.mtimeNanos(), a.fileKey());
        String abs = p.toString();
        String rel = abs.startsWith(prefix) ? abs.substring(prefix.length()) : abs;
        return new FileEntry(rel, kind, mode, size, null, target, stamp, kind == EntryKind.FILE ? a.links() : 1);
    }

    private void hashAll(Path root, List<FileEntry> entries, List<Integer> indexes) throws IOException {
        if (indexes.size() < 4) {
            for (int i : indexes) entries.set(i, hashed(root, entries.get(i)));
            return;
        }
        List<Future<FileEntry>> futures = new ArrayList<>(indexes.size());
        for (int i : indexes) {
            FileEntry e = entries.get(i);
            futures.add(POOL.submit(() -> hashed(root, e)));
        }
        for (int k = 0; k < indexes.size(); k++) entries.set(indexes.get(k), await(futures.get(k)));
    }

    private final AtomicLong hashed = new AtomicLong();

    /** Files this scanner has read and hashed so far (the ones it could not vouch for by their stamp). */
    public long hashedFiles() {
        return hashed.get();
    }

    /** The entry with its hash, or null when the file is gone. */
    private FileEntry hashed(Path root, FileEntry e) throws IOException {
        hashed.incrementAndGet();
        // The hash covers the size listed, no more: a file that grows while it is listed (a log the run appends to,
        // drover run flow.lua > build.log) is listed as stat saw it, and the sender sends those bytes. One that
        // shrank meanwhile is listed with what was there.
        MessageDigest md = sha256();
        long read;
        try {
            read = digestPrefix(root.resolve(e.path()), e.size(), md);
        } catch (NoSuchFileException gone) { // removed since it was listed: not part of the workspace
            return null;
        }
        FileEntry h = new FileEntry(e.path(), e.kind(), e.mode(), read, md.digest(), "", e.stamp());
        known.put(h.path(), h);
        return h;
    }

    private static ExecutorService pool() {
        int n = Math.max(1, Runtime.getRuntime().availableProcessors());
        ThreadPoolExecutor p = new ThreadPoolExecutor(
                n,
                n,
                30,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                Thread.ofPlatform().daemon().name("drover-scan-", 0).factory());
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    /** One read buffer per thread: 10,000 files should not mean 10,000 buffers. */
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[256 * 1024]);

    /** Digests at most the first {@code limit} bytes of a file; returns how many there were. */
    static long digestPrefix(Path file, long limit, MessageDigest md) throws IOException {
        byte[] buf = BUFFER.get();
        long read = 0;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            for (int n; read < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - read))) > 0; ) {
                md.update(buf, 0, n);
                read += n;
            }
        }
        return read;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
