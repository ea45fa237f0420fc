package io.drover.cluster.files;

import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.TransferRejected;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A run's workspace on the fleet, kept by the run's scheduler (a controller, or {@code drover run}): the version
 * every attempt starts from ({@link #head}), and the changes of each attempt applied to it as the attempt ends, all
 * or none, under the same rule as an agent's result: a path the attempt changed must not have been changed by
 * another attempt since this one started (else a conflict fails the attempt). Changes already applied (an attempt's
 * end heard again by a scheduler that took the run over) apply as nothing. The head is a {@link Listing} reference;
 * after {@value #MAX_DEPTH} changes in a row a whole listing starts a new chain, so no reader walks far. Thread-safe.
 */
public final class RunWorkspace {
    static final int MAX_DEPTH = 32;

    private final FleetFiles files;
    private final Versions versions;
    private final Consumer<String> onHead;
    private String head;
    private List<FileEntry> now;
    private int depth;

    /**
     * @param head the version to start from (the submitted workspace, or the head a snapshot recorded)
     * @param onHead told each new head before {@link #apply} returns (what the run's snapshot records)
     */
    public RunWorkspace(FleetFiles files, Versions versions, String head, Consumer<String> onHead) {
        this.files = files;
        this.versions = versions;
        this.onHead = onHead;
        this.head = head;
        this.now = versions.resolve(head);
    }

    /** Stores a whole listing (the submitted workspace: {@code List.of()} for none) and returns its reference. */
    public static String store(FleetFiles files, List<FileEntry> listing) {
        return files.putListing(Listing.whole(listing));
    }

    /** The store this workspace's versions and contents are in. */
    public FleetFiles store() {
        return files;
    }

    /** The version an attempt dispatched now starts from. */
    public synchronized String head() {
        return head;
    }

    /** The workspace's listing now. */
    public synchronized List<FileEntry> listing() {
        return now;
    }

    /**
     * Applies the changes an attempt of {@code task} made ({@code changesRef}: a {@link Listing} whose parent is the
     * version it started from).
     *
     * @throws TransferRejected for a conflict, or changes that would write through a link, naming the path
     */
    public synchronized void apply(String changesRef, String task) {
        Listing d = files.getListing(changesRef);
        if (d.parent() == null) throw new TransferRejected("an attempt's changes name no version they apply to");
        Map<String, FileEntry> start = Changes.byPath(versions.resolve(d.parent()));
        Map<String, FileEntry> current = Changes.byPath(now);
        List<FileEntry> written = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        for (FileEntry e : d.changes().written()) {
            FileEntry there = current.get(e.path());
            if (there != null && there.sameAs(e)) continue; // applied already, or the same change made elsewhere
            if (!same(start.get(e.path()), there)) throw conflict(e.path(), task);
            written.add(e);
        }
        for (String p : d.changes().deleted()) {
            FileEntry there = current.get(p);
            if (there == null) continue;
            if (!same(start.get(p), there)) throw conflict(p, task);
            deleted.add(p);
        }
        if (written.isEmpty() && deleted.isEmpty()) return;
        Changes effective = new Changes(written, deleted);
        List<FileEntry> next = effective.applyTo(now);
        PathRules.checkTree(next, written);
        Listing version = depth + 1 >= MAX_DEPTH ? Listing.whole(next) : new Listing(head, effective);
        String ref = files.putListing(version);
        versions.put(ref, next);
        depth = version.parent() == null ? 0 : depth + 1;
        head = ref;
        now = next;
        onHead.accept(ref);
    }

    private static boolean same(FileEntry a, FileEntry b) {
        return a == null ? b == null : b != null && a.sameAs(b);
    }

    private static TransferRejected conflict(String path, String task) {
        return new TransferRejected("workspace conflict: '" + path + "' was changed by another task while " + task
                + " ran (its changes were not applied)");
    }
}
