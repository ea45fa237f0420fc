package io.drover.cluster.files;

import io.drover.agent.sync.Scanner;
import io.drover.agent.sync.TransferRejected;
import io.drover.cluster.queue.Keys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Large contents in a directory every machine of the fleet mounts at the same path ({@code DROVER_FILE_STORE}), as
 * {@code <dir>/<2 hex>/<hex>}: written under a temporary name in {@code <dir>/tmp} and renamed into place, so a
 * reader never sees half a content; a content's modification time is its last store or fetch.
 */
public final class SharedDirectory implements LargeContents {
    private final Path dir;

    public SharedDirectory(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** The shared directory at {@code dir}, or null for none. */
    public static SharedDirectory at(Path dir) {
        return dir == null ? null : new SharedDirectory(dir);
    }

    private Path path(String hex) {
        return dir.resolve(hex.substring(0, 2)).resolve(hex);
    }

    @Override
    public boolean has(String hex) throws IOException {
        try {
            Files.setLastModifiedTime(path(hex), FileTime.fromMillis(System.currentTimeMillis()));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public Stored put(Path file, long size) throws IOException {
        Path tmpDir = dir.resolve("tmp");
        Files.createDirectories(tmpDir);
        Path tmp = temp(tmpDir.resolve("upload"));
        MessageDigest md = Scanner.sha256();
        long copied = 0;
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
                OutputStream o = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[1 << 20];
            while (copied < size) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, size - copied));
                if (n < 0) break;
                md.update(buf, 0, n);
                o.write(buf, 0, n);
                copied += n;
            }
        }
        String got = HexFormat.of().formatHex(md.digest());
        Path to = path(got);
        Files.createDirectories(to.getParent());
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Stored(got, copied);
    }

    @Override
    public boolean get(String hex, Path to) throws IOException {
        if (!has(hex)) return false;
        Path tmp = temp(to);
        MessageDigest md = Scanner.sha256();
        try (InputStream in = Files.newInputStream(path(hex));
                OutputStream o = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
                o.write(buf, 0, n);
            }
        } catch (NoSuchFileException e) { // swept meanwhile
            Files.deleteIfExists(tmp);
            return false;
        }
        if (!HexFormat.of().formatHex(md.digest()).equals(hex)) {
            Files.deleteIfExists(tmp);
            throw new TransferRejected("the content " + hex.substring(0, 12) + " is damaged in " + describe());
        }
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    @Override
    public int sweep(Duration keep) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        long before = System.currentTimeMillis() - keep.toMillis();
        long tmpBefore = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        int removed = 0;
        try (var dirs = Files.newDirectoryStream(dir)) {
            for (Path d : dirs) {
                String name = d.getFileName().toString();
                boolean tmp = name.equals("tmp");
                if (!tmp && !(name.length() == 2 && Keys.isHash(name + "0".repeat(62)))) continue;
                try (var files = Files.newDirectoryStream(d)) {
                    for (Path f : files) {
                        try {
                            long used = Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS)
                                    .toMillis();
                            if (used < (tmp ? tmpBefore : before) && Files.deleteIfExists(f)) removed++;
                        } catch (NoSuchFileException gone) {
                            // another process swept it
                        }
                    }
                } catch (NoSuchFileException gone) {
                    // another process swept it
                }
            }
        }
        return removed;
    }

    @Override
    public String describe() {
        return "the shared directory " + dir;
    }

    static Path temp(Path to) {
        return to.resolveSibling(
                ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "-" + to.getFileName());
    }
}
