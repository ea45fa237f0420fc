package io.drover.cluster.files;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.FreshTree;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A worker's side of a run's files: makes an attempt's directory the version of the workspace it starts from
 * ({@link #prepare}), and after the attempt stores what it changed ({@link #collect}). Contents are fetched into a
 * cache by hash ({@code <workdir>/.drover-files}, at most {@code cacheMax} bytes, least recently used first out), so
 * a worker fetches each content once; each attempt's directory is a copy, so a task never writes into the cache.
 * Thread-safe.
 */
public final class WorkerFiles {
    private final FleetFiles files;
    private final Versions versions;
    private final Path cache;
    private final long cacheMax;
    private final AtomicLong cached = new AtomicLong(-1);

    public WorkerFiles(FleetFiles files, Path cache, long cacheMax) {
        this.files = files;
        this.versions = new Versions(files);
        this.cache = cache;
        this.cacheMax = cacheMax;
    }

    /** The store this worker fetches from and stores into. */
    public FleetFiles store() {
        return files;
    }

    /** What an attempt started from: the version's reference, its listing as written (with stamps), its scanner. */
    public record Prepared(String ref, List<FileEntry> listing, Scanner scanner) {}

    /**
     * Makes {@code dir} (which must not exist) the version {@code ref} of the run's workspace. An empty version
     * makes nothing: a task that needs no files costs no directory.
     *
     * @throws io.drover.agent.sync.TransferRejected when the listing is unsafe (a path out of the root, a device) or a
     *     content is gone
     */
    public Prepared prepare(String ref, Path dir) throws IOException {
        List<FileEntry> listing = versions.resolve(ref);
        Scanner scanner = new Scanner();
        if (listing.isEmpty()) return new Prepared(ref, listing, scanner);
        // what the submitting side sent may hold links anywhere (a venv's python): made as links, never followed
        PathRules.checkAll(listing, List.of(), Limits.DEFAULT, PathRules.Links.ANYWHERE);
        Map<String, Long> wanted = Transfer.missing(listing, h -> Files.exists(cache.resolve(h)));
        if (!wanted.isEmpty()) {
            Files.createDirectories(cache);
            files.download(wanted, cache::resolve);
        }
        Files.createDirectories(dir);
        FreshTree tree = new FreshTree(dir, listing);
        tree.prepare();
        FileTime now = FileTime.fromMillis(System.currentTimeMillis());
        for (var content : Transfer.missing(listing, h -> false).entrySet()) {
            String hex = content.getKey();
            Path c = cache.resolve(hex);
            try {
                Files.copy(c, tree.destination(hex));
                Files.setLastModifiedTime(c, now); // used: the last to leave the cache
            } catch (NoSuchFileException e) { // another attempt's trim took it meanwhile: fetched again, straight
                files.download(Map.of(hex, content.getValue()), h -> tree.destination(hex));
            }
        }
        tree.finish();
        long added = 0;
        for (long s : wanted.values()) added += s;
        if (added > 0) trimCache(added);
        return new Prepared(ref, scanner.stamped(dir, listing, List.of()), scanner);
    }

    /**
     * Stores what the attempt changed in {@code dir} since {@link #prepare}: its new and changed contents, and a
     * {@link Listing} of the changes on top of the version it started from. Returns that listing's reference, or
     * null when nothing changed.
     *
     * @throws io.drover.agent.sync.TransferRejected for changes that may not travel (a link leading out of the
     *     workspace, a hard link, a device) or a file over what the store takes
     */
    public String collect(Prepared p, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return null;
        List<FileEntry> after = p.scanner().scan(dir);
        Changes changes = Changes.between(p.listing(), after);
        if (changes.isEmpty()) return null;
        PathRules.checkAll(changes.written(), changes.deleted(), Limits.DEFAULT);
        PathRules.checkTree(after, changes.written());
        List<FileEntry> written = files.upload(dir, changes.written());
        return files.putListing(new Listing(p.ref(), new Changes(written, changes.deleted())));
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
