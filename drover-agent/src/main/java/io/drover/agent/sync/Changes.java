package io.drover.agent.sync;

import io.drover.agent.wire.EntryKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What differs between two listings of one workspace: entries that are new or changed (content, mode, kind or link
 * target) and paths that are gone.
 */
public record Changes(List<FileEntry> written, List<String> deleted) {
    public static final Changes NONE = new Changes(List.of(), List.of());

    public Changes {
        written = List.copyOf(written);
        deleted = List.copyOf(deleted);
    }

    /** What differs from {@code before} to {@code after}; both sorted by path, as every listing is (one merge pass). */
    public static Changes between(List<FileEntry> before, List<FileEntry> after) {
        List<FileEntry> written = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < before.size() || j < after.size()) {
            int c = i == before.size()
                    ? 1
                    : j == after.size()
                            ? -1
                            : before.get(i).path().compareTo(after.get(j).path());
            if (c < 0) {
                deleted.add(before.get(i++).path());
            } else if (c > 0) {
                written.add(after.get(j++));
            } else {
                if (!before.get(i).sameAs(after.get(j))) written.add(after.get(j));
                i++;
                j++;
            }
        }
        return new Changes(written, deleted);
    }

    /**
     * {@code base} with these changes made: the listing the other side ends up with (an upload sent as a delta on top
     * of a kept listing, or a kept listing after a task's changes). Sorted by path like every listing.
     */
    public List<FileEntry> applyTo(List<FileEntry> base) {
        List<FileEntry> put = new ArrayList<>(written);
        put.sort(Scanner.BY_PATH);
        Set<String> gone = new HashSet<>(deleted);
        List<FileEntry> out = new ArrayList<>(base.size() + put.size());
        int j = 0;
        for (FileEntry b : base) {
            while (j < put.size() && put.get(j).path().compareTo(b.path()) < 0) out.add(put.get(j++));
            if (j < put.size() && put.get(j).path().equals(b.path())) {
                out.add(put.get(j++));
            } else if (!gone.contains(b.path())) {
                out.add(b);
            }
        }
        while (j < put.size()) out.add(put.get(j++));
        return out;
    }

    public static Map<String, FileEntry> byPath(List<FileEntry> entries) {
        Map<String, FileEntry> m = new LinkedHashMap<>(entries.size() * 2);
        for (FileEntry e : entries) m.put(e.path(), e);
        return m;
    }

    /**
     * Only the changes under {@code patterns} (a task's {@code artifacts}, gitignore syntax: {@code dist/*.tgz},
     * {@code out/}, {@code **}{@code /*.jar}): a path matched by one, or lying below a directory matched by one,
     * and the new directories that hold such paths. No patterns: all of them.
     */
    public Changes only(List<String> patterns) {
        if (patterns.isEmpty() || isEmpty()) return this;
        IgnoreRules match = IgnoreRules.parse(patterns);
        Set<String> newDirs = new HashSet<>();
        for (FileEntry e : written) if (e.kind() == EntryKind.DIRECTORY) newDirs.add(e.path());
        Set<String> keep = new HashSet<>();
        for (FileEntry e : written) {
            if (matches(match, e.path(), e.kind() == EntryKind.DIRECTORY)) {
                keep.add(e.path());
                for (int i = e.path().indexOf('/'); i > 0; i = e.path().indexOf('/', i + 1)) {
                    String parent = e.path().substring(0, i);
                    if (newDirs.contains(parent)) keep.add(parent);
                }
            }
        }
        List<FileEntry> w = new ArrayList<>();
        for (FileEntry e : written) if (keep.contains(e.path())) w.add(e);
        List<String> d = new ArrayList<>();
        for (String p : deleted) if (matches(match, p, false) || matches(match, p, true)) d.add(p);
        return new Changes(w, d);
    }

    /** Whether {@code path}, or a directory it lies below, is matched. */
    private static boolean matches(IgnoreRules rules, String path, boolean directory) {
        if (rules.ignored(path, directory)) return true;
        for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
            if (rules.ignored(path.substring(0, i), true)) return true;
        }
        return false;
    }

    public boolean isEmpty() {
        return written.isEmpty() && deleted.isEmpty();
    }
}
