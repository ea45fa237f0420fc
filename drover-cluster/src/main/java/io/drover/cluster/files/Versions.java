package io.drover.cluster.files;

import io.drover.agent.sync.FileEntry;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves a version of a run's workspace (a {@link Listing} reference) to its whole listing: it walks the parents
 * back to a version it knows or a whole listing, then applies the changes forward. Keeps the last versions it
 * resolved (up to about a million entries in all), so a worker that ran the previous task of a run fetches one
 * small listing for the next. Thread-safe.
 */
public final class Versions {
    private static final long KEEP_ENTRIES = 1_000_000;
    private final FleetFiles files;
    private long entries;

    private final LinkedHashMap<String, List<FileEntry>> known = new LinkedHashMap<>(16, 0.75f, true);

    public Versions(FleetFiles files) {
        this.files = files;
    }

    /** The whole listing of the version {@code ref}, sorted by path. */
    public List<FileEntry> resolve(String ref) {
        Deque<Listing> chain = new ArrayDeque<>();
        List<FileEntry> base;
        String r = ref;
        while (true) {
            List<FileEntry> k = get(r);
            if (k != null) {
                base = k;
                break;
            }
            Listing l = files.getListing(r);
            chain.push(l);
            if (l.parent() == null) {
                base = List.of();
                break;
            }
            r = l.parent();
            if (chain.size() > 10_000) throw new IllegalStateException("a listing's parents do not end");
        }
        if (chain.isEmpty()) return base;
        List<FileEntry> out = base;
        while (!chain.isEmpty()) out = chain.pop().applyTo(out);
        put(ref, out);
        return out;
    }

    /** Remembers a version's listing (one just made). */
    public synchronized void put(String ref, List<FileEntry> listing) {
        List<FileEntry> was = known.put(ref, List.copyOf(listing));
        entries += listing.size() - (was == null ? 0 : was.size());
        var it = known.entrySet().iterator();
        while (entries > KEEP_ENTRIES && known.size() > 1 && it.hasNext()) {
            Map.Entry<String, List<FileEntry>> e = it.next();
            if (e.getKey().equals(ref)) continue;
            entries -= e.getValue().size();
            it.remove();
        }
    }

    private synchronized List<FileEntry> get(String ref) {
        return known.get(ref);
    }
}
