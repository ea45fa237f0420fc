package io.drover.core.lua;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * The global {@code params} a file sees while it is evaluated: the run's parameters are not known yet, so
 * {@code params.user} is a reference to one, which a field that takes references ({@code memory.scope}) keeps and
 * resolves when the task runs. Using a reference as a value (concatenating, indexing it) fails with a line saying
 * so. A task's own {@code params} (its function's first argument) is the real table.
 */
public final class ParamRefs {
    private record Ref(String name) {}

    private static final LuaTable REF_META = refMeta();
    /** The global {@code params}: immutable, the same for every file. */
    static final LuaValue PARAMS = params();

    private ParamRefs() {}

    /** The parameter {@code v} refers to ({@code params.user} gives {@code user}), or null when it is no reference. */
    public static String nameOf(LuaValue v) {
        return v instanceof LuaUserdata u && u.m_instance instanceof Ref r ? r.name() : null;
    }

    private static LuaValue params() {
        LuaTable meta = new LuaTable();
        meta.rawset("__index", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                return new LuaUserdata(new Ref(key.tojstring()), REF_META);
            }
        });
        meta.rawset("__metatable", LuaValue.valueOf("params"));
        return new LuaUserdata(new Object(), meta);
    }

    private static LuaTable refMeta() {
        LuaTable meta = new LuaTable();
        meta.rawset("__tostring", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue self) {
                return LuaValue.valueOf("params." + nameOf(self));
            }
        });
        TwoArgFunction misuse = new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue a, LuaValue b) {
                String name = nameOf(a) != null ? nameOf(a) : nameOf(b);
                throw new LuaError("params." + name + " is only known when the task runs: read it inside the task's"
                        + " function (function(params) ... end), or use it in memory.scope");
            }
        };
        for (String op : new String[] {"__concat", "__index", "__add", "__sub", "__eq", "__lt", "__le", "__len"}) {
            meta.rawset(op, misuse);
        }
        meta.rawset("__metatable", LuaValue.valueOf("params"));
        return meta;
    }
}
