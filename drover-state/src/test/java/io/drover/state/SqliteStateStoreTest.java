package io.drover.state;

import io.drover.core.MutableClock;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStoreContract;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.io.TempDir;

class SqliteStateStoreTest extends StateStoreContract {
    @TempDir
    static Path dir;

    @Override
    protected StateStore open(MutableClock clock) {
        return new JdbcStateProvider().open(url(), dir, clock);
    }

    @Override
    protected String url() {
        return "sqlite:" + dir.resolve(".drover/state.db");
    }

    @Override
    protected boolean clockDecidesExpiry() {
        return true;
    }

    @Override
    protected void forceSchema(long version) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(".drover/state.db"));
                Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE drover_state_meta SET n = " + version + " WHERE name = 'schema'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
