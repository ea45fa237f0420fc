package io.drover.core.lua;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * A library table that Lua code can read but never change: assignments, {@code rawset}, {@code table.insert},
 * {@code table.remove}, {@code table.sort} and {@code setmetatable} on it raise an error. Library tables outlive
 * the task that uses them (an interpreter serves many tasks, and the string library the whole JVM), so a task
 * that could rewrite {@code string.format} or {@code fs.read} would change them for every later task.
 */
final class SealedTable extends LuaTable {
    private final String name;
    private boolean sealed;

    /** A sealed copy of {@code source}'s string-keyed entries. */
    SealedTable(String name, LuaTable source) {
        this.name = name;
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs kv = source.next(k);
            if ((k = kv.arg1()).isnil()) break;
            super.rawset(k, kv.arg(2));
        }
        LuaValue meta = source.getmetatable();
        if (meta != null) super.setmetatable(meta);
        sealed = true;
    }

    private LuaError refused() {
        return new LuaError("'" + name + "' is one of Drover's library tables and cannot be changed; keep your own"
                + " helpers in a table of your own");
    }

    @Override
    public void rawset(int key, LuaValue value) {
        if (sealed) throw refused();
        super.rawset(key, value);
    }

    @Override
    public void rawset(LuaValue key, LuaValue value) {
        if (sealed) throw refused();
        super.rawset(key, value);
    }

    @Override
    public void hashset(LuaValue key, LuaValue value) {
        if (sealed) throw refused();
        super.hashset(key, value);
    }

    @Override
    public void insert(int pos, LuaValue value) {
        throw refused();
    }

    @Override
    public LuaValue remove(int pos) {
        throw refused();
    }

    @Override
    public void sort(LuaValue comparator) {
        throw refused();
    }

    @Override
    public LuaValue setmetatable(LuaValue metatable) {
        if (sealed) throw refused();
        return super.setmetatable(metatable);
    }
}
