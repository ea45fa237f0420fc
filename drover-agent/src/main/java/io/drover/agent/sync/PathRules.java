package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules every received path obeys, checked before anything is written: relative, '/'-separated, no empty,
 * {@code .} or {@code ..} component, no NUL; links stay inside the root (unless {@link Links#ANYWHERE}); nothing is
 * written through a link; only files, directories and links; limits on count and bytes.
 */
public final class PathRules {
    /** Where the links of a transfer may point. */
    public enum Links {
        /**
         * Inside the root, resolved through the links of the tree: what the master takes back from a task, since
         * its next local step would write through a link that leaves the workspace.
         */
        INSIDE,
        /**
         * Anywhere: what an agent takes from the master's workspace (a Python venv's {@code bin/python ->
         * /usr/bin/python3}, node_modules' links). Such links are made as links and never followed or written
         * through by the receiver; nothing of the transfer may lie below one.
         */
        ANYWHERE
    }

    private static final int MAX_PATH = 4096;

    private PathRules() {}

    /** Checks one path as written in a transfer; returns it unchanged. */
    public static String checkPath(String path) {
        if (path.isEmpty()) throw new TransferRejected("an entry has an empty path");
        if (path.length() > MAX_PATH) throw new TransferRejected("a path is longer than " + MAX_PATH + " characters");
        if (path.indexOf('\0') >= 0) throw new TransferRejected("a path contains a NUL character");
        if (path.startsWith("/")) throw new TransferRejected("absolute path '" + path + "'");
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) throw new TransferRejected("malformed path '" + path + "'");
            if (part.equals("..")) throw new TransferRejected("path '" + path + "' leaves the root (..)");
        }
        if (path.equals(Scanner.OWN_DIR) || path.startsWith(Scanner.OWN_DIR + "/")) {
            throw new TransferRejected("path '" + path + "' is inside Drover's own directory");
        }
        return path;
    }

    /** Checks a link's target: relative, and inside the root when resolved from the link's directory. */
    public static void checkLink(String path, String target) {
        checkLink(path, target, Links.INSIDE);
    }

    private static void checkLink(String path, String target, Links rule) {
        if (target.isEmpty()) throw new TransferRejected("link '" + path + "' has no target");
        if (target.indexOf('\0') >= 0) throw new TransferRejected("link '" + path + "' has a NUL in its target");
        if (rule == Links.ANYWHERE) return;
        if (target.startsWith("/"))
            throw new TransferRejected("link '" + path + "' points outside the root (" + target + ")");
        Deque<String> parts = new ArrayDeque<>();
        String[] dir = path.split("/");
        for (int i = 0; i < dir.length - 1; i++) parts.addLast(dir[i]);
        for (String part : target.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (parts.isEmpty())
                    throw new TransferRejected("link '" + path + "' points outside the root (" + target + ")");
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
    }

    /**
     * Checks a whole list of entries (and deleted paths) before anything is written: each path, each kind, each
     * link, no duplicates, path order, nothing below a link of the same transfer, and the limits.
     */
    public static void checkAll(List<FileEntry> entries, List<String> deleted, Limits limits) {
        checkAll(entries, deleted, limits, Links.INSIDE);
    }

    /** {@link #checkAll(List, List, Limits)} with the links held to {@code rule}. */
    public static void checkAll(List<FileEntry> entries, List<String> deleted, Limits limits, Links rule) {
        limits.check(entries.size() + (long) deleted.size(), 0);
        Set<String> links = new HashSet<>();
        long bytes = 0;
        String previous = null;
        for (FileEntry e : entries) {
            checkPath(e.path());
            // in path order, as both sides compare listings in one pass each; so a path given twice comes twice in a
            // row
            int order = previous == null ? -1 : previous.compareTo(e.path());
            if (order == 0) throw new TransferRejected("path '" + e.path() + "' appears twice");
            if (order > 0)
                throw new TransferRejected("path '" + e.path() + "' is out of order (listings are sorted by path)");
            previous = e.path();
            switch (e.kind()) {
                case FILE -> {
                    if (e.size() < 0) throw new TransferRejected("file '" + e.path() + "' has a negative size");
                    if (e.hash().length != 32) throw new TransferRejected("file '" + e.path() + "' has no SHA-256");
                    bytes += e.size();
                    limits.check(0, bytes);
                }
                case DIRECTORY -> {}
                case SYMLINK -> {
                    checkLink(e.path(), e.linkTarget(), rule);
                    links.add(e.path());
                }
                case HARDLINK -> throw new TransferRejected("'" + e.path() + "' is a hard link");
                case DEVICE -> throw new TransferRejected("'" + e.path() + "' is a device file");
                case FIFO -> throw new TransferRejected("'" + e.path() + "' is a FIFO");
                case SOCKET -> throw new TransferRejected("'" + e.path() + "' is a socket");
                default -> throw new TransferRejected("'" + e.path() + "' has an unknown kind");
            }
        }
        Set<String> seen = new HashSet<>();
        for (String d : deleted) {
            checkPath(d);
            if (!seen.add(d)
                    || Collections.binarySearch(
                                    entries,
                                    new FileEntry(d, EntryKind.DIRECTORY, 0, 0, null, "", null),
                                    Scanner.BY_PATH)
                            >= 0) {
                throw new TransferRejected("path '" + d + "' is both written and deleted");
            }
        }
        if (!links.isEmpty()) {
            for (String d : deleted) throughLink(d, links);
            checkTree(entries, entries, rule);
        }
    }

    /**
     * Checks links against the tree they end up in, not only as text: every link among {@code written} must
     * resolve inside the root when each component is looked up in {@code tree} (the listing the transfer leaves
     * behind: what was on disk with the transfer applied), following the links found there, and nothing in
     * {@code written} may lie below a link of that tree. A link {@code l -> .} makes {@code l/l/l/../../../x} leave
     * the root though the text never climbs above it; only the tree says so.
     */
    public static void checkTree(List<FileEntry> tree, List<FileEntry> written) {
        checkTree(tree, written, Links.INSIDE);
    }

    /**
     * {@link #checkTree(List, List)} with the links held to {@code rule}: with {@link Links#ANYWHERE} only the rule
     * that nothing in {@code written} lies below a link of {@code tree} holds.
     */
    public static void checkTree(List<FileEntry> tree, List<FileEntry> written, Links rule) {
        Map<String, String> links = new HashMap<>();
        for (FileEntry e : tree) if (e.kind() == EntryKind.SYMLINK) links.put(e.path(), e.linkTarget());
        if (links.isEmpty()) return;
        for (FileEntry e : written) {
            throughLink(e.path(), links.keySet());
            if (rule == Links.INSIDE
                    && e.kind() == EntryKind.SYMLINK
                    && !resolvesInside(e.path(), e.linkTarget(), links)) {
                throw new TransferRejected("link '" + e.path() + "' points outside the root (" + e.linkTarget()
                        + ", followed through the links of the tree)");
            }
        }
    }

    private static final int MAX_HOPS = 40;

    /** Whether a link's target stays inside the root, each component looked up in {@code links} as the kernel would. */
    static boolean resolvesInside(String path, String target, Map<String, String> links) {
        Deque<String> at = new ArrayDeque<>();
        String[] dir = path.split("/");
        for (int i = 0; i < dir.length - 1; i++) at.addLast(dir[i]);
        Deque<String> todo = new ArrayDeque<>(List.of(target.split("/")));
        int hops = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (at.isEmpty()) return false;
                at.removeLast();
                continue;
            }
            at.addLast(part);
            String t = links.get(String.join("/", at));
            if (t != null) {
                if (++hops > MAX_HOPS || t.startsWith("/")) return false;
                at.removeLast(); // a link's target is relative to the directory it is in
                String[] tp = t.split("/");
                for (int i = tp.length - 1; i >= 0; i--) todo.addFirst(tp[i]);
            }
        }
        return true;
    }

    private static void throughLink(String path, Set<String> links) {
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
            if (links.contains(path.substring(0, i))) {
                throw new TransferRejected(
                        "'" + path + "' would be written through the link '" + path.substring(0, i) + "'");
            }
        }
    }
}
