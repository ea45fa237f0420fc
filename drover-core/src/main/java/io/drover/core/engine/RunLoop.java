package io.drover.core.engine;

import io.drover.core.Log;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.plan.Plan;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * One run: a single thread owns every task's state (flat arrays indexed like the plan), so the state machine needs
 * no locks. Dispatchers report completions through {@link AttemptSink}s, which queue them for this thread.
 */
final class RunLoop implements RunHandle, Runnable {
    private static final TaskState[] STATES = TaskState.values();
    private static final byte PENDING = (byte) TaskState.PENDING.ordinal();
    private static final byte READY = (byte) TaskState.READY.ordinal();
    private static final byte RUNNING = (byte) TaskState.RUNNING.ordinal();
    private static final byte RETRYING = (byte) TaskState.RETRYING.ordinal();
    private static final byte SUCCEEDED = (byte) TaskState.SUCCEEDED.ordinal();

    private final Plan plan;
    private final Dispatcher dispatcher;
    private final RunOptions options;
    private final RunListener listener;
    private final SecretMasker masker;
    private final String runId;
    private final int n;

    // Task state, owned by the loop thread.
    private final byte[] state;
    private final int[] waitingOn;
    private final int[] attempts;
    private final long[] startNanos;
    private final long[] endNanos;
    /** The worker each task's last attempt ran on, when its dispatcher said. */
    private final String[] ranOn;

    private final String[] messages;
    private final Map<String, Object>[] outputs;
    private final AttemptHandle[] handles;
    private final int[] ready;
    private int readyHead;
    private int readySize;
    private int running;
    private int finished;
    private int failed;
    private int cancelledAlone;
    private boolean cancelling;
    private boolean userCancelled;
    private String cancelledBy;
    private final PriorityQueue<Retry> retries = new PriorityQueue<>();
    private final ArrayDeque<AttemptSink> local = new ArrayDeque<>();

    // Shared with other threads.
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private volatile boolean sleeping;
    private volatile Thread thread;
    private Instant startedAt;

    private record Retry(long dueNanos, int task) implements Comparable<Retry> {
        @Override
        public int compareTo(Retry o) {
            return Long.compare(dueNanos, o.dueNanos);
        }
    }

    private record Cancel(String reason) {}

    @SuppressWarnings({"unchecked", "rawtypes"}) // an array of maps (one per task): Java makes no generic arrays
    RunLoop(Plan plan, Dispatcher dispatcher, RunOptions options) {
        this.plan = plan;
        this.dispatcher = dispatcher;
        this.options = options;
        this.listener = options.listener();
        this.runId = options.runId();
        this.n = plan.size();
        this.masker = SecretMasker.of(plan, options.params());
        this.state = new byte[n];
        this.waitingOn = new int[n];
        this.attempts = new int[n];
        this.startNanos = new long[n];
        this.endNanos = new long[n];
        this.ranOn = new String[n];
        this.messages = new String[n];
        this.outputs = new Map[n];
        this.handles = new AttemptHandle[n];
        this.ready = new int[Math.max(1, n)];
    }

