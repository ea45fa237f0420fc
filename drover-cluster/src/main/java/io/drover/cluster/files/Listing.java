package io.drover.cluster.files;

import com.google.protobuf.InvalidProtocolBufferException;
import io.drover.agent.sync.Changes;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Transfer;
import io.drover.agent.wire.Entries;
import io.drover.agent.wire.Entry;
import io.drover.cluster.queue.Keys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One version of a run's workspace as the fleet stores it, by content ({@link FleetFiles#putListing}): either a whole
 * listing ({@code parent} null) or the changes made to the version {@code parent} names (a task's changes, or the
 * run's workspace after a task). Encoded as a short header and the agent protocol's {@link Entries} message, so a
 * listing is the same data on the fleet as on the way to an agent. Immutable.
 *
 * @param parent the reference of the version these changes apply to, or null for a whole listing
 * @param changes the entries written (a whole listing: every entry) and the paths deleted
 */
public record Listing(String parent, Changes changes) {
    private static final byte[] MAGIC = "drover-listing-1\n".getBytes(StandardCharsets.US_ASCII);

    public Listing {
        if (parent != null && !Keys.isHash(parent))
            throw new IllegalArgumentException("bad listing reference '" + parent + "'");
        if (parent == null && !changes.deleted().isEmpty())
            throw new IllegalArgumentException("a whole listing deletes nothing");
    }

    /** A whole listing. */
    public static Listing whole(List<FileEntry> entries) {
        return new Listing(null, new Changes(entries, List.of()));
    }

    /** This version's entries, given its parent's (sorted by path, as every listing is). */
    public List<FileEntry> applyTo(List<FileEntry> parentEntries) {
        return changes.applyTo(parent == null ? List.of() : parentEntries);
    }

    byte[] encode() {
        Entries.Builder b = Entries.newBuilder().setDone(true).setDelta(parent != null);
        for (FileEntry e : changes.written()) b.addEntries(Transfer.toWire(e));
        b.addAllDeleted(changes.deleted());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.writeBytes((parent == null ? "" : parent).getBytes(StandardCharsets.US_ASCII));
        out.write('\n');
        try {
            b.build().writeTo(out);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a byte array does not fail
        }
        return out.toByteArray();
    }

    static Listing decode(byte[] bytes) {
        if (bytes.length < MAGIC.length || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length))
            throw new IllegalArgumentException("not a listing of the fleet's files (or of a newer version)");
        int nl = MAGIC.length;
        while (nl < bytes.length && bytes[nl] != '\n') nl++;
        if (nl == bytes.length) throw new IllegalArgumentException("a listing's header is cut short");
        String parent = new String(bytes, MAGIC.length, nl - MAGIC.length, StandardCharsets.US_ASCII);
        Entries m;
        try {
            m = Entries.parseFrom(Arrays.copyOfRange(bytes, nl + 1, bytes.length));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("a listing of the fleet's files cannot be read: " + e.getMessage());
        }
        List<FileEntry> written = new ArrayList<>(m.getEntriesCount());
        for (Entry e : m.getEntriesList()) written.add(Transfer.fromWire(e));
        return new Listing(parent.isEmpty() ? null : parent, new Changes(written, m.getDeletedList()));
    }
}
