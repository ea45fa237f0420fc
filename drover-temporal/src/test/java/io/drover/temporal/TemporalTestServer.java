package io.drover.temporal;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Temporal's test service (temporal-testing: no server binary, runs offline) on a free loopback port of its own,
 * for a test class's lifetime, in real time (no time skipping): workers connect to it over gRPC as they would to a
 * Temporal frontend. {@code @RegisterExtension static final TemporalTestServer temporal = new TemporalTestServer();}
 */
public final class TemporalTestServer implements BeforeAllCallback, AfterAllCallback {
    private TestServer.PortBoundTestServer server;
    private WorkflowServiceStubs service;
    private WorkflowClient client;
    private int port;

    @Override
    public void beforeAll(ExtensionContext context) {
        port = freePort();
        server = TestServer.createPortBoundServer(port, true); // true: time skipping locked, real time
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (service != null) service.shutdownNow();
        if (server != null) server.close();
    }

    /** Stops the server (a test of Temporal going away): workers' calls fail UNAVAILABLE from then on. */
    public synchronized void stop() {
        if (server != null) server.close();
        server = null;
    }

    /** {@code 127.0.0.1:PORT}, what TEMPORAL_HOST takes. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /** A client of the default namespace, for a test to look at workflows. */
    public synchronized WorkflowClient client() {
        if (client == null) {
            service = WorkflowServiceStubs.newServiceStubs(
                    WorkflowServiceStubsOptions.newBuilder().setTarget(host()).build());
            client = WorkflowClient.newInstance(
                    service,
                    WorkflowClientOptions.newBuilder().setNamespace("default").build());
        }
        return client;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
