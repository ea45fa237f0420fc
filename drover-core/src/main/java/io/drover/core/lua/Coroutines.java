package io.drover.core.lua;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The coroutines of one task call. LuaJ runs each coroutine that has started on a platform thread of its own,
 * which waits while the coroutine is suspended and, left alone, outlives the task by as long as the garbage
 * collector takes to notice. Here a task may have at most {@value #MAX_LIVE} started coroutines at once, and when
 * its call ends every coroutine it left suspended is ended (its thread is interrupted, which makes LuaJ unwind it).
 * Thread-safe: coroutines start and end on their own threads.
 */
final class Coroutines {
    /** Started, not yet finished coroutines a task may hold. */
    static final int MAX_LIVE = 256;

    private final Set<Thread> live = ConcurrentHashMap.newKeySet();

    /**
     * Wraps {@code coroutine.create} and {@code coroutine.wrap} of a (sealed) coroutine library so the body of every
     * coroutine is tracked by the calling task's {@link Coroutines}.
     */
    static void install(LuaTable coroutine) {
        for (String name : new String[] {"create", "wrap"}) {
            LuaValue original = coroutine.rawget(name);
            coroutine.rawset(name, new VarArgFunction() {
                @Override
                public Varargs invoke(Varargs args) {
                    LuaFunction body = args.checkfunction(1);
                    LuaInterpreter in = LuaInterpreter.current();
                    Coroutines own = in == null ? null : in.coroutines();
                    if (own != null) in.coroutineThread(true); // the creator's frames, should the coroutine measure
                    return original.invoke(own == null ? body : own.tracked(in, body));
                }
            });
        }
    }

    private LuaFunction tracked(LuaInterpreter in, LuaFunction body) {
        return new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                Thread self = Thread.currentThread();
                if (live.size() >= MAX_LIVE) {
                    throw new LuaError(
                            "too many coroutines: a task may have at most " + MAX_LIVE + " started and unfinished");
                }
                live.add(self);
                in.coroutineThread(true); // what its frames hold counts for the task's memory
                try {
                    return body.invoke(args);
                } finally {
                    in.coroutineThread(false);
                    live.remove(self);
                }
            }
        };
    }

    /** Ends every coroutine still suspended; called when the task's call returns. */
    void endAll() {
        for (Thread t : live) t.interrupt();
    }

    /** How many started coroutines have not finished (for tests). */
    int live() {
        return live.size();
    }
}
