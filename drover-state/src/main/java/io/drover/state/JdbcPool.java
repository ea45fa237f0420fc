package io.drover.state;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A fixed number of JDBC connections, opened when first needed and reused; one found broken is closed and replaced
 * on the next borrow. Thread-safe.
 */
final class JdbcPool implements AutoCloseable {
    @FunctionalInterface
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final BlockingQueue<Connection> idle;
    private final Semaphore permits;
    private volatile boolean closed;

    JdbcPool(Connector connector, int size) {
        this.connector = connector;
        this.idle = new ArrayBlockingQueue<>(size);
        this.permits = new Semaphore(size, true);
    }

    /** A connection for one call; give it back with {@link #release}. */
    Connection borrow() throws SQLException {
        try {
            if (!permits.tryAcquire(30, TimeUnit.SECONDS))
                throw new SQLException("no connection free within 30 s", "08001");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a connection", "08001", e);
        }
        try {
            if (closed) throw new SQLException("the store is closed", "08003");
            Connection c = idle.poll();
            return c != null ? c : connector.connect();
        } catch (SQLException | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Takes a connection back; {@code broken} ones are closed. */
    void release(Connection c, boolean broken) {
        try {
            if (broken || closed || !idle.offer(c)) quietlyClose(c);
        } finally {
            permits.release();
        }
    }

    private static void quietlyClose(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // it was going away
        }
    }

    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.poll()) != null) quietlyClose(c);
    }
}
