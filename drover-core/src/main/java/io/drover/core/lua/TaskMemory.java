package io.drover.core.lua;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaNumber;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.UpValue;
import org.luaj.vm2.Varargs;

/**
 * The bound on the Lua values one task holds. The JVM counts no memory per thread that is still live, so a task's
 * holdings are measured by walking what its Lua state reaches (its globals, and the closures and registers of its
 * frames and its coroutines' frames) and adding up estimated sizes of tables, strings, closures and numbers.
 *
 * <p>Walking costs time in proportion to what a task holds, so it is done only when it could find something: a
 * listener counts the collections after which the heap holds more than the limit (a task cannot hold more than the
 * whole heap does), and a task's stop hook measures once after each such collection, at most a tenth of its time.
 * A task that holds more than the limit raises an error that ends its attempt, before the heap is exhausted, so the
 * worker's other threads never meet an {@link OutOfMemoryError} it caused.
 *
 * <p>The limit is one for the process: {@code DROVER_LUA_MEMORY} (bytes, or with a k, m or g suffix), else a quarter
 * of the maximum heap. Thread-safe.
 */
final class TaskMemory {
    /**
     * What a task may hold, in bytes: {@code DROVER_LUA_MEMORY}, or a quarter of the heap when it is not set or not
     * a size (the commands refuse to start then: {@link LuaInterpreter#checkSettings()}).
     */
    static final long LIMIT = limitOrDefault();

    private static volatile long limit = LIMIT;
    /** Collections that ended with more heap in use than the limit: a task measures once after each. */
    private static final java.util.concurrent.atomic.AtomicLong PRESSURE = new java.util.concurrent.atomic.AtomicLong();
    /** Whether the last collection left more than {@link #SEVERE} of the heap in use. */
    private static volatile boolean severe;
    /** The share of the heap in use after a collection past which tasks are held to their share of the heap. */
    static final double SEVERE = 0.8;
    /** Task calls running Lua code now, in this process. */
    private static final LongAdder RUNNING = new LongAdder();

    private static final long MAX_HEAP = Runtime.getRuntime().maxMemory();

