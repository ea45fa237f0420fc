package io.drover.cluster.queue;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Contents of runs' files kept in Redis, each a string under its SHA-256 ({@link Keys#blob}), written once and
 * expiring with the retention of the runs that use it. Calls on many contents go out together (one round trip).
 * Thread-safe. What it is given is stored as given: callers name contents by their hash.
 */
public final class RedisBlobs {
    private static final long WAIT_SECONDS = 60;
    private final RedisLink link;

    RedisBlobs(RedisLink link) {
        this.link = link;
    }

    /**
     * Which of {@code hexes} Redis does not hold; those it holds are kept at least {@code keep} from now (an expiry
     * only grows: a content shared with a run kept longer keeps its own).
     */
    public Set<String> missing(Collection<String> hexes, Duration keep) {
        if (hexes.isEmpty()) return Set.of();
        RedisClusterAsyncCommands<byte[], byte[]> r = link.binary();
        long seconds = Math.max(1, keep.toSeconds());
        Map<String, RedisFuture<Long>> ttl = new LinkedHashMap<>();
        for (String h : new LinkedHashSet<>(hexes)) ttl.put(h, r.ttl(key(h)));
        Set<String> missing = new LinkedHashSet<>();
        List<RedisFuture<Boolean>> longer = new ArrayList<>();
        for (var e : ttl.entrySet()) {
            long t = await(e.getValue());
            if (t == -2) missing.add(e.getKey());
            else if (t >= 0 && t < seconds) longer.add(r.expire(key(e.getKey()), seconds));
        }
        for (RedisFuture<Boolean> f : longer) await(f);
        return missing;
    }

    /** Stores contents under their hashes (the caller's), each kept {@code keep}; one already there is kept. */
    public void put(Map<String, byte[]> contents, Duration keep) {
        if (contents.isEmpty()) return;
        RedisClusterAsyncCommands<byte[], byte[]> r = link.binary();
        SetArgs args = SetArgs.Builder.ex(Math.max(1, keep.toSeconds()));
        List<RedisFuture<String>> sets = new ArrayList<>();
        for (var e : contents.entrySet()) sets.add(r.set(key(e.getKey()), e.getValue(), args));
        for (RedisFuture<String> f : sets) await(f);
    }

    /** The contents Redis holds of {@code hexes}, by hash; one that is gone (expired) is absent. */
    public Map<String, byte[]> get(Collection<String> hexes) {
        if (hexes.isEmpty()) return Map.of();
        RedisClusterAsyncCommands<byte[], byte[]> r = link.binary();
        Map<String, RedisFuture<byte[]>> gets = new LinkedHashMap<>();
        for (String h : new LinkedHashSet<>(hexes)) gets.put(h, r.get(key(h)));
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (var e : gets.entrySet()) {
            byte[] v = await(e.getValue());
            if (v != null) out.put(e.getKey(), v);
        }
        return out;
    }

    private static byte[] key(String hex) {
        return Keys.blob(hex).getBytes(StandardCharsets.US_ASCII);
    }

    private static <T> T await(RedisFuture<T> f) {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw StoreException.of(e.getCause());
        } catch (TimeoutException e) {
            throw StoreException.of(new RedisCommandTimeoutException("no reply from Redis in " + WAIT_SECONDS + " s"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StoreException.of(new RedisException("interrupted"));
        }
    }
}
