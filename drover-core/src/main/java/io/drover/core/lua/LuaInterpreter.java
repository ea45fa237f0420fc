package io.drover.core.lua;

import com.sun.management.ThreadMXBean;
import io.drover.core.InvalidInputException;
import io.drover.core.WorkflowException;
import io.drover.core.model.Command;
import io.drover.core.model.Durations;
import io.drover.core.model.SourceLocation;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.Cancellation;
import io.drover.core.process.TaskLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.luaj.vm2.Globals;
import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.CoroutineLib;
import org.luaj.vm2.lib.DebugLib;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseMathLib;
import org.luaj.vm2.lib.jse.JseOsLib;

/**
 * One sandboxed Lua interpreter for a workflow file. Used by one thread at a time (a {@link LuaRuntime} lends it
 * out). Its libraries are built once and sealed ({@link SealedTable}); the file is evaluated once. Every task call
 * gets a globals table of its own (writes to globals, {@code rawset(_G, ...)} and {@code load} included, land
 * there), the file's environment has a protected metatable, and the string library is one sealed table for the
 * JVM: no library, global or metatable a task changes reaches another task. Tables, closures and top-level
 * locals the file's top level made stay as it left them: each call works on its own copies of what it reaches
 * ({@link TopLevelCopies}), rather than on a fresh evaluation of the file (which costs time in proportion to the
 * file, and generated workflows of many thousand tasks cannot pay that per task). While a task calls into it, a
 * {@link TaskScope} is current and Drover's modules act on that task.
 */
public final class LuaInterpreter {
    /** How long the file's top level may take to evaluate when it is loaded (CLI, controller, worker, agent). */
    public static final Duration LOAD_TIMEOUT = Duration.ofSeconds(10);
    /** How much the file's top level may allocate while it is evaluated: what it keeps cannot be more. */
    public static final long LOAD_MEMORY = 1L << 30;
    /** The longest workflow file, in characters: the loader's time and memory grow with it, and runs carry it. */
    public static final int MAX_SOURCE_CHARS = 32 << 20;

