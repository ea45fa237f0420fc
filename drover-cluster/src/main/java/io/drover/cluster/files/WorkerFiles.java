package io.drover.cluster.files;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.FreshTree;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import io.drover.agent.sync.TransferRejected;
import io.drover.agent.sync.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A worker's side of a run's files: makes an attempt's directory the version of the workspace it starts from
 * ({@link #prepare}), and after the attempt stores what it changed ({@link #collect}). Contents are fetched into a
 * cache by hash ({@code <root>/blobs}, at most {@code cacheMax} bytes, least recently used first out), so a worker
 * fetches each content once, and each attempt's directory holds copies, so a task never writes into the cache. The
 * directory of a run's last attempt is kept ({@link #keep}, {@code <root>/kept}, the last {@value #KEEP_RUNS} runs):
 * the run's next attempt here starts from it, reset to its version by the changes between the two listings (as an
 * agent keeps a workspace), rather than from a copy of every file. Thread-safe.
 */
public final class WorkerFiles {
    static final int KEEP_RUNS = 4;

    private final FleetFiles files;
    private final Versions versions;
    private final Path cache;
    private final Path keptRoot;
    private final long cacheMax;
    private final AtomicLong cached = new AtomicLong(-1);
    private final AtomicLong keptSeq = new AtomicLong();

    /** A finished attempt's directory and its listing as last scanned (with stamps), by run. */
    private record Kept(Path dir, List<FileEntry> listing) {}

    private final LinkedHashMap<String, Kept> kept = new LinkedHashMap<>(8, 0.75f, true);

    /**
     * @param root this worker's directory for runs' files ({@code <workdir>/.drover-files}); what a worker of it
     *     kept before is removed
     */
    public WorkerFiles(FleetFiles files, Path root, long cacheMax) {
        this.files = files;
        this.versions = new Versions(files);
        this.cache = root.resolve("blobs");
        this.keptRoot = root.resolve("kept");
        this.cacheMax = cacheMax;
        Trees.delete(keptRoot);
    }

    /** The store this worker fetches from and stores into. */
    public FleetFiles store() {
        return files;
    }

    /** What an attempt started from: the version's reference, its listing as written (with stamps), its scanner. */
    public record Prepared(String ref, List<FileEntry> listing, Scanner scanner) {}

    /**
     * What an attempt left: the reference of its changes (null when it changed nothing) and its directory's listing
     * (null when the directory may not be kept).
     */
    public record Collected(String ref, List<FileEntry> after) {}

    /**
     * Makes {@code dir} (which must not exist) the version {@code ref} of the workspace of run {@code run}: from the
     * directory kept of the run's last attempt here when there is one, else from copies. An empty version with
     * nothing kept makes nothing: a task that needs no files costs no directory.
     *
     * @throws TransferRejected when the listing is unsafe (a path out of the root, a device) or a content is gone
     */
    public Prepared prepare(String run, String ref, Path dir) throws IOException {
        List<FileEntry> listing = versions.resolve(ref);
        Kept k = take(run);
        if (listing.isEmpty() && k == null) return new Prepared(ref, listing, new Scanner());
        // what the submitting side sent may hold links anywhere (a venv's python): made as links, never followed
        PathRules.checkAll(listing, List.of(), Limits.DEFAULT, PathRules.Links.ANYWHERE);
        if (k != null) {
            try {
                return reset(k, ref, listing, dir);
            } catch (IOException | RuntimeException e) { // whatever went wrong, a fresh copy is always right
                Trees.delete(dir);
                Trees.delete(k.dir());
            }
        }
        Map<String, Long> wanted = fetch(listing);
        Files.createDirectories(dir);
        FreshTree tree = new FreshTree(dir, listing);
        tree.prepare();
        for (var content : Transfer.missing(listing, h -> false).entrySet())
            copy(content.getKey(), content.getValue(), tree.destination(content.getKey()));
        tree.finish();
        trimCache(wanted);
        Scanner scanner = new Scanner();
        return new Prepared(ref, scanner.stamped(dir, listing, List.of()), scanner);
    }

    /** A kept directory made the version {@code listing}: only what differs is deleted and written. */
    private Prepared reset(Kept k, String ref, List<FileEntry> listing, Path dir) throws IOException {
        Files.move(k.dir(), dir, StandardCopyOption.ATOMIC_MOVE);
        Trees.delete(dir.resolve(Scanner.OWN_DIR)); // the last attempt's scratch files
        Scanner scanner = new Scanner();
        k.listing().forEach(scanner::remember);
        Changes c = Changes.between(k.listing(), listing);
        Map<String, Long> wanted = fetch(c.written());
        List<String> gone = new ArrayList<>(c.deleted());
        gone.sort(Comparator.reverseOrder()); // children first
        for (String p : gone) Trees.delete(dir.resolve(p));
        List<FileEntry> dirs = new ArrayList<>();
        for (FileEntry e : c.written()) { // sorted by path: parents first
            Path p = dir.resolve(e.path());
            switch (e.kind()) {
                case DIRECTORY -> {
                    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Trees.delete(p);
                        Files.createDirectory(p);
                    }
                    dirs.add(e);
                }
                case FILE -> {
                    Trees.delete(p);
                    copy(e.hashHex(), e.size(), p);
                    Files.setPosixFilePermissions(p, Trees.permissions(e.mode()));
                }
                case SYMLINK -> {
                    Trees.delete(p);
                    Files.createSymbolicLink(p, Path.of(e.linkTarget()));
                }
                default -> throw new TransferRejected("'" + e.path() + "' cannot be written: " + e.kind());
            }
        }
        for (int i = dirs.size() - 1; i >= 0; i--) {
            Files.setPosixFilePermissions(
                    dir.resolve(dirs.get(i).path()),
                    Trees.permissions(dirs.get(i).mode()));
        }
        trimCache(wanted);
        return new Prepared(ref, scanner.stamped(dir, listing, k.listing()), scanner);
    }

    /** Fetches the contents of {@code entries} the cache lacks; returns them (hex -> size). */
    private Map<String, Long> fetch(List<FileEntry> entries) throws IOException {
        Map<String, Long> wanted = Transfer.missing(entries, h -> Files.exists(cache.resolve(h)));
        if (!wanted.isEmpty()) {
            Files.createDirectories(cache);
            files.download(wanted, cache::resolve);
        }
        return wanted;
    }

    /** Copies a content from the cache to {@code to}, which must not exist. */
    private void copy(String hex, long size, Path to) throws IOException {
        Path c = cache.resolve(hex);
        try {
            Files.copy(c, to);
            Files.setLastModifiedTime(c, FileTime.fromMillis(System.currentTimeMillis())); // used: the last to go
        } catch (NoSuchFileException e) { // another attempt's trim took it meanwhile: fetched again, straight
            files.download(Map.of(hex, size), h -> to);
        }
    }

    /**
     * Stores what the attempt changed in {@code dir} since {@link #prepare} (under {@code artifacts} only, when the
     * task names some): its new and changed contents, and a {@link Listing} of the changes on top of the version it
     * started from.
     *
     * @throws TransferRejected for changes that may not travel (a link leading out of the workspace, a hard link, a
     *     device) or a file over what the store takes
     */
    public Collected collect(Prepared p, Path dir, List<String> artifacts) throws IOException {
        if (!Files.isDirectory(dir)) return new Collected(null, null);
        List<FileEntry> after = p.scanner().scan(dir);
        Changes all = Changes.between(p.listing(), after);
        Changes changes = all.only(artifacts);
        // What a task with artifacts leaves besides them stays out of the run's files; its directory, which holds
        // them, is not kept (the listing kept must be what is on disk).
        boolean whole = artifacts.isEmpty() || all.isEmpty(); // only() kept all of them
        List<FileEntry> kept = whole ? after : null;
        if (changes.isEmpty()) return new Collected(null, kept);
        PathRules.checkAll(changes.written(), changes.deleted(), Limits.DEFAULT);
        PathRules.checkTree(whole ? after : changes.applyTo(p.listing()), changes.written());
        List<FileEntry> written = files.upload(dir, changes.written());
        return new Collected(files.putListing(new Listing(p.ref(), new Changes(written, changes.deleted()))), kept);
    }

    /**
     * Keeps an attempt's directory (listed as {@code after} by {@link #collect}) for the next attempt of its run
     * here; the run's directory kept before, and those of runs beyond the last {@value #KEEP_RUNS}, are removed.
     */
    public void keep(String run, Path dir, List<FileEntry> after) {
        Path to = keptRoot.resolve(Long.toString(keptSeq.incrementAndGet()));
        try {
            Files.createDirectories(keptRoot);
            Files.move(dir, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Trees.delete(dir);
            return;
        }
        List<Path> drop = new ArrayList<>();
        synchronized (this) {
            Kept old = kept.put(run, new Kept(to, after));
            if (old != null) drop.add(old.dir());
            var it = kept.values().iterator();
            while (kept.size() > KEEP_RUNS && it.hasNext()) {
                drop.add(it.next().dir());
                it.remove();
            }
        }
        drop.forEach(Trees::delete);
    }

    private synchronized Kept take(String run) {
        return kept.remove(run);
    }

    private void trimCache(Map<String, Long> wanted) throws IOException {
        long added = 0;
        for (long s : wanted.values()) added += s;
        if (added > 0) trimCache(added);
    }

    /** Keeps the cache within its size: the least recently used contents go first. */
    private void trimCache(long added) throws IOException {
        if (cached.get() < 0) cached.set(sizeOf(cache));
        if (cached.addAndGet(added) <= cacheMax) return;
        synchronized (this) {
            record Item(Path path, long size, long used) {}
            List<Item> items = new ArrayList<>();
            long total = 0;
            try (Stream<Path> s = Files.list(cache)) {
                for (Path f : s.toList()) {
                    try {
                        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                        items.add(new Item(f, a.size(), a.lastModifiedTime().toMillis()));
                        total += a.size();
                    } catch (NoSuchFileException e) {
                        // gone meanwhile
                    }
                }
            }
            items.sort(Comparator.comparingLong(Item::used));
            for (Item i : items) {
                if (total <= cacheMax / 2) break;
                Files.deleteIfExists(i.path());
                total -= i.size();
            }
            cached.set(total);
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        long total = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                try {
                    total += Files.size(f);
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                }
            }
        }
        return total;
    }
}