    static {
        Set<String> heapPools = new HashSet<>();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) heapPools.add(p.getName());
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(
                        (n, handback) -> {
                            if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType()))
                                return;
                            var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData())
                                    .getGcInfo();
                            long used = 0;
                            for (var e : info.getMemoryUsageAfterGc().entrySet()) {
                                MemoryUsage u = e.getValue();
                                if (heapPools.contains(e.getKey())) used += u.getUsed();
                            }
                            severe = used > SEVERE * MAX_HEAP;
                            if (used > effectiveLimit()) PRESSURE.incrementAndGet();
                        },
                        null,
                        null);
            }
        }
    }

    private TaskMemory() {}

    static long limit() {
        return limit;
    }

    /** Sets the process's limit (tests; the worker reads the environment). */
    static void limit(long bytes) {
        limit = bytes;
    }

    static long pressure() {
        return PRESSURE.get();
    }

    /**
     * What a task may hold now: the limit; and while the heap is nearly full after collections (past {@link #SEVERE}),
     * no more than half of an even share of the heap among the task calls running, so that many tasks each under the
     * limit cannot exhaust it together (each is stopped with the same one line, naming the share).
     */
    static long effectiveLimit() {
        long l = limit;
        if (!severe) return l;
        return Math.min(l, MAX_HEAP / (2 * Math.max(1, RUNNING.sum())));
    }

    /** A task call starts or ends running Lua code. */
    static void running(boolean started) {
        if (started) RUNNING.increment();
        else RUNNING.decrement();
    }

    private static long limitOrDefault() {
        long heap = Runtime.getRuntime().maxMemory();
        try {
            return Setting.bytes(System.getenv("DROVER_LUA_MEMORY"), heap);
        } catch (IllegalArgumentException e) {
            return heap / 4;
        }
    }

    /**
     * {@code DROVER_LUA_MEMORY}'s value in bytes, else a quarter of {@code maxHeap}. In a class of its own, so a
     * command that checks the setting before it starts does not set up the collectors' listener.
     */
    static final class Setting {
        private Setting() {}

        static long bytes(String value, long maxHeap) {
            if (value == null || value.isBlank()) return maxHeap / 4;
            String v = value.strip().toLowerCase(Locale.ROOT);
            int shift = switch (v.charAt(v.length() - 1)) {
                case 'k' -> 10;
                case 'm' -> 20;
                case 'g' -> 30;
                default -> 0;
            };
            try {
                long n = Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1));
                if (n <= 0 || n > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
                return n << shift;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "DROVER_LUA_MEMORY must be a positive number of bytes (a k, m or g suffix"
                                + " may follow), not '" + value + "'");
            }
        }
    }

    /** Sizes in bytes, as a 64-bit JVM with compressed references lays these objects out (near enough). */
    private static final int REF = 8;

    private static final int TABLE = 80;
    private static final int SLOT = 40;
    private static final int STRING = 40;
    private static final int CLOSURE = 32;
    private static final int NUMBER = 16;
    private static final int THREAD = 96;
    /** Strings of at least this many bytes are counted once however often they are referred to. */
    private static final int SHARED_STRING = 64;

    private static final VarHandle ARRAY;
    private static final VarHandle HASH;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(LuaTable.class, MethodHandles.lookup());
            ARRAY = l.findVarHandle(LuaTable.class, "array", LuaValue[].class);
            HASH = l.findVarHandle(LuaTable.class, "hash", Class.forName("[Lorg.luaj.vm2.LuaTable$Slot;"));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Adds up what a task's roots reach, stopping once the sum passes {@code cap} (the answer is then only known to
     * be more than it). Each table, closure and long string is counted once.
     */
    static final class Walk {
        private final long cap;
        private final IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        private final ArrayDeque<LuaValue> queue = new ArrayDeque<>();
        private long total;

        Walk(long cap) {
            this.cap = cap;
        }

        /** Adds a value and what it reaches. */
        Walk add(LuaValue v) {
            if (v == null) return this;
            if (v instanceof LuaString s) {
                if (s.m_length < SHARED_STRING) total += STRING + s.m_length;
                else if (seen.put(s.m_bytes, Boolean.TRUE) == null) total += STRING + s.m_bytes.length;
                else total += STRING;
            } else if (v instanceof LuaNumber) {
                total += NUMBER;
            } else if (v instanceof LuaTable t) {
                if (!(t instanceof SealedTable) && !(t instanceof Globals) && seen.put(t, Boolean.TRUE) == null)
                    queue.add(t);
            } else if (v instanceof LuaClosure c) {
                if (seen.put(c, Boolean.TRUE) == null) queue.add(c);
            } else if (v instanceof LuaThread) {
                total += THREAD; // its frames are walked with the task's other frames
            }
            return this;
        }

        /** Adds the registers of a frame. */
        Walk add(LuaValue[] registers) {
            if (registers != null) {
                total += (long) REF * registers.length;
                for (LuaValue r : registers) add(r);
            }
            return this;
        }

        /** The sum, or a number above the cap once the sum passed it. */
        long total() {
            while (!queue.isEmpty() && total <= cap) {
                LuaValue v = queue.poll();
                if (v instanceof LuaClosure c) {
                    total += CLOSURE + (long) REF * c.upValues.length;
                    for (UpValue u : c.upValues) if (u != null) add(u.getValue());
                } else {
                    table(TopLevelCopies.ownPart((LuaTable) v));
                }
            }
            return total;
        }

        private void table(LuaTable t) {
            if (t == null) return;
            LuaValue[] array = (LuaValue[]) ARRAY.get(t);
            Object[] hash = (Object[]) HASH.get(t);
            total += TABLE + (long) REF * (array.length + hash.length);
            LuaValue meta = t.getmetatable();
            if (meta != null) add(meta);
            LuaValue k = LuaValue.NIL;
            while (total <= cap) {
                Varargs kv = t.next(k);
                k = kv.arg1();
                if (k.isnil()) break;
                if (!(k instanceof LuaNumber) || !k.isinttype() || k.toint() < 1 || k.toint() > array.length)
                    total += SLOT;
                add(k);
                add(kv.arg(2));
            }
        }
    }
}
