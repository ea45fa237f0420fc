package io.drover.core.lua;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.luaj.vm2.LuaError;

/**
 * The file operations of Lua's {@code fs} module, confined to a root directory by construction: every path is
 * walked from the root one directory at a time, each opened relative to its parent with no-follow
 * ({@link SecureDirectoryStream}, {@code openat} with {@code O_NOFOLLOW}), so a link anywhere on the way is refused
 * and a directory swapped for a link after a check cannot redirect the use. Reads and writes open the final name
 * relative to its parent with no-follow too; they touch regular files only (a FIFO, a device or a socket could
 * block the task or reach outside it), and writes refuse a file with more than one hard link (its other name
 * may be outside the root).
 */
final class ConfinedFiles {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    private final Path root;

    /** @param root the task's working directory (absolute, normalized, existing) */
    ConfinedFiles(Path root) {
        this.root = root;
    }

    /** A path's names below the root, after the lexical checks: no absolute path, nothing that leaves the root. */
    private List<String> names(String path) {
        Path p = Path.of(path);
        if (p.isAbsolute())
            throw new LuaError("path '" + path + "' is absolute: fs works inside the task's working directory only");
        Path resolved = root.resolve(p).normalize();
        if (!resolved.startsWith(root)) throw new LuaError("path '" + path + "' leaves the task's working directory");
        List<String> names = new ArrayList<>();
        for (Path n : root.relativize(resolved)) {
            if (!n.toString().isEmpty()) names.add(n.toString());
        }
        return names;
    }

    @SuppressWarnings("StreamResourceLeak") // the stream is what it returns (closed here when it is not secure)
    private SecureDirectoryStream<Path> openRoot() throws IOException {
        DirectoryStream<Path> d = Files.newDirectoryStream(root);
        if (d instanceof SecureDirectoryStream<Path> s) return s;
        d.close();
        throw new IOException("this platform offers no descriptor-relative file access; fs is not available");
    }

