package io.drover.bench;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.TaskSubmission;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.temporal.testserver.TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the Temporal executor costs a task ({@code bench/temporal.sh}): the same no-op shell tasks through one worker
 * with {@code --executor local} and with {@code --executor temporal} (against temporal-testing's test service in this
 * process, on a loopback port), interleaved round by round. Latency: tasks one at a time, submit to the worker's
 * record of the outcome; throughput: {@code --tasks} submitted at once, to the last outcome. Medians of the rounds.
 *
 * <pre>
 * TemporalBench --redis-url URL [--tasks 200] [--latency 50] [--concurrency 8] [--rounds 3]
 * </pre>
 */
public final class TemporalBench {
    private TemporalBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        for (String k : a.keySet()) {
            if (!List.of("--redis-url", "--tasks", "--latency", "--concurrency", "--rounds")
                    .contains(k)) {
                System.err.println("bench/temporal.sh: unknown option '" + k
                        + "' (--tasks N, --latency N, --concurrency N, --rounds N)");
                System.exit(2);
            }
        }
        String redisUrl = a.get("--redis-url");
        int tasks = Integer.parseInt(a.getOrDefault("--tasks", "200"));
        int latencyTasks = Integer.parseInt(a.getOrDefault("--latency", "50"));
        int concurrency = Integer.parseInt(a.getOrDefault("--concurrency", "8"));
        int rounds = Integer.parseInt(a.getOrDefault("--rounds", "3"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        TestServer.PortBoundTestServer server =
                TestServer.createPortBoundServer(port, true); // true: time skipping locked, real time
        Path work = Files.createTempDirectory("drover-temporal-bench");
        Map<String, List<Double>> p50 = new LinkedHashMap<>();
        Map<String, List<Double>> p90 = new LinkedHashMap<>();
        Map<String, List<Double>> rate = new LinkedHashMap<>();
        try (Client client = Client.connect(redisUrl)) {
            for (int round = 0; round <= rounds; round++) { // round 0 warms both up
                for (String executor : List.of("local", "temporal")) {
                    Map<String, CountDownLatch> done = new ConcurrentHashMap<>();
                    Map<String, Long> ended = new ConcurrentHashMap<>();
                    WorkerOptions.Builder b = WorkerOptions.builder(redisUrl)
                            .workerId(executor + "-" + round)
                            .concurrency(concurrency)
                            .workdir(work.resolve(executor + "-" + round))
                            .onTaskDone((id, attempt, outcome, accepted) -> {
                                ended.put(id.toString(), System.nanoTime());
                                CountDownLatch l = done.get(id.toString());
                                if (l != null) l.countDown();
                            });
                    if (executor.equals("temporal")) {
                        b.executor("temporal", Map.of("host", "127.0.0.1:" + port, "task_queue", "bench-" + round));
                    }
                    try (Worker w = Worker.start(b.build())) {
                        List<Double> lat = new ArrayList<>();
                        for (int i = 0; i < latencyTasks; i++) {
                            CountDownLatch l = new CountDownLatch(1);
                            long t0 = System.nanoTime();
                            String id = client.submit(TaskSubmission.shell("true"));
                            done.put(id, l);
                            if (ended.containsKey(id)) l.countDown();
                            if (!l.await(60, TimeUnit.SECONDS))
                                throw new IllegalStateException("task " + id + " did not end");
                            lat.add((ended.get(id) - t0) / 1e6);
                        }
                        Collections.sort(lat);
                        CountDownLatch all = new CountDownLatch(tasks);
                        List<TaskSubmission> batch = new ArrayList<>();
                        for (int i = 0; i < tasks; i++) batch.add(TaskSubmission.shell("true"));
                        long t0 = System.nanoTime();
                        for (String id : client.submitAll(batch)) {
                            done.put(id, all);
                            if (ended.containsKey(id)) all.countDown();
                        }
                        if (!all.await(300, TimeUnit.SECONDS)) throw new IllegalStateException("tasks did not end");
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        if (round > 0) {
                            p50.computeIfAbsent(executor, k -> new ArrayList<>())
                                    .add(lat.get(lat.size() / 2));
                            p90.computeIfAbsent(executor, k -> new ArrayList<>())
                                    .add(lat.get((int) (lat.size() * 0.9)));
                            rate.computeIfAbsent(executor, k -> new ArrayList<>())
                                    .add(tasks / seconds);
                        }
                        System.out.printf(
                                Locale.ROOT,
                                "round %d %-8s latency p50 %.1f ms p90 %.1f ms, %d tasks at once: %.0f tasks/s%n",
                                round,
                                executor,
                                lat.get(lat.size() / 2),
                                lat.get((int) (lat.size() * 0.9)),
                                tasks,
                                tasks / seconds);
                    }
                }
            }
        } finally {
            server.close();
        }
        System.out.printf(Locale.ROOT, "%nmedians of %d rounds (concurrency %d):%n", rounds, concurrency);
        for (String e : p50.keySet()) {
            System.out.printf(
                    Locale.ROOT,
                    "  %-8s latency p50 %.1f ms, p90 %.1f ms; throughput %.0f tasks/s%n",
                    e,
                    median(p50.get(e)),
                    median(p90.get(e)),
                    median(rate.get(e)));
        }
        System.exit(0); // the SDK's and the test service's threads
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
