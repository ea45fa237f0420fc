package io.drover.cluster.queue;

import io.drover.core.state.StateException;
import io.drover.core.state.StateLimits;
import io.drover.core.state.StateStore;
import io.drover.core.state.Versioned;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state store of tasks on Redis: one script ({@code state.lua}) per call, the keys of one namespace in one
 * slot ({@link Keys#stateItem}), versions and fencing tokens from the namespace's own sequence (so they grow within
 * a namespace, which is where a key or a lock lives), times to live kept by Redis (its clock). The fleet's Redis
 * serves as the store of runs on the fleet unless another is given. Thread-safe.
 */
public final class RedisStateStore implements StateStore {
    /** The schema this code reads and writes. */
    static final int SCHEMA = 1;

    private static final Scripts.Script STATE = Scripts.load(Scripts.class, "state");

    private final RedisLink link;
    private final String name;
    private final Map<String, Keys.StateKeys> namespaces = new ConcurrentHashMap<>();

    /**
     * Connects and checks the schema (writing it on a new Redis).
     *
     * @throws StateException naming the store when Redis cannot be reached or was written by a newer Drover
     */
    public RedisStateStore(String url) {
        this.name = RedisUrls.masked(url);
        try {
            this.link = RedisLink.connect(url);
        } catch (RuntimeException e) {
            throw new StateException("state store " + name + ": " + e.getMessage(), e, true);
        }
        try {
            call(() -> {
                RedisClusterCommands<String, String> r = link.sync();
                r.setnx(Keys.STATE_SCHEMA, Integer.toString(SCHEMA));
                String found = r.get(Keys.STATE_SCHEMA);
                if (found != null && Long.parseLong(found) > SCHEMA) {
                    throw new StateException("state store " + name + " has schema version " + found
                            + ", newer than this Drover's (" + SCHEMA + "): run a Drover at least as new as the one"
                            + " that wrote it");
                }
                return null;
            });
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
    }

    @Override
    public String describe() {
        return name;
    }

    /** The keys of a namespace, kept: each costs a SHA-256 to name. */
    private Keys.StateKeys keys(String ns) {
        Keys.StateKeys k = namespaces.get(ns);
        if (k != null) return k;
        if (namespaces.size() > 10_000) namespaces.clear();
        return namespaces.computeIfAbsent(ns, Keys::state);
    }

    @SuppressWarnings("TypeParameterUnusedInFormals") // the reply's type is what the caller's ScriptOutputType makes
    private <T> T run(Keys.StateKeys k, String itemKey, ScriptOutputType type, String op, String key, String... more) {
        String[] args = new String[more.length + 2];
        args[0] = op;
        args[1] = key;
        System.arraycopy(more, 0, args, 2, more.length);
        String[] keys = {itemKey, k.index(), k.sequence()};
        return call(() -> Scripts.run(link.sync(), STATE, type, keys, args), key);
    }

    @SuppressWarnings("TypeParameterUnusedInFormals") // the reply's type is what the caller's ScriptOutputType makes
    private <T> T item(String ns, String key, ScriptOutputType type, String op, String... more) {
        Keys.StateKeys k = keys(ns);
        return run(k, k.item(StateLimits.key(key)), type, op, key, more);
    }

    @SuppressWarnings("TypeParameterUnusedInFormals") // the reply's type is what the caller's ScriptOutputType makes
    private <T> T lockCall(String ns, String lockName, ScriptOutputType type, String op, String... more) {
        Keys.StateKeys k = keys(ns);
        return run(k, k.lock(StateLimits.key(lockName)), type, op, lockName, more);
    }

    private static String ttl(String key, Duration ttl) {
        return ttl == null ? "" : Long.toString(StateLimits.positive(key, ttl).toMillis());
    }

    @Override
    public Versioned get(String ns, String key) {
        List<Object> r = item(ns, key, ScriptOutputType.MULTI, "get");
        return r == null || r.get(0) == null
                ? null
                : new Versioned((String) r.get(0), Long.parseLong((String) r.get(1)));
    }

    @Override
    public long set(String ns, String key, String json, Duration ttl) {
        return item(ns, key, ScriptOutputType.INTEGER, "set", StateLimits.value(key, json), ttl(key, ttl));
    }

    @Override
    public long incr(String ns, String key, long by) {
        String r = item(ns, key, ScriptOutputType.VALUE, "incr", Long.toString(by));
        return Long.parseLong(r);
    }

    @Override
    public long cas(String ns, String key, long expected, String json, Duration ttl) {
        return item(
                ns,
                key,
                ScriptOutputType.INTEGER,
                "cas",
                Long.toString(expected),
                StateLimits.value(key, json),
                ttl(key, ttl));
    }

    @Override
    public boolean delete(String ns, String key) {
        long n = item(ns, key, ScriptOutputType.INTEGER, "delete");
        return n > 0;
    }

    @Override
    public List<String> keys(String ns, String prefix) {
        return call(
                () -> {
                    RedisClusterCommands<String, String> r = link.sync();
                    Keys.StateKeys k = keys(ns);
                    String index = k.index();
                    List<String> out = new ArrayList<>();
                    List<String> stale = new ArrayList<>();
                    int offset = 0;
                    while (true) {
                        List<String> page = r.zrangebylex(
                                index,
                                Range.from(Range.Boundary.including(prefix), Range.Boundary.unbounded()),
                                Limit.create(offset, 500));
                        boolean past = false;
                        for (String member : page) {
                            if (!member.startsWith(prefix)) {
                                past = true;
                                break;
                            }
                            if (r.exists(k.item(member)) > 0) out.add(member);
                            else stale.add(member); // expired: Redis removed the key, not its name in the index
                        }
                        if (past || page.size() < 500) break;
                        offset += page.size();
                    }
                    if (!stale.isEmpty()) r.zrem(index, stale.toArray(String[]::new));
                    return out;
                },
                prefix);
    }

    @Override
    public long append(String ns, String key, String json, int max, Duration ttl) {
        return item(
                ns,
                key,
                ScriptOutputType.INTEGER,
                "append",
                StateLimits.value(key, json),
                Integer.toString(StateLimits.max(key, max)),
                ttl(key, ttl));
    }

    @Override
    public List<String> range(String ns, String key, long from, long to) {
        List<Object> r = item(ns, key, ScriptOutputType.MULTI, "range", Long.toString(from), Long.toString(to));
        List<String> out = new ArrayList<>(r.size());
        for (Object o : r) out.add((String) o);
        return out;
    }

    @Override
    public long lock(String ns, String lockName, Duration ttl) {
        return lockCall(ns, lockName, ScriptOutputType.INTEGER, "lock", ttl(lockName, ttl));
    }

    @Override
    public boolean renew(String ns, String lockName, long token, Duration ttl) {
        long r = lockCall(ns, lockName, ScriptOutputType.INTEGER, "renew", Long.toString(token), ttl(lockName, ttl));
        return r == 1;
    }

    @Override
    public boolean unlock(String ns, String lockName, long token) {
        long r = lockCall(ns, lockName, ScriptOutputType.INTEGER, "unlock", Long.toString(token));
        return r == 1;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run();
    }

    private <T> T call(Call<T> c) {
        return call(c, null);
    }

    /** Runs a call, turning Redis's replies into the store's words: the key's kind, or the store unreachable. */
    private <T> T call(Call<T> c, String key) {
        try {
            return c.run();
        } catch (StateException e) {
            throw e;
        } catch (RuntimeException e) {
            StoreException s = StoreException.of(e);
            String m = String.valueOf(e.getMessage());
            int at = m.indexOf("DROVER_");
            if (at >= 0) {
                String said = m.substring(at);
                if (said.startsWith("DROVER_KIND ")) {
                    String held = said.substring("DROVER_KIND ".length()).strip();
                    throw new StateException("state: key '" + key + "' holds a " + held + ", not a "
                            + (held.equals("list") ? "value" : "list"));
                }
                if (said.startsWith("DROVER_NOT_INTEGER"))
                    throw new StateException(
                            "state: key '" + key + "' holds something that is not an integer to" + " increment");
            }
            throw new StateException("state store " + name + ": " + s.getMessage(), e, s.isRetryable());
        }
    }

    @Override
    public void close() {
        link.close();
    }
}
