package io.drover.core.model;

import java.util.List;

/** A named group of tasks, in the order they are written. */
public record Group(String name, String description, List<TaskSpec> tasks, SourceLocation location) {
    public Group {
        description = description == null ? "" : description;
        tasks = List.copyOf(tasks);
    }
}