    private static final InheritableThreadLocal<LuaInterpreter> CURRENT = new InheritableThreadLocal<>();
    private static final ScheduledExecutorService LOAD_TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "drover-lua-load-timer");
        t.setDaemon(true);
        return t;
    });
    /** Platform threads for evaluations asked for on virtual threads: a platform thread's allocations can be counted. */
    private static final ExecutorService LOADERS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("drover-lua-load-", 0).factory());

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final WorkflowSource source;
    private final Globals globals;
    private final Prototype chunk;
    private final LuaTable loaded;
    private TaskScope scope;
    private Globals env;
    private LuaTable taskGlobals;
    /** The running call's copies of what the top level left (its tables, closures and their upvalues). */
    private TopLevelCopies copies;

    private Coroutines coroutines;
    /** The hook: it knows the frames of every thread running this interpreter's Lua, which the memory walk reads. */
    private final StopHook hook = new StopHook();
    /** The memory pressure count at the call's last measure of what it holds, and when it may measure again. */
    private long measuredAt;

    private long measureAgainAt;
    private volatile boolean stopRequested;
    private volatile String stopReason;
    /** The thread evaluating the file's top level, and the allocation count at which it is stopped. */
    private volatile Thread evaluating;

    private long allocationLimit;

    /**
     * Creates the interpreter and evaluates the source once (the evaluation the loader reads), within
     * {@link #LOAD_TIMEOUT} and {@link #LOAD_MEMORY}, on a platform thread (the caller's, or a loader's when the
     * caller is virtual).
     *
     * @throws WorkflowException for a file over {@link #MAX_SOURCE_CHARS}, a syntax error, an error raised while
     *     the file is evaluated, or a top level that does not finish in time or within its memory
     */
    public LuaInterpreter(WorkflowSource source) {
        this.source = source;
        if (source.text().length() > MAX_SOURCE_CHARS) {
            throw new WorkflowException(
                    new SourceLocation(source.name(), 0),
                    "the file has " + source.text().length() + " characters, over Drover's limit of " + MAX_SOURCE_CHARS
                            + " for a workflow file");
        }
        this.globals = sandbox();
        try {
            this.chunk = globals.compilePrototype(new StringReader(source.text()), source.name());
        } catch (LuaError e) {
            throw loadError(e);
        } catch (IOException e) {
            throw new WorkflowException(
                    new SourceLocation(source.name(), 0), "cannot read the file: " + e.getMessage());
        } catch (StackOverflowError e) {
            throw new WorkflowException(new SourceLocation(source.name(), 0), "the file nests too deeply to compile");
        }
        this.loaded = Thread.currentThread().isVirtual() ? onLoader() : evaluateBounded();
    }

    /**
     * Checks the settings of the environment that bound Lua tasks ({@code DROVER_LUA_MEMORY}), for commands to refuse
     * a bad one before they start.
     *
     * @throws io.drover.core.InvalidInputException naming the variable and its value
     */
    public static void checkSettings() {
        try {
            TaskMemory.Setting.bytes(
                    System.getenv("DROVER_LUA_MEMORY"), Runtime.getRuntime().maxMemory());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
    }

    /** Evaluates on a loader thread; an interrupted caller stops the evaluation and waits for it to end. */
    private LuaTable onLoader() {
        Future<LuaTable> f = LOADERS.submit(this::evaluateBounded);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                    requestStop("interrupted while the file was evaluated");
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException r) throw r;
                    if (e.getCause() instanceof Error r) throw r;
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private LuaTable evaluateBounded() {
        ScheduledFuture<?> timer = LOAD_TIMER.schedule(
                () -> requestStop("the file's top level did not finish within " + Durations.format(LOAD_TIMEOUT)
                        + " (a loop at the top level?)"),
                LOAD_TIMEOUT.toMillis(),
                TimeUnit.MILLISECONDS);
        LuaInterpreter previous = CURRENT.get();
        CURRENT.set(this);
        allocationLimit = THREADS.getCurrentThreadAllocatedBytes() + LOAD_MEMORY;
        evaluating = Thread.currentThread();
        try {
            return evaluate();
        } catch (LuaError e) {
            throw loadError(e);
        } catch (OutOfMemoryError e) {
            throw new WorkflowException(new SourceLocation(source.name(), 0), "evaluating the file ran out of memory");
        } catch (StackOverflowError e) {
            throw new WorkflowException(
                    new SourceLocation(source.name(), 0),
                    "evaluating the file overflowed the stack" + " (endless recursion at the top level?)");
        } finally {
            evaluating = null;
            timer.cancel(false);
            CURRENT.set(previous);
            stopRequested = false;
            stopReason = null;
        }
    }

    /** Stops the evaluation of the top level once its thread allocated more than {@link #LOAD_MEMORY}. */
    private void checkLoadMemory() {
        if (THREADS.getCurrentThreadAllocatedBytes() > allocationLimit) {
            requestStop("the file's top level allocated more than " + (LOAD_MEMORY >> 20)
                    + " MiB while it was evaluated (building tables in a loop at the top level?)");
            checkStop();
        }
    }

    /** The interpreter whose task (or load) runs on this thread, or on the task thread that started this coroutine. */
    static LuaInterpreter current() {
        return CURRENT.get();
    }

    /**
     * This thread creates a coroutine of the running call ({@code true}), or a coroutine ends on it ({@code false}):
     * while a call has coroutines, the frames of each of its threads count for its memory, whichever thread measures.
     */
    void coroutineThread(boolean live) {
        Frames f = hook.frames.get();
        if (live) hook.coroutineFrames.add(f);
        else hook.coroutineFrames.remove(f);
    }

    /** The coroutines of the running call, or null between calls. */
    Coroutines coroutines() {
        return coroutines;
    }

    private WorkflowException loadError(LuaError e) {
        String m = LuaErrors.message(e);
        String prefix = source.name() + ":";
        if (m.startsWith(prefix)) {
            int colon = m.indexOf(':', prefix.length());
            if (colon > 0) {
                try {
                    int line = Integer.parseInt(m.substring(prefix.length(), colon));
                    return new WorkflowException(
                            new SourceLocation(source.name(), line),
                            m.substring(colon + 1).strip());
                } catch (NumberFormatException ignored) {
                    // fall through
                }
            }
        }
        return new WorkflowException(new SourceLocation(source.name(), 0), m);
    }

    /** Globals the sandbox takes away (what reaches the file system, the process or the interpreter's insides). */
    static final List<String> REMOVED_GLOBALS =
            List.of("dofile", "loadfile", "debug", "io", "package", "require", "luajava");
    /** The only functions of {@code os} a task keeps. */
    static final List<String> KEPT_OS = List.of("time", "clock", "date", "difftime", "getenv");

    private Globals sandbox() {
        Globals g = new Globals();
        g.load(new JseBaseLib());
        g.load(new PackageLib()); // the libraries register in package.loaded; package itself is removed below
        g.load(new TableLib());
        g.load(new Bit32Lib());
        g.load(new CoroutineLib());
        g.load(new JseMathLib());
        g.load(new JseOsLib());
        g.load(hook);
        // An error's message as Lua code sees it (pcall, error handlers): "flow.lua:3: what", as Lua writes it.
        // Without a handler LuaJ appends a traceback line and writes no colon after the line number.
        g.running.errorfunc = new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue message) {
                return LuaValue.valueOf(LuaErrors.normalize(message.tojstring()));
            }
        };
        LuaC.install(g); // source only: without an undumper, binary chunks are refused
        // Take away what reaches the file system, the process or the interpreter's insides.
        for (String name : REMOVED_GLOBALS) g.rawset(name, LuaValue.NIL);
        LuaTable os = (LuaTable) g.rawget("os");
        LuaTable safeOs = new LuaTable();
        for (String name : KEPT_OS) {
            safeOs.rawset(name, os.rawget(name));
        }
        g.rawset("os", safeOs);
        Coroutines.install((LuaTable) g.rawget("coroutine"));
        g.rawset("string", SharedStrings.LIBRARY);
        g.rawset("load", new LoadFunction());
        PrintStream out = new PrintStream(new LineOutput(), true, StandardCharsets.UTF_8);
        g.STDOUT = out;
        g.STDERR = out;
        g.STDIN = InputStream.nullInputStream();
        Modules.install(g, this);
        for (String name :
                new String[] {"table", "bit32", "coroutine", "math", "os", "log", "exec", "fs", "env", "json", "state"
                }) {
            g.rawset(name, new SealedTable(name, (LuaTable) g.rawget(name)));
        }
        return g;
    }

    /**
     * The file's _ENV, made once: reads fall through to the call's own globals table, then to the interpreter's
     * globals (the file's and the sealed libraries); writes during a task, {@code rawset(_G, ...)} included, land in
     * the call's table, so a global a task sets is gone for the next. Its metatable is protected. It is a
     * {@link Globals} itself because LuaJ gives closures debug hooks (our stop check) only when their environment is
     * one.
     */
    private final class TaskEnvironment extends Globals {
        TaskEnvironment() {
            debuglib = globals.debuglib;
            running = globals.running;
            baselib = globals.baselib;
            STDOUT = globals.STDOUT;
            STDERR = globals.STDERR;
            STDIN = globals.STDIN;
            compiler = globals.compiler;
            LuaTable meta = new LuaTable();
            meta.rawset("__index", new TwoArgFunction() {
                @Override
                @SuppressWarnings("ReferenceEquality") // REMOVED is a sentinel: identity is the test
                public LuaValue call(LuaValue table, LuaValue key) {
                    LuaTable own = taskGlobals;
                    if (own == null) return globals.rawget(key);
                    LuaValue v = own.rawget(key);
                    if (v == REMOVED) return NIL;
                    if (!v.isnil()) return v;
                    LuaValue g = globals.rawget(key);
                    if (TopLevelCopies.copied(g)) {
                        g = copies.of(
                                g); // the call's own copy, kept so that every read of the global gives the same one
                        own.rawset(key, g);
                    }
                    return g;
                }
            });
            meta.rawset("__newindex", new ThreeArgFunction() {
                @Override
                public LuaValue call(LuaValue table, LuaValue key, LuaValue value) {
                    setGlobal(key, value);
                    return NONE;
                }
            });
            meta.rawset("__metatable", LuaValue.FALSE);
            super.setmetatable(meta);
        }

        /** A global set during a call goes to the call's table; one set to nil hides the file's global of that name. */
        private void setGlobal(LuaValue key, LuaValue value) {
            LuaTable own = taskGlobals;
            if (own == null) globals.rawset(key, value);
            else own.rawset(key, value.isnil() ? REMOVED : value);
        }

        @Override
        public void rawset(LuaValue key, LuaValue value) {
            setGlobal(key, value);
        }

        @Override
        public void rawset(int key, LuaValue value) {
            setGlobal(LuaValue.valueOf(key), value);
        }

        @Override
        public void hashset(LuaValue key, LuaValue value) {
            setGlobal(key, value);
        }
    }

    /** In a call's globals, a global the call set to nil (Lua code never sees this value: the table is not exposed). */
    private static final LuaValue REMOVED = new LuaUserdata(new Object());

    /** Evaluates the compiled file once, into the interpreter's globals through its environment. */
    private LuaTable evaluate() {
        TaskEnvironment e = new TaskEnvironment();
        globals.rawset("_G", e);
        this.env = e;
        new LuaClosure(chunk, e).call();
        return globals;
    }

    public WorkflowSource source() {
        return source;
    }

    /** A global of the loader's evaluation of the file (not of any task's). */
    public LuaValue global(String name) {
        return loaded.rawget(name);
    }

    /**
     * Calls the function {@code ref} points at for a task: the scope is current, the task gets a fresh globals
     * table for the call, and the scope's cancellation stops the call (also one that fired before the call began).
     *
     * @throws LuaError what the function raised, or "stopped" after {@link #requestStop()}
     */
    public Varargs call(Command.LuaFunction ref, TaskScope taskScope, Varargs args) {
        return call(env -> locate(env, ref), taskScope, args);
    }

    /** The function a {@link Command.LuaFunction} points at in the loader's evaluation, or fails saying what is there. */
    public LuaFunction function(Command.LuaFunction ref) {
        return locate(loaded, ref);
    }

    private LuaFunction locate(LuaTable env, Command.LuaFunction ref) {
        LuaValue group = env.rawget("TaskDefinitions").get(ref.group());
        LuaValue holder = ref.taskIndex() == 0 ? group : group.get("tasks").get(ref.taskIndex());
        LuaValue f = holder.get(ref.field());
        if (!f.isfunction()) {
            throw new IllegalStateException(
                    "no function at " + ref + " in " + source.name() + " (found a " + f.typename() + ")");
        }
        return (LuaFunction) f;
    }

    /** Calls the global function {@code name} of the file for a task, like {@link #call(Command.LuaFunction, TaskScope, Varargs)}. */
    public Varargs callGlobal(String name, TaskScope taskScope, Varargs args) {
        return call(
                env -> {
                    LuaValue f = env.rawget(name);
                    if (!f.isfunction())
                        throw new IllegalStateException("no function " + name + " in " + source.name());
                    return f;
                },
                taskScope,
                args);
    }

    private Varargs call(Function<LuaTable, LuaValue> locate, TaskScope taskScope, Varargs args) {
        if (scope != null) throw new IllegalStateException("interpreter already in use");
        scope = taskScope;
        stopRequested = false;
        stopReason = null;
        coroutines = new Coroutines();
        taskGlobals = new LuaTable();
        copies = new TopLevelCopies(env);
        measuredAt = TaskMemory.pressure();
        measureAgainAt = 0; // no measure yet in this call
        TaskMemory.running(true);
        LuaInterpreter previous = CURRENT.get();
        CURRENT.set(this);
        // Registered after the stop flag was reset for this call: a cancel (a timeout) that came while the task
        // waited for this interpreter (which may have evaluated the file first) stops the call at its first
        // instruction, instead of being reset and lost.
        Cancellation.Registration stopOnCancel = taskScope.cancellation().onCancel(this::requestStop);
        try {
            LuaValue fn = copies.of(locate.apply(loaded));
            return fn.invoke(args);
        } finally {
            stopOnCancel.close();
            TaskMemory.running(false);
            coroutines.endAll();
            coroutines = null;
            if (!hook.coroutineFrames.isEmpty()) hook.coroutineFrames.clear();
            taskGlobals = null;
            copies = null;
            scope = null;
            CURRENT.set(previous);
        }
    }

    /** Makes the running function raise an error at its next instruction (and every one after). Any thread. */
    public void requestStop() {
        stopRequested = true;
    }

    private void requestStop(String reason) {
        stopReason = reason;
        stopRequested = true;
    }

    /** Whether the last call was stopped; such an interpreter should not be reused. */
    public boolean wasStopped() {
        return stopRequested;
    }

    /** The task whose call is running, or null while the file is evaluated. */
    TaskScope scope() {
        return scope;
    }

    /** The scope, or a Lua error naming the module function that needs one. */
    TaskScope requireScope(String what) {
        TaskScope s = scope;
        if (s == null)
            throw new LuaError(what + " can only be used inside a task's function, not while the file loads");
        return s;
    }

    void checkStop() {
        if (stopRequested) throw new LuaError("stopped: " + stopReason());
    }

    /**
     * Measures what the running call holds when the heap has been under pressure since its last measure (and its
     * measures have taken less than a tenth of its time, unless it held more than half its limit), and stops it when
     * that is over {@link TaskMemory#effectiveLimit()}.
     * On the thread running the call's Lua code, so what it walks does not change under it.
     */
    private void checkTaskMemory() {
        long pressure = TaskMemory.pressure();
        if (pressure == measuredAt || taskGlobals == null) return;
        long start = System.nanoTime();
        if (measureAgainAt != 0 && start - measureAgainAt < 0) return;
        measuredAt = pressure;
        long limit = TaskMemory.effectiveLimit();
        TaskMemory.Walk walk = new TaskMemory.Walk(limit).add(taskGlobals);
        hook.walkFrames(walk);
        long held = walk.total();
        long end = System.nanoTime();
        // walks take at most a tenth of a task's time, but for one past half its limit, which is measured after every
        // collection: it could outgrow the limit, and the heap, between two measures further apart
        measureAgainAt = held > limit / 2 ? 0 : end + 9 * (end - start);
        if (held > limit) {
            requestStop("the task holds more than " + mib(limit) + " of Lua values (tables, strings, closures), "
                    + (limit < TaskMemory.limit()
                            ? "its share of a heap nearly full with the tasks running beside it"
                            : "Drover's limit for one task")
                    + " (DROVER_LUA_MEMORY)");
            checkStop();
        }
    }

    private static String mib(long bytes) {
        return bytes % (1 << 20) == 0
                ? (bytes >> 20) + " MiB"
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
    }

    private String stopReason() {
        if (stopReason != null) return stopReason;
        TaskScope s = scope;
        String r = s == null ? null : s.cancellation().reason();
        return r == null ? "cancelled" : r;
    }

    /** The opcodes {@link StopHook#check} looks at before they run. */
    private static final boolean[] CHECKED = new boolean[64];

    static {
        for (int op :
                new int[] {Lua.OP_CONCAT, Lua.OP_GETTABLE, Lua.OP_SELF, Lua.OP_SETTABLE, Lua.OP_CALL, Lua.OP_TAILCALL
                }) {
            CHECKED[op] = true;
        }
    }

    /**
     * Checks the stop flag on every instruction and call, and on a virtual thread yields every
     * {@value #YIELD_EVERY} instructions, so a busy function never holds a carrier thread that other tasks need. It
     * keeps the prototype and registers of each running Lua frame (per thread: coroutines run on threads of their
     * own) so that a concatenation whose result would pass {@link LuaPatterns#MAX_STRING} is refused before LuaJ
     * allocates it: {@code s = s .. s} in a loop ends with an error, not with the heap exhausted. Tasks get no
     * {@code debug} module, and error positions come from the function's own line table.
     */
    private final class StopHook extends DebugLib {
        private static final int YIELD_EVERY = 8192;
        private final ThreadLocal<Frames> frames = ThreadLocal.withInitial(Frames::new);
        /**
         * The frames of the running call's threads other than the one measuring, once it has coroutines (each runs on a
         * thread of its own): the threads that created or ran one. Empty for a call without coroutines.
         */
        private final Set<Frames> coroutineFrames = ConcurrentHashMap.newKeySet();

        private int count;

        /** Adds the closures and registers of every frame of the running call (its coroutines' included) to a walk. */
        void walkFrames(TaskMemory.Walk walk) {
            Frames here = frames.get();
            walkFrames(here, walk);
            for (Frames f : coroutineFrames) if (f != here) walkFrames(f, walk);
        }

        private static void walkFrames(Frames f, TaskMemory.Walk walk) {
            if (f == null) return;
            for (int d = Math.min(f.depth, f.closures.length) - 1; d >= 0; d--)
                walk.add(f.closures[d]).add(f.stacks[d]);
        }

        @Override
        public LuaValue call(LuaValue modname, LuaValue env) {
            super.call(modname, env);
            return NIL;
        }

        /** Called by pcall and xpcall only, which also call {@link #onReturn}: a frame without Lua code keeps pairs. */
        @Override
        public void onCall(LuaFunction f) {
            if (stopRequested) checkStop();
            frames.get().push(null, null);
        }

        @Override
        public void onCall(LuaClosure c, Varargs varargs, LuaValue[] stack) {
            if (stopRequested) checkStop();
            frames.get().push(c, stack);
        }

        @Override
        @SuppressWarnings(
                "ThreadPriorityCheck") // a CPU-bound Lua call on a virtual thread yields so others on its carrier run
        public void onInstruction(int pc, Varargs v, int top) {
            if (stopRequested) checkStop();
            Frames f = frames.get();
            if (f.depth > 0) {
                int d = f.depth - 1;
                Prototype p = f.protos[d];
                if (p != null) {
                    int i = p.code[pc];
                    if (CHECKED[i & 0x3f]) check(f, d, i, pc);
                }
            }
            if (++count == YIELD_EVERY) {
                count = 0;
                Thread t = Thread.currentThread();
                if (t == evaluating) {
                    checkLoadMemory();
                } else {
                    checkTaskMemory();
                    if (t.isVirtual()) Thread.yield();
                }
            }
        }

        /**
         * The checks before an instruction: a concatenation's length, and a register about to be indexed or called
         * that holds nil, which raises Lua's own message naming the value ({@code attempt to index deps.create (a nil
         * value)}) where LuaJ would say "?", and saying when the name is something Drover's sandbox leaves out. Small,
         * so the compiler inlines it into the interpreter's loop: the common case is one load and one compare.
         */
        @SuppressWarnings("ReferenceEquality") // registers hold the one NIL instance: identity is the test
        private void check(Frames f, int d, int i, int pc) {
            int op = i & 0x3f;
            if (op == Lua.OP_CONCAT) {
                checkConcat(f.stacks[d], Lua.GETARG_B(i), Lua.GETARG_C(i));
                return;
            }
            int reg = op == Lua.OP_GETTABLE || op == Lua.OP_SELF ? Lua.GETARG_B(i) : Lua.GETARG_A(i);
            LuaValue[] stack = f.stacks[d];
            if (reg < stack.length && stack[reg] == LuaValue.NIL)
                nilError(f.protos[d], pc, op); // registers hold the one NIL
        }

        private void nilError(Prototype p, int pc, int op) {
            String name = LuaNames.failing(p, pc);
            String what = op == Lua.OP_CALL || op == Lua.OP_TAILCALL ? "call" : "index";
            if (name != null)
                throw new LuaError("attempt to " + what + " " + name + " (a nil value)" + LuaNames.note(name));
        }

        private void checkConcat(LuaValue[] stack, int from, int to) {
            long total = 0;
            for (int r = from; r <= to && r < stack.length; r++) {
                if (stack[r] instanceof LuaString ls) total += ls.m_length;
            }
            if (total > LuaPatterns.MAX_STRING) {
                throw new LuaError("'..' would make a string of " + total + " bytes, over Drover's limit of "
                        + LuaPatterns.MAX_STRING + " bytes for one string");
            }
        }

        @Override
        public void onReturn() {
            frames.get().pop();
        }

        @Override
        public String traceback(int level) {
            return "";
        }
    }

    /**
     * The frames running on one thread: a Lua closure's (its prototype, itself and its registers), or pcall's (all
     * null). Written by its thread; the memory walk of the task reads the frames of the task's suspended coroutines.
     */
    private static final class Frames {
        Prototype[] protos = new Prototype[32];
        LuaClosure[] closures = new LuaClosure[32];
        LuaValue[][] stacks = new LuaValue[32][];
        int depth;

        void push(LuaClosure c, LuaValue[] stack) {
            if (depth == protos.length) {
                protos = Arrays.copyOf(protos, depth * 2);
                closures = Arrays.copyOf(closures, depth * 2);
                stacks = Arrays.copyOf(stacks, depth * 2);
            }
            protos[depth] = c == null ? null : c.p;
            closures[depth] = c;
            stacks[depth++] = stack;
        }

        void pop() {
            if (depth > 0) {
                depth--;
                protos[depth] = null;
                closures[depth] = null;
                stacks[depth] = null;
            }
        }
    }

    /**
     * {@code load} for text chunks, whose environment is the calling task's own (or the table given): LuaJ's would
     * evaluate into the interpreter's shared globals, and a chunk given another environment would run without the
     * stop hook. The closure keeps the interpreter's hook and gets the environment as its _ENV.
     */
    private final class LoadFunction extends VarArgFunction {
        @Override
        public Varargs invoke(Varargs args) {
            LuaValue chunkArg = args.arg1();
            String text;
            if (chunkArg.isstring()) {
                text = chunkArg.tojstring();
            } else if (chunkArg.isfunction()) {
                StringBuilder sb = new StringBuilder();
                while (true) {
                    LuaValue piece = chunkArg.call();
                    if (piece.isnil() || (piece.isstring() && piece.length() == 0)) break;
                    if (!piece.isstring())
                        return LuaValue.varargsOf(NIL, valueOf("reader function must return a string"));
                    sb.append(piece.tojstring());
                    if (sb.length() > LuaPatterns.MAX_STRING) throw LuaPatterns.tooLong("load", sb.length());
                }
                text = sb.toString();
            } else {
                return LuaValue.varargsOf(
                        NIL, valueOf("bad argument #1 to 'load' (string expected, got " + chunkArg.typename() + ")"));
            }
            String name = args.optjstring(2, "load");
            if (args.optjstring(3, "t").indexOf('t') < 0) {
                return LuaValue.varargsOf(NIL, valueOf("attempt to load a text chunk (mode is '" + args.arg(3) + "')"));
            }
            LuaValue target = args.arg(4).istable() ? args.arg(4) : env;
            try {
                Prototype p = globals.compilePrototype(new StringReader(text), name);
                LuaClosure c = new LuaClosure(p, globals);
                if (c.upValues.length > 0) c.upValues[0].setValue(target);
                return c;
            } catch (LuaError e) {
                return LuaValue.varargsOf(NIL, valueOf(LuaErrors.message(e)));
            } catch (IOException e) {
                return LuaValue.varargsOf(NIL, valueOf(e.getMessage()));
            }
        }
    }

    /** {@code print} writes lines into the current task's log (or stderr while the file loads). */
    private final class LineOutput extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        @Override
        public void write(int b) {
            if (b == '\n') {
                flushLine();
            } else {
                buf.write(b);
            }
        }

        private void flushLine() {
            String line = buf.toString(StandardCharsets.UTF_8);
            buf.reset();
            TaskScope s = scope;
            TaskLog log = s == null ? text -> System.err.println(source.name() + ": " + text) : s.log();
            log.line(line);
        }
    }
}
