package io.drover.bench;

import io.drover.cluster.queue.RedisLink;
import io.drover.core.state.StateScope;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStores;
import io.drover.core.state.Versioned;
import io.drover.state.JdbcStateProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The state store's calls per second on each store ({@code bench/state.sh}): set, get, incr, compare-and-set and a
 * lock's round trip (lock + unlock), from one thread and from {@code --threads} threads at once (each on a key of its
 * own, but incr, which all share: the contended counter). Each figure is the median of {@code --reps} windows of
 * {@code --seconds} after a warm-up window. For Redis, the same loop of raw SETs through the same client (the storage
 * layer's connection) is the baseline the store's set is compared with.
 *
 * <pre>
 * StateBench --redis-url URL [--postgres-url URL] [--sqlite-dir DIR] [--threads 50] [--seconds 2] [--reps 3]
 * </pre>
 */
public final class StateBench {
    private StateBench() {}

    @FunctionalInterface
    private interface Op {
        void run(int thread, long i);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        int threads = Integer.parseInt(a.getOrDefault("--threads", "50"));
        double seconds = Double.parseDouble(a.getOrDefault("--seconds", "2"));
        int reps = Integer.parseInt(a.getOrDefault("--reps", "3"));
        Map<String, String> stores = new LinkedHashMap<>();
        Path sqliteDir = Path.of(a.getOrDefault(
                "--sqlite-dir", Files.createTempDirectory("drover-state-bench").toString()));
        stores.put("sqlite", "sqlite:" + sqliteDir.resolve("state.db"));
        String schema = null;
        if (a.containsKey("--postgres-url")) {
            schema = "drover_bench_"
                    + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            stores.put(
                    "postgres",
                    a.get("--postgres-url") + (a.get("--postgres-url").contains("?") ? "&" : "?") + "schema=" + schema
                            + "&pool=" + Math.min(threads, 50));
        }
        if (a.containsKey("--redis-url")) stores.put("redis", a.get("--redis-url"));
        System.out.printf(
                Locale.ROOT,
                "state store calls/s: median of %d windows of %.1f s; 1 thread and %d threads; %d cores, JDK %s%n",
                reps,
                seconds,
                threads,
                Runtime.getRuntime().availableProcessors(),
                Runtime.version());
        System.out.printf(Locale.ROOT, "%-9s %-8s %12s %12s%n", "store", "call", "1 thread", threads + " threads");
        try {
            for (var e : stores.entrySet()) {
                try (StateStore store = StateStores.open(e.getValue(), sqliteDir, Clock.systemUTC())) {
                    StateScope s = store.scope("bench-" + UUID.randomUUID());
                    String value = "{\"version\":\"1.4.2\",\"by\":\"bench\"}";
                    long[] versions = new long[threads];
                    Map<String, Op> ops = new LinkedHashMap<>();
                    ops.put("set", (t, i) -> s.set("k" + t, value, null));
                    ops.put("get", (t, i) -> s.get("k" + t));
                    ops.put("incr", (t, i) -> s.incr("counter", 1));
                    ops.put("cas", (t, i) -> {
                        long v = s.cas("c" + t, versions[t], value, null);
                        if (v == 0) { // first call, or another window's
                            Versioned cur = s.get("c" + t);
                            versions[t] = cur == null ? 0 : cur.version();
                        } else {
                            versions[t] = v;
                        }
                    });
                    ops.put("lock", (t, i) -> {
                        long token = s.lock("l" + t, Duration.ofMinutes(1));
                        s.unlock("l" + t, token);
                    });
                    for (var op : ops.entrySet()) {
                        double one = rate(op.getValue(), 1, seconds, reps);
                        double many = rate(op.getValue(), threads, seconds, reps);
                        System.out.printf(Locale.ROOT, "%-9s %-8s %12.0f %12.0f%n", e.getKey(), op.getKey(), one, many);
                    }
                }
                if (e.getKey().equals("redis")) {
                    try (RedisLink link = RedisLink.connect(e.getValue())) {
                        String value = "{\"version\":\"1.4.2\",\"by\":\"bench\"}";
                        Op raw = (t, i) -> link.sync().set("bench:raw:" + t, value);
                        System.out.printf(
                                Locale.ROOT,
                                "%-9s %-8s %12.0f %12.0f%n",
                                "redis",
                                "raw SET",
                                rate(raw, 1, seconds, reps),
                                rate(raw, threads, seconds, reps));
                    }
                }
            }
        } finally {
            if (schema != null) dropSchema(a.get("--postgres-url"), schema);
        }
    }

    /** Calls per second of {@code op} from {@code threads} threads: the median of {@code reps} timed windows. */
    private static double rate(Op op, int threads, double seconds, int reps) throws InterruptedException {
        window(op, threads, seconds); // warm-up: as long as a measured window
        double[] rates = new double[reps];
        for (int r = 0; r < reps; r++) rates[r] = window(op, threads, seconds);
        Arrays.sort(rates);
        return rates[reps / 2];
    }

    private static double window(Op op, int threads, double seconds) throws InterruptedException {
        LongAdder done = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts.add(Thread.ofPlatform().start(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long i = 0;
                while (!stop.get()) {
                    op.run(id, i++);
                    done.increment();
                }
            }));
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        Thread.sleep((long) (seconds * 1000));
        stop.set(true);
        long count = done.sum();
        long elapsed = System.nanoTime() - start;
        for (Thread t : ts) t.join();
        return count / (elapsed / 1e9);
    }

    private static void dropSchema(String url, String schema) {
        try {
            JdbcStateProvider.dropSchema(url, schema);
        } catch (RuntimeException e) {
            System.err.println("could not drop schema " + schema + ": " + e.getMessage());
        }
    }
}
