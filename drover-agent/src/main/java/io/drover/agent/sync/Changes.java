package io.drover.agent.sync;

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

    public boolean isEmpty() {
        return written.isEmpty() && deleted.isEmpty();
    }
}
