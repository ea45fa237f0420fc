package io.drover.temporal;

import io.drover.cluster.worker.AttemptInput;
import io.drover.cluster.worker.Executed;
import io.drover.cluster.worker.ExecutorHost;
import io.drover.core.process.Cancellation;
import io.drover.core.runner.TaskOutcome;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a task for the worker that holds it, through this worker's own runner ({@link ExecutorHost#run}): its log
 * lines go to the task's event stream, fenced by the lease of the worker that holds the task (looked up again when
 * another worker took it over). It heartbeats on a timer and every {@value #LINES_PER_BEAT} lines with its {@link Progress}; a
 * heartbeat that finds the workflow cancelled kills the task's process tree. A retried activity (its last worker
 * stopped heartbeating) says in the task's log where it takes over. Thread-safe.
 */
final class DroverTaskActivityImpl implements DroverTaskActivity {
    /** Log lines between two heartbeats at most (the timer beats too). */
    static final int LINES_PER_BEAT = 100;

    private final ExecutorHost host;
    private final Duration beatEvery;
    /** Attempts running here, stopped when the worker stops (Temporal then runs them again elsewhere). */
    private final Set<Cancellation> running = ConcurrentHashMap.newKeySet();

    private volatile boolean stopping;

    DroverTaskActivityImpl(ExecutorHost host, Duration heartbeatTimeout) {
        this.host = host;
        this.beatEvery = heartbeatTimeout.dividedBy(4);
    }

    /** The worker stops: attempts running here end, and Temporal runs them again on another worker. */
    void stop() {
        stopping = true;
        for (Cancellation c : running)
            c.cancel(Cancellation.Cause.CANCELLED, "worker stopping: the activity goes to another worker");
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(Duration.ofSeconds(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until no attempt runs here, for at most {@code timeout}. */
    void awaitIdle(Duration timeout) {
        long until = System.nanoTime() + timeout.toNanos();
        while (!running.isEmpty() && System.nanoTime() < until) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public TaskResult run(AttemptInput input, boolean temporalRetries) {
        ActivityExecutionContext ctx = Activity.getExecutionContext();
        int attempt = ctx.getInfo().getAttempt();
        List<String> preface = new ArrayList<>();
        Optional<Progress> before = attempt > 1 ? ctx.getHeartbeatDetails(Progress.class) : Optional.empty();
        if (attempt > 1) {
            preface.add(before.map(p -> "temporal: activity attempt " + attempt + " on worker " + host.workerId()
                            + " takes over from attempt " + p.activityAttempt() + " on worker " + p.worker()
                            + ", whose last heartbeat was at line " + p.lines()
                            + (p.lastLine().isEmpty() ? "" : " ('" + p.lastLine() + "')"))
                    .orElse("temporal: activity attempt " + attempt + " on worker " + host.workerId()));
        }
        Cancellation cancellation = new Cancellation();
        running.add(cancellation);
        if (stopping) cancellation.cancel(Cancellation.Cause.CANCELLED, "worker stopping");
        AtomicLong lines = new AtomicLong();
        AtomicReference<String> last = new AtomicReference<>("");
        AtomicReference<ActivityCompletionException> ended = new AtomicReference<>();
        Runnable beat = () -> {
            try {
                ctx.heartbeat(new Progress(host.workerId(), attempt, lines.get(), last.get()));
            } catch (ActivityCompletionException e) { // cancelled, or the workflow is gone
                if (ended.compareAndSet(null, e)) {
                    cancellation.cancel(
                            Cancellation.Cause.CANCELLED,
                            e instanceof ActivityCanceledException
                                    ? "cancelled on request"
                                    : "the Temporal activity ended: " + e.getMessage());
                }
            } catch (RuntimeException e) {
                // Temporal unreachable for a moment: the next beat tries again (a long outage times the activity out)
            }
        };
        // Stopped by a latch, never interrupted: an interrupt inside a heartbeat's call would cancel that call
        CountDownLatch ranOut = new CountDownLatch(1);
        Thread beater = Thread.ofVirtual().name("drover-temporal-beat").start(() -> {
            try {
                while (!cancellation.isCancelled()) {
                    beat.run();
                    if (ranOut.await(beatEvery.toMillis(), TimeUnit.MILLISECONDS)) return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Executed done;
        try {
            done = host.run(
                    input,
                    cancellation,
                    line -> {
                        last.set(line.length() > 200 ? line.substring(0, 200) : line);
                        if (lines.incrementAndGet() % LINES_PER_BEAT == 0) beat.run();
                    },
                    preface);
        } finally {
            running.remove(cancellation);
            ranOut.countDown();
            joinQuietly(beater); // no heartbeat of this attempt after it ended
        }
        if (ended.get() instanceof ActivityCanceledException e) throw e; // the workflow hears the cancel completed
        if (stopping && done.outcome().status() != TaskOutcome.Status.SUCCEEDED) {
            throw ApplicationFailure.newFailure(
                    "worker " + host.workerId() + " stopped under the task", WORKER_STOPPING);
        }
        if (temporalRetries && done.outcome().status() == TaskOutcome.Status.FAILED) {
            throw ApplicationFailure.newFailure(done.outcome().message(), TASK_FAILED);
        }
        return TaskResult.of(done);
    }
}
