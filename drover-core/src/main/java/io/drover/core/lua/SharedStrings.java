package io.drover.core.lua;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;

/**
 * The one string library of the JVM. LuaJ keeps the metatable of every string ({@code ("x"):upper()}) in a static
 * field, set by the first {@link StringLib} ever loaded, so whatever table that is serves every interpreter and
 * every task. Here it is a sealed table of stateless functions (with budgeted patterns, {@link LuaPatterns}), the
 * same one every interpreter gets as {@code string}, and the string metatable is sealed too.
 */
final class SharedStrings {
    static final LuaTable LIBRARY;

    static {
        Globals g = new Globals();
        g.load(new PackageLib()); // StringLib registers itself in package.loaded
        g.load(new StringLib());
        LuaTable raw = (LuaTable) g.rawget("string");
        raw.rawset("dump", LuaValue.NIL);
        LuaPatterns.install(raw);
        LIBRARY = new SealedTable("string", raw);
        LuaTable meta = new LuaTable();
        meta.rawset(LuaValue.INDEX, LIBRARY);
        LuaString.s_metatable = new SealedTable("string metatable", meta);
    }

    private SharedStrings() {}
}
