package io.drover.cluster.controller;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.Outage;
import io.drover.cluster.queue.RunRecords;
import io.drover.cluster.queue.WorkerRecords;
import io.drover.cluster.run.ClusterDispatcher;
import io.drover.core.DroverException;
import io.drover.core.Lifecycle;
import io.drover.core.Log;
import io.drover.core.Version;
import io.drover.core.model.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A controller: one of several processes that run whole workflows on the fleet. One of them leads, holding a lease
 * in Redis with a fencing epoch that only grows; the others stand by and take over when the leader stops renewing.
 * The leader plans every active run (the shared planner and scheduler), dispatches ready tasks to the queue as
 * {@link ClusterDispatcher} does, and snapshots each run in Redis ({@link RunJournal}); every snapshot write is
 * fenced by the run's epoch, so a leader that lost its lease (paused, cut off) cannot change a run another leader
 * took over. A new leader claims every active run with its epoch and resumes it from the snapshot: what ended does
 * not run again, and attempts in flight are found again through their idempotency keys, never dispatched twice.
 *
 * <p>Every controller serves the HTTP API ({@link ControllerApi}). Thread-safe; {@link #close()} hands the lease
 * over at once.
 */
public final class Controller implements Lifecycle {

    private final ControllerOptions options;
    private final Log log;
    private final Client client;
    private final RunRecords runs;
    private final WorkerRecords workers;
    private final ControllerMetrics metrics = new ControllerMetrics();
    /** Where the journals are flushed and the warm-up runs: one thread of the controller's own. */
    private final ExecutorService flusher;
    /** Cancels the pending wait for the next flush (guarded by flushLock). */
    private Runnable nextFlush = () -> {};

    private final Object flushLock = new Object();
    private final Instant startedAt = Instant.now();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread loop;
    private final Thread leaseThread;
    private ControllerApi api;

    private volatile boolean running = true;
    /** This process among controllers that may share an id: the lease names it, so its epoch fences it alone. */
    private final String instance = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);

    private final LeaderLease lease;
    /** The leader's runs: take, resume, cancel, flush, detach. */
    private final RunSupervisor supervisor;

    private volatile List<ControllerMetrics.Alert> alerts = List.of();

    private Controller(ControllerOptions options) {
        this.options = options;
        this.log = Log.of("controller", options.controllerId());
        this.client = Client.connect(options.redisUrl());
        this.runs = client.runs();
        this.workers = client.workers();
        this.flusher = Executors.newSingleThreadExecutor(
                Thread.ofPlatform().daemon().name("drover-controller-flush").factory());
        this.loop = Thread.ofPlatform().name("drover-controller").unstarted(this::loop);
        this.leaseThread =
                Thread.ofPlatform().daemon().name("drover-controller-lease").unstarted(this::leaseLoop);
        this.lease = new LeaderLease(
                runs, options.controllerId(), instance, options.lease(), options.ticker(), new LeaderLease.Listener() {
                    @Override
                    public void leading(long epoch) {
                        log("leading with epoch " + epoch);
                    }

                    @Override
                    public void steppedDown(long epoch, String why) {
                        supervisor.detachAll(epoch, why);
                    }
                });
        this.supervisor =
                new RunSupervisor(options.controllerId(), log, client, metrics, lease, () -> running, options.clock());
    }

    /** Connects, starts the HTTP API and joins the election. Fails fast when Redis or the port cannot be had. */
    public static Controller start(ControllerOptions options) {
        Controller c = new Controller(options);
        try {
            c.refuseTwin();
            c.api = ControllerApi.start(c, options.bind(), options.port(), options.token());
        } catch (RuntimeException e) {
            c.client.close();
            throw e;
        }
        c.flusher.execute(RunSupervisor::warmUp);
        c.scheduleFlush();
        c.leaseThread.start();
        c.loop.start();
        return c;
    }

    public String id() {
        return options.controllerId();
    }

    /**
     * Flushes the journals once the flush interval has passed on the controller's deadlines, then waits again: a
     * fixed delay between the end of one flush and the start of the next, so a slow Redis never piles flushes up.
     */
    private void scheduleFlush() {
        synchronized (flushLock) {
            if (!running) return;
            nextFlush = options.deadlines().after(options.flushEvery(), () -> {
                try {
                    flusher.execute(() -> {
                        try {
                            supervisor.flushAll();
                        } finally {
                            scheduleFlush();
                        }
                    });
                } catch (RejectedExecutionException e) {
                    // stopping: the last flush is the stop's own
                }
            });
        }
    }

    /**
     * Refuses to start beside a live controller of the same id (another instance whose record was written within
     * {@link #twinWindow}): two processes with one id would be one name for two leaders in every log and record.
     */
    private void refuseTwin() {
        Map<String, String> other = runs.controllerRecord(options.controllerId());
        String theirs = other.get("instance");
        if (theirs == null || theirs.equals(instance) || other.get("last_heartbeat") == null) return;
        Duration age;
        try {
            age = Duration.between(Instant.parse(other.get("last_heartbeat")), Instant.now());
        } catch (RuntimeException e) {
            return;
        }
        if (age.compareTo(twinWindow()) < 0) {
            throw new DroverException(
                    "a controller with id '" + options.controllerId() + "' is running (its heartbeat is "
                            + Math.max(0, age.toMillis()) + " ms old, at " + other.getOrDefault("http", "?")
                            + "): give each controller"
                            + " its own --id, or wait " + Durations.format(twinWindow()) + " after stopping it");
        }
    }

    /** How recent a heartbeat of the same id must be to count as a live twin: three records' time (1 s each) and a lease. */
    private Duration twinWindow() {
        return Duration.ofSeconds(3).plus(options.lease());
    }

    public boolean isLeader() {
        return lease.isLeader();
    }

    public long epoch() {
        return lease.epoch();
    }

    public int httpPort() {
        return api.port();
    }

    RunRecords runs() {
        return runs;
    }

    WorkerRecords workers() {
        return workers;
    }

    Client client() {
        return client;
    }

    ControllerMetrics metrics() {
        return metrics;
    }

    // ---- the loop: lease, runs, status ----

    /**
     * Runs, record and alerts. The leader looks at the active runs when woken (a run submitted or asked to cancel:
     * {@link Client#awaitRunWake}), when it has just become leader, and every {@link ControllerOptions#pollEvery}
     * otherwise; the record is written every second, alerts evaluated every 5 s. Between them it waits on the wake
     * stream, at most 100 ms at a time. The lease has a thread of its own ({@link #leaseLoop}), so planning a large
     * run or a slow Redis reply here never delays a renewal.
     */
    private void loop() {
        Outage outage = new Outage("controller", log::warn);
        long nextRecord = 0;
        long nextAlerts = 0;
        long nextSync = 0;
        long syncedEpoch = 0; // the epoch this controller last looked at the runs with
        Client.RunWake wake = Client.RunWake.START;
        boolean woken = true;
        while (running) {
            long now = System.nanoTime();
            try {
                long epoch = lease.epoch();
                if (isLeader() && (woken || epoch != syncedEpoch || now - nextSync >= 0)) {
                    supervisor.syncRuns();
                    syncedEpoch = epoch;
                    nextSync = now + options.pollEvery().toNanos();
                }
                if (now - nextRecord >= 0) {
                    writeRecord();
                    nextRecord = now + TimeUnit.SECONDS.toNanos(1);
                }
                if (isLeader() && now - nextAlerts >= 0) {
                    alerts = metrics.evaluate(log::warn);
                    nextAlerts = now + TimeUnit.SECONDS.toNanos(5);
                }
                long due = isLeader() ? Math.min(nextSync, nextRecord) : nextRecord;
                long wait = Math.min(TimeUnit.MILLISECONDS.toNanos(100), due - System.nanoTime());
                wake = client.awaitRunWake(wake, Duration.ofNanos(Math.max(wait, 1_000_000)));
                woken = wake.woken();
                outage.succeeded();
            } catch (RuntimeException e) {
                if (!running) break;
                woken = true;
                sleep(outage.failed(e));
            }
        }
    }

    /** Takes, keeps or loses the lease ({@link LeaderLease}): every quarter of it, at most every 250 ms. */
    private void leaseLoop() {
        long every = Math.max(100, Math.min(250, options.lease().toMillis() / 4));
        Outage outage = new Outage("leader lease", log::warn);
        while (running) {
            try {
                lease.tick();
                outage.succeeded();
            } catch (RuntimeException e) {
                outage.failed(e); // said once; the lease steps down once its time ran out, the next round tries again
            }
            sleep(every);
        }
    }

    // ---- what others see ----

    private void writeRecord() {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("id", options.controllerId());
        r.put("role", isLeader() ? "leader" : "standby");
        r.put("epoch", Long.toString(lease.epoch()));
        r.put("instance", instance);
        r.put("http", options.bind() + ":" + httpPort());
        r.put("version", Version.current());
        r.put("started_at", startedAt.toString());
        r.put("last_heartbeat", Instant.now().toString());
        r.put("runs", Integer.toString(supervisor.size()));
        runs.writeControllerRecord(options.controllerId(), r, Duration.ofSeconds(30));
        Set<String> queues = client.queues();
        for (String q : queues) metrics.fleetCounters(q, client.counters(q)); // the fleet's: standbys serve them too
        if (isLeader()) refreshGauges(queues);
    }

    private void refreshGauges(Set<String> submittedTo) {
        List<Map<String, String>> ws = workers.list();
        metrics.workersAlive(ws.stream()
                .filter(w -> "running".equals(w.get("status")) || "draining".equals(w.get("status")))
                .count());
        Set<String> queues = new LinkedHashSet<>(submittedTo); // served or not: a queue nobody serves fills up too
        for (Map<String, String> w : ws) queues.add(w.getOrDefault("queue", "default"));
        for (String q : queues) metrics.queueDepth(q, depth(q));
    }

    /** Tasks on a queue's streams (the plain one and the tagged ones) that no worker holds yet. */
    long depth(String queue) {
        return client.backlog(queue).waiting();
    }

    /** What {@code /status} and {@code drover node status} show. */
    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Object> me = new LinkedHashMap<>();
        me.put("id", options.controllerId());
        me.put("role", isLeader() ? "leader" : "standby");
        me.put("epoch", lease.epoch());
        me.put("version", Version.current());
        me.put("started_at", startedAt.toString());
        s.put("controller", me);
        s.put(
                "leader",
                runs.leaseHolder()
                        .<Map<String, Object>>map(l -> Map.of("id", l.controllerId(), "epoch", l.epoch()))
                        .orElse(Map.of()));
        List<Map<String, Object>> controllers = new ArrayList<>();
        for (Map<String, String> h : runs.controllers()) controllers.add(RunRecords.typed(h));
        s.put("controllers", controllers);
        Map<String, Integer> byStatus = new LinkedHashMap<>();
        Set<String> queues = new LinkedHashSet<>(client.queues());
        for (Map<String, String> w : workers.list()) {
            byStatus.merge(w.get("status"), 1, Integer::sum);
            queues.add(w.getOrDefault("queue", "default"));
        }
        s.put("workers", byStatus);
        Map<String, Object> qs = new LinkedHashMap<>();
        for (String q : queues) qs.put(q, Map.of("depth", depth(q)));
        s.put("queues", qs);
        s.put("active_runs", runs.activeCount());
        List<Map<String, String>> as = new ArrayList<>();
        for (ControllerMetrics.Alert a : alerts)
            as.add(Map.of("rule", a.rule(), "severity", a.severity(), "message", a.message()));
        s.put("alerts", as);
        s.put("alerts_from", isLeader() ? "this controller" : "the leader evaluates alerts; this one stands by");
        return s;
    }

    // ---- stopping ----

    /**
     * Stops, returning at once: a leader writes its snapshots, leaves its runs running on the fleet (the next leader
     * resumes them) and gives the lease up, so a standby takes over at once. Idempotent.
     */
    @Override
    public void shutdown() {
        if (!running) return;
        Thread.ofPlatform().name("drover-controller-stop").start(this::stop);
    }

    /** The same as {@link #shutdown()}: a controller's runs go on on the fleet either way. */
    @Override
    public void shutdownNow() {
        shutdown();
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean isTerminated() {
        return stopped.getCount() == 0;
    }

    /** {@link #shutdown()} and waits for it (at most 30 s). */
    @Override
    public void close() {
        shutdown();
        try {
            awaitTermination(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void stop() {
        if (!running) return;
        running = false;
        loop.interrupt();
        leaseThread.interrupt();
        try {
            leaseThread.join(5000);
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (flushLock) { // running is false: no flush is scheduled after this
            nextFlush.run();
        }
        flusher.shutdown();
        try {
            flusher.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lease.epoch() > 0) {
            supervisor.stopAll();
            long was = lease.release();
            if (was > 0) log("gave the lease up (epoch " + was + ")");
        }
        try {
            runs.deleteControllerRecord(options.controllerId());
        } catch (RuntimeException ignored) {
            // expires by itself
        }
        if (api != null) api.stop();
        client.close();
        stopped.countDown();
    }

    /** Waits until it stopped, however long that takes. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** What this controller says ({@link io.drover.core.Log}): at info, what it leads and runs; at warn, what failed. */
    void log(String message) {
        log.info(message);
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            if (!running) return;
            Thread.currentThread().interrupt();
        }
    }
}
