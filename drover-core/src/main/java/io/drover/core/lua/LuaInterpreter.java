package io.drover.core.lua;

import io.drover.core.WorkflowException;
import io.drover.core.model.Command;
import io.drover.core.model.SourceLocation;
import io.drover.core.model.WorkflowSource;
import io.drover.core.process.TaskLog;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.CoroutineLib;
import org.luaj.vm2.lib.DebugLib;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseMathLib;
import org.luaj.vm2.lib.jse.JseOsLib;

/**
 * One sandboxed Lua state that has evaluated a workflow file. Used by one thread at a time (a {@link LuaRuntime}
 * lends it out). While a task calls into it, a {@link TaskScope} is current: Drover's modules act on that task,
 * and global variables the task sets land in a table of its own, so tasks never see each other's globals.
 */
public final class LuaInterpreter {
  private final WorkflowSource source;
  private final Globals globals;
  private final Map<Command.LuaFunction, LuaValue> functions = new HashMap<>();
  private TaskScope scope;
  private LuaTable taskGlobals;
  private volatile boolean stopRequested;

  /**
   * Creates the state and evaluates the source.
   *
   * @throws WorkflowException for a syntax error or an error raised while the file is evaluated
   */
  public LuaInterpreter(WorkflowSource source) {
    this.source = source;
    this.globals = sandbox();
    LuaTable env = scopedEnvironment();
    globals.rawset("_G", env);
    try {
      LuaValue chunk = globals.load(new StringReader(source.text()), source.name(), env);
      chunk.call();
    } catch (LuaError e) {
      throw loadError(e);
    }
  }

  private WorkflowException loadError(LuaError e) {
    String m = LuaErrors.message(e);
    String prefix = source.name() + ":";
    if (m.startsWith(prefix)) {
      int colon = m.indexOf(':', prefix.length());
      if (colon > 0) {
        try {
          int line = Integer.parseInt(m.substring(prefix.length(), colon));
          return new WorkflowException(new SourceLocation(source.name(), line), m.substring(colon + 1).strip());
        } catch (NumberFormatException ignored) {
          // fall through
        }
      }
    }
    return new WorkflowException(new SourceLocation(source.name(), 0), m);
  }

  private Globals sandbox() {
    Globals g = new Globals();
    g.load(new JseBaseLib());
    g.load(new PackageLib()); // the libraries register in package.loaded; package itself is removed below
    g.load(new TableLib());
    g.load(new StringLib());
    g.load(new Bit32Lib());
    g.load(new CoroutineLib());
    g.load(new JseMathLib());
    g.load(new JseOsLib());
    g.load(new StopHook());
    LuaC.install(g); // source only: without an undumper, binary chunks are refused
    // Take away what reaches the file system, the process or the interpreter's insides.
    for (String name : new String[] {"dofile", "loadfile", "debug", "io", "package", "require", "luajava"}) {
      g.rawset(name, LuaValue.NIL);
    }
    LuaTable os = (LuaTable) g.rawget("os");
    LuaTable safeOs = new LuaTable();
    for (String name : new String[] {"time", "clock", "date", "difftime", "getenv"}) {
      safeOs.rawset(name, os.rawget(name));
    }
    g.rawset("os", safeOs);
    ((LuaTable) g.rawget("string")).rawset("dump", LuaValue.NIL);
    PrintStream out = new PrintStream(new LineOutput(), true, StandardCharsets.UTF_8);
    g.STDOUT = out;
    g.STDERR = out;
    g.STDIN = java.io.InputStream.nullInputStream();
    Modules.install(g, this);
    return g;
  }