    /** The attributes of {@code name} in {@code dir}, not following a link, or null when there is nothing. */
    private static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, String name) throws IOException {
        try {
            return dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NOFOLLOW)
                    .readAttributes();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Opens the directory holding the last of {@code names}, walking from the root with no-follow; missing
     * directories are made when {@code create}. The caller closes it.
     */
    private SecureDirectoryStream<Path> parent(String path, List<String> names, boolean create) throws IOException {
        SecureDirectoryStream<Path> dir = openRoot();
        Path at = root;
        try {
            for (int i = 0; i < names.size() - 1; i++) {
                String name = names.get(i);
                at = at.resolve(name);
                SecureDirectoryStream<Path> next = child(path, dir, at, name, create);
                dir.close();
                dir = next;
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    private SecureDirectoryStream<Path> child(
            String path, SecureDirectoryStream<Path> dir, Path at, String name, boolean create) throws IOException {
        BasicFileAttributes a = attributes(dir, name);
        if (a == null) {
            if (!create) throw new NoSuchFileException(root.relativize(at).toString());
            try {
                // no mkdirat in Java: made by path, then opened relative to its parent with no-follow, so a swap on the
                // way can at worst leave an empty directory elsewhere, never redirect what is written
                Files.createDirectory(at);
            } catch (FileAlreadyExistsException ignored) {
                // made meanwhile: opened below like any other
            }
        } else if (a.isSymbolicLink()) {
            throw throughLink(path, at);
        } else if (!a.isDirectory()) {
            throw new LuaError("path '" + path + "': '" + root.relativize(at) + "' is not a directory");
        }
        try {
            return dir.newDirectoryStream(Path.of(name), NOFOLLOW);
        } catch (FileSystemException e) {
            BasicFileAttributes b = attributes(dir, name);
            if (b != null && b.isSymbolicLink()) throw throughLink(path, at);
            throw e;
        }
    }

    private LuaError throughLink(String path, Path link) {
        boolean out = true;
        try {
            Path target = link.getParent().resolve(Files.readSymbolicLink(link)).normalize();
            out = !target.startsWith(root);
        } catch (IOException | RuntimeException ignored) {
            // unreadable: say the worse
        }
        return new LuaError(
                out
                        ? "path '" + path + "' leads out of the task's working directory through a link"
                        : "path '" + path + "' goes through the link '" + root.relativize(link)
                                + "': fs does not follow links");
    }

    private String last(String path, List<String> names) {
        if (names.isEmpty()) throw new LuaError("path '" + path + "' is the working directory itself, not a file");
        return names.get(names.size() - 1);
    }

    /** Refuses anything but a regular file at {@code name} (or nothing, when {@code mayBeMissing}). */
    private BasicFileAttributes regular(String path, SecureDirectoryStream<Path> dir, String name, boolean mayBeMissing)
            throws IOException {
        BasicFileAttributes a = attributes(dir, name);
        if (a == null) {
            if (mayBeMissing) return null;
            throw new NoSuchFileException(path);
        }
        if (a.isSymbolicLink()) throw throughLink(path, root.resolve(path).normalize());
        if (a.isDirectory()) throw new LuaError("path '" + path + "' is a directory");
        if (!a.isRegularFile()) {
            throw new LuaError(
                    "path '" + path + "' is not a regular file (a FIFO, socket or device): fs reads and writes"
                            + " regular files only");
        }
        return a;
    }

    String read(String path) throws IOException {
        List<String> names = names(path);
        String name = last(path, names);
        try (SecureDirectoryStream<Path> dir = parent(path, names, false)) {
            regular(path, dir, name, false);
            try (SeekableByteChannel ch =
                    dir.newByteChannel(Path.of(name), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                if (ch.size() > LuaPatterns.MAX_STRING) {
                    throw new LuaError("fs.read: '" + path + "' has " + ch.size() + " bytes, over Drover's limit of "
                            + LuaPatterns.MAX_STRING + " bytes for one string");
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.max(16, ch.size()));
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                while (ch.read(buf) > 0) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                    if (out.size() > LuaPatterns.MAX_STRING) throw LuaPatterns.tooLong("read", out.size());
                }
                return out.toString(StandardCharsets.UTF_8);
            }
        }
    }

    void write(String path, String text, boolean append) throws IOException {
        List<String> names = names(path);
        String name = last(path, names);
        try (SecureDirectoryStream<Path> dir = parent(path, names, true)) {
            BasicFileAttributes before = regular(path, dir, name, true);
            if (before != null) singleLink(path, before);
            Set<OpenOption> opts = new HashSet<>(
                    List.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS));
            try (SeekableByteChannel ch = dir.newByteChannel(Path.of(name), opts)) {
                // the name may have changed between the look and the open: what was opened must be what was checked
                BasicFileAttributes opened = regular(path, dir, name, false);
                if (before != null && !before.fileKey().equals(opened.fileKey())) {
                    throw new LuaError("path '" + path + "' changed while it was opened; nothing was written");
                }
                singleLink(path, opened);
                if (append) {
                    ch.position(ch.size());
                } else {
                    ch.truncate(0);
                }
                ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) ch.write(b);
            }
        }
    }

    /** Refuses a file that has other names: a hard link's other name may be outside the root. */
    private void singleLink(String path, BasicFileAttributes a) throws IOException {
        Path abs = root.resolve(path).normalize();
        Object links;
        Object key;
        try {
            links = Files.getAttribute(abs, "unix:nlink", NOFOLLOW);
            key = Files.readAttributes(abs, BasicFileAttributes.class, NOFOLLOW).fileKey();
        } catch (UnsupportedOperationException e) { // a file system without link counts: refuse rather than guess
            throw new LuaError("path '" + path + "' is on a file system that cannot say whether the file has other"
                    + " names; fs writes nothing there");
        }
        if (!a.fileKey().equals(key))
            throw new LuaError("path '" + path + "' changed while it was opened; nothing was written");
        if (links instanceof Integer n && n > 1) {
            throw new LuaError("path '" + path + "' is a hard link (" + n
                    + " names): fs does not write to files with other names");
        }
    }

    boolean exists(String path) throws IOException {
        List<String> names = names(path);
        if (names.isEmpty()) return true;
        try (SecureDirectoryStream<Path> dir = parent(path, names, false)) {
            return attributes(dir, last(path, names)) != null;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    List<String> list(String path) throws IOException {
        List<String> names = names(path);
        List<String> out = new ArrayList<>();
        try (SecureDirectoryStream<Path> dir = directory(path, names, false)) {
            for (Path p : dir) out.add(p.getFileName().toString());
        }
        out.sort(null);
        return out;
    }

    void mkdir(String path) throws IOException {
        List<String> names = names(path);
        directory(path, names, true).close();
    }

    /** The directory {@code names} point at, opened with no-follow all the way. */
    private SecureDirectoryStream<Path> directory(String path, List<String> names, boolean create) throws IOException {
        if (names.isEmpty()) return openRoot();
        SecureDirectoryStream<Path> parent = parent(path, names, create);
        try {
            return child(path, parent, root.resolve(String.join("/", names)), last(path, names), create);
        } finally {
            parent.close();
        }
    }

    void rm(String path, boolean recursive) throws IOException {
        List<String> names = names(path);
        if (names.isEmpty()) throw new LuaError("fs.rm: refusing to remove the working directory itself");
        String name = last(path, names);
        try (SecureDirectoryStream<Path> dir = parent(path, names, false)) {
            BasicFileAttributes a = attributes(dir, name);
            if (a == null) return;
            if (a.isDirectory()) {
                if (recursive) {
                    try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(Path.of(name), NOFOLLOW)) {
                        empty(sub);
                    }
                }
                dir.deleteDirectory(Path.of(name));
            } else {
                dir.deleteFile(Path.of(name)); // a link is removed, never what it points at
            }
        } catch (NoSuchFileException e) {
            // nothing to remove
        }
    }

    private static void empty(SecureDirectoryStream<Path> dir) throws IOException {
        List<Path> entries = new ArrayList<>();
        for (Path p : dir) entries.add(p.getFileName());
        for (Path p : entries) {
            BasicFileAttributes a = dir.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
                    .readAttributes();
            if (a.isDirectory()) {
                try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(p, NOFOLLOW)) {
                    empty(sub);
                }
                dir.deleteDirectory(p);
            } else {
                dir.deleteFile(p);
            }
        }
    }
}