    void start() {
        Thread t = new Thread(this, "drover-run-" + runId);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    @Override
    public String runId() {
        return runId;
    }

    @Override
    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public void cancel(String reason) {
        post(new Cancel(reason == null ? "cancelled" : reason));
    }

    private void post(Object event) {
        inbox.offer(event);
        if (sleeping) LockSupport.unpark(thread);
    }

    @Override
    public void run() {
        startedAt = Instant.now();
        try {
            safely(() -> listener.onRunStarted(runId, n));
            if (!options.resume().isEmpty()) restore();
            for (int i = 0; i < n; i++) {
                if (state[i] != PENDING) continue;
                for (int d : plan.dependenciesOf(i)) if (state[d] != SUCCEEDED) waitingOn[i]++;
                if (waitingOn[i] == 0) makeReady(i);
            }
            loop();
            if (detached) {
                result.completeExceptionally(new CancellationException("run " + runId + " detached"));
                return;
            }
            RunResult r = buildResult();
            safely(() -> listener.onRunFinished(r));
            result.complete(r);
        } catch (Throwable t) {
            for (AttemptHandle h : handles) if (h != null) h.cancel("the scheduler stopped: " + t);
            result.completeExceptionally(t);
        }
    }

    /**
     * Puts back where an earlier scheduler left the run (see {@link RunOptions.Builder#resume}). Its record may lag
     * behind what happened: a task it had dispatched may still show PENDING (dispatching it again finds the same
     * attempt) and dependents of a task that did not succeed may not show SKIPPED yet (they are skipped here).
     */
    private void restore() {
        long now = options.ticker().nanos();
        for (Map.Entry<TaskId, TaskResult> e : options.resume().entrySet()) {
            int i = plan.indexOf(e.getKey());
            if (i < 0) continue; // not in this plan
            TaskResult t = e.getValue();
            if (t.durationMillis() > 0 || t.attempts() > 0) startNanos[i] = now - t.durationMillis() * 1_000_000;
            if (!t.message().isEmpty()) messages[i] = t.message();
            if (!t.ranOn().isEmpty()) ranOn[i] = t.ranOn();
            switch (t.state()) {
                case SUCCEEDED, FAILED, CANCELLED, SKIPPED -> {
                    state[i] = (byte) t.state().ordinal();
                    attempts[i] = t.attempts();
                    endNanos[i] = now;
                    if (!t.outputs().isEmpty()) outputs[i] = t.outputs();
                    finished++;
                    if (t.state() == TaskState.FAILED) failed++;
                    if (t.state() == TaskState.CANCELLED) cancelledAlone++;
                }
                case RUNNING -> attempts[i] = Math.max(0, t.attempts() - 1); // dispatched again as the same attempt
                case RETRYING -> attempts[i] = t.attempts();
                default -> {}
            }
        }
        for (int i = 0; i < n; i++) {
            TaskState s = STATES[state[i]];
            if (s == TaskState.FAILED) skipDependents(i, "failed");
            else if (s == TaskState.SKIPPED) skipDependents(i, "was skipped");
            else if (s == TaskState.CANCELLED) skipDependents(i, "was cancelled");
        }
    }

    @Override
    public void detach() {
        post(DETACH);
    }

    private static final Object DETACH = new Object();
    private boolean detached;

    private void loop() {
        while (finished < n && !detached) {
            Object e;
            while ((e = local.poll()) != null || (e = inbox.poll()) != null) {
                handle(e);
            }
            if (!retries.isEmpty()) fireDueRetries();
            dispatchReady();
            if (!local.isEmpty() || finished >= n || detached) continue;
            if (running > 0 && spinForWork()) continue;
            long parkNanos = retries.isEmpty()
                    ? 0
                    : Math.max(1, retries.peek().dueNanos() - options.ticker().nanos());
            sleeping = true;
            if (inbox.isEmpty()) {
                if (parkNanos == 0) LockSupport.park(this);
                else options.ticker().park(this, parkNanos);
            }
            sleeping = false;
        }
    }

    /**
     * Waits a few microseconds for a completion before parking: a task that ends right away then costs no
     * park/unpark round trip between threads. A spin that found nothing makes the next {@link #SPIN_SKIPS} waits park
     * at once: where completions come in bursts from another thread (a fleet's follower), spinning between the bursts
     * only took CPU from the thread that brings them (3.5% of a leader's CPU in the DAG bench).
     */
    private boolean spinForWork() {
        if (spinSkips > 0) {
            spinSkips--;
            return false;
        }
        for (int i = 0; i < SPIN_TRIES; i++) {
            if (!inbox.isEmpty()) return true;
            Thread.onSpinWait();
        }
        spinSkips = SPIN_SKIPS;
        return false;
    }

    private static final int SPIN_TRIES = 1 << 11;
    private static final int SPIN_SKIPS = 16;
    /** Waits left that park without spinning first (see {@link #spinForWork}). */
    private int spinSkips;

    private void handle(Object e) {
        if (detached) return;
        if (e instanceof AttemptSink s) {
            completed(s);
        } else if (e instanceof Cancel c) {
            cancelAll(c.reason(), true);
        } else if (e == DETACH) {
            detached = true;
        }
    }

    private void dispatchReady() {
        while (running < options.concurrency() && readySize > 0 && !cancelling && !detached) {
            int i = ready[readyHead];
            readyHead = readyHead + 1 == ready.length ? 0 : readyHead + 1;
            readySize--;
            if (state[i] == READY) dispatch(i);
        }
    }

    private void makeReady(int i) {
        move(i, TaskState.READY, null);
        int tail = readyHead + readySize;
        ready[tail >= ready.length ? tail - ready.length : tail] = i;
        readySize++;
    }

    private void dispatch(int i) {
        TaskSpec spec = plan.task(i);
        int attempt = ++attempts[i];
        if (startNanos[i] == 0) startNanos[i] = options.ticker().nanos(); // kept when a resumed run dispatches again
        move(i, TaskState.RUNNING, null);
        running++;
        AttemptSink sink = new AttemptSink(this, i, attempt, spec);
        try {
            handles[i] = dispatcher.dispatch(
                    new TaskRequest(runId, spec, attempt, paramsFor(spec), outputsOfDependencies(i)), sink);
        } catch (RuntimeException ex) {
            sink.completed(TaskOutcome.failed("could not start: " + ex.getMessage()));
        }
    }

    private void completed(AttemptSink s) {
        int i = s.task;
        if (attempts[i] != s.attempt || state[i] != RUNNING) return; // a stale or duplicate report
        running--;
        handles[i] = null;
        TaskOutcome o = s.outcome;
        String message = masker.mask(o.message());
        long end = ended(s, o);
        switch (o.status()) {
            case SUCCEEDED -> {
                endNanos[i] = end;
                if (!o.outputs().isEmpty()) {
                    outputs[i] = o.outputs();
                    safely(() -> listener.onTaskOutputs(s.spec, s.attempt, o.outputs()));
                }
                move(i, TaskState.SUCCEEDED, message);
                for (int d : plan.dependentsOf(i)) {
                    if (--waitingOn[d] == 0 && state[d] == PENDING) makeReady(d);
                }
            }
            case SKIPPED -> {
                endNanos[i] = end;
                move(i, TaskState.SKIPPED, message);
                skipDependents(i, "was skipped");
            }
            case CANCELLED -> {
                endNanos[i] = end;
                if (!cancelling) cancelledAlone++; // cancelled by its dispatcher, not by cancelling the run
                move(i, TaskState.CANCELLED, message.isEmpty() ? cancelledBy : message);
                skipDependents(i, "was cancelled");
            }
            case FAILED -> {
                if (cancelling) {
                    endNanos[i] = end;
                    move(i, TaskState.CANCELLED, cancelledBy + (message.isEmpty() ? "" : " (" + message + ")"));
                } else if (s.attempt < s.spec.maxAttempts()) {
                    move(i, TaskState.RETRYING, message);
                    long delay = s.spec.backoff()
                            .delayBefore(s.attempt + 1, options.random())
                            .toNanos();
                    retries.add(new Retry(options.ticker().nanos() + delay, i));
                } else {
                    endNanos[i] = end;
                    failed++;
                    move(i, TaskState.FAILED, message);
                    skipDependents(i, "failed");
                    if (options.failFast())
                        cancelAll("cancelled by --fail-fast after " + s.spec.id() + " failed", false);
                }
            }
        }
    }

    /**
     * Tells the listener how the attempt ended, notes where it ran, and returns when it ended on this scheduler's
     * clock: now, or earlier by as long ago as the other side says it ended (a run taken over hears of ends late),
     * never before the task started.
     */
    private long ended(AttemptSink s, TaskOutcome o) {
        int i = s.task;
        try {
            listener.onAttemptEnded(s.spec, s.attempt, o);
        } catch (RuntimeException e) {
            Log.of("engine", runId).warn("a run listener failed: " + e);
        }
        long now = options.ticker().nanos();
        TaskOutcome.Ran ran = o.ran();
        if (ran == null) return now;
        ranOn[i] = ran.on();
        long nowMillis = System.currentTimeMillis();
        if (ran.started() != null) { // the attempt began earlier than this scheduler knew (it took the run over)
            long startedAgo = Math.max(0, nowMillis - ran.started().toEpochMilli()) * 1_000_000;
            if (startNanos[i] == 0 || now - startedAgo < startNanos[i]) startNanos[i] = now - startedAgo;
        }
        if (ran.finished() == null) return now;
        long ago = Math.max(0, nowMillis - ran.finished().toEpochMilli()) * 1_000_000;
        return Math.max(startNanos[i], now - ago);
    }

    private void fireDueRetries() {
        long now = options.ticker().nanos();
        while (!retries.isEmpty() && retries.peek().dueNanos() <= now) {
            int i = retries.poll().task();
            if (state[i] == RETRYING) makeReady(i);
        }
    }

    /** Every task downstream of {@code i} that has not started is SKIPPED. */
    private void skipDependents(int i, String what) {
        int[] deps = plan.dependentsOf(i);
        if (deps.length == 0) return;
        String why = "skipped: dependency " + plan.task(i).id() + " " + what;
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        for (int d : deps) todo.push(d);
        while (!todo.isEmpty()) {
            int d = todo.pop();
            if (state[d] == PENDING) {
                move(d, TaskState.SKIPPED, why);
                for (int dd : plan.dependentsOf(d)) todo.push(dd);
            }
        }
    }

    private void cancelAll(String reason, boolean byUser) {
        if (cancelling) return;
        cancelling = true;
        cancelledBy = byUser ? "cancelled: " + reason : reason;
        retries.clear();
        readySize = 0;
        for (int i = 0; i < n; i++) {
            byte s = state[i];
            if (s == PENDING || s == READY || s == RETRYING) {
                if (startNanos[i] != 0) endNanos[i] = options.ticker().nanos();
                move(i, TaskState.CANCELLED, cancelledBy);
            } else if (s == RUNNING && handles[i] != null) {
                handles[i].cancel(cancelledBy);
            }
        }
        if (byUser) userCancelled = true;
    }

    private void move(int i, TaskState to, String message) {
        TaskState from = STATES[state[i]];
        if (!from.canMoveTo(to))
            throw new IllegalTransitionException(plan.task(i).id(), from, to);
        state[i] = (byte) to.ordinal();
        if (message != null && !message.isEmpty()) messages[i] = message;
        if (to.isTerminal()) finished++;
        try {
            listener.onTaskStateChanged(plan.task(i), from, to, attempts[i], message == null ? "" : message);
        } catch (RuntimeException e) {
            Log.of("engine", runId).warn("a run listener failed: " + e);
        }
    }

    private Map<String, Object> paramsFor(TaskSpec spec) {
        Map<String, Object> runParams = options.params();
        if (spec.params().isEmpty()) return runParams;
        if (runParams.isEmpty()) return spec.params();
        Map<String, Object> merged = new LinkedHashMap<>(spec.params());
        merged.putAll(runParams);
        return Collections.unmodifiableMap(merged);
    }

    private Map<TaskId, Map<String, Object>> outputsOfDependencies(int i) {
        int[] deps = plan.dependenciesOf(i);
        Map<TaskId, Map<String, Object>> out = null;
        for (int d : deps) {
            if (outputs[d] != null) {
                if (out == null) out = new LinkedHashMap<>();
                out.put(plan.task(d).id(), outputs[d]);
            }
        }
        return out == null ? Map.of() : out;
    }

    private RunResult buildResult() {
        RunStatus status = userCancelled
                ? RunStatus.CANCELLED
                : failed > 0 || cancelledAlone > 0 ? RunStatus.FAILED : RunStatus.SUCCEEDED;
        List<TaskResult> tasks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long ms = startNanos[i] == 0 ? 0 : Math.max(0, (endNanos[i] - startNanos[i]) / 1_000_000);
            tasks.add(new TaskResult(
                    plan.task(i).id(),
                    STATES[state[i]],
                    attempts[i],
                    ms,
                    messages[i] == null ? "" : messages[i],
                    outputs[i] == null ? Map.of() : outputs[i],
                    ranOn[i]));
        }
        return new RunResult(runId, status, startedAt, Instant.now(), Collections.unmodifiableList(tasks));
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            Log.of("engine", runId).warn("a run listener failed: " + e);
        }
    }

    /** One attempt's report channel; also the completion event itself, so an attempt costs one allocation. */
    private static final class AttemptSink implements TaskSink {
        private static final VarHandle DONE;

        static {
            try {
                DONE = MethodHandles.lookup().findVarHandle(AttemptSink.class, "done", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final RunLoop loop;
        final int task;
        final int attempt;
        final TaskSpec spec;
        TaskOutcome outcome;

        @SuppressWarnings("unused")
        private volatile int done;

        AttemptSink(RunLoop loop, int task, int attempt, TaskSpec spec) {
            this.loop = loop;
            this.task = task;
            this.attempt = attempt;
            this.spec = spec;
        }

        @Override
        public void log(String line) {
            try {
                loop.listener.onTaskLog(spec, attempt, loop.masker.mask(line));
            } catch (RuntimeException e) {
                Log.of("engine", loop.runId).warn("a run listener failed: " + e);
            }
        }

        @Override
        public void started(String on) {
            try {
                loop.listener.onAttemptStarted(spec, attempt, on);
            } catch (RuntimeException e) {
                Log.of("engine", loop.runId).warn("a run listener failed: " + e);
            }
        }

        @Override
        public void completed(TaskOutcome o) {
            if (!DONE.compareAndSet(this, 0, 1)) return; // exactly once
            this.outcome = o == null ? TaskOutcome.failed("no outcome reported") : o;
            if (Thread.currentThread() == loop.thread) {
                loop.local.add(this);
            } else {
                loop.post(this);
            }
        }
    }
}
