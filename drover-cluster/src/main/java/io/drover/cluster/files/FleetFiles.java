package io.drover.cluster.files;

import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Sizes;
import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.queue.RedisBlobs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The fleet's content-addressed store of runs' files: every content under its SHA-256, so each is stored once and a
 * worker fetches only what it lacks. Contents up to {@code inlineMax} bytes, and every {@link Listing}, live in Redis
 * ({@link RedisBlobs}); larger contents in a {@link LargeContents} store: a directory every machine of the fleet mounts
 * at the same path ({@link SharedDirectory}, {@code DROVER_FILE_STORE}) to start with. Without such a directory a larger file
 * fails its transfer with one line naming both settings. Contents are kept {@code keep} from their last store (the
 * retention of runs). Thread-safe.
 */
public final class FleetFiles {
    /** What a content may weigh and still go to Redis, unless {@code DROVER_FILES_INLINE_MAX} says otherwise. */
    public static final long DEFAULT_INLINE_MAX = 16L << 20;
    /** Bytes of contents sent or fetched in one round trip. */
    private static final long BATCH_BYTES = 16L << 20;

    private final RedisBlobs redis;
    /** Where contents over the inline limit go, or null for nowhere. */
    private final LargeContents large;

    private final long inlineMax;
    private final Duration keep;

    /**
     * @param large where contents over {@code inlineMax} go ({@link SharedDirectory#at}, or an object store of the
     *     caller's), or null for nowhere
     * @param keep how long a content stored or found is kept from now
     */
    public FleetFiles(RedisBlobs redis, LargeContents large, long inlineMax, Duration keep) {
        if (inlineMax < 0) throw new IllegalArgumentException("the inline limit must not be negative");
        this.redis = redis;
        this.large = large;
        this.inlineMax = inlineMax;
        this.keep = keep;
    }

    /**
     * With the settings of this process's environment: {@code DROVER_FILE_STORE} (a directory) and
     * {@code DROVER_FILES_INLINE_MAX} (a size: {@code 16m}).
     *
     * @throws IllegalArgumentException naming the variable, for a value that is not a size
     */
    public static FleetFiles fromEnvironment(RedisBlobs redis, Duration keep) {
        return of(redis, keep, System.getenv("DROVER_FILE_STORE"), System.getenv("DROVER_FILES_INLINE_MAX"));
    }

    /** With the given settings (null or blank: the default), checked as {@link #fromEnvironment} checks them. */
    public static FleetFiles of(RedisBlobs redis, Duration keep, String store, String inlineMax) {
        long max = DEFAULT_INLINE_MAX;
        if (inlineMax != null && !inlineMax.isBlank()) {
            try {
                max = Sizes.parse(inlineMax);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("DROVER_FILES_INLINE_MAX: " + e.getMessage());
            }
        }
        Path dir = store == null || store.isBlank() ? null : Path.of(store).toAbsolutePath();
        if (dir != null && !Files.isDirectory(dir))
            throw new IllegalArgumentException("DROVER_FILE_STORE: " + dir + " is not a directory");
        return new FleetFiles(redis, SharedDirectory.at(dir), max, keep);
    }

    /** The same store with contents kept {@code d} from their last use. */
    public FleetFiles keeping(Duration d) {
        return new FleetFiles(redis, large, inlineMax, d);
    }

    // ---- listings ----

    /** Stores a listing (always in Redis: controllers read them) and returns its reference, its SHA-256. */
    public String putListing(Listing l) {
        byte[] bytes = l.encode();
        String ref = hex(bytes);
        if (!redis.missing(List.of(ref), keep).isEmpty()) redis.put(Map.of(ref, bytes), keep);
        return ref;
    }

    /**
     * The listing {@code ref} names.
     *
     * @throws TransferRejected when it is gone (expired with its run) or is not what its reference names
     */
    public Listing getListing(String ref) {
        byte[] bytes = redis.get(List.of(ref)).get(ref);
        if (bytes == null)
            throw new TransferRejected("the run's file listing " + ref.substring(0, 12)
                    + " is gone from the fleet (kept for the run's retention)");
        if (!hex(bytes).equals(ref))
            throw new TransferRejected("the run's file listing " + ref.substring(0, 12) + " is damaged");
        return Listing.decode(bytes);
    }

    // ---- contents ----

