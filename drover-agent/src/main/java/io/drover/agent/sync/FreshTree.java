package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a checked listing into an empty directory with each received content going straight to the first path
 * that holds it (no staging area, no rename: on this machine every metadata operation counts). {@link #prepare}
 * makes the directories, the receiver writes the files, {@link #finish} copies duplicate contents, makes links and
 * sets modes (directories last, deepest first, so a read-only directory does not stop its own filling).
 */
public final class FreshTree {
    private final Path root;
    private final List<FileEntry> entries;
    private final Map<String, Path> first = new LinkedHashMap<>();

    public FreshTree(Path root, List<FileEntry> entries) {
        this.root = root;
        this.entries = entries;
        for (FileEntry e : entries) if (e.isFile()) first.putIfAbsent(e.hashHex(), root.resolve(e.path()));
    }

    /** Makes every directory of the listing (parents come first: the listing is sorted). */
    public void prepare() throws IOException {
        for (FileEntry e : entries) if (e.kind() == EntryKind.DIRECTORY) Files.createDirectory(root.resolve(e.path()));
    }

    /** Where a content is written when it arrives. */
    public Path destination(String hex) {
        return first.get(hex);
    }

    /** Everything but the first copy of each content: duplicates, links, modes. */
    public void finish() throws IOException {
        List<FileEntry> dirs = new ArrayList<>();
        for (FileEntry e : entries) {
            Path p = root.resolve(e.path());
            switch (e.kind()) {
                case DIRECTORY -> dirs.add(e);
                case FILE -> {
                    if (!first.get(e.hashHex()).equals(p)) Files.copy(first.get(e.hashHex()), p);
                    setMode(p, e.mode());
                }
                case SYMLINK -> Files.createSymbolicLink(p, Path.of(e.linkTarget()));
                default -> throw new TransferRejected("'" + e.path() + "' cannot be written: " + e.kind());
            }
        }
        for (int i = dirs.size() - 1; i >= 0; i--)
            setMode(root.resolve(dirs.get(i).path()), dirs.get(i).mode());
    }

    /** chmod only when needed: a stat costs far less than a metadata write. */
    static void setMode(Path p, int mode) throws IOException {
        Set<PosixFilePermission> want = Trees.permissions(mode);
        if (!Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).equals(want))
            Files.setPosixFilePermissions(p, want);
    }
}
