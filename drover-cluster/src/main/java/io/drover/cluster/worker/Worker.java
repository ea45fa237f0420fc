package io.drover.cluster.worker;

import io.drover.cluster.queue.WorkerId;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.DroverException;
import io.drover.core.Lifecycle;
import io.drover.core.process.Cancellation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks from one queue. Lifecycle: {@link #start} (connects and fails fast), {@link #shutdown} (stop claiming,
 * let running tasks finish within the grace period, hand the rest back), {@link #shutdownNow} (hand everything
 * back at once), {@link #awaitTermination}. Thread-safe; shutdown methods are idempotent.
 *
 * <p>A facade over four roles that share a {@link WorkerContext}: the {@link Claimer} (reads and claims entries,
 * on the thread {@code drover-claimer}), the {@link AttemptRunner} (runs each attempt on a virtual thread), the
 * {@link Completer} (records outcomes in batches, on {@code drover-completer}) and the {@link Heartbeat} (renews
 * leases, on {@code drover-heartbeat}). No thread starts before {@link #start}.
 *
 * <p>Delivery is at-least-once. A claimed task's stream entry stays pending in the consumer group; its idle time is
 * the lease, reset by this worker's heartbeat every third of the lease. A worker that stops heartbeating loses
 * its tasks to whichever live worker reclaims them (XAUTOCLAIM), which raises the entry's delivery count: the
 * attempt's fencing token. An outcome is recorded only while the entry is pending for this worker with the count
 * its attempt started with (checked inside the script), so a worker that was paused and wakes up late can never
 * complete a task that someone else holds now.
 */
public final class Worker implements Lifecycle {
    private final WorkerContext w;
    private final ScheduledExecutorService heartbeatThread;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private Heartbeat heartbeat;
    private AttemptRunner runner;
    private AttemptExecutor executor = AttemptExecutor.LOCAL;
    private Thread claimer;
    private Thread completer;

    private Worker(WorkerOptions options) {
        this.w = new WorkerContext(options);
        this.heartbeatThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("drover-heartbeat").factory());
    }

    /** Connects, checks Redis, registers the worker and starts claiming. */
    @SuppressWarnings("FutureReturnValueIgnored") // the heartbeat's schedule runs until shutdown; nothing awaits it
    public static Worker start(WorkerOptions options) {
        Worker worker = new Worker(options);
        WorkerContext w = worker.w;
        w.store = WorkerStore.open(options.redisUrl(), options.workerId(), w.keys, w.streams);
        try {
            Workdirs.sweepDefaults(options.workdir());
            Files.createDirectories(options.workdir());
        } catch (IOException | RuntimeException e) {
            worker.closeConnections();
            throw new DroverException("cannot start the worker: " + e.getMessage(), e);
        }
        Completer completer = new Completer(w);
        worker.runner = new AttemptRunner(w, new AttemptDecoder(w.store, options.kinds(), w.state), completer);
        try {
            worker.executor =
                    AttemptExecutorProvider.open(options.executor(), options.executorSettings(), worker.runner.host);
        } catch (RuntimeException e) {
            worker.closeConnections();
            throw e;
        }
        worker.runner.executor(worker.executor);
        worker.heartbeat = new Heartbeat(w);
        worker.heartbeat.writeRecord("running");
        long beat = w.beatMillis();
        worker.heartbeatThread.scheduleWithFixedDelay(worker.heartbeat::beat, beat, beat, TimeUnit.MILLISECONDS);
        Claimer claimer = new Claimer(w, worker.runner::startAll);
        worker.claimer = Thread.ofPlatform().name("drover-claimer").daemon().start(claimer::loop);
        worker.completer = Thread.ofPlatform().name("drover-completer").daemon().start(completer::loop);
        return worker;
    }

    /** Where this worker's tasks get their private directories. */
    public Path workdir() {
        return w.options.workdir();
    }

    public WorkerId id() {
        return w.options.workerId();
    }

    public WorkerOptions options() {
        return w.options;
    }

    /** How this worker runs attempts other workers hold (package access: for tests; executors get it when opened). */
    ExecutorHost host() {
        return runner.host;
    }

    /** Where this worker runs the attempts it holds, for its banner ({@link AttemptExecutor#describe}). */
    public String executor() {
        return executor.describe();
    }

    /** Ids of the tasks running here now. */
    public List<String> running() {
        return w.running();
    }

    // ---- stopping ----

    /** Stops claiming; running tasks get the grace period, then are handed back. Returns at once. Idempotent. */
    @Override
    public void shutdown() {
        stop(w.options.grace());
    }

    /** Stops claiming and hands every running task back at once. Returns at once. Idempotent. */
    @Override
    public void shutdownNow() {
        stop(Duration.ZERO);
    }

    private void stop(Duration grace) {
        if (!w.stopping.compareAndSet(false, true)) {
            if (grace.isZero()) handBackAll(); // a second, impatient request
            return;
        }
        w.claiming = false;
        Thread.ofPlatform().name("drover-worker-stop").start(() -> {
            try {
                long deadline = System.nanoTime() + grace.toNanos();
                while (!w.held.isEmpty() && System.nanoTime() < deadline) WorkerContext.sleepQuietly(20);
                handBackAll();
                long hard = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!w.held.isEmpty() && System.nanoTime() < hard) WorkerContext.sleepQuietly(20);
                if (claimer != null) claimer.join(2000);
                if (completer != null) completer.join(2000);
                heartbeatThread.shutdownNow();
                if (runner != null) runner.shutdown();
                try {
                    executor.close(); // what it runs here for other workers stops; they carry on elsewhere
                } catch (RuntimeException e) {
                    w.log.warn("could not stop the executor " + executor.describe() + ": " + e.getMessage());
                }
                try {
                    w.store.deleteRecord();
                } catch (RuntimeException e) {
                    // Redis gone: the record expires by itself
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeConnections();
                if (Workdirs.isDefault(w.options.workdir()))
                    Workdirs.deleteQuietly(w.options.workdir()); // nothing in it outlives the worker
                terminated.countDown();
            }
        });
    }

    private void handBackAll() {
        for (Attempt a : w.held.values()) {
            a.handBack = true;
            a.cancellation.cancel(Cancellation.Cause.CANCELLED, "worker stopping: task handed back to the queue");
        }
    }

    @Override
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        shutdown();
        try {
            awaitTermination(w.options.grace().plusSeconds(20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeConnections() {
        if (w.store != null) w.store.close();
        w.state.close();
    }
}
