package io.drover.agent.server;

import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Trees;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Directories of finished tasks kept for the next task of the same master workspace: taken by one task at a time
 * (never shared), and reset to that task's listing before it runs, so only what changed is written. Bounded; the
 * least recently returned directories are removed first. Thread-safe.
 */
final class WorkspacePool {
    /**
     * A kept directory and its entries as last listed (with on-disk stamps); {@code id} names that listing to the
     * master, which may send its next upload as a delta on top of it.
     */
    record Kept(String key, String id, Path dir, List<FileEntry> entries) {}

    private final int capacity;
    private final LinkedHashMap<Long, Kept> kept = new LinkedHashMap<>();
    private long sequence;

    WorkspacePool(int capacity) {
        this.capacity = capacity;
    }

    /**
     * A kept directory for this workspace, now owned by the caller, or null: the one whose listing is {@code id} if
     * kept, else the most recently returned one.
     */
    synchronized Kept take(String key, String id) {
        if (key.isEmpty()) return null;
        Kept found = null;
        Long at = null;
        for (Map.Entry<Long, Kept> e : kept.entrySet()) {
            Kept k = e.getValue();
            if (k.key().equals(key) && (found == null || !found.id().equals(id))) {
                found = k;
                at = e.getKey();
            }
        }
        if (at != null) kept.remove(at);
        return found;
    }

    /** Whether directories are kept at all. */
    boolean keeps() {
        return capacity > 0;
    }

    /** Keeps a directory for later, or removes it when keeping is off. */
    void give(Kept k) {
        List<Kept> evicted = new ArrayList<>();
        synchronized (this) {
            if (capacity > 0 && !k.key().isEmpty()) kept.put(sequence++, k);
            else evicted.add(k);
            for (Iterator<Kept> it = kept.values().iterator(); kept.size() > capacity && it.hasNext(); ) {
                evicted.add(it.next());
                it.remove();
            }
        }
        evicted.forEach(e -> Trees.delete(e.dir()));
    }

    synchronized void clear() {
        kept.values().forEach(e -> Trees.delete(e.dir()));
        kept.clear();
    }
}
