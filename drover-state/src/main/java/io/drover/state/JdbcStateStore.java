package io.drover.state;

import io.drover.core.Errors;
import io.drover.core.state.StateException;
import io.drover.core.state.StateLimits;
import io.drover.core.state.StateStore;
import io.drover.core.state.Versioned;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The state store on a SQL database (SQLite or PostgreSQL, see {@link Dialect}). Every write is one transaction
 * that takes the next number of the store's sequence as the key's version (or a lock's token), so versions and
 * tokens never repeat, even for a key deleted and written again. Expiry is a time in milliseconds on the row,
 * measured with this process's {@link Clock}; expired rows count as absent and are removed when next written.
 * Thread-safe; several processes may share one store.
 */
public final class JdbcStateStore implements StateStore {
    /** The schema this code reads and writes. */
    static final int SCHEMA = 1;

    private static final char VALUE = 'v';
    private static final char LIST = 'l';

    private final Dialect dialect;
    private final String name;
    private final Clock clock;
    private final JdbcPool pool;

    /**
     * Opens the store, creating its tables or migrating an older schema in place.
     *
     * @param name how the store is shown (password masked)
     * @throws StateException naming the store when it cannot be reached or its schema is newer than this code's
     */
    public JdbcStateStore(Dialect dialect, String name, Clock clock) {
        this.dialect = dialect;
        this.name = name;
        this.clock = clock;
        this.pool = new JdbcPool(dialect::connect, dialect.poolSize());
        try {
            write(c -> {
                dialect.create(c);
                migrate(c);
                return null;
            });
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private void migrate(Connection c) throws SQLException {
        Long found = one(c, "SELECT n FROM drover_state_meta WHERE name = 'schema'", r -> r.getLong(1));
        if (found == null) {
            update(c, "INSERT INTO drover_state_meta (name, n) VALUES ('schema', ?)", SCHEMA);
        } else if (found > SCHEMA) {
            throw new StateException("state store " + name + " has schema version " + found
                    + ", newer than this Drover's (" + SCHEMA + "): run a Drover at least as new as the one that wrote"
                    + " it");
        } else if (found < SCHEMA) {
            // Migrations from older schemas go here, each in this transaction; schema 1 is the first.
            update(c, "UPDATE drover_state_meta SET n = ? WHERE name = 'schema'", SCHEMA);
        }
    }

    @Override
    public String describe() {
        return name;
    }

    // ---- values ----

    /**
     * A key's row, live or not.
     *
     * @param staleList an expired list: its entries are still in the list table until the key is written again
     */
    private record Row(char kind, String json, long version, Long expiresAt, boolean staleList) {}

    /** The key's row for a write: the key locked against other writers first. */
    private Row locked(Connection c, String ns, String key, long now) throws SQLException {
        dialect.lockKey(c, ns, key);
        return row(c, ns, key, now);
    }

    /** The key's live row; null when it is absent or expired (an expired list is said by {@link Row#staleList}). */
    private Row row(Connection c, String ns, String key, long now) throws SQLException {
        Row r = raw(c, ns, key);
        if (r == null || r.expiresAt == null || r.expiresAt > now) return r;
        return r.kind == LIST ? STALE_LIST : null;
    }

    /** What {@link #row} says of an expired list: absent, with entries to remove. */
    private static final Row STALE_LIST = new Row(LIST, null, 0, null, true);

    private static Row live(Row r) {
        return r == null || r.staleList ? null : r;
    }

    private Row raw(Connection c, String ns, String key) throws SQLException {
        return one(
                c,
                "SELECT kind, v, version, expires_at FROM drover_state WHERE ns = ? AND k = ?",
                rs -> new Row(
                        rs.getString(1).charAt(0),
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getObject(4) == null ? null : rs.getLong(4),
                        false),
                ns,
                key);
    }

    private static void expect(Row r, char kind, String key) {
        if (r != null && r.kind != kind) {
            throw new StateException("state: key '" + key + "' holds a " + (r.kind == LIST ? "list" : "value")
                    + ", not a " + (kind == LIST ? "list" : "value"));
        }
    }

    @Override
    public Versioned get(String ns, String key) {
        return read(c -> {
            Row r = live(row(c, ns, StateLimits.key(key), now()));
            expect(r, VALUE, key);
            return r == null ? null : new Versioned(r.json, r.version);
        });
    }

    @Override
    public long set(String ns, String key, String json, Duration ttl) {
        StateLimits.write(key, json, ttl);
        return write(c -> {
            long now = now();
            Row raw = locked(c, ns, key, now);
            expect(live(raw), VALUE, key);
            return put(c, ns, key, json, expiry(now, ttl), raw);
        });
    }

    private long put(Connection c, String ns, String key, String json, Long expiresAt, Row before) throws SQLException {
        long version = dialect.next(c);
        if (before != null && before.staleList)
            update(c, "DELETE FROM drover_state_list WHERE ns = ? AND k = ?", ns, key);
        update(
                c,
                "INSERT INTO drover_state (ns, k, kind, v, version, expires_at) VALUES (?, ?, 'v', ?, ?, ?)"
                        + " ON CONFLICT (ns, k) DO UPDATE SET kind = 'v', v = excluded.v, version = excluded.version,"
                        + " expires_at = excluded.expires_at",
                ns,
                key,
                json,
                version,
                expiresAt);
        return version;
    }

    @Override
    public long incr(String ns, String key, long by) {
        StateLimits.key(key);
        return write(c -> {
            Row raw = locked(c, ns, key, now());
            Row r = live(raw);
            expect(r, VALUE, key);
            long value = r == null ? 0 : integer(key, r.json);
            long next = Math.addExact(value, by);
            put(c, ns, key, Long.toString(next), r == null ? null : r.expiresAt, raw);
            return next;
        });
    }

    static long integer(String key, String json) {
        try {
            return Long.parseLong(json.strip());
        } catch (NumberFormatException e) {
            throw new StateException("state: key '" + key + "' holds " + clip(json) + ", not an integer to increment");
        }
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    @Override
    public long cas(String ns, String key, long expected, String json, Duration ttl) {
        StateLimits.write(key, json, ttl);
        return write(c -> {
            long now = now();
            Row raw = locked(c, ns, key, now);
            Row r = live(raw);
            expect(r, VALUE, key);
            long current = r == null ? 0 : r.version;
            return current != expected ? 0L : put(c, ns, key, json, expiry(now, ttl), raw);
        });
    }

    @Override
    public boolean delete(String ns, String key) {
        StateLimits.key(key);
        return write(c -> {
            Row r = live(locked(c, ns, key, now()));
            update(c, "DELETE FROM drover_state_list WHERE ns = ? AND k = ?", ns, key);
            update(c, "DELETE FROM drover_state WHERE ns = ? AND k = ?", ns, key);
            return r != null;
        });
    }

    @Override
    public List<String> keys(String ns, String prefix) {
        return read(c -> {
            List<String> keys = strings(
                    c,
                    "SELECT k FROM drover_state WHERE ns = ? AND substr(k, 1, ?) = ? AND (expires_at IS NULL OR"
                            + " expires_at > ?)",
                    ns,
                    prefix.length(),
                    prefix,
                    now());
            Collections.sort(keys);
            return keys;
        });
    }

    // ---- lists ----

    @Override
    public long append(String ns, String key, String json, int max, Duration ttl) {
        StateLimits.write(key, json, ttl);
        StateLimits.max(key, max);
        return write(c -> {
            long now = now();
            Row raw = locked(c, ns, key, now);
            Row r = live(raw);
            expect(r, LIST, key);
            if (raw != null && raw.staleList)
                update(c, "DELETE FROM drover_state_list WHERE ns = ? AND k = ?", ns, key);
            long seq = dialect.next(c);
            update(c, "INSERT INTO drover_state_list (ns, k, seq, v) VALUES (?, ?, ?, ?)", ns, key, seq, json);
            Long expiresAt = ttl != null ? expiry(now, ttl) : r == null ? null : r.expiresAt;
            update(
                    c,
                    "INSERT INTO drover_state (ns, k, kind, v, version, expires_at) VALUES (?, ?, 'l', NULL, ?, ?)"
                            + " ON CONFLICT (ns, k) DO UPDATE SET kind = 'l', v = NULL, version = excluded.version,"
                            + " expires_at = excluded.expires_at",
                    ns,
                    key,
                    seq,
                    expiresAt);
            long length = one(
                    c, "SELECT count(*) FROM drover_state_list WHERE ns = ? AND k = ?", rs -> rs.getLong(1), ns, key);
            if (length <= max) return length;
            Long oldestKept = one(
                    c,
                    "SELECT seq FROM drover_state_list WHERE ns = ? AND k = ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
                    rs -> rs.getLong(1),
                    ns,
                    key,
                    max - 1);
            update(c, "DELETE FROM drover_state_list WHERE ns = ? AND k = ? AND seq < ?", ns, key, oldestKept);
            return (long) max;
        });
    }

    @Override
    public List<String> range(String ns, String key, long from, long to) {
        StateLimits.key(key);
        return read(c -> {
            Row r = live(row(c, ns, key, now()));
            expect(r, LIST, key);
            if (r == null) return List.of();
            List<String> all =
                    strings(c, "SELECT v FROM drover_state_list WHERE ns = ? AND k = ? ORDER BY seq", ns, key);
            return slice(all, from, to);
        });
    }

    /** Redis's LRANGE on a Java list: both ends included, negative from the end, clamped. */
    static List<String> slice(List<String> all, long from, long to) {
        long n = all.size();
        long a = from < 0 ? Math.max(0, n + from) : from;
        long b = to < 0 ? n + to : Math.min(to, n - 1);
        if (a > b || a >= n) return List.of();
        return List.copyOf(all.subList((int) a, (int) b + 1));
    }

    // ---- locks ----

    @Override
    public long lock(String ns, String lockName, Duration ttl) {
        StateLimits.key(lockName);
        StateLimits.positive(lockName, ttl);
        return write(c -> {
            long now = now();
            dialect.lockKey(c, ns, "lock:" + lockName);
            Long held = one(
                    c,
                    "SELECT expires_at FROM drover_state_lock WHERE ns = ? AND name = ?",
                    rs -> rs.getLong(1),
                    ns,
                    lockName);
            if (held != null && held > now) return 0L;
            long token = dialect.next(c);
            update(
                    c,
                    "INSERT INTO drover_state_lock (ns, name, token, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (ns,"
                            + " name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
                    ns,
                    lockName,
                    token,
                    expiry(now, ttl));
            return token;
        });
    }

    @Override
    public boolean renew(String ns, String lockName, long token, Duration ttl) {
        StateLimits.positive(lockName, ttl);
        return write(c -> {
            long now = now();
            return update(
                            c,
                            "UPDATE drover_state_lock SET expires_at = ? WHERE ns = ? AND name = ? AND token = ? AND"
                                    + " expires_at > ?",
                            expiry(now, ttl),
                            ns,
                            lockName,
                            token,
                            now)
                    == 1;
        });
    }

    @Override
    public boolean unlock(String ns, String lockName, long token) {
        return write(c -> update(
                        c,
                        "DELETE FROM drover_state_lock WHERE ns = ? AND name = ? AND token = ? AND expires_at > ?",
                        ns,
                        lockName,
                        token,
                        now())
                == 1);
    }

    // ---- plumbing ----

    private long now() {
        return clock.millis();
    }

    private static Long expiry(long now, Duration ttl) {
        return ttl == null ? null : now + ttl.toMillis();
    }

    @FunctionalInterface
    private interface Body<T> {
        T run(Connection c) throws SQLException;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T read(Body<T> body) {
        return call(false, body);
    }

    private <T> T write(Body<T> body) {
        return call(true, body);
    }

    private <T> T call(boolean write, Body<T> body) {
        Connection c;
        try {
            c = pool.borrow();
        } catch (SQLException e) {
            throw failure(e);
        }
        boolean broken = false;
        try {
            c.setAutoCommit(!write);
            T result = body.run(c);
            if (write) {
                c.commit();
                c.setAutoCommit(true); // SQLite's driver would BEGIN the next transaction now, holding the lock
            }
            return result;
        } catch (SQLException e) {
            broken = rollback(c, write) || isConnectionLost(e);
            throw failure(e);
        } catch (RuntimeException e) {
            broken = rollback(c, write);
            throw e;
        } finally {
            pool.release(c, broken);
        }
    }

    /** Rolls back a write; @return true when the connection could not (so it is broken) */
    private static boolean rollback(Connection c, boolean write) {
        if (!write) return false;
        try {
            c.rollback();
            c.setAutoCommit(true);
            return false;
        } catch (SQLException e) {
            return true;
        }
    }

    private static boolean isConnectionLost(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    private StateException failure(SQLException e) {
        boolean retryable = isConnectionLost(e)
                || (e.getSQLState() != null && e.getSQLState().startsWith("40")) // serialization, deadlock
                || String.valueOf(e.getMessage()).contains("SQLITE_BUSY")
                || String.valueOf(e.getMessage()).contains("SQLITE_CANTOPEN");
        return new StateException("state store " + name + ": " + Errors.describe(e), e, retryable);
    }

    private static <T> T one(Connection c, String sql, Reader<T> reader, Object... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? reader.read(rs) : null;
            }
        }
    }

    /** The first column of every row. */
    private static List<String> strings(Connection c, String sql, Object... args) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(sql)) {
            bind(p, args);
            return p.executeUpdate();
        }
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) p.setNull(i + 1, java.sql.Types.BIGINT);
            else if (a instanceof Long l) p.setLong(i + 1, l);
            else if (a instanceof Integer n) p.setInt(i + 1, n);
            else p.setString(i + 1, a.toString());
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
