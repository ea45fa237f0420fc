package io.drover.agent.sync;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

  public static Changes between(List<FileEntry> before, List<FileEntry> after) {
    Map<String, FileEntry> old = byPath(before);
    List<FileEntry> written = new ArrayList<>();
    for (FileEntry e : after) {
      FileEntry o = old.remove(e.path());
      if (o == null || !o.sameAs(e)) written.add(e);
    }
    return new Changes(written, new ArrayList<>(old.keySet()));
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