  /**
   * The workflow's _ENV: reads fall through to the shared globals, writes during a task stay with that task. It is
   * a {@link Globals} itself because LuaJ gives closures debug hooks (our stop check) only when their environment
   * is one.
   */
  private LuaTable scopedEnvironment() {
    Globals env = new Globals();
    env.debuglib = globals.debuglib;
    env.running = globals.running;
    env.baselib = globals.baselib;
    env.STDOUT = globals.STDOUT;
    env.STDERR = globals.STDERR;
    env.STDIN = globals.STDIN;
    env.compiler = globals.compiler;
    LuaTable meta = new LuaTable();
    meta.rawset("__index", new TwoArgFunction() {
      @Override
      public LuaValue call(LuaValue table, LuaValue key) {
        LuaTable own = taskGlobals;
        if (own != null) {
          LuaValue v = own.rawget(key);
          if (!v.isnil()) return v;
        }
        return globals.rawget(key);
      }
    });
    meta.rawset("__newindex", new ThreeArgFunction() {
      @Override
      public LuaValue call(LuaValue table, LuaValue key, LuaValue value) {
        LuaTable own = taskGlobals;
        (own != null ? own : globals).rawset(key, value);
        return NONE;
      }
    });
    env.setmetatable(meta);
    return env;
  }

  public WorkflowSource source() {
    return source;
  }

  /** A global of the evaluated file (not of any task). */
  public LuaValue global(String name) {
    return globals.rawget(name);
  }

  /** The function a {@link Command.LuaFunction} points at, or fails saying what is there instead. */
  public LuaFunction function(Command.LuaFunction ref) {
    LuaValue f = functions.computeIfAbsent(ref, r -> {
      LuaValue group = globals.rawget("TaskDefinitions").get(r.group());
      LuaValue holder = r.taskIndex() == 0 ? group : group.get("tasks").get(r.taskIndex());
      return holder.get(r.field());
    });
    if (!f.isfunction()) {
      throw new IllegalStateException("no function at " + ref + " in " + source.name() + " (found a " + f.typename() + ")");
    }
    return (LuaFunction) f;
  }

  /**
   * Calls {@code fn} for a task: the scope is current and the task gets a fresh globals table for the call.
   *
   * @throws LuaError what the function raised, or "stopped" after {@link #requestStop()}
   */
  public Varargs call(LuaFunction fn, TaskScope taskScope, Varargs args) {
    if (scope != null) throw new IllegalStateException("interpreter already in use");
    scope = taskScope;
    taskGlobals = new LuaTable();
    stopRequested = false;
    try {
      return fn.invoke(args);
    } finally {
      scope = null;
      taskGlobals = null;
    }
  }

  /** Makes the running function raise an error at its next instruction (and every one after). Any thread. */
  public void requestStop() {
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
    if (s == null) throw new LuaError(what + " can only be used inside a task's function, not while the file loads");
    return s;
  }

  void checkStop() {
    if (stopRequested) throw new LuaError("stopped: " + stopReason());
  }

  private String stopReason() {
    TaskScope s = scope;
    String r = s == null ? null : s.cancellation().reason();
    return r == null ? "cancelled" : r;
  }

  /**
   * Checks the stop flag on every instruction and call, and on a virtual thread yields every
   * {@value #YIELD_EVERY} instructions, so a busy function never holds a carrier thread that other tasks need. It
   * keeps no call stack: tasks get no {@code debug} module, and error positions come from the function's own line
   * table.
   */
  private final class StopHook extends DebugLib {
    private static final int YIELD_EVERY = 8192;
    private int count;

    @Override
    public LuaValue call(LuaValue modname, LuaValue env) {
      super.call(modname, env);
      return NIL;
    }

    @Override
    public void onCall(LuaFunction f) {
      if (stopRequested) checkStop();
    }

    @Override
    public void onCall(LuaClosure c, Varargs varargs, LuaValue[] stack) {
      if (stopRequested) checkStop();
    }

    @Override
    public void onInstruction(int pc, Varargs v, int top) {
      if (stopRequested) checkStop();
      if (++count == YIELD_EVERY) {
        count = 0;
        if (Thread.currentThread().isVirtual()) Thread.yield();
      }
    }

    @Override
    public void onReturn() {}

    @Override
    public String traceback(int level) {
      return "";
    }
  }

  /** {@code print} writes lines into the current task's log (or stderr while the file loads). */
  private final class LineOutput extends OutputStream {
    private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();

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
