package io.drover.core.lua;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.UpValue;
import org.luaj.vm2.Varargs;

/**
 * What one task call sees of the state the file's top level left behind: a private copy of every table, closure
 * and upvalue it reaches, so the task sees the file as if it had been evaluated for it alone, while the
 * originals, which no task can reach, stay as the top level left them for the next task. The call's function is
 * copied when the call starts, a file global when the call first reads it.
 *
 * <p>Copies are lazy: a copied table copies an entry when it is read and fills itself from its original only
 * when something needs all of it (a write, a length, an iteration), so a call pays for what it touches, not for
 * all it could reach (a task that looks up one entry of a table of ten thousand copies that one entry). The copies keep the
 * graph's shape: one original has one copy per call, so a table two closures share, or an upvalue two closures
 * share, is shared by the copies too; metatables (and with them weak modes) come along.
 *
 * <p>Kept, not copied: sealed library tables (read-only, and the same for every task by design), the
 * environment (a {@link Globals}: its reads already go to the call's own globals), Java functions, strings and
 * other immutable values, and coroutines (a coroutine cannot be copied; one the top level left suspended is the
 * one thing tasks of a workflow can still share). Closures reached are queued and their upvalues copied in a
 * loop, not by recursion, so a long chain cannot overflow the stack.
 */
final class TopLevelCopies {
    private final Globals env;
    private IdentityHashMap<Object, Object> copies;
    /** Closures copied whose upvalues are not yet: each original followed by its copy. */
    private final ArrayDeque<LuaClosure> unfilled = new ArrayDeque<>();

    /** @param env the environment the copied closures get (their debug hooks come from it) */
    TopLevelCopies(Globals env) {
        this.env = env;
    }

    /** The call's copy of {@code v}, through which everything it reaches is copied as it is reached. */
    LuaValue of(LuaValue v) {
        if (!copied(v)) return v;
        LuaValue c = copy(v);
        drain();
        return c;
    }

    /**
     * Whether {@code v} is something this copies: a table that is not a library's or an environment, or a Lua
     * function with upvalues (one without has nothing a call could change).
     */
    static boolean copied(LuaValue v) {
        if (v instanceof LuaClosure f) return f.upValues.length > 0;
        return v instanceof LuaTable && !(v instanceof SealedTable) && !(v instanceof Globals);
    }

    /**
     * What of {@code t} a call holds itself: of a copy not yet filled, the entries it read (the rest is still the
     * original's, which the top level holds); of any other table, all of it. Null for a copy that read nothing.
     */
    static LuaTable ownPart(LuaTable t) {
        return t instanceof Copy c && c.original != null ? c.reads : t;
    }

    /** The copy of {@code v}: a table filled when first used, or a closure queued for its upvalues. */
    private LuaValue copy(LuaValue v) {
        if (!copied(v)) return v;
        if (copies == null) copies = new IdentityHashMap<>();
        Object known = copies.get(v);
        if (known != null) return (LuaValue) known;
        LuaValue c;
        if (v instanceof LuaClosure f) {
            LuaClosure cf = new LuaClosure(f.p, env);
            cf.upValues = new UpValue[f.upValues.length];
            unfilled.add(f);
            unfilled.add(cf);
            c = cf;
        } else {
            c = new Copy((LuaTable) v);
        }
        copies.put(v, c);
        return c;
    }

    private UpValue copy(UpValue u) {
        if (u == null) return null;
        Object known = copies.get(u);
        if (known != null) return (UpValue) known;
        UpValue c = new UpValue(new LuaValue[] {copy(u.getValue())}, 0);
        copies.put(u, c);
        return c;
    }

    private void drain() {
        while (!unfilled.isEmpty()) {
            LuaClosure original = unfilled.poll();
            UpValue[] to = unfilled.poll().upValues;
            for (int i = 0; i < to.length; i++) to[i] = copy(original.upValues[i]);
        }
    }

    /**
     * A table copied on demand. Until something needs all of it, a read by key looks the key up in the original
     * and keeps the copy of what it found ({@code reads}), so a task reading one entry of a large table copies
     * that entry only; the metatable is read the same way. Anything else (a write, a length, an iteration, a
     * sort, setting the metatable) first fills the table from the original, reusing the copies already read, and
     * from then on it is a plain table. The fill sets the metatable before the entries, as LuaJ decides weak
     * storage when a metatable is set.
     */
    private final class Copy extends LuaTable {
        private LuaTable original;
        private LuaTable reads;

        Copy(LuaTable original) {
            this.original = original;
        }

        private void fill() {
            LuaTable from = original;
            if (from == null) return;
            original = null;
            reads = null;
            LuaValue meta = from.getmetatable();
            if (meta != null) super.setmetatable(copy(meta));
            LuaValue k = LuaValue.NIL;
            while (true) {
                Varargs kv = from.next(k);
                k = kv.arg1();
                if (k.isnil()) break;
                super.rawset(copy(k), copy(kv.arg(2)));
            }
            drain();
        }

