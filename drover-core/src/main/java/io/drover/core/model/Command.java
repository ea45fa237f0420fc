package io.drover.core.model;

import java.util.Map;
import java.util.Objects;

/** What a task (or its {@code run_if}) runs: a shell string, a Lua function of the workflow, or a plugin kind. */
public sealed interface Command {

    /** A shell command, run with {@code sh -c} in the task's working directory. */
    record Shell(String script) implements Command {
        public Shell {
            Objects.requireNonNull(script, "script");
        }
    }

    /**
     * A Lua function defined in the workflow file, found again in any interpreter that loaded the same source by
     * its place in {@code TaskDefinitions}: {@code TaskDefinitions[group].tasks[taskIndex][field]}, or the group's
     * own field when {@code taskIndex} is 0 (a group default).
     */
    record LuaFunction(String group, int taskIndex, String field) implements Command {
        public LuaFunction {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(field, "field");
        }
    }

    /** A task kind added through the {@code io.drover.core.runner.TaskKind} SPI, with its configuration. */
    record Plugin(String kind, Map<String, Object> config) implements Command {
        public Plugin {
            Objects.requireNonNull(kind, "kind");
            config = Map.copyOf(config);
        }
    }
}
