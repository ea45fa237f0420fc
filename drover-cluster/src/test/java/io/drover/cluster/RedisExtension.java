package io.drover.cluster;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link RedisServer} of a test class's own, for its whole lifetime:
 * {@code @RegisterExtension static final RedisExtension redis = new RedisExtension();}.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback {
  private RedisServer server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = RedisServer.start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) server.close();
  }

  public String url() {
    return server.url();
  }

  public int port() {
    return server.port();
  }
}
