package io.drover.state;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.sqlite.SQLiteConfig;

/** What SQLite and PostgreSQL do differently for the state store; everything else is the same SQL. */
sealed interface Dialect {
    /** Opens a connection. */
    Connection connect() throws SQLException;

    /** The next number of the store's one sequence: versions and fencing tokens, never repeated. */
    long next(Connection c) throws SQLException;

    /**
     * Makes the transaction the only writer of one key until it ends. SQLite's writers are one at a time already;
     * PostgreSQL's read-committed transactions would each read a key, then both write it (a lost update).
     */
    void lockKey(Connection c, String ns, String key) throws SQLException;

    /** Statements that create what is missing of schema 1, run in one transaction. */
    void create(Connection c) throws SQLException;

    /** How many connections the pool keeps. */
    int poolSize();

    String TABLES = """
            CREATE TABLE IF NOT EXISTS drover_state_meta (name VARCHAR(64) PRIMARY KEY, n BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS drover_state (
              ns VARCHAR(600) NOT NULL, k VARCHAR(600) NOT NULL, kind CHAR(1) NOT NULL, v TEXT,
              version BIGINT NOT NULL, expires_at BIGINT, PRIMARY KEY (ns, k));
            CREATE TABLE IF NOT EXISTS drover_state_list (
              ns VARCHAR(600) NOT NULL, k VARCHAR(600) NOT NULL, seq BIGINT NOT NULL, v TEXT NOT NULL,
              PRIMARY KEY (ns, k, seq));
            CREATE TABLE IF NOT EXISTS drover_state_lock (
              ns VARCHAR(600) NOT NULL, name VARCHAR(600) NOT NULL, token BIGINT NOT NULL, expires_at BIGINT NOT NULL,
              PRIMARY KEY (ns, name));
            """;

    static void execute(Connection c, String statements) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String sql : statements.split(";")) if (!sql.isBlank()) s.execute(sql);
        }
    }

    /** A SQLite file: WAL, so readers do not wait for the writer; writers take the lock at BEGIN and queue. */
    record Sqlite(Path file) implements Dialect {
        @Override
        public Connection connect() throws SQLException {
            try {
                if (file.getParent() != null) Files.createDirectories(file.getParent());
            } catch (java.io.IOException e) {
                throw new SQLException("cannot create " + file.getParent() + ": " + e.getMessage(), "08001", e);
            }
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
            config.setBusyTimeout(30_000);
            config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            return DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
        }

        @Override
        public long next(Connection c) throws SQLException {
            try (PreparedStatement p =
                    c.prepareStatement("UPDATE drover_state_meta SET n = n + 1 WHERE name = 'seq' RETURNING n")) {
                try (ResultSet r = p.executeQuery()) {
                    r.next();
                    return r.getLong(1);
                }
            }
        }

        @Override
        public void lockKey(Connection c, String ns, String key) {
            // BEGIN IMMEDIATE took the database's write lock
        }

        @Override
        public void create(Connection c) throws SQLException {
            execute(c, TABLES + "INSERT INTO drover_state_meta (name, n) VALUES ('seq', 0) ON CONFLICT DO NOTHING;");
        }

        @Override
        public int poolSize() {
            return 4;
        }
    }

    /** A PostgreSQL database, in a schema of its own when the URL names one. */
    record Postgres(String jdbcUrl, Properties properties, String schema, int poolSize) implements Dialect {
        @Override
        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, properties);
        }

        @Override
        public long next(Connection c) throws SQLException {
            try (Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT nextval('drover_state_seq')")) {
                r.next();
                return r.getLong(1);
            }
        }

        @Override
        public void lockKey(Connection c, String ns, String key) throws SQLException {
            try (PreparedStatement p = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?), hashtext(?))")) {
                p.setString(1, ns);
                p.setString(2, key);
                p.executeQuery().close();
            }
        }

        @Override
        public void create(Connection c) throws SQLException {
            // Two processes creating the schema at once would collide on the catalog: one at a time.
            execute(c, "SELECT pg_advisory_xact_lock(7735102017)");
            if (schema != null) execute(c, "CREATE SCHEMA IF NOT EXISTS \"" + schema.replace("\"", "\"\"") + "\"");
            execute(c, TABLES + "CREATE SEQUENCE IF NOT EXISTS drover_state_seq;");
        }
    }
}
