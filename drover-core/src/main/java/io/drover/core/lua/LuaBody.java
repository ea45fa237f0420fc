package io.drover.core.lua;

import io.drover.core.WorkflowException;
import io.drover.core.model.Command;
import io.drover.core.model.WorkflowSource;

/**
 * A Lua task given as the body of a function ({@code drover task submit --lua BODY}): it is compiled as a chunk of
 * its own, never spliced into other source text, so a body cannot close the function and run code outside its
 * task. The chunk receives {@code params} and {@code deps} as its arguments.
 */
public final class LuaBody {
    /** Where the body's function is in {@link #source}. */
    public static final Command.LuaFunction FUNCTION = new Command.LuaFunction("task", 1, "command");

    private LuaBody() {}

    /** The workflow source that holds the body as one task's function. */
    public static WorkflowSource source(String body) {
        String chunk = "local params, deps = ...; " + body;
        String eq = "=";
        while (chunk.contains("]" + eq + "]")) eq += "=";
        String text = "TaskDefinitions = { task = { tasks = { { name = 'main', command = assert(load([" + eq + "["
                + chunk + "]" + eq + "], 'task.lua', 't')) } } } }";
        return new WorkflowSource("task.lua", text);
    }

    /**
     * Compiles a body as a worker would, to refuse one that does not compile before it is submitted.
     *
     * @throws WorkflowException naming the line of the body
     */
    public static void check(String body) {
        new LuaInterpreter(source(body));
    }
}
