package io.drover.bench;

import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisLink;
import io.drover.core.lua.Json;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bare loops the queue is measured against ({@code bench/queue.sh --baseline streams|records|outcomes}), in the
 * same processes as the real bench (this JVM submits, {@code --workers} JVMs consume) and through the same client
 * library, with no task run, lease, fencing or script. {@code streams}: XADD (pipelined by 5,000; entries shaped
 * like Drover's: v, id, spec), XREADGROUP COUNT 100 and one XACK per read: the price of moving entries at all.
 * {@code records}: the same plus the writes the issue asks of every task, as plain pipelined commands (the record
 * written PENDING at submit; the outcome written and given its retention): the floor of that data model.
 * {@code outcomes}: without the record at submit (a design where the stream entry is a queued task's record).
 */
@SuppressWarnings(
        "FutureReturnValueIgnored") // pipelined: each batch waits on its last reply, as Redis answers in order
final class StreamBaseline {
    private static final String GROUP = "workers";
    static final List<String> MODES = List.of("streams", "records", "outcomes");

    private StreamBaseline() {}

    static void run(String url, int tasks, int workers, int warmup, String mode) throws Exception {
        boolean records = !mode.equals("streams");
        boolean submitRecords = mode.equals("records");
        String stream = "baseline-" + Long.toHexString(System.nanoTime());
        List<Process> procs = new ArrayList<>();
        try (Client client = Client.connect(url);
                RedisLink link = RedisLink.connect(url)) {
            link.sync()
                    .xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
            System.out.printf(
                    "bare stream loop: %d entries, %d consumer processes, stream %s%n", tasks, workers, stream);
            for (int w = 0; w < workers; w++) {
                procs.add(QueueBench.startChild(
                        List.of("--baseline-consumer", url, stream, "c" + w, Boolean.toString(records))));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (link.sync().xinfoConsumers(stream, GROUP).size() < workers) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("consumers did not start");
                Thread.sleep(50);
            }
            submit(link, stream, warmup, "w", submitRecords);
            drain(link, stream);

            Map<String, long[]> statsBefore = QueueBench.commandStats(client);
            double redisBefore = QueueBench.redisCpuSeconds(client);
            long meBefore = QueueBench.cpuMicros(ProcessHandle.current().pid());
            long consumersBefore =
                    procs.stream().mapToLong(p -> QueueBench.cpuMicros(p.pid())).sum();
            long t0 = System.nanoTime();
            submit(link, stream, tasks, "t", submitRecords);
            drain(link, stream);
            long t1 = System.nanoTime();
            long calls =
                    QueueBench.commandCalls(QueueBench.commandStats(client)) - QueueBench.commandCalls(statsBefore);
            double secs = (t1 - t0) / 1e9;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("mode", "baseline-" + mode);
            r.put("tasks", tasks);
            r.put("workers", workers);
            r.put("tasks_per_s", Math.round(tasks / secs));
            r.put("total_s", QueueBench.round(secs));
            r.put("redis_commands_per_task", QueueBench.round((double) calls / tasks));
            r.put(
                    "redis_cpu_us_per_task",
                    QueueBench.round((QueueBench.redisCpuSeconds(client) - redisBefore) * 1e6 / tasks));
            r.put(
                    "submitter_cpu_us_per_task",
                    QueueBench.round((double) (QueueBench.cpuMicros(
                                            ProcessHandle.current().pid())
                                    - meBefore)
                            / tasks));
            r.put(
                    "workers_cpu_us_per_task",
                    QueueBench.round((double) (procs.stream()
                                            .mapToLong(p -> QueueBench.cpuMicros(p.pid()))
                                            .sum()
                                    - consumersBefore)
                            / tasks));
            System.out.printf(
                    Locale.ROOT, "bare loop: %,d entries in %.2f s = %,.0f entries/s%n", tasks, secs, tasks / secs);
            QueueBench.printTopCommands(statsBefore, QueueBench.commandStats(client), tasks);
            System.out.println(Json.write(r));
            link.sync().del(stream);
        } finally {
            QueueBench.stopChildren(procs);
        }
    }

    private static void submit(RedisLink link, String stream, int n, String prefix, boolean records) {
        var async = link.async();
        for (int from = 0; from < n; from += 5000) {
            List<RedisFuture<String>> fs = new ArrayList<>(5000);
            int to = Math.min(n, from + 5000);
            int start = from;
            link.pipelined(() -> {
                for (int i = start; i < to; i++) {
                    String id = stream + "." + prefix + i;
                    String spec = "{\"kind\":\"lua\",\"command\":\"return true\"}";
                    fs.add(async.xadd(stream, "v", "2", "id", id, "spec", spec));
                    if (records) {
                        // the record Drover writes at submit, without the entry id (a plain pipeline cannot pass it on)
                        async.hset(
                                stream + ":task:" + id,
                                Map.of(
                                        "state",
                                        "PENDING",
                                        "submitted_us",
                                        Long.toString(System.nanoTime() / 1000),
                                        "stream",
                                        stream,
                                        "id",
                                        id,
                                        "spec",
                                        spec));
                    }
                }
            });
            for (var f : fs) {
                try {
                    f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Waits until every entry was delivered and acknowledged (XINFO GROUPS: lag and pending both 0). */
    private static void drain(RedisLink c, String stream) throws InterruptedException {
        while (true) {
            Thread.sleep(20);
            List<Object> groups = c.sync().xinfoGroups(stream);
            @SuppressWarnings("unchecked")
            List<Object> g = (List<Object>) groups.get(0);
            long pending = -1;
            long lag = -1;
            for (int i = 0; i + 1 < g.size(); i += 2) {
                if ("pending".equals(g.get(i))) pending = (Long) g.get(i + 1);
                if ("lag".equals(g.get(i))) lag = (Long) g.get(i + 1);
            }
            if (pending == 0 && lag == 0) return;
        }
    }

    /**
     * A consumer process: read up to 100 new entries, acknowledge them in one XACK, again. With {@code records}, each
     * entry's outcome is also written to its record and the record given its retention (HSET and EXPIRE, pipelined):
     * the writes Drover's queue makes per task, without its fencing and without a script.
     */
    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    static void consume(String url, String stream, String name, boolean records) {
        try (RedisLink link = RedisLink.connect(url)) {
            var sync = link.sync();
            var async = link.async();
            Consumer<String> me = Consumer.from(GROUP, name);
            sync.xgroupCreateconsumer(stream, me); // a blocked first read does not make it visible yet (Redis 7.0)
            var args = XReadArgs.Builder.count(100).block(1000);
            var offset = XReadArgs.StreamOffset.lastConsumed(stream);
            while (true) {
                List<StreamMessage<String, String>> msgs = sync.xreadgroup(me, args, offset);
                if (msgs == null || msgs.isEmpty()) continue;
                String[] ids = new String[msgs.size()];
                for (int i = 0; i < ids.length; i++) ids[i] = msgs.get(i).getId();
                if (records) {
                    String now = Long.toString(System.nanoTime() / 1000);
                    link.pipelined(() -> {
                        for (StreamMessage<String, String> m : msgs) {
                            String key = stream + ":task:" + m.getBody().get("id");
                            async.hset(
                                    key,
                                    Map.of(
                                            "state",
                                            "SUCCEEDED",
                                            "message",
                                            "",
                                            "outputs",
                                            "{}",
                                            "attempt",
                                            "1",
                                            "worker",
                                            name,
                                            "started_us",
                                            now,
                                            "finished_us",
                                            now));
                            async.expire(key, 86400);
                        }
                        async.xack(stream, GROUP, ids);
                    });
                } else {
                    async.xack(stream, GROUP, ids);
                }
            }
        }
    }
}
