package io.drover.core.lua;

import io.drover.core.state.Namespaces;
import io.drover.core.state.StateLimits;
import io.drover.core.state.StateLocks;
import io.drover.core.state.StateScope;
import io.drover.core.state.Versioned;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * The {@code state} module: {@code state.scope(spec)} gives a table of calls on one namespace of the task's state
 * store (values, counters, compare-and-set, capped lists, locks). Values cross as JSON: strings, numbers, booleans
 * and tables. The store is the task's ({@link TaskScope#state()}), so the module keeps nothing between tasks.
 */
final class StateModule {
    private StateModule() {}

    static void install(Globals g, LuaInterpreter in) {
        LuaTable t = new LuaTable();
        t.rawset("scope", Modules.fn("state.scope", a -> scope(in, a.arg1())));
        g.rawset("state", t);
    }

    private static LuaTable scope(LuaInterpreter in, LuaValue spec) {
        TaskScope s = in.requireScope("state.scope");
        String ns;
        if (spec.isnil()) {
            ns = Namespaces.named("workflow", s.runId(), in.source().name());
        } else if (spec.isstring()) {
            ns = Namespaces.named(spec.tojstring(), s.runId(), in.source().name());
        } else if (spec.istable()) {
            ns = Namespaces.of(fields((LuaTable) spec));
        } else {
            throw new LuaError(
                    "state.scope takes \"run\", \"workflow\", \"global\" or a table, not a " + spec.typename());
        }
        return calls(in, s, ns);
    }

    /** A table scope's names and values, as text (numbers and booleans as Lua writes them). */
    static Map<String, String> fields(LuaTable t) {
        Map<String, String> m = new LinkedHashMap<>();
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs kv = t.next(k);
            if ((k = kv.arg1()).isnil()) break;
            LuaValue v = kv.arg(2);
            if (!k.isstring() || !(v.isstring() || v.isboolean())) {
                throw new LuaError("state.scope: a table scope holds names and text values, like { ns = \"team-a\" };"
                        + " got " + k.typename() + " = " + v.typename());
            }
            m.put(k.tojstring(), v.tojstring());
        }
        return m;
    }

    private static LuaTable calls(LuaInterpreter in, TaskScope s, String ns) {
        LuaTable st = new LuaTable();
        st.rawset("namespace", LuaValue.valueOf(ns));
        method(st, "get", a -> {
            Versioned v = scope(s, ns).get(key(a, 2));
            return v == null ? LuaValue.NIL : value(v);
        });
        method(st, "get_versioned", a -> {
            Versioned v = scope(s, ns).get(key(a, 2));
            return v == null
                    ? LuaValue.varargsOf(LuaValue.NIL, LuaValue.valueOf(0))
                    : LuaValue.varargsOf(value(v), number(v.version()));
        });
        method(st, "set", a -> {
            String key = key(a, 2);
            String json = json(key, a.arg(3));
            Duration ttl = ttl(key, a.arg(4));
            return number(scope(s, ns).set(key, json, ttl));
        });
        method(st, "incr", a -> {
            String key = key(a, 2);
            return number(scope(s, ns).incr(key, a.isnoneornil(3) ? 1 : a.checklong(3)));
        });
        method(st, "cas", a -> {
            String key = key(a, 2);
            long expected = a.isnil(3) ? 0 : a.checklong(3);
            String json = json(key, a.arg(4));
            Duration ttl = ttl(key, a.arg(5));
            long version = scope(s, ns).cas(key, expected, json, ttl);
            return LuaValue.varargsOf(LuaValue.valueOf(version > 0), number(version));
        });
        method(st, "delete", a -> LuaValue.valueOf(scope(s, ns).delete(key(a, 2))));
        method(st, "keys", a -> list(scope(s, ns).keys(a.optjstring(2, ""))));
        method(st, "append", a -> {
            String key = key(a, 2);
            LuaValue opts = a.arg(4);
            int max = StateLimits.DEFAULT_LIST_MAX;
            if (opts.istable() && !opts.get("max").isnil())
                max = StateLimits.max(key, opts.get("max").checkint());
            String json = json(key, a.arg(3));
            Duration ttl = ttl(key, opts);
            return number(scope(s, ns).append(key, json, max, ttl));
        });
        method(st, "range", a -> {
            String key = key(a, 2);
            long from = a.optlong(3, 1);
            long to = a.optlong(4, -1);
            LuaTable out = new LuaTable();
            List<String> items = scope(s, ns).slice(key, from, to);
            for (int i = 0; i < items.size(); i++) out.rawset(i + 1, LuaConvert.toLua(Json.read(items.get(i))));
            return out;
        });
        method(st, "with_lock", a -> {
            String name = key(a, 2);
            LuaValue opts = a.arg(3);
            LuaValue body = a.arg(4);
            if (!body.isfunction()) {
                throw new LuaError("with_lock(name, { ttl = \"10m\", wait = \"1m\" }, function(token) ... end): the"
                        + " last argument must be a function, not a " + body.typename());
            }
            Duration ttl = opts.istable() && !opts.get("ttl").isnil()
                    ? StateLimits.ttl(name, opts.get("ttl").tojstring())
                    : Duration.ofMinutes(1);
            Duration wait = opts.istable() && !opts.get("wait").isnil()
                    ? StateLimits.ttl(name, opts.get("wait").tojstring())
                    : null;
            return StateLocks.withLock(
                    scope(s, ns), name, ttl, wait, in::checkStop, token -> body.invoke(number(token)));
        });
        return st;
    }

    /** A version, token, count or length as a Lua number (exact up to 2^53, as Lua's numbers are). */
    private static LuaValue number(long n) {
        return LuaValue.valueOf((double) n);
    }

    private static StateScope scope(TaskScope s, String ns) {
        return s.state().store().scope(ns);
    }

    /** Adds {@code name}, called with a colon ({@code st:get(k)}): argument 1 is the scope table itself. */
    @SuppressWarnings("ReferenceEquality") // the same table, not an equal one
    private static void method(LuaTable st, String name, Modules.Body body) {
        st.rawset(name, Modules.fn("st:" + name, a -> {
            if (a.arg1() != st) {
                throw new LuaError("st:" + name + ": call it with a colon, like st:" + name + "(...), on a scope from"
                        + " state.scope");
            }
            return body.call(a);
        }));
    }

    private static String key(Varargs a, int i) {
        return StateLimits.key(a.checkjstring(i));
    }

    private static String json(String key, LuaValue v) {
        if (v.isnil()) throw new LuaError("state: no value given for key '" + key + "' (to remove it use st:delete)");
        if (v.isfunction() || v.isuserdata() || v.isthread())
            throw new LuaError("state: the value of key '" + key
                    + "' must be a string, number, boolean or table, not a " + v.typename());
        return StateLimits.value(key, Json.write(LuaConvert.toJava(v)));
    }

    private static LuaValue value(Versioned v) {
        return LuaConvert.toLua(Json.read(v.json()));
    }

    private static Duration ttl(String key, LuaValue opts) {
        if (!opts.istable() || opts.get("ttl").isnil()) return null;
        return StateLimits.ttl(key, opts.get("ttl").tojstring());
    }

    private static LuaTable list(List<String> items) {
        LuaTable out = new LuaTable();
        for (int i = 0; i < items.size(); i++) out.rawset(i + 1, LuaValue.valueOf(items.get(i)));
        return out;
    }
}