    /**
     * Stores the contents of the files among {@code entries} (a listing of {@code root}) that the store lacks, and
     * keeps those it has. A file is read up to its listed size and stored as read: one that changed since it was
     * listed (a log still being written) travels as it was when read, and its entry in the returned list says so.
     * Returns {@code entries} with such entries replaced.
     *
     * @throws TransferRejected for a file over the inline limit when there is no shared store
     */
    public List<FileEntry> upload(Path root, List<FileEntry> entries) throws IOException {
        Map<String, List<Integer>> byHash = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            FileEntry e = entries.get(i);
            if (!e.isFile()) continue;
            if (e.size() > inlineMax && large == null) throw tooLarge(e);
            byHash.computeIfAbsent(e.hashHex(), k -> new ArrayList<>()).add(i);
        }
        if (byHash.isEmpty()) return entries;
        List<FileEntry> out = new ArrayList<>(entries);
        List<String> small = new ArrayList<>();
        for (var h : byHash.entrySet()) {
            long size = entries.get(h.getValue().get(0)).size();
            if (size <= inlineMax) small.add(h.getKey());
            else if (!large.has(h.getKey())) storeLarge(root, out, h.getValue());
        }
        Map<String, byte[]> batch = new LinkedHashMap<>();
        long bytes = 0;
        for (String h : redis.missing(small, keep)) {
            for (int i : byHash.get(h)) { // the first name whose content is still the listed one serves them all
                FileEntry e = out.get(i);
                byte[] read = read(root.resolve(e.path()), e.size());
                String got = hex(read);
                batch.put(got, read);
                bytes += read.length;
                if (got.equals(h)) break;
                out.set(i, asRead(e, read.length, got));
            }
            if (bytes >= BATCH_BYTES) {
                redis.put(batch, keep);
                batch.clear();
                bytes = 0;
            }
        }
        redis.put(batch, keep);
        return out;
    }

    /**
     * Fetches contents (hex -> size) into {@code dest.apply(hex)}, each written whole (through a temporary name in
     * the same directory) and checked against its hash.
     *
     * @throws TransferRejected when a content is gone or damaged
     */
    public void download(Map<String, Long> wanted, Function<String, Path> dest) throws IOException {
        List<String> batch = new ArrayList<>();
        long bytes = 0;
        for (var w : wanted.entrySet()) {
            if (w.getValue() > inlineMax && large != null && large.get(w.getKey(), dest.apply(w.getKey()))) continue;
            batch.add(w.getKey());
            bytes += w.getValue();
            if (bytes >= BATCH_BYTES) {
                fetch(batch, dest);
                batch.clear();
                bytes = 0;
            }
        }
        fetch(batch, dest);
    }

    private void fetch(List<String> hexes, Function<String, Path> dest) throws IOException {
        if (hexes.isEmpty()) return;
        Map<String, byte[]> got = redis.get(hexes);
        for (String h : hexes) {
            byte[] b = got.get(h);
            if (b == null && large != null && large.get(h, dest.apply(h))) continue;
            if (b == null)
                throw new TransferRejected("the content " + h.substring(0, 12)
                        + " is gone from the fleet's file store (kept for the run's retention)");
            if (!hex(b).equals(h)) throw new TransferRejected("the content " + h.substring(0, 12) + " is damaged");
            Path to = dest.apply(h);
            Path tmp = temp(to);
            Files.write(tmp, b);
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private TransferRejected tooLarge(FileEntry e) {
        return new TransferRejected("'" + e.path() + "' holds " + Sizes.format(e.size()) + ", over the "
                + Sizes.format(inlineMax) + " a file may take in Redis (DROVER_FILES_INLINE_MAX); give the fleet a"
                + " shared file store for larger ones (DROVER_FILE_STORE=DIR, the same directory on every machine)");
    }

    /**
     * Removes the contents of the store of large contents not used within the retention, and uploads left half-done;
     * returns how many went. Any process of the fleet may call it (workers do, hourly): contents in use are touched by
     * each use. Nothing without such a store.
     */
    public int sweepShared() throws IOException {
        return large == null ? 0 : large.sweep(keep);
    }

    /** Stores large files, each under the hash of what was read; an entry whose file changed since says so. */
    private void storeLarge(Path root, List<FileEntry> out, List<Integer> names) throws IOException {
        for (int i : names) {
            FileEntry e = out.get(i);
            LargeContents.Stored got = large.put(root.resolve(e.path()), e.size());
            if (got.hex().equals(e.hashHex())) return;
            out.set(i, asRead(e, got.size(), got.hex()));
        }
    }

    private static Path temp(Path to) {
        return SharedDirectory.temp(to);
    }

    private static byte[] read(Path file, long size) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return in.readNBytes((int) size);
        }
    }

    private static FileEntry asRead(FileEntry e, long size, String hex) {
        return new FileEntry(e.path(), e.kind(), e.mode(), size, HexFormat.of().parseHex(hex), "", null, e.links());
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(Scanner.sha256().digest(bytes));
    }
}
