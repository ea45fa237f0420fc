package io.drover.cluster.queue;

import io.drover.core.InvalidInputException;
import io.drover.core.Urls;
import java.util.List;

/** Redis URLs: checked before they are used, and as they may be shown (the password replaced by {@code ***}). */
public final class RedisUrls {
    private static final List<String> SCHEMES =
            List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster");

    private RedisUrls() {}

    /**
     * Refuses a URL that cannot name a Redis: no or another scheme, no host, a port that is not a number from 1 to
     * 65535, a database that is not a number.
     *
     * @throws io.drover.core.InvalidInputException naming the URL (password masked) and what is wrong
     */
    public static void check(String url) {
        int sep = url.indexOf("://");
        if (sep < 0) throw bad(url, "it has no scheme: write redis://" + url);
        String scheme = url.substring(0, sep);
        if (!SCHEMES.contains(scheme)) {
            throw bad(url, "the scheme must be " + String.join(", ", SCHEMES) + ", not '" + scheme + "'");
        }
        String rest = url.substring(sep + 3);
        int end = rest.length();
        for (char c : new char[] {'/', '?', '#'}) {
            int i = rest.indexOf(c, rest.lastIndexOf('@') + 1);
            if (i >= 0) end = Math.min(end, i);
        }
        String hosts = rest.substring(rest.lastIndexOf('@', end) + 1, end);
        for (String hostPort : hosts.split(",", -1)) {
            String h = hostPort.strip();
            int colon = h.startsWith("[") ? h.indexOf(':', h.indexOf(']')) : h.lastIndexOf(':');
            String host = colon < 0 ? h : h.substring(0, colon);
            if (host.isEmpty()) throw bad(url, "it names no host");
            if (colon >= 0) {
                String port = h.substring(colon + 1);
                if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    throw bad(url, "the port must be a number from 1 to 65535, not '" + port + "'");
                }
            }
        }
        String path = rest.substring(end);
        if (path.startsWith("/")) {
            String db = path.substring(1).replaceAll("[?#].*$", "");
            if (!db.isEmpty() && !db.matches("[0-9]{1,4}"))
                throw bad(url, "the database must be a number, not '" + db + "'");
        }
    }

    /** Whether {@code url} starts with a scheme of Redis (redis, rediss, their sentinel and cluster forms). */
    public static boolean isRedis(String url) {
        int sep = url.indexOf("://");
        return sep > 0 && SCHEMES.contains(url.substring(0, sep));
    }

    private static InvalidInputException bad(String url, String why) {
        return new InvalidInputException("bad Redis URL '" + masked(url) + "': " + why);
    }

    public static String masked(String url) {
        return Urls.masked(url);
    }
}
