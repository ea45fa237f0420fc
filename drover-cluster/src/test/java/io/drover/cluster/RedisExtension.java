package io.drover.cluster;

import io.drover.cluster.queue.RedisLink;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link RedisServer} of a test class's own, for its whole lifetime:
 * {@code @RegisterExtension static final RedisExtension redis = new RedisExtension();}.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback {
    private RedisServer server;
    private RedisLink link;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = RedisServer.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (link != null) link.close();
        if (server != null) server.close();
    }

    /**
     * Plain commands on this test's own server, for a test to set up or look at what it needs to (Drover's own
     * code reaches Redis only through its storage layer, {@code io.drover.cluster.queue}).
     */
    public synchronized RedisClusterCommands<String, String> commands() {
        if (link == null) link = RedisLink.connect(url());
        return link.sync();
    }

    public String url() {
        return server.url();
    }

    public int port() {
        return server.port();
    }
}
