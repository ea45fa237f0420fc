package io.drover.cluster;

import io.lettuce.core.RedisClient;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A Redis Cluster of the test's own: three redis-server processes in cluster mode on free loopback ports, the
 * 16,384 slots split between them, joined with CLUSTER MEET. Stopped (and only they) by {@link #close()}.
 */
public final class RedisClusterServers implements AutoCloseable {
    private final List<RedisServer> nodes = new ArrayList<>();

    public static RedisClusterServers start() throws Exception {
        RedisClusterServers c = new RedisClusterServers();
        try {
            for (int i = 0; i < 3; i++) {
                c.nodes.add(RedisServer.start(
                        false,
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000"));
            }
            int per = 16384 / 3;
            for (int i = 0; i < 3; i++) {
                int from = i * per;
                int to = i == 2 ? 16383 : (i + 1) * per - 1;
                try (RedisClient rc = RedisClient.create(c.nodes.get(i).url());
                        var conn = rc.connect()) {
                    conn.sync().clusterAddSlots(IntStream.rangeClosed(from, to).toArray());
                    if (i > 0)
                        conn.sync().clusterMeet("127.0.0.1", c.nodes.get(0).port());
                }
            }
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!c.ready()) {
                if (System.nanoTime() > deadline)
                    throw new IllegalStateException("the test cluster did not become ready");
                Thread.sleep(100);
            }
            return c;
        } catch (Exception e) {
            c.close();
            throw e;
        }
    }

    private boolean ready() {
        for (RedisServer n : nodes) {
            try (RedisClient rc = RedisClient.create(n.url());
                    var conn = rc.connect()) {
                String info = conn.sync().clusterInfo();
                if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:3")) return false;
            }
        }
        return true;
    }

    /** {@code redis-cluster://127.0.0.1:p1,127.0.0.1:p2}: two seeds are enough, the client learns the rest. */
    public String url() {
        return "redis-cluster://127.0.0.1:" + nodes.get(0).port() + ",127.0.0.1:"
                + nodes.get(1).port();
    }

    @Override
    public void close() throws InterruptedException {
        for (RedisServer n : nodes) n.close();
    }
}
