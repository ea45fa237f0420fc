package io.drover.core.lua;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Converts between Lua values and JSON-like Java values (String, Long, Double, Boolean, List, Map, null). A table
 * whose keys are exactly 1..n becomes a List; any other table a Map with string keys.
 */
public final class LuaConvert {
    private static final int MAX_DEPTH = 64;

    private LuaConvert() {}

    public static Object toJava(LuaValue v) {
        return toJava(v, 0);
    }

    private static Object toJava(LuaValue v, int depth) {
        if (depth > MAX_DEPTH)
            throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        switch (v.type()) {
            case LuaValue.TNIL:
                return null;
            case LuaValue.TBOOLEAN:
                return v.toboolean();
            case LuaValue.TNUMBER:
                if (v.isinttype()) return (long) v.toint();
                double d = v.todouble();
                if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.0e15) return (long) d;
                return d;
            case LuaValue.TSTRING:
                return v.tojstring();
            case LuaValue.TTABLE:
                LuaTable t = (LuaTable) v;
                int n = t.length();
                int count = 0;
                LuaValue k = LuaValue.NIL;
                while (true) {
                    Varargs kv = t.next(k);
                    if ((k = kv.arg1()).isnil()) break;
                    count++;
                }
                if (n > 0 && count == n) {
                    List<Object> list = new ArrayList<>(n);
                    for (int i = 1; i <= n; i++) list.add(toJava(t.get(i), depth + 1));
                    return list;
                }
                Map<String, Object> map = new LinkedHashMap<>();
                k = LuaValue.NIL;
                while (true) {
                    Varargs kv = t.next(k);
                    if ((k = kv.arg1()).isnil()) break;
                    map.put(k.tojstring(), toJava(kv.arg(2), depth + 1));
                }
                return map;
            default:
                throw new IllegalArgumentException(
                        "a " + v.typename() + " cannot be passed on (only strings, numbers, booleans and tables)");
        }
    }

    /** Converts a map to a Lua table whose values are converted with {@link #toLua}. */
    public static LuaTable table(Map<String, ?> map) {
        LuaTable t = new LuaTable();
        map.forEach((k, v) -> t.rawset(k, toLua(v)));
        return t;
    }

    public static LuaValue toLua(Object o) {
        if (o == null) return LuaValue.NIL;
        if (o instanceof String s) return LuaValue.valueOf(s);
        if (o instanceof Boolean b) return LuaValue.valueOf(b);
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            long l = ((Number) o).longValue();
            return l == (int) l ? LuaValue.valueOf((int) l) : LuaValue.valueOf((double) l);
        }
        if (o instanceof Number n) return LuaValue.valueOf(n.doubleValue());
        if (o instanceof Map<?, ?> m) {
            LuaTable t = new LuaTable();
            m.forEach((k, v) -> t.rawset(LuaValue.valueOf(String.valueOf(k)), toLua(v)));
            return t;
        }
        if (o instanceof List<?> l) {
            LuaTable t = new LuaTable(l.size(), 0);
            for (int i = 0; i < l.size(); i++) t.rawset(i + 1, toLua(l.get(i)));
            return t;
        }
        return LuaValue.valueOf(String.valueOf(o));
    }

    /** How a value is written into an environment variable: scalars as text, lists and maps as JSON. */
    public static String toEnvText(Object o) {
        if (o == null) return "";
        if (o instanceof Map || o instanceof List) return Json.write(o);
        if (o instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) return Long.toString(d.longValue());
        return String.valueOf(o);
    }
}
