package io.drover.cluster.queue;

import io.drover.core.Version;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The workers' heartbeat records ({@code drover:worker:ID}, listed in {@code drover:workers}) as operators see them,
 * and the drain switch an operator flips on one. Thread-safe.
 */
public final class WorkerRecords {
    /** Written by an operator (drover node drain); the worker reads it on every heartbeat. */
    static final String DRAIN_FIELD = WorkerStore.WORKER_DRAIN_FIELD;

    private final RedisClusterCommands<String, String> redis;

    public WorkerRecords(RedisClusterCommands<String, String> redis) {
        this.redis = redis;
    }

    /**
     * Every worker with a record, by id; each record gets {@code status} as seen now: running, draining, stopping,
     * late (no heartbeat for one TTL), dead (two), or incompatible (another major.minor than this one), and
     * {@code compatible} (true/false). Records that expired are dropped from the set.
     */
    public List<Map<String, String>> list() {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String id : redis.smembers(Keys.WORKERS)) {
            Optional<WorkerId> worker = WorkerId.tryParse(id);
            Map<String, String> h = worker.isEmpty() ? Map.of() : redis.hgetall(Keys.worker(worker.get()));
            if (h.isEmpty() || !h.containsKey("id")) {
                redis.srem(Keys.WORKERS, id); // its record expired: gone for longer than its TTL (or no worker's)
                continue;
            }
            boolean compatible = compatible(h.getOrDefault("version", ""));
            String liveness = liveness(h);
            h.put("compatible", Boolean.toString(compatible));
            h.put("status", !compatible && isAlive(liveness) ? "incompatible" : liveness);
            rows.add(h);
        }
        rows.sort(Comparator.comparing(m -> m.getOrDefault("id", "")));
        return rows;
    }

    /** Whether a status from {@link #list()} means the worker heartbeats. */
    public static boolean isAlive(String status) {
        return switch (status) {
            case "running", "draining", "stopping", "incompatible" -> true;
            default -> false;
        };
    }

    /** running, draining, stopping, late or dead, from the record's own heartbeat time and TTL. */
    public static String liveness(Map<String, String> h) {
        try {
            long age = Duration.between(Instant.parse(h.get("last_heartbeat")), Instant.now())
                    .toMillis();
            long ttl = Long.parseLong(h.getOrDefault("ttl_ms", "30000"));
            return age > 2 * ttl ? "dead" : age > ttl ? "late" : h.getOrDefault("status", "running");
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    /** Same major.minor as this build: the versions whose queue records and task specs read each other. */
    public static boolean compatible(String version) {
        return majorMinor(version).equals(majorMinor(Version.current()));
    }

    public static String majorMinor(String v) {
        String[] p = v.split("[.-]");
        return p.length >= 2 ? p[0] + "." + p[1] : v;
    }

    /**
     * Asks a worker to stop claiming (drain) or to claim again; it acts on its next heartbeat. False when no live
     * record of it exists.
     */
    public boolean drain(WorkerId workerId, boolean drain) {
        if (!Boolean.TRUE.equals(redis.hexists(Keys.worker(workerId), "id"))) return false;
        redis.hset(Keys.worker(workerId), DRAIN_FIELD, drain ? "1" : "0");
        return true;
    }
}
