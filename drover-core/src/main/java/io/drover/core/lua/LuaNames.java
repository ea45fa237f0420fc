package io.drover.core.lua;

import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.Prototype;

/**
 * Names the value an instruction failed on, from the function's bytecode, as Lua's own {@code getobjname} does:
 * a local's name, a global, a field of a named table ({@code deps.create}), an upvalue. LuaJ's messages say "?"
 * there. Best effort: a value made by a call or an expression has no name, and null is returned.
 */
final class LuaNames {
    private LuaNames() {}

    /** The name of what the instruction at {@code pc} indexed or called, or null. */
    static String failing(Prototype p, int pc) {
        if (p == null || pc < 0 || pc >= p.code.length) return null;
        int i = p.code[pc];
        return switch (Lua.GET_OPCODE(i)) {
            case Lua.OP_GETTABLE, Lua.OP_SELF -> register(p, pc, Lua.GETARG_B(i), 0);
            case Lua.OP_SETTABLE, Lua.OP_CALL, Lua.OP_TAILCALL -> register(p, pc, Lua.GETARG_A(i), 0);
            case Lua.OP_GETTABUP -> field(upvalue(p, Lua.GETARG_B(i)), constant(p, Lua.GETARG_C(i)));
            default -> null;
        };
    }

    /** The name of register {@code reg} as it stands before {@code pc}. */
    private static String register(Prototype p, int pc, int reg, int depth) {
        if (depth > 16) return null;
        LuaString local = p.getlocalname(reg + 1, pc);
        if (local != null) return local.tojstring();
        for (int at = pc - 1; at >= 0; at--) {
            int i = p.code[at];
            int op = Lua.GET_OPCODE(i);
            int a = Lua.GETARG_A(i);
            if (op == Lua.OP_JMP || op == Lua.OP_FORLOOP || op == Lua.OP_TFORLOOP) return null; // flow: not followed
            if (op == Lua.OP_LOADNIL && reg >= a && reg <= a + Lua.GETARG_B(i)) return null;
            if ((op == Lua.OP_CALL || op == Lua.OP_TFORCALL) && reg >= a) return null; // results of a call
            if (a != reg || !writesA(op)) continue;
            return switch (op) {
                case Lua.OP_MOVE -> register(p, at, Lua.GETARG_B(i), depth + 1);
                case Lua.OP_GETTABUP -> field(upvalue(p, Lua.GETARG_B(i)), constant(p, Lua.GETARG_C(i)));
                case Lua.OP_GETTABLE ->
                    field(register(p, at, Lua.GETARG_B(i), depth + 1), constant(p, Lua.GETARG_C(i)));
                case Lua.OP_GETUPVAL -> upvalue(p, Lua.GETARG_B(i));
                default -> null;
            };
        }
        return null;
    }

    private static boolean writesA(int op) {
        return op != Lua.OP_SETTABUP
                && op != Lua.OP_SETTABLE
                && op != Lua.OP_SETUPVAL
                && op != Lua.OP_SETLIST
                && op != Lua.OP_EQ
                && op != Lua.OP_LT
                && op != Lua.OP_LE
                && op != Lua.OP_TEST
                && op != Lua.OP_RETURN;
    }

    /** {@code t.k}, where an indexed {@code _ENV} is a global. */
    private static String field(String table, String key) {
        if (key == null) return null;
        if ("_ENV".equals(table)) return key;
        return table == null ? null : table + "." + key;
    }

    private static String upvalue(Prototype p, int index) {
        return p.upvalues != null && index < p.upvalues.length && p.upvalues[index].name != null
                ? p.upvalues[index].name.tojstring()
                : null;
    }

    private static String constant(Prototype p, int rk) {
        if (!Lua.ISK(rk)) return null;
        int k = Lua.INDEXK(rk);
        return k < p.k.length && p.k[k].isstring() && !p.k[k].isnumber() ? p.k[k].tojstring() : null;
    }

    /** What to add to a message about a nil {@code name}: that the sandbox leaves it out, or that it is no dependency. */
    static String note(String name) {
        int dot = name.indexOf('.');
        String top = dot < 0 ? name : name.substring(0, dot);
        String removed = LuaInterpreter.REMOVED_GLOBALS.contains(top)
                ? top
                : top.equals("os") && dot > 0 && !LuaInterpreter.KEPT_OS.contains(name.substring(dot + 1))
                        ? name
                        : name.equals("string.dump") ? name : null;
        if (removed != null) {
            String instead =
                    top.equals("io") ? " (use fs.read, fs.write, fs.list)" : top.equals("os") ? " (use exec)" : "";
            return ": " + removed + " is not available in Drover's sandbox" + instead;
        }
        if (top.equals("deps") && dot > 0 && name.indexOf('.', dot + 1) < 0) {
            return ": no dependency '" + name.substring(dot + 1)
                    + "' (deps holds the outputs of the tasks in depends_on)";
        }
        return "";
    }
}
