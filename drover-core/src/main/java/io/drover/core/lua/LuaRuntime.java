package io.drover.core.lua;

import io.drover.core.model.WorkflowSource;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The Lua interpreters of one workflow source: lent to one task at a time, created on demand, so the file is
 * evaluated once per concurrent task rather than once per task. Thread-safe.
 */
public final class LuaRuntime {
  private final WorkflowSource source;
  private final ConcurrentLinkedQueue<LuaInterpreter> idle = new ConcurrentLinkedQueue<>();

  public LuaRuntime(WorkflowSource source) {
    this.source = source;
  }

  /** Starts with an interpreter that already evaluated the source (the loader's), so it is not evaluated again. */
  public LuaRuntime(LuaInterpreter first) {
    this.source = first.source();
    idle.add(first);
  }

  public WorkflowSource source() {
    return source;
  }

  public LuaInterpreter borrow() {
    LuaInterpreter in = idle.poll();
    return in != null ? in : new LuaInterpreter(source);
  }

  /** Returns an interpreter; one whose call was stopped mid-way is dropped, as its state may be half-changed. */
  public void release(LuaInterpreter in) {
    if (!in.wasStopped()) idle.add(in);
  }
}
