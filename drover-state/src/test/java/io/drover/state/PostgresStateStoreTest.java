package io.drover.state;

import io.drover.core.MutableClock;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStoreContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/**
 * The contract on the machine's PostgreSQL (127.0.0.1:5432, database test, or the server
 * {@code $DROVER_TEST_POSTGRES_URL} names), in a schema of its own, dropped after.
 */
class PostgresStateStoreTest extends StateStoreContract {
    static final String SERVER =
            System.getenv().getOrDefault("DROVER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test");
    static final String SCHEMA =
            "drover_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    static final String URL = SERVER + (SERVER.contains("?") ? "&" : "?") + "schema=" + SCHEMA;

    @Override
    protected StateStore open(MutableClock clock) {
        return new JdbcStateProvider().open(URL, null, clock);
    }

    @Override
    protected String url() {
        return URL;
    }

    @Override
    protected boolean clockDecidesExpiry() {
        return true;
    }

    @Override
    protected void forceSchema(long version) {
        sql("UPDATE " + SCHEMA + ".drover_state_meta SET n = " + version + " WHERE name = 'schema'");
    }

    @AfterAll
    static void dropSchema() {
        JdbcStateProvider.dropSchema(SERVER, SCHEMA);
    }

    static void sql(String statement) {
        Dialect.Postgres server = JdbcStateProvider.postgres(SERVER);
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(), server.properties());
                Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
