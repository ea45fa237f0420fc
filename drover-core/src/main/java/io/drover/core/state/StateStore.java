package io.drover.core.state;

import java.time.Duration;
import java.util.List;

/**
 * Values, counters, capped lists and locks in namespaces, kept by SQLite, PostgreSQL or Redis. What Lua tasks reach
 * as {@code state.scope(...)}; Java callers use {@link #scope(String)} the same way.
 *
 * <p>A key holds either a value (JSON text) or a list (of JSON texts); a call for the other kind fails with a
 * {@link StateException} naming the key. Times to live are measured by the store's clock (SQLite and PostgreSQL:
 * the calling process's {@link java.time.Clock}, Redis: the server's). A store that cannot be reached fails the
 * call with a retryable {@link StateException} naming the store (password masked).
 *
 * <p>Implementations are thread-safe and safe to share between processes that open the same store.
 */
public interface StateStore extends AutoCloseable {
    /** The value of {@code key} with its version, or null when it is absent or expired. */
    Versioned get(String ns, String key);

    /**
     * Writes a value.
     *
     * @param ttl how long it lives, or null for ever
     * @return the new version
     */
    long set(String ns, String key, String json, Duration ttl);

    /**
     * Adds {@code by} to an integer value (absent counts as 0), keeping its time to live.
     *
     * @return the new value
     * @throws StateException when the key holds something other than an integer
     */
    long incr(String ns, String key, long by);

    /**
     * Writes a value only if the key's version is still {@code expected} (0: only if the key is absent).
     *
     * @return the new version, or 0 when the version had changed and nothing was written
     */
    long cas(String ns, String key, long expected, String json, Duration ttl);

    /** Removes a value or a list. @return whether there was one */
    boolean delete(String ns, String key);

    /** The keys (values and lists) that start with {@code prefix}, in order. */
    List<String> keys(String ns, String prefix);

    /**
     * Appends to a list, dropping its oldest entries beyond {@code max}.
     *
     * @param ttl the list's time to live from now on, or null to keep what it has
     * @return the list's length afterwards
     */
    long append(String ns, String key, String json, int max, Duration ttl);

    /**
     * A slice of a list, both ends included, counted from 0, negative indices from the end (-1 is the last entry);
     * empty when the list is absent.
     */
    List<String> range(String ns, String key, long from, long to);

    /**
     * Takes a lock if no live holder has it.
     *
     * @return the fencing token (larger than every token this store handed out before), or 0 when it is held
     */
    long lock(String ns, String name, Duration ttl);

    /** Extends a held lock's time to live. @return false when {@code token} no longer holds it */
    boolean renew(String ns, String name, long token, Duration ttl);

    /** Releases a lock if {@code token} still holds it. @return whether it did */
    boolean unlock(String ns, String name, long token);

    /** The store as it may be shown: kind and address, password masked. */
    String describe();

    /** The calls of this store bound to one namespace. */
    default StateScope scope(String ns) {
        return new StateScope(this, ns);
    }

    @Override
    void close();
}
