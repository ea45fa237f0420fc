package io.drover.agent.client;

import io.drover.agent.sync.Limits;
import io.drover.core.WorkflowException;
import io.drover.core.engine.AttemptHandle;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.TaskSink;
import io.drover.core.engine.VirtualAttempts;
import io.drover.core.model.Delegation;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.model.WorkflowSource;
import io.drover.core.plan.Plan;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskOutcome;
import io.drover.core.runner.TaskRequest;
import io.drover.core.runner.TaskRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends delegated tasks to agents and everything else to the dispatcher it wraps (normally the local one). A task's
 * working directory travels to the agent and its changes come back (see {@link RemoteAttempt}); its outputs and
 * log lines reach the scheduler exactly as a local task's do. Among several agents for one task it picks the one
 * with the fewest attempts in flight from this run, preferring a different agent on a retry. Thread-safe.
 */
public final class AgentDispatcher implements Dispatcher {
    private final Dispatcher local;
    private final AgentDirectory directory;
    private final WorkflowSource source;
    private final Path baseDir;
    private final Limits limits;
    private final Delegation byDefault;
    private final Map<AgentTarget, AgentClient> clients = new ConcurrentHashMap<>();
    private final Map<AgentTarget, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<Path, Workspace> workspaces = new ConcurrentHashMap<>();
    private final VirtualAttempts attempts = new VirtualAttempts("drover-remote-");
    private final AtomicLong sentBytes = new AtomicLong();
    private final AtomicLong sentEntries = new AtomicLong();
    /** What travelled for each delegated task, its last attempt's, in the order they ended. */
    private final Map<TaskId, SyncStats> syncStats =
            java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>());

    /**
     * @param local runs tasks that are not delegated
     * @param source the workflow's Lua, sent with each task (agents run its functions), or {@code null}
     * @param baseDir what relative task workdirs resolve against, as for the local dispatcher
     */
    public AgentDispatcher(
            Dispatcher local, AgentDirectory directory, WorkflowSource source, Path baseDir, Limits limits) {
        this(local, directory, source, baseDir, limits, null);
    }

    /**
     * @param byDefault where tasks without {@code delegate_to} go ({@code drover run --agent}), or {@code null} to
     *     run them with {@code local}; {@code delegate_to = false} always stays local
     */
    public AgentDispatcher(
            Dispatcher local,
            AgentDirectory directory,
            WorkflowSource source,
            Path baseDir,
            Limits limits,
            Delegation byDefault) {
        this.byDefault = byDefault;
        this.local = local;
        this.directory = directory;
        this.source = source;
        this.baseDir = baseDir.toAbsolutePath().normalize();
        this.limits = limits;
    }

    /** Checks before a run starts that every delegated task names agents this master knows. */
    public static void check(Plan plan, AgentDirectory directory, Delegation byDefault) {
        for (int i = 0; i < plan.size(); i++) {
            TaskSpec t = plan.task(i);
            Delegation d = where(t, byDefault);
            if (d == null) continue;
            try {
                directory.resolve(d);
            } catch (IllegalArgumentException e) {
                throw new WorkflowException(t.location(), "task '" + t.id() + "': " + e.getMessage());
            }
        }
    }

    /** Whether any task of the plan goes to an agent. */
    public static boolean delegatesAny(Plan plan, Delegation byDefault) {
        for (int i = 0; i < plan.size(); i++) if (where(plan.task(i), byDefault) != null) return true;
        return false;
    }

    /** Where a task goes: its own {@code delegate_to}, else the default; null for here. */
    private static Delegation where(TaskSpec t, Delegation byDefault) {
        Delegation d = t.delegateTo() != null ? t.delegateTo() : byDefault;
        return d == null || d.isLocal() ? null : d;
    }

    /**
     * Tries of one attempt's upload when files change while they are sent: the first half list again, the rest send
     * copies of the files that changed.
     */
    static final int RESEND_TRIES = 6;

    @Override
    public AttemptHandle dispatch(TaskRequest request, TaskSink sink) {
        Delegation to = where(request.task(), byDefault);
        if (to == null) return local.dispatch(request, sink);
        return attempts.start(sink, cancel -> runRemote(request, to, sink, cancel));
    }

    private TaskOutcome runRemote(TaskRequest request, Delegation to, TaskSink sink, Cancellation cancel)
            throws IOException {
        List<AgentTarget> targets = directory.resolve(to);
        AgentTarget target = pick(targets, request.attempt());
        Path root = TaskRunner.workdirOf(request.task(), baseDir);
        Files.createDirectories(root);
        Workspace ws =
                workspaces.computeIfAbsent(root.toRealPath(), r -> new Workspace(r, baseDir, directory.privateFiles()));
        AtomicInteger load = inFlight.computeIfAbsent(target, t -> new AtomicInteger());
        load.incrementAndGet();
        try {
            // A file rewritten while it is sent (before the task runs there): listed and sent again, a few times;
            // then sent from a copy taken as it is read, so a file that never stops changing fails no task.
            Set<Path> snapshot = new LinkedHashSet<>();
            for (int tries = 1; ; tries++) {
                RemoteAttempt attempt = new RemoteAttempt(
                        client(target),
                        request,
                        source,
                        ws,
                        limits,
                        sink::log,
                        cancel,
                        to.exclude(),
                        to.linksOut(),
                        snapshot);
                TaskOutcome o = attempt.run();
                sentBytes.addAndGet(attempt.sentBytes);
                sentEntries.addAndGet(attempt.sentEntries.get());
                Path changed = attempt.changedWhileSent;
                if (changed != null && tries < RESEND_TRIES && !cancel.isCancelled()) {
                    String rel = ws.root.relativize(changed).toString();
                    if (tries >= RESEND_TRIES / 2) snapshot.add(changed);
                    sink.log("sync: " + rel + " changed while it was sent; sending "
                            + (snapshot.contains(changed) ? "a copy of it as read" : "it again") + " (try "
                            + (tries + 1) + ")");
                    continue;
                }
                if (attempt.stats != null) syncStats.put(request.task().id(), attempt.stats);
                return o;
            }
        } finally {
            load.decrementAndGet();
        }
    }

    private AgentTarget pick(List<AgentTarget> targets, int attempt) {
        AgentTarget best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (int k = 0; k < targets.size(); k++) {
            AgentTarget t = targets.get((k + attempt - 1) % targets.size());
            int load = inFlight.computeIfAbsent(t, x -> new AtomicInteger()).get();
            if (load < bestLoad) {
                best = t;
                bestLoad = load;
            }
        }
        return best;
    }

    private AgentClient client(AgentTarget t) {
        return clients.computeIfAbsent(t, AgentClient::new);
    }

    /** Bytes of file content sent to agents so far. */
    public long sentBytes() {
        return sentBytes.get();
    }

    /** What travelled for each delegated task (its last attempt that got its changes back), in the order they ended. */
    public Map<TaskId, SyncStats> syncStats() {
        synchronized (syncStats) {
            return java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(syncStats));
        }
    }

    public long sentEntries() {
        return sentEntries.get();
    }

    @Override
    public void close() {
        attempts.close();
        clients.values().forEach(AgentClient::close);
        workspaces.values().forEach(Workspace::save); // the next run hashes only what changed, and sends deltas
        local.close();
    }
}
