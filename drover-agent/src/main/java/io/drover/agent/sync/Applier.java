package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Applies a task's changes to the master's workspace: all of them or none. Checked first (the {@link PathRules},
 * no write through a link already on disk, no path changed on this machine since the upload), then applied with a
 * journal: whatever is replaced or deleted is moved aside first, and any failure puts everything back.
 */
public final class Applier {
    private final Path root;
    private final Path staging;
    private final Function<String, Path> content;
    private final boolean consume;
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private int aside;

    /**
     * Applies contents received into {@code staging}, moving each into place at its last use.
     *
     * @param root the workspace
     * @param staging a directory on the same file system holding the new contents, named by hex hash; also where
     *     replaced paths are kept until the end
     */
    public Applier(Path root, Path staging) {
        this(root, staging, staging::resolve, true);
    }

    /**
     * @param content where each content (by hex hash) is read from
     * @param consume move a content into place at its last use (else always copy: a cache stays whole)
     */
    public Applier(Path root, Path staging, Function<String, Path> content, boolean consume) {
        this.root = root;
        this.staging = staging;
        this.content = content;
        this.consume = consume;
    }

    /**
     * Checks that the changes can be applied to the workspace as it is now.
     *
     * @param base the workspace as it was uploaded (with stamps), to detect paths changed here meanwhile
     */
    public void check(Changes changes, Map<String, FileEntry> base, String where) throws IOException {
        Set<String> newDirs = new HashSet<>();
        for (FileEntry e : changes.written()) if (e.kind() == EntryKind.DIRECTORY) newDirs.add(e.path());
        List<String> touched = new ArrayList<>(changes.deleted());
        changes.written().forEach(e -> touched.add(e.path()));
        for (String path : touched) {
            for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
                String parent = path.substring(0, i);
                Path p = root.resolve(parent);
                if (Files.isSymbolicLink(p) && !newDirs.contains(parent)) {
                    throw new TransferRejected(
                            "'" + path + "' would be written through the link '" + parent + "' on this machine");
                }
            }
            Path p = root.resolve(path);
            FileEntry was = base.get(path);
            boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
            if (was == null ? exists && !newDirs.contains(path) : !exists || changedHere(was, p)) {
                throw new TransferRejected(
                        "workspace conflict: '" + path + "' changed on this machine while the task ran on " + where);
            }
        }
    }

    private boolean changedHere(FileEntry was, Path p) throws IOException {
        FileEntry now = Scanner.stat(root, p);
        if (now.kind() != was.kind()) return true;
        if (was.kind() == EntryKind.DIRECTORY) return false; // a directory's times change with its children
        return was.stamp() != null && !was.stamp().equals(now.stamp());
    }

    /** Applies the changes; on failure restores the workspace and rethrows. */
    public void apply(Changes changes) throws IOException {
        try {
            Set<String> deleted = new HashSet<>(changes.deleted());
            List<String> tops = new ArrayList<>();
            for (String d : changes.deleted()) {
                int slash = d.lastIndexOf('/');
                if (slash < 0 || !deleted.contains(d.substring(0, slash))) tops.add(d);
            }
            for (String d : tops) moveAside(root.resolve(d));
            List<FileEntry> written = new ArrayList<>(changes.written());
            written.sort(Comparator.comparing(FileEntry::path));
            Map<String, Integer> uses = new HashMap<>();
            for (FileEntry e : written) if (e.isFile()) uses.merge(e.hashHex(), 1, Integer::sum);
            List<FileEntry> dirs = new ArrayList<>();
            for (FileEntry e : written) {
                Path p = root.resolve(e.path());
                boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
                if (e.kind() == EntryKind.DIRECTORY && exists && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(e);
                    continue;
                }
                if (exists) moveAside(p);
                switch (e.kind()) {
                    case DIRECTORY -> {
                        Files.createDirectory(p);
                        dirs.add(e);
                    }
                    case FILE -> {
                        Path src = content.apply(e.hashHex());
                        if (!consume || uses.merge(e.hashHex(), -1, Integer::sum) > 0) {
                            Files.copy(src, p);
                        } else {
                            Files.move(src, p, StandardCopyOption.ATOMIC_MOVE);
                        }
                        FreshTree.setMode(p, e.mode());
                    }
                    case SYMLINK -> Files.createSymbolicLink(p, Path.of(e.linkTarget()));
                    default -> throw new TransferRejected("'" + e.path() + "' cannot be written: " + e.kind());
                }
                undo.push(() -> Trees.delete(p));
            }
            for (int i = dirs.size() - 1; i >= 0; i--) {
                Path p = root.resolve(dirs.get(i).path());
                Set<PosixFilePermission> old = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                Files.setPosixFilePermissions(p, Trees.permissions(dirs.get(i).mode()));
                undo.push(() -> {
                    try {
                        Files.setPosixFilePermissions(p, old);
                    } catch (IOException ignored) {
                        // the directory went with an earlier step of the undo
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            rollback();
            throw e;
        }
    }

    private void moveAside(Path p) throws IOException {
        Path to = staging.resolve(".aside-" + (aside++));
        Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
        undo.push(() -> {
            try {
                Files.move(to, p, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException ignored) {
                // nothing better to do: the staging directory keeps it
            }
        });
    }

    private void rollback() {
        while (!undo.isEmpty()) undo.pop().run();
    }
}
