package io.drover.core.state;

import java.time.Duration;
import java.util.List;

/**
 * A store's calls bound to one namespace: what {@code state.scope(...)} gives a Lua task. Build namespaces with
 * {@link Namespaces}. Thread-safe as its store is.
 */
public record StateScope(StateStore store, String ns) {
    public Versioned get(String key) {
        return store.get(ns, key);
    }

    public long set(String key, String json, Duration ttl) {
        return store.set(ns, key, json, ttl);
    }

    public long incr(String key, long by) {
        return store.incr(ns, key, by);
    }

    public long cas(String key, long expected, String json, Duration ttl) {
        return store.cas(ns, key, expected, json, ttl);
    }

    public boolean delete(String key) {
        return store.delete(ns, key);
    }

    public List<String> keys(String prefix) {
        return store.keys(ns, prefix);
    }

    public long append(String key, String json, int max, Duration ttl) {
        return store.append(ns, key, json, max, ttl);
    }

    public List<String> range(String key, long from, long to) {
        return store.range(ns, key, from, to);
    }

    /** A slice of a list counted as Lua counts: from 1, both ends included, -1 the last entry. */
    public List<String> slice(String key, long from, long to) {
        return store.range(ns, key, from > 0 ? from - 1 : from, to > 0 ? to - 1 : to);
    }

    public long lock(String name, Duration ttl) {
        return store.lock(ns, name, ttl);
    }

    public boolean renew(String name, long token, Duration ttl) {
        return store.renew(ns, name, token, ttl);
    }

    public boolean unlock(String name, long token) {
        return store.unlock(ns, name, token);
    }
}
