package io.drover.cluster.queue;

import io.drover.core.DroverException;
import io.drover.core.Errors;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * A connection to Redis, whichever way it is deployed: {@code redis://} and {@code rediss://} (one server, TLS,
 * user and password), {@code redis-sentinel://} (through Sentinel), and Redis Cluster as
 * {@code redis-cluster://[user:password@]host:port[,host:port...]} ({@code rediss-cluster://} for TLS). Everything
 * Drover sends works on all of them: keys touched together share a hash tag, so a script never spans slots.
 * The commands are thread-safe; {@link #pipelined} is not: it turns auto-flush off for the whole connection, so
 * pipeline on a connection of its own ({@link #another()}).
 */
public final class RedisLink implements AutoCloseable {
    static {
        // Lettuce records a JFR event per connection by default; setting JFR up costs a short command a tenth of a
        // second. -Dio.lettuce.core.jfr=true brings the events back for those who record them.
        if (System.getProperty("io.lettuce.core.jfr") == null) System.setProperty("io.lettuce.core.jfr", "false");
    }

    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> sync;
    private final RedisClusterAsyncCommands<String, String> async;
    private final String url;
    /** A connection for binary values (file contents), opened when first needed and closed with this link. */
    private StatefulConnection<byte[], byte[]> binary;

    /** Whether closing this link shuts its client down (the first link of a client; not {@link #another()}'s). */
    private final boolean owner;

    private RedisLink(
            String url,
            AbstractRedisClient client,
            boolean owner,
            StatefulConnection<String, String> connection,
            RedisClusterCommands<String, String> sync,
            RedisClusterAsyncCommands<String, String> async) {
        this.url = url;
        this.client = client;
        this.owner = owner;
        this.connection = connection;
        this.sync = mapped(sync);
        this.async = async;
    }

    /** Connects (fails fast, with the password masked, when Redis cannot be reached). */
    @SuppressWarnings(
            "FutureReturnValueIgnored") // the client's resources shut down in the background; nothing waits for them
    public static RedisLink connect(String url) {
        RedisUrls.check(url);
        AbstractRedisClient client = null;
        try {
            if (isCluster(url)) {
                RedisClusterClient c = RedisClusterClient.create(resources(), clusterUris(url));
                client = c;
                return open(url, c);
            }
            RedisClient c = RedisClient.create(resources(), url);
            client = c;
            return open(url, c);
        } catch (RuntimeException e) {
            if (client != null) {
                client.shutdown();
                client.getResources().shutdown();
            }
            throw unreachable(url, e);
        }
    }

    /**
     * Why Redis could not be had, as Redis said it when it answered ({@code WRONGPASS}, {@code NOPERM}, {@code DB
     * index is out of range}: never retryable), else the cause Lettuce found (refused, timed out).
     */
    public static DroverException unreachable(String url, Throwable e) {
        RedisCommandExecutionException said = refusal(e, 0);
        if (said != null) {
            return new DroverException(
                    "Redis at " + RedisUrls.masked(url) + " refused the connection: " + said.getMessage(), e, false);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String why = root == e ? Errors.describe(e) : Errors.describe(root);
        return new DroverException("cannot reach Redis at " + RedisUrls.masked(url) + ": " + why, e, true);
    }

    /**
     * Lettuce's defaults, without its per-command latency statistics: nothing reads them, and recording them was
     * about 2% of a busy worker's CPU. Shut down with the client ({@link #close}).
     */
    private static ClientResources resources() {
        return DefaultClientResources.builder()
                .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                .build();
    }

    private static RedisLink open(String url, RedisClusterClient c) {
        StatefulRedisClusterConnection<String, String> conn = c.connect();
        return new RedisLink(url, c, true, conn, conn.sync(), conn.async());
    }

    private static RedisLink open(String url, RedisClient c) {
        var conn = c.connect();
        return new RedisLink(url, c, true, conn, conn.sync(), conn.async());
    }

    /** A second connection through the same client (for blocking reads that must not hold up the first). */
    public RedisLink another() {
        if (client instanceof RedisClusterClient c) {
            StatefulRedisClusterConnection<String, String> conn = c.connect();
            return new RedisLink(url, c, false, conn, conn.sync(), conn.async());
        }
        var conn = ((RedisClient) client).connect();
        return new RedisLink(url, client, false, conn, conn.sync(), conn.async());
    }

    /**
     * Commands on byte arrays (file contents, listings: {@link RedisBlobs}), on a connection of their own opened the
     * first time and closed with this link. Failures are mapped like {@link #sync}'s.
     */
    synchronized RedisClusterAsyncCommands<byte[], byte[]> binary() {
        if (binary == null) {
            binary = client instanceof RedisClusterClient c
                    ? c.connect(ByteArrayCodec.INSTANCE)
                    : ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
        }
        return binary instanceof StatefulRedisClusterConnection<byte[], byte[]> c
                ? c.async()
                : ((StatefulRedisConnection<byte[], byte[]>) binary).async();
    }

    /** Redis's own refusal among an exception's causes and suppressed ones (a closed handshake may carry it there). */
    private static RedisCommandExecutionException refusal(Throwable t, int depth) {
        if (t == null || depth > 8) return null;
        if (t instanceof RedisCommandExecutionException r) return r;
        for (Throwable s : t.getSuppressed()) {
            var r = refusal(s, depth + 1);
            if (r != null) return r;
        }
        return t.getCause() == t ? null : refusal(t.getCause(), depth + 1);
    }

    public static boolean isCluster(String url) {
        return url.startsWith("redis-cluster://") || url.startsWith("rediss-cluster://");
    }

    /** {@code redis-cluster://u:p@h1:1,h2:2} -> one URI per seed node, each with the same credentials and TLS. */
    static List<RedisURI> clusterUris(String url) {
        boolean tls = url.startsWith("rediss-cluster://");
        String rest = url.substring(url.indexOf("://") + 3);
        String auth = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            auth = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash);
            rest = rest.substring(0, slash);
        }
        List<RedisURI> out = new ArrayList<>();
        for (String hostPort : rest.split(",")) {
            if (hostPort.isBlank()) continue;
            out.add(RedisURI.create((tls ? "rediss://" : "redis://") + auth + hostPort.strip() + path));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("a redis-cluster:// URL needs at least one host:port");
        return out;
    }

    /** The commands, each failure mapped to a {@link StoreException} ({@link StoreException#of}). */
    public RedisClusterCommands<String, String> sync() {
        return sync;
    }

    /** Lettuce's synchronous commands behind one place that maps what they throw. */
    @SuppressWarnings("unchecked")
    private static RedisClusterCommands<String, String> mapped(RedisClusterCommands<String, String> target) {
        return (RedisClusterCommands<String, String>) Proxy.newProxyInstance(
                RedisLink.class.getClassLoader(),
                new Class<?>[] {RedisClusterCommands.class},
                (proxy, method, args) -> {
                    try {
                        return method.invoke(target, args);
                    } catch (InvocationTargetException e) {
                        Throwable c = e.getCause();
                        if (c instanceof RuntimeException r) throw StoreException.of(r);
                        throw c;
                    }
                });
    }

    public RedisClusterAsyncCommands<String, String> async() {
        return async;
    }

    /**
     * Runs {@code batch} with commands buffered and sent together at its end. On a cluster the commands go out one
     * by one (still without waiting for replies): Lettuce does not flush a node connection that was still being
     * opened when the flush came (its issue 2420), and such a command waited for its 60 s timeout; seen on a loaded
     * machine against a cluster that had just started.
     */
    public void pipelined(Runnable batch) {
        if (connection instanceof StatefulRedisClusterConnection) {
            batch.run();
            return;
        }
        connection.setAutoFlushCommands(false);
        try {
            batch.run();
        } finally {
            connection.flushCommands();
            connection.setAutoFlushCommands(true);
        }
    }

    /** Loads a script where it will run: the server, or every master of a cluster (EVALSHA goes by key slot). */
    public void loadScript(Scripts.Script s) {
        if (connection instanceof StatefulRedisClusterConnection<String, String> c) {
            for (RedisClusterNode n : c.getPartitions()) {
                if (n.is(RedisClusterNode.NodeFlag.UPSTREAM))
                    c.getConnection(n.getNodeId()).sync().scriptLoad(s.text());
            }
        } else {
            sync.scriptLoad(s.text());
        }
    }

    @Override
    @SuppressWarnings(
            "FutureReturnValueIgnored") // the client's resources shut down in the background; nothing waits for them
    public void close() {
        connection.close();
        synchronized (this) {
            if (binary != null) binary.close();
        }
        if (owner) {
            client.shutdown();
            client.getResources().shutdown();
        }
    }
}
