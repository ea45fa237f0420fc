package io.drover.core.lua;

import io.drover.core.model.WorkflowSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Lua interpreters of one workflow source: lent to one task at a time, created on demand, so the file is
 * evaluated once per concurrent task rather than once per task. When none is idle, a task waits for one to come
 * back as long as evaluating the file took the last time, and only then evaluates it anew: a burst of short tasks
 * (a worker given fifty tasks of a generated file of thousands) shares a few interpreters instead of evaluating the
 * file fifty times, and a task never waits longer for one than making one would cost. Thread-safe.
 */
public final class LuaRuntime {
    /** Files that evaluate faster than this are evaluated at once rather than waited for. */
    private static final long WAIT_FROM_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final WorkflowSource source;
    private final LinkedBlockingDeque<LuaInterpreter> idle = new LinkedBlockingDeque<>();
    /** How long the last evaluation of the file took; 0 until one was timed. */
    private volatile long evaluationNanos;
    /** Set by the first task to evaluate the file; the tasks that come meanwhile wait for its timing. */
    private final AtomicBoolean firstTaken = new AtomicBoolean();

    private final CountDownLatch firstDone = new CountDownLatch(1);

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

    /**
     * Lends an interpreter: an idle one, else one that comes back within the time an evaluation takes, else a new
     * one. The tasks that come while the file is evaluated for the first time wait for that evaluation's timing.
     */
    public LuaInterpreter borrow() {
        LuaInterpreter in = idle.pollFirst();
        if (in != null) return in;
        boolean first = !firstTaken.get() && firstTaken.compareAndSet(false, true);
        try {
            if (!first) {
                if (evaluationNanos == 0) firstDone.await(LuaInterpreter.LOAD_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
                long wait = evaluationNanos;
                in = wait >= WAIT_FROM_NANOS ? idle.pollFirst(wait, TimeUnit.NANOSECONDS) : idle.pollFirst();
                if (in != null) return in;
            }
            long t0 = System.nanoTime();
            in = new LuaInterpreter(source);
            evaluationNanos = Math.max(1, System.nanoTime() - t0);
            return in;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a Lua interpreter", e);
        } finally {
            if (first) firstDone.countDown();
        }
    }

    /** Returns an interpreter; one whose call was stopped mid-way is dropped, as its state may be half-changed. */
    public void release(LuaInterpreter in) {
        if (!in.wasStopped()) idle.addFirst(in);
    }
}
