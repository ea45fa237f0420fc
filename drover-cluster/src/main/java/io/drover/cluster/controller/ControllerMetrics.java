package io.drover.cluster.controller;

import io.drover.core.engine.TaskState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What a controller measures (Micrometer, served as Prometheus text on {@code /metrics}) and the alert rules the
 * leader evaluates on it. Thread-safe.
 *
 * <p>Alerts: queue depth over 100 (warning) or 500 (critical); more than 10% of the tasks that ended in the last
 * five minutes failed (at least 10 of them); no live worker; a task of a run waited more than 60 s from READY to
 * dispatched in the last minute (the run's concurrency or the scheduler held it back).
 */
public final class ControllerMetrics {
    static final int DEPTH_WARN = 100;
    static final int DEPTH_CRITICAL = 500;
    static final double FAILURE_RATE = 0.10;
    static final Duration WAIT_LIMIT = Duration.ofSeconds(60);
    private static final Duration FAILURE_WINDOW = Duration.ofMinutes(5);
    private static final Duration WAIT_WINDOW = Duration.ofMinutes(1);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter submitted;
    private final Counter retried;
    private final Timer duration;
    private final Timer waitTime;
    /** Live workers as the leader last counted them; -1 until this controller, as leader, has counted them. */
    private final AtomicLong workersAlive = new AtomicLong(-1);

    private final Map<String, AtomicLong> depth = new ConcurrentHashMap<>();
    private final ArrayDeque<long[]> outcomes = new ArrayDeque<>(); // {at ms, failed 0/1}
    private final ArrayDeque<long[]> waits = new ArrayDeque<>(); // {at ms, wait ms}
    private final Map<String, Alert> firing = new LinkedHashMap<>();

    /** One alert that fires: its rule, severity and what was measured. */
    public record Alert(String rule, String severity, String message) {}

    /** The fleet's counter names by the field of a queue's counters hash ({@code Client#counters}). */
    private static final Map<String, String> FLEET = Map.of(
            "submitted",
            "drover.tasks.submitted",
            "succeeded",
            "drover.tasks.completed",
            "failed",
            "drover.tasks.failed",
            "retried",
            "drover.tasks.retried",
            "cancelled",
            "drover.tasks.cancelled",
            "skipped",
            "drover.tasks.skipped",
            "dead_lettered",
            "drover.tasks.dead_lettered");

    private final Map<String, AtomicLong> fleet = new ConcurrentHashMap<>();
    /** The wall clock the alert windows are measured on (ms). */
    private final LongSupplier clock;

    public ControllerMetrics() {
        this(System::currentTimeMillis);
    }

    /** With the clock the alert windows are measured on, in milliseconds; for tests. */
    ControllerMetrics(LongSupplier clock) {
        this.clock = clock;
        submitted = Counter.builder("drover.controller.attempts.dispatched")
                .description("Attempts this controller's runs dispatched to the queue")
                .register(registry);
        retried = Counter.builder("drover.controller.attempts.retried")
                .description("Of those, attempts after the first")
                .register(registry);
        duration = Timer.builder("drover.task.duration")
                .description("First attempt start to end")
                .publishPercentileHistogram()
                .register(registry);
        waitTime = Timer.builder("drover.task.wait")
                .description("Ready to dispatched")
                .publishPercentileHistogram()
                .register(registry);
        Gauge.builder("drover.workers.alive", workersAlive, a -> a.get() < 0 ? Double.NaN : a.get())
                .register(registry);
    }

    void dispatched(boolean retry) {
        submitted.increment();
        if (retry) retried.increment();
    }

    void ended(TaskState state, long millis) {
        if (millis > 0) duration.record(millis, TimeUnit.MILLISECONDS);
        if (state == TaskState.SUCCEEDED || state == TaskState.FAILED) {
            synchronized (outcomes) {
                outcomes.add(new long[] {clock.getAsLong(), state == TaskState.FAILED ? 1 : 0});
                if (outcomes.size() > 100_000) outcomes.poll();
            }
        }
    }

    void waited(long millis) {
        waitTime.record(millis, TimeUnit.MILLISECONDS);
        synchronized (waits) {
            waits.add(new long[] {clock.getAsLong(), millis});
            if (waits.size() > 100_000) waits.poll();
        }
    }

    void runEnded(String state) {
        Counter.builder("drover.runs.ended")
                .tag("state", state)
                .register(registry)
                .increment();
    }

    void workersAlive(long n) {
        workersAlive.set(n);
    }

    /**
     * Forgets the gauges only a leader measures (on stepping down): a controller that leads again evaluates no rule
     * on a count it has not taken itself, so a new leader raises no "no live worker" before it has counted them.
     */
    void unmeasured() {
        workersAlive.set(-1);
    }

    /**
     * The fleet's counters of a queue as Redis holds them (every task, also those of {@code drover task submit},
     * whichever controller leads): served as counters tagged with the queue, the same on every controller.
     */
    void fleetCounters(String queue, Map<String, Long> counts) {
        counts.forEach((field, n) -> {
            String name = FLEET.get(field);
            if (name == null) return;
            fleet.computeIfAbsent(field + "\u0000" + queue, k -> {
                        AtomicLong a = new AtomicLong();
                        FunctionCounter.builder(name, a, AtomicLong::get)
                                .tag("queue", queue)
                                .description("Tasks of the fleet (kept in Redis)")
                                .register(registry);
                        return a;
                    })
                    .set(n);
        });
    }

    void queueDepth(String queue, long n) {
        depth.computeIfAbsent(queue, q -> {
                    AtomicLong a = new AtomicLong();
                    Gauge.builder("drover.queue.depth", a, AtomicLong::get)
                            .tag("queue", q)
                            .register(registry);
                    return a;
                })
                .set(n);
    }

    /** Prometheus text exposition. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Evaluates the rules on what was measured; {@code log} hears each alert that fires or clears. Returns what
     * fires now.
     */
    synchronized List<Alert> evaluate(Consumer<String> log) {
        Map<String, Alert> now = new LinkedHashMap<>();
        depth.forEach((q, d) -> {
            long n = d.get();
            if (n > DEPTH_CRITICAL)
                now.put(
                        "queue_depth:" + q,
                        new Alert(
                                "queue_depth",
                                "critical",
                                "queue " + q + " holds " + n + " tasks (> " + DEPTH_CRITICAL + ")"));
            else if (n > DEPTH_WARN)
                now.put(
                        "queue_depth:" + q,
                        new Alert(
                                "queue_depth",
                                "warning",
                                "queue " + q + " holds " + n + " tasks (> " + DEPTH_WARN + ")"));
        });
        long cutoff = clock.getAsLong() - FAILURE_WINDOW.toMillis();
        long total = 0;
        long failedN = 0;
        synchronized (outcomes) {
            while (!outcomes.isEmpty() && outcomes.peek()[0] < cutoff) outcomes.poll();
            for (long[] o : outcomes) {
                total++;
                failedN += o[1];
            }
        }
        if (total >= 10 && failedN > FAILURE_RATE * total) {
            now.put(
                    "failure_rate",
                    new Alert(
                            "failure_rate",
                            "warning",
                            String.format(
                                    "%d of the last %d tasks failed (%.0f%% > 10%%)",
                                    failedN, total, 100.0 * failedN / total)));
        }
        if (workersAlive.get() == 0)
            now.put("no_workers", new Alert("no_workers", "critical", "no live worker")); // -1: not counted yet
        long waitCutoff = clock.getAsLong() - WAIT_WINDOW.toMillis();
        long maxWait = 0;
        synchronized (waits) {
            while (!waits.isEmpty() && waits.peek()[0] < waitCutoff) waits.poll();
            for (long[] w : waits) maxWait = Math.max(maxWait, w[1]);
        }
        if (maxWait > WAIT_LIMIT.toMillis()) {
            now.put(
                    "wait_time",
                    new Alert("wait_time", "warning", "a task waited " + maxWait / 1000 + " s to start (> 60 s)"));
        }
        for (var e : now.entrySet()) {
            Alert before = firing.get(e.getKey());
            if (before == null || !before.severity().equals(e.getValue().severity())) {
                log.accept(
                        "alert " + e.getValue().severity() + ": " + e.getValue().message());
            }
        }
        for (var e : firing.entrySet()) {
            if (!now.containsKey(e.getKey()))
                log.accept("alert cleared: " + e.getValue().rule() + " ("
                        + e.getValue().message() + ")");
        }
        firing.clear();
        firing.putAll(now);
        return new ArrayList<>(now.values());
    }

    synchronized List<Alert> firing() {
        return new ArrayList<>(firing.values());
    }
}