        /** The copy of the original's {@code found} under {@code key}, kept so the next read gives the same one. */
        private LuaValue read(LuaValue key, LuaValue found) {
            if (!copied(found)) return found;
            LuaValue c = copy(found);
            drain();
            if (reads == null) reads = new LuaTable();
            reads.rawset(key, c);
            return c;
        }

        @Override
        public LuaValue rawget(LuaValue key) {
            LuaTable from = original;
            if (from == null) return super.rawget(key);
            if (key instanceof LuaTable || key instanceof LuaFunction) {
                fill(); // the caller holds the key's copy, which the original is not keyed by
                return super.rawget(key);
            }
            LuaValue v = reads == null ? NIL : reads.rawget(key);
            return v.isnil() ? read(key, from.rawget(key)) : v;
        }

        @Override
        public LuaValue rawget(int key) {
            LuaTable from = original;
            if (from == null) return super.rawget(key);
            LuaValue v = reads == null ? NIL : reads.rawget(key);
            return v.isnil() ? read(LuaValue.valueOf(key), from.rawget(key)) : v;
        }

        @Override
        public LuaValue get(LuaValue key) {
            if (original != null) {
                LuaValue v = rawget(key);
                if (!v.isnil() || original.getmetatable() == null) return v;
                fill(); // a miss that goes on to __index: rare enough to do it as LuaJ does, on the whole table
            }
            return super.get(key);
        }

        @Override
        public LuaValue get(int key) {
            if (original != null) {
                LuaValue v = rawget(key);
                if (!v.isnil() || original.getmetatable() == null) return v;
                fill();
            }
            return super.get(key);
        }

        @Override
        public LuaValue getmetatable() {
            LuaTable from = original;
            if (from == null) return super.getmetatable();
            LuaValue m = from.getmetatable();
            if (m == null) return null;
            LuaValue c = copy(m);
            drain();
            return c;
        }

        @Override
        public void presize(int n) {
            fill();
            super.presize(n);
        }

        @Override
        public void presize(int a, int h) {
            fill();
            super.presize(a, h);
        }

        @Override
        protected int getArrayLength() {
            fill();
            return super.getArrayLength();
        }

        @Override
        protected int getHashLength() {
            fill();
            return super.getHashLength();
        }

        @Override
        protected LuaValue hashget(LuaValue key) {
            fill();
            return super.hashget(key);
        }

        @Override
        public LuaValue setmetatable(LuaValue m) {
            fill();
            return super.setmetatable(m);
        }

        @Override
        public void set(int key, LuaValue value) {
            fill();
            super.set(key, value);
        }

        @Override
        public void set(LuaValue key, LuaValue value) {
            fill();
            super.set(key, value);
        }

        @Override
        public void rawset(int key, LuaValue value) {
            fill();
            super.rawset(key, value);
        }

        @Override
        public void rawset(LuaValue key, LuaValue value) {
            fill();
            super.rawset(key, value);
        }

        @Override
        public void hashset(LuaValue key, LuaValue value) {
            fill();
            super.hashset(key, value);
        }

        @Override
        public LuaValue remove(int pos) {
            fill();
            return super.remove(pos);
        }

        @Override
        public void insert(int pos, LuaValue value) {
            fill();
            super.insert(pos, value);
        }

        @Override
        public LuaValue concat(LuaString sep, int i, int j) {
            fill();
            return super.concat(sep, i, j);
        }

        @Override
        public int length() {
            fill();
            return super.length();
        }

        @Override
        public LuaValue len() {
            fill();
            return super.len();
        }

        @Override
        public int rawlen() {
            fill();
            return super.rawlen();
        }

        @Override
        public Varargs next(LuaValue key) {
            fill();
            return super.next(key);
        }

        @Override
        public Varargs inext(LuaValue key) {
            fill();
            return super.inext(key);
        }

        @Override
        public void sort(LuaValue comparator) {
            fill();
            super.sort(comparator);
        }

        @Override
        public int keyCount() {
            fill();
            return super.keyCount();
        }

        @Override
        public LuaValue[] keys() {
            fill();
            return super.keys();
        }

        @Override
        public LuaValue eq(LuaValue val) {
            fill();
            return super.eq(val);
        }

        @Override
        public boolean eq_b(LuaValue val) {
            fill();
            return super.eq_b(val);
        }

        @Override
        public Varargs unpack() {
            fill();
            return super.unpack();
        }

        @Override
        public Varargs unpack(int i) {
            fill();
            return super.unpack(i);
        }

        @Override
        public Varargs unpack(int i, int j) {
            fill();
            return super.unpack(i, j);
        }
    }
}
