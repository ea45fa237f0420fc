package io.drover.cluster.files;

import io.drover.agent.sync.Applier;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.PathRules;
import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.Transfer;
import io.drover.agent.sync.Trees;
import io.drover.agent.wire.EntryKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The submitting side's end of a run's files: lists and stores its directory as the run's workspace when the run is
 * submitted ({@link #upload}), and when the run has ended applies what the run changed to that directory ({@link
 * #apply}), all or none: a path that was also changed here while the run went on refuses the whole result as a
 * conflict, as an agent's result is refused.
 */
public final class SyncBack {
    private SyncBack() {}

    /**
     * The directory as it was submitted.
     *
     * @param ref the run's first version
     * @param stored its listing as the fleet has it (a file that changed while it was read: as read)
     * @param stamped the listing as scanned here, with stamps: what tells a path changed here later
     */
    public record Submitted(String ref, List<FileEntry> stored, List<FileEntry> stamped) {
        /** No directory: a run submitted without one starts from an empty workspace. */
        public static Submitted none(FleetFiles files) {
            return new Submitted(RunWorkspace.store(files, List.of()), List.of(), List.of());
        }
    }

    /**
     * What came back: the files written and deleted here (both 0 when the run changed nothing), and what the directory
     * now holds of the run's files.
     */
    public record Applied(int written, int deleted, Submitted now) {}

    /**
     * Lists {@code root} (without {@code .drover/} and what {@code .droverignore} names), stores the contents the
     * fleet lacks and the listing. Hashes are remembered in {@code .drover/sync-index/fleet} so the next run reads
     * only files that changed.
     */
    public static Submitted upload(FleetFiles files, Path root) throws IOException {
        Scanner scanner = new Scanner();
        Path index = root.resolve(Scanner.OWN_DIR).resolve("sync-index").resolve("fleet");
        scanner.load(index);
        List<FileEntry> listing = scanner.scan(root);
        // what leaves this machine may hold links anywhere (they travel as links); nothing else unsafe
        PathRules.checkAll(listing, List.of(), Limits.fromEnvironment(), PathRules.Links.ANYWHERE);
        List<FileEntry> stored = files.upload(root, listing);
        String ref = RunWorkspace.store(files, stored);
        if (!listing.isEmpty()) scanner.save(index);
        return new Submitted(ref, stored, listing);
    }

    /**
     * Applies the changes from the submitted version to {@code head} (the run's last version) to {@code root}.
     *
     * @throws io.drover.agent.sync.TransferRejected for a conflict or an unsafe change, nothing applied
     */
    public static Applied apply(FleetFiles files, Path root, Submitted from, String head) throws IOException {
        if (head == null || head.equals(from.ref())) return new Applied(0, 0, from);
        return apply(files, root, from, head, new Versions(files).resolve(head));
    }

    /**
     * Applies the changes from {@code from} (what {@code root} holds of the run's files: as submitted, or as a
     * previous call left it) to {@code head}, whose listing is {@code end}, all or none. The result says what
     * {@code root} now holds, for the next call.
     *
     * @throws io.drover.agent.sync.TransferRejected for a conflict (a path changed here since {@code from} was
     *     listed) or an unsafe change, nothing applied
     */
    public static Applied apply(FleetFiles files, Path root, Submitted from, String head, List<FileEntry> end)
            throws IOException {
        if (head.equals(from.ref())) return new Applied(0, 0, from);
        Changes changes = Changes.between(from.stored(), end);
        if (changes.isEmpty()) return new Applied(0, 0, new Submitted(head, end, from.stamped()));
        PathRules.checkAll(changes.written(), changes.deleted(), Limits.fromEnvironment());
        PathRules.checkTree(end, changes.written());
        Path stage =
                root.resolve(Scanner.OWN_DIR).resolve("sync").resolve("fleet-" + Long.toHexString(System.nanoTime()));
        Files.createDirectories(stage);
        try {
            Map<String, Long> wanted = Transfer.missing(changes.written(), h -> false);
            files.download(wanted, stage::resolve);
            Applier applier = new Applier(root, stage);
            applier.check(changes, Changes.byPath(from.stamped()), "the fleet");
            applier.apply(changes);
        } finally {
            Trees.delete(stage);
            Trees.deleteIfEmpty(stage.getParent());
            Trees.deleteIfEmpty(stage.getParent().getParent());
        }
        int written = 0;
        for (FileEntry e : changes.written()) if (e.kind() != EntryKind.DIRECTORY) written++;
        // what is here now: unchanged paths as they were listed, written ones with the stamps they have now
        List<FileEntry> stamped = new Scanner().stamped(root, end, from.stamped());
        return new Applied(written, changes.deleted().size(), new Submitted(head, end, stamped));
    }
}
