package io.drover.agent.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;

/** File tree helpers: permission bits from a mode, and removing a tree a task may have made read-only. */
public final class Trees {
    private Trees() {}

    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int bit = 0; bit < 9; bit++) if ((mode & (1 << bit)) != 0) s.add(order[bit]);
        return s;
    }

    /** Removes a tree, making directories writable first so a task's read-only directories do not stop it. */
    public static void delete(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(root)) {
            for (Path p : walk.filter(q -> Files.isDirectory(q, LinkOption.NOFOLLOW_LINKS))
                    .toList()) {
                try {
                    Files.setPosixFilePermissions(p, permissions(0700));
                } catch (IOException e) {
                    // best effort
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort
        }
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            // leftovers of a private directory are harmless
        }
    }

    /** Removes a directory if it is empty (another task's staging directory beside it keeps it). */
    public static void deleteIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty, or not ours to remove: it stays
        }
    }
}
