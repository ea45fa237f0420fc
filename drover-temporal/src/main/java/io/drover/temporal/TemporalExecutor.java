package io.drover.temporal;

import io.drover.cluster.worker.AttemptExecutor;
import io.drover.cluster.worker.AttemptInput;
import io.drover.cluster.worker.Executed;
import io.drover.cluster.worker.ExecutorHost;
import io.drover.cluster.worker.HeldAttempt;
import io.drover.core.DroverException;
import io.drover.core.model.Durations;
import io.drover.core.runner.TaskOutcome;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.CanceledFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a worker's held attempts on Temporal: each starts (or, taken over from a worker that died, attaches to) the
 * workflow named after its task and the attempt its entry began with ({@link #workflowId}), then waits for its
 * result, which the worker records through the queue's fenced completion as it would a local outcome. A cancel of
 * the task cancels the workflow; a hand-back or a lost lease only stops the waiting (the workflow goes on, and the
 * next holder attaches). The worker also polls the task queue: its activities run tasks for any worker. Thread-safe.
 */
public final class TemporalExecutor implements AttemptExecutor {
    /** What a timed-out task's process tree gets beyond its timeout to die, before Temporal's own timeout. */
    static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** The shortest time a call to Temporal gets before the attempt fails. */
    static final Duration MIN_CALL_TIMEOUT = Duration.ofSeconds(10);

    /** Heartbeat timeouts without an answer from Temporal after which a waiting attempt fails. */
    static final int LOST_AFTER_BEATS = 3;

    /** The start-to-close timeout of a task without a timeout of its own. */
    static final Duration NO_TIMEOUT = Duration.ofDays(1);

    private final TemporalSettings settings;
    private final ExecutorHost host;
    private final WorkflowServiceStubs service;
    private final WorkflowClient client;
    private final WorkerFactory factory;
    private final DroverTaskActivityImpl activities;

    private TemporalExecutor(TemporalSettings settings, ExecutorHost host, WorkflowServiceStubs service) {
        this.settings = settings;
        this.host = host;
        this.service = service;
        this.client = WorkflowClient.newInstance(
                service,
                WorkflowClientOptions.newBuilder()
                        .setNamespace(settings.namespace())
                        .setIdentity("drover-worker " + host.workerId())
                        .build());
        // No workflow cache and no sticky task queue (a zero schedule-to-start timeout): a workflow's next task goes
        // to any worker of the task queue at once, never to a sticky queue of a worker that died (which a server
        // only gives up on after a timeout, and Temporal's test server never). A Drover workflow's history is a dozen
        // events, cheap to replay.
        this.factory = WorkerFactory.newInstance(
                client,
                WorkerFactoryOptions.newBuilder().setWorkflowCacheSize(0).build());
        this.activities = new DroverTaskActivityImpl(host, settings.heartbeatTimeout());
    }

    /**
     * Connects to Temporal (a worker whose Temporal does not answer refuses to start, with one line naming the
     * address), checks the namespace, and starts polling the task queue for workflow tasks and activities.
     */
    public static TemporalExecutor open(TemporalSettings settings, ExecutorHost host) {
        WorkflowServiceStubs service = connect(settings);
        TemporalExecutor ex = new TemporalExecutor(settings, host, service);
        try {
            Worker worker = ex.factory.newWorker(
                    settings.taskQueue(),
                    WorkerOptions.newBuilder()
                            .setMaxConcurrentActivityExecutionSize(host.concurrency())
                            .setStickyQueueScheduleToStartTimeout(Duration.ZERO) // no sticky queue (see factory)
                            .build());
            worker.registerWorkflowImplementationTypes(DroverTaskWorkflowImpl.class);
            worker.registerActivitiesImplementations(ex.activities);
            ex.factory.start();
            return ex;
        } catch (RuntimeException e) {
            ex.close();
            throw new DroverException(
                    "cannot start polling Temporal's task queue '" + settings.taskQueue() + "' at " + settings.host()
                            + ": " + rootMessage(e),
                    e);
        }
    }

    /**
     * Connects to Temporal and checks that it has the namespace; a {@link DroverException} with one line naming the
     * address (or the namespace) when it does not answer (or has none).
     */
    static WorkflowServiceStubs connect(TemporalSettings settings) {
        WorkflowServiceStubs service;
        try {
            service = WorkflowServiceStubs.newConnectedServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder()
                            .setTarget(settings.host())
                            .setEnableHttps(settings.tls())
                            .build(),
                    Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            throw new DroverException(
                    "cannot reach Temporal at " + settings.host() + " (TEMPORAL_HOST, --temporal-host): "
                            + rootMessage(e),
                    e);
        }
        try {
            service.blockingStub()
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .describeNamespace(DescribeNamespaceRequest.newBuilder()
                            .setNamespace(settings.namespace())
                            .build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) { // a test server may not describe namespaces
                service.shutdownNow();
                throw new DroverException(
                        "Temporal at " + settings.host() + " has no namespace '" + settings.namespace()
                                + "' (TEMPORAL_NAMESPACE): " + e.getStatus().getCode() + " "
                                + e.getStatus().getDescription(),
                        e);
            }
        }
        return service;
    }

    /** {@code drover doctor}'s look: whether Temporal answers and has the namespace; connects, then disconnects. */
    public static String probe(TemporalSettings settings) {
        WorkflowServiceStubs service = connect(settings);
        service.shutdownNow();
        return "Temporal at " + settings.host() + " answers (namespace " + settings.namespace() + ", task queue "
                + settings.taskQueue() + ")";
    }

    /**
     * The workflow of an attempt: the same for every delivery of one try of the task (taken over, handed back),
     * another for each retry ({@link AttemptInput#execution}).
     */
    public static String workflowId(AttemptInput in) {
        return "drover-" + in.taskId() + "-" + in.execution();
    }

    @Override
    public String describe() {
        return "temporal at " + settings.host() + " (namespace " + settings.namespace() + ", task queue "
                + settings.taskQueue() + (settings.tls() ? ", TLS" : "") + ", retries by "
                + (settings.retries() ? "Temporal" : "the queue") + ")";
    }

    @Override
    public Executed execute(HeldAttempt held) {
        AttemptInput in = held.input();
        String id = workflowId(in);
        WorkflowStub start = client.newUntypedWorkflowStub(
                DroverTaskWorkflow.TYPE,
                WorkflowOptions.newBuilder()
                        .setWorkflowId(id)
                        .setTaskQueue(settings.taskQueue())
                        // one execution per id, ever: a worker that takes the task over after it ended reads its result
                        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                        .build());
        // The SDK retries a call Temporal does not answer for a minute or more: bounded here, so that an outage
        // fails the attempt in the time it takes to notice one while waiting (await)
        ActivityPlan plan = plan(in);
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread.ofVirtual().name("drover-temporal-start").start(() -> {
            try {
                start.signalWithStart("attach", new Object[] {in}, new Object[] {in, plan});
                started.complete(null);
            } catch (RuntimeException e) {
                started.completeExceptionally(e);
            }
        });
        try {
            started.get(callTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof WorkflowExecutionAlreadyStarted)) {
                return failed("Temporal at " + settings.host() + " did not start the task's workflow: "
                        + rootMessage(e.getCause()));
            } // else it ended already (its holder died before recording the result): that result stands
        } catch (TimeoutException e) {
            return failed("Temporal at " + settings.host() + " did not answer within " + Durations.format(callTimeout())
                    + " when asked to start the task's workflow");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("the worker was interrupted while it started the task's workflow");
        }
        WorkflowStub workflow = client.newUntypedWorkflowStub(id); // the latest run of the id: the only one
        CompletableFuture<Executed> done = new CompletableFuture<>();
        var unused = workflow.getResultAsync(TaskResult.class) // its outcome goes to done
                .whenComplete((r, e) -> done.complete(e == null ? r.executed() : ended(id, e)));
        try (var registration = held.cancellation().onCancel(() -> {
            if (held.cancelRequested()) { // the activity hears it at its next heartbeat and kills the task's tree
                Thread.ofVirtual().name("drover-temporal-cancel").start(() -> {
                    try {
                        workflow.cancel();
                    } catch (RuntimeException e) {
                        done.complete(failed("Temporal did not cancel the workflow " + id + ": " + rootMessage(e)));
                    }
                });
            } else { // handed back or lost: the workflow goes on, and whoever holds the task next attaches
                done.complete(
                        new Executed(TaskOutcome.cancelled(held.cancellation().reason()), null));
            }
        })) {
            return await(done, id);
        }
    }

    /**
     * Waits for the workflow's result, looking every heartbeat timeout whether Temporal still answers: when it has not
     * for {@link #LOST_AFTER_BEATS} of them, the attempt fails saying so (its outcome is unknown here; the queue's
     * retries apply, each with a workflow of its own) rather than wait for a server that may never come back.
     */
    private Executed await(CompletableFuture<Executed> done, String id) {
        long beat = settings.heartbeatTimeout().toMillis();
        long silentSince = -1;
        while (true) {
            try {
                return done.get(beat, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long now = System.nanoTime();
                if (answers(id)) {
                    silentSince = -1;
                } else if (silentSince < 0) {
                    silentSince = now;
                } else if (now - silentSince >= TimeUnit.MILLISECONDS.toNanos(beat * LOST_AFTER_BEATS)) {
                    return failed("Temporal at " + settings.host() + " stopped answering while the task ran (for "
                            + Durations.format(Duration.ofNanos(now - silentSince)) + "): its outcome is unknown");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return failed("the worker was interrupted while it waited for Temporal");
            } catch (ExecutionException e) {
                return ended(id, e.getCause());
            }
        }
    }

    /** How long a call may go unanswered before the attempt fails: {@link #LOST_AFTER_BEATS} heartbeat timeouts. */
    private Duration callTimeout() {
        Duration d = settings.heartbeatTimeout().multipliedBy(LOST_AFTER_BEATS);
        return d.compareTo(MIN_CALL_TIMEOUT) < 0 ? MIN_CALL_TIMEOUT : d;
    }

    /** Whether Temporal answers about the workflow {@code id} within a second. */
    private boolean answers(String id) {
        try {
            service.blockingStub()
                    .withDeadlineAfter(1, TimeUnit.SECONDS)
                    .describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
                            .setNamespace(settings.namespace())
                            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id))
                            .build());
            return true;
        } catch (StatusRuntimeException e) {
            Status.Code c = e.getStatus().getCode();
            return c != Status.Code.UNAVAILABLE && c != Status.Code.DEADLINE_EXCEEDED;
        }
    }

    /** How the workflow runs this attempt's activity. */
    private ActivityPlan plan(AttemptInput in) {
        long startToClose = in.timeoutMillis() > 0 ? in.timeoutMillis() + KILL_GRACE.toMillis() : NO_TIMEOUT.toMillis();
        long beat = settings.heartbeatTimeout().toMillis();
        if (!settings.retries())
            return new ActivityPlan(startToClose, beat, settings.activityAttempts(), false, 1000, 2.0, 30_000);
        ExecutorHost.Retries r = host.retries(in);
        return new ActivityPlan(
                startToClose,
                beat,
                Math.max(1, r.maxAttempts() - in.failures()),
                true,
                r.backoff().initial().toMillis(),
                r.backoff().factor(),
                r.backoff().max().toMillis());
    }

    /** A workflow that ended without a result: cancelled (the task's cancel), or Temporal could not say. */
    private Executed ended(String id, Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof CanceledFailure) return new Executed(TaskOutcome.cancelled("cancelled on request"), null);
        }
        return failed("Temporal at " + settings.host() + " did not give the task's workflow " + id + " a result: "
                + rootMessage(e));
    }

    private static Executed failed(String message) {
        return new Executed(TaskOutcome.failed(message), null);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /**
     * Stops the activities running here (Temporal runs them again on another worker: their failure says this worker
     * stopped, or, if that report does not get out, their heartbeat times out), then stops polling at once (a long
     * poll left open would take a task nobody here would run: shutdownNow interrupts the pollers, which cancels
     * their calls) and disconnects.
     */
    @Override
    public void close() {
        activities.stop();
        activities.awaitIdle(Duration.ofSeconds(5));
        factory.shutdownNow(); // interrupts the pollers, which cancels their open polls
        factory.awaitTermination(5, TimeUnit.SECONDS);
        service.shutdownNow();
        service.awaitTermination(5, TimeUnit.SECONDS);
    }
}
