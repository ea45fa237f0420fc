package io.drover.state;

import io.drover.core.InvalidInputException;
import io.drover.core.state.StateException;
import io.drover.core.state.StateStore;
import io.drover.core.state.StateStoreProvider;
import io.drover.core.state.StateStores;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Opens {@code sqlite:PATH} (relative to the base directory; {@code sqlite:///abs/path} too) and
 * {@code postgres://USER:PASSWORD@HOST:PORT/DATABASE?schema=S&pool=N} (also {@code postgresql://}; other query
 * parameters go to the driver, {@code sslmode=require} say).
 */
public final class JdbcStateProvider implements StateStoreProvider {
    @Override
    public boolean accepts(String url) {
        return url.startsWith("sqlite:") || url.startsWith("postgres://") || url.startsWith("postgresql://");
    }

    @Override
    public boolean isLocalFile(String url) {
        return url.startsWith("sqlite:");
    }

    @Override
    public StateStore open(String url, Path baseDir, Clock clock) {
        if (url.startsWith("sqlite:")) {
            Path file = sqliteFile(url, baseDir);
            return new JdbcStateStore(new Dialect.Sqlite(file), "sqlite:" + file, clock);
        }
        return new JdbcStateStore(postgres(url), StateStores.masked(url), clock);
    }

    /** The file of a {@code sqlite:} URL. */
    public static Path sqliteFile(String url, Path baseDir) {
        String path = url.substring("sqlite:".length());
        if (path.startsWith("//")) path = path.substring(2); // sqlite:///abs/path
        if (path.isEmpty()) throw new InvalidInputException("bad state store URL '" + url + "': it names no file");
        Path p = Path.of(path);
        return (p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p))
                .toAbsolutePath()
                .normalize();
    }

    static Dialect.Postgres postgres(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw bad(url, e.getReason());
        }
        if (uri.getHost() == null) throw bad(url, "it names no host");
        String db = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        if (db.isEmpty()) throw bad(url, "it names no database: write postgres://USER@HOST:5432/DATABASE");
        Properties props = new Properties();
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            props.setProperty("user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) props.setProperty("password", decode(userInfo.substring(colon + 1)));
        }
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq > 0) query.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
            }
        }
        String schema = query.remove("schema");
        int pool = 8;
        String poolText = query.remove("pool");
        if (poolText != null) {
            if (!poolText.matches("[1-9][0-9]{0,2}")) throw bad(url, "pool must be a number from 1 to 999");
            pool = Integer.parseInt(poolText);
        }
        if (schema != null) {
            if (!schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}"))
                throw bad(url, "schema must be letters, digits and '_', not '" + schema + "'");
            props.setProperty("currentSchema", schema);
        }
        query.forEach(props::setProperty);
        props.putIfAbsent("connectTimeout", "10");
        props.putIfAbsent("ApplicationName", "drover");
        String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        return new Dialect.Postgres("jdbc:postgresql://" + hostPort + "/" + db, props, schema, pool);
    }

    /**
     * Drops a schema of the PostgreSQL server {@code url} names, with everything in it: what tests and benches that
     * made a schema of their own do when they end.
     *
     * @throws StateException naming the server when it cannot be done
     */
    public static void dropSchema(String url, String schema) {
        if (!schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) throw new IllegalArgumentException("bad schema " + schema);
        Dialect.Postgres server = postgres(url);
        try (Connection c = server.connect();
                Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        } catch (SQLException e) {
            throw new StateException("state store " + StateStores.masked(url) + ": " + e.getMessage(), e, true);
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static InvalidInputException bad(String url, String why) {
        return new InvalidInputException("bad state store URL '" + StateStores.masked(url) + "': " + why);
    }
}
