package io.drover.cluster.worker;

import io.drover.cluster.queue.Outage;
import io.drover.cluster.queue.WorkerStore;
import io.drover.core.Version;
import io.drover.core.process.Cancellation;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The worker's heartbeat manager, every {@link WorkerContext#beatMillis} on a thread of its own: renews the leases
 * of what the worker holds (and hears of cancels and lost leases), trims acknowledged entries, promotes retries
 * that came due, reads the operator's drain flag and writes the worker's record.
 */
final class Heartbeat {
    private final WorkerContext w;
    private final Outage outage;

    Heartbeat(WorkerContext w) {
        this.w = w;
        this.outage = new Outage("heartbeat", w.log::warn);
    }

    void beat() {
        try {
            renewLeases();
            // acknowledged entries stay in the streams until this trim (one XTRIM of whole nodes, not an XDEL per task)
            for (String stream : w.streams) w.store.trim(stream);
            w.store.promoteDue(w.options.clock().millis(), 500);
            boolean drain = w.store.drainRequested();
            if (drain != w.draining)
                w.log.info(
                        drain
                                ? "draining: no new tasks; " + w.held.size() + " running go on"
                                : "resumed: claiming again");
            w.draining = drain;
            writeRecord(w.stopping.get() ? "stopping" : w.draining ? "draining" : "running");
            // Records expire after the retention; the index's minutes go with them (their lists expire by themselves).
            w.store.prune(System.currentTimeMillis() - w.options.retention().toMillis());
            sweepFileStore();
            outage.succeeded();
        } catch (RuntimeException e) {
            outage.failed(e); // the next beat comes at its time; leases this worker cannot renew lapse meanwhile
        }
    }

    private long nextSweep = System.nanoTime();

    /** Hourly, on a thread of its own: contents of the shared file store unused for the retention go. */
    private void sweepFileStore() {
        if (w.options.fileStore() == null || System.nanoTime() < nextSweep) return;
        nextSweep = System.nanoTime() + TimeUnit.HOURS.toNanos(1);
        Thread.ofVirtual().name("drover-file-sweep").start(() -> {
            try {
                int n = w.files().store().sweepShared();
                if (n > 0) w.log.info("removed " + n + " unused contents from the file store " + w.options.fileStore());
            } catch (IOException | RuntimeException e) {
                w.log.warn("could not sweep the file store " + w.options.fileStore() + ": " + e.getMessage());
            }
        });
    }

    private void renewLeases() {
        List<Attempt> now = new ArrayList<>(w.held.values());
        if (now.isEmpty()) return;
        List<WorkerStore.Renewal> r =
                w.store.renew(now.stream().map(Attempt::lease).toList());
        for (int i = 0; i < now.size(); i++) {
            Attempt a = now.get(i);
            switch (r.get(i)) {
                case CANCEL_REQUESTED -> a.cancellation.cancel(Cancellation.Cause.CANCELLED, "cancelled on request");
                case LOST -> a.leaseLost();
                case RENEWED -> {}
            }
        }
    }

    /** Writes the worker's record ({@code drover node list} reads it) with {@code status}. */
    void writeRecord(String status) {
        WorkerOptions o = w.options;
        Map<String, String> r = new LinkedHashMap<>();
        r.put("id", o.workerId().toString());
        r.put("status", status);
        r.put("queue", o.queue());
        r.put("concurrency", Integer.toString(o.concurrency()));
        r.put("processed", Long.toString(w.processed.get()));
        r.put("failed", Long.toString(w.failed.get()));
        r.put("running", String.join(",", w.running()));
        r.put("started_at", w.startedAt.toString());
        r.put("last_heartbeat", Instant.now().toString());
        r.put("hostname", hostname());
        r.put("version", Version.current());
        r.put("ttl_ms", Long.toString(o.recordTtl().toMillis()));
        r.put(
                "tags",
                String.join(
                        ",",
                        o.tags().entrySet().stream()
                                .map(e -> e.getKey() + "=" + e.getValue())
                                .sorted()
                                .toList()));
        w.store.writeRecord(r, o.recordTtl().multipliedBy(10));
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
