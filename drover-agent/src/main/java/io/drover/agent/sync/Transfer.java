package io.drover.agent.sync;

import com.google.protobuf.ByteString;
import io.drover.agent.wire.Entries;
import io.drover.agent.wire.Entry;
import io.drover.agent.wire.Hashes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The parts of the protocol both sides speak the same way: listings and hash lists split into messages well under
 * 1 MiB, and put together again on the other side.
 */
public final class Transfer {
    /** Listing bytes per message, estimated generously. */
    static final int PART_BYTES = 512 * 1024;

    private Transfer() {}

    public static Entry toWire(FileEntry e) {
        Entry.Builder b = Entry.newBuilder()
                .setPath(e.path())
                .setKind(e.kind())
                .setMode(e.mode())
                .setSize(e.size());
        if (e.hash().length > 0) b.setHash(ByteString.copyFrom(e.hash()));
        if (!e.linkTarget().isEmpty()) b.setLinkTarget(e.linkTarget());
        return b.build();
    }

    public static FileEntry fromWire(Entry e) {
        return new FileEntry(
                e.getPath(), e.getKind(), e.getMode(), e.getSize(), e.getHash().toByteArray(), e.getLinkTarget(), null);
    }

    /** Sends a listing (and deleted paths) as one or more {@link Entries}, the last with {@code done}. */
    public static void sendEntries(List<FileEntry> entries, List<String> deleted, Consumer<Entries> out) {
        Entries.Builder b = Entries.newBuilder();
        int bytes = 0;
        for (FileEntry e : entries) {
            int size = e.path().length() + e.linkTarget().length() + 64;
            if (bytes + size > PART_BYTES && bytes > 0) {
                out.accept(b.build());
                b = Entries.newBuilder();
                bytes = 0;
            }
            b.addEntries(toWire(e));
            bytes += size;
        }
        for (String d : deleted) {
            int size = d.length() + 8;
            if (bytes + size > PART_BYTES && bytes > 0) {
                out.accept(b.build());
                b = Entries.newBuilder();
                bytes = 0;
            }
            b.addDeleted(d);
            bytes += size;
        }
        out.accept(b.setDone(true).build());
    }

    /** Reads {@link Entries} parts until the one with {@code done}. */
    public static Changes receiveEntries(Supplier<Entries> in, long maxEntries) {
        return receiveEntries(in, maxEntries, null);
    }

    /** As above, each part's memory taken from {@code hold} (when given) before it is kept. */
    public static Changes receiveEntries(Supplier<Entries> in, long maxEntries, ListingBudget.Hold hold) {
        List<FileEntry> entries = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        while (true) {
            Entries part = in.get();
            if (hold != null) hold.take(part.getSerializedSize());
            for (Entry e : part.getEntriesList()) entries.add(fromWire(e));
            deleted.addAll(part.getDeletedList());
            if (entries.size() + (long) deleted.size() > maxEntries) {
                throw new TransferRejected("the listing holds more than " + maxEntries + " entries (the limit)");
            }
            if (part.getDone()) return new Changes(entries, deleted);
        }
    }

    /** Whether a listing holds any file: only then does a Hashes / Blobs exchange follow a task's changes (both sides know). */
    public static boolean hasFiles(List<FileEntry> entries) {
        for (FileEntry e : entries) if (e.isFile()) return true;
        return false;
    }

    /** The distinct contents of a listing that {@code have} says are missing: hex hash -> size, in listing order. */
    public static Map<String, Long> missing(List<FileEntry> entries, Predicate<String> have) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (FileEntry e : entries) {
            if (e.isFile() && !m.containsKey(e.hashHex()) && !have.test(e.hashHex())) m.put(e.hashHex(), e.size());
        }
        return m;
    }

    public static void sendHashes(Iterable<String> hexes, Consumer<Hashes> out) {
        Hashes.Builder b = Hashes.newBuilder();
        int n = 0;
        for (String h : hexes) {
            if (n == 16 * 1024) {
                out.accept(b.build());
                b = Hashes.newBuilder();
                n = 0;
            }
            b.addHashes(ByteString.copyFrom(HexFormat.of().parseHex(h)));
            n++;
        }
        out.accept(b.setDone(true).build());
    }

    public static List<String> receiveHashes(Supplier<Hashes> in, long max) {
        List<String> out = new ArrayList<>();
        while (true) {
            Hashes part = in.get();
            for (ByteString h : part.getHashesList()) out.add(HexFormat.of().formatHex(h.toByteArray()));
            if (out.size() > max) throw new TransferRejected("asked for more contents than were offered");
            if (part.getDone()) return out;
        }
    }
}
