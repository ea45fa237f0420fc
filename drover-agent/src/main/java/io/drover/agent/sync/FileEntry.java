package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One path of a workspace as seen on disk: what it is, its permission bits, and for a file its size and SHA-256.
 * {@code stamp} identifies the on-disk version (size, times, inode) so an unchanged file is not hashed again; it
 * never travels.
 *
 * @param path relative to the workspace root, '/'-separated
 * @param mode permission bits (setuid, setgid and sticky bits are never kept)
 * @param hash SHA-256 of a file's content, empty for anything else
 * @param linkTarget a symbolic link's target as written, empty for anything else
 * @param links a file's number of names on disk as the scan saw it (1 for entries not read from disk); never travels
 */
@SuppressWarnings("ArrayRecordComponent") // equals and hashCode compare the hash's bytes
public record FileEntry(
        String path, EntryKind kind, int mode, long size, byte[] hash, String linkTarget, Stamp stamp, int links) {
    /**
     * What changes when a file is written or replaced, as read by {@code stat}: size, modification time (ns) and
     * the file's identity (device and inode). A mode change is seen through the entry's mode itself.
     */
    public record Stamp(long size, long mtimeNanos, String fileKey) {}

    public FileEntry {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
        mode &= 0777;
        hash = hash == null ? new byte[0] : hash;
        linkTarget = linkTarget == null ? "" : linkTarget;
    }

    public FileEntry(String path, EntryKind kind, int mode, long size, byte[] hash, String linkTarget, Stamp stamp) {
        this(path, kind, mode, size, hash, linkTarget, stamp, 1);
    }

    /** This entry with a content hash. */
    public FileEntry withHash(byte[] h) {
        return new FileEntry(path, kind, mode, size, h, "", stamp, links);
    }

    public boolean isFile() {
        return kind == EntryKind.FILE;
    }

    /** Same kind, mode and content (or link target): nothing to send for it. */
    public boolean sameAs(FileEntry o) {
        return kind == o.kind
                && mode == o.mode
                && size == o.size
                && Arrays.equals(hash, o.hash)
                && linkTarget.equals(o.linkTarget);
    }

    public String hashHex() {
        return HexFormat.of().formatHex(hash);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileEntry e && path.equals(e.path) && sameAs(e);
    }

    @Override
    public int hashCode() {
        return path.hashCode() * 31 + Arrays.hashCode(hash);
    }

    @Override
    public String toString() {
        return kind + " " + path;
    }
}
