package io.drover.agent.server;

import io.drover.agent.sync.Trees;
import io.drover.core.Lifecycle;
import io.drover.core.runner.TaskKinds;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A running agent: the gRPC server with the Agent service (behind the token check when a token is set) and the
 * standard health service. No connection-age limit, so a long task is never cut; keepalive pings from callers are
 * allowed every 5 s so a dead peer is noticed.
 */
public final class AgentServer implements Lifecycle {
    /** Largest message accepted: the protocol keeps every message under 1 MiB. */
    public static final int MAX_MESSAGE = 2 * 1024 * 1024;
    /** HTTP/2 flow-control window per stream: room for several content messages in flight, so reading on one side
     * and writing on the other overlap instead of taking turns (the default 1 MiB holds one). */
    public static final int FLOW_WINDOW = 16 * 1024 * 1024;

    private final Server server;
    private final AgentService service;

    private AgentServer(Server server, AgentService service) {
        this.server = server;
        this.service = service;
    }

    /**
     * Starts serving.
     *
     * @param events one line per notable event (a task started, ended, an upload rejected), never a token
     */
    public static AgentServer start(AgentOptions options, TaskKinds kinds, Consumer<String> events) throws IOException {
        Path tasks = options.workdir().resolve("tasks");
        Trees.delete(tasks); // directories kept by an earlier run of the agent are not trusted
        Files.createDirectories(tasks);
        AgentService service = new AgentService(options, kinds, events);
        ServerCredentials creds = InsecureServerCredentials.create();
        if (options.tls()) {
            TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder()
                    .keyManager(options.tlsCert().toFile(), options.tlsKey().toFile());
            if (options.tlsClientCa() != null) {
                b.trustManager(options.tlsClientCa().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
            }
            creds = b.build();
        }
        HealthStatusManager health = new HealthStatusManager();
        NettyServerBuilder nb = NettyServerBuilder.forAddress(
                        new InetSocketAddress(options.bind(), options.port()), creds)
                .maxInboundMessageSize(MAX_MESSAGE)
                .flowControlWindow(FLOW_WINDOW)
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .addService(health.getHealthService());
        nb.addService(
                options.token() == null
                        ? service.bindService()
                        : ServerInterceptors.intercept(service, new TokenCheck(options.token())));
        Server server = nb.build().start();
        AgentServer a = new AgentServer(server, service);
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        health.setStatus("drover.agent.v1.Agent", HealthCheckResponse.ServingStatus.SERVING);
        a.healthRef = health;
        return a;
    }

    private HealthStatusManager healthRef;

    public int port() {
        return server.getPort();
    }

    /** How long running tasks may go on after {@link #shutdown()}. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicBoolean stopping = new AtomicBoolean();

    /** Stops taking calls; running tasks go on for {@link #DEFAULT_GRACE}, then are cancelled. Returns at once. */
    @Override
    public void shutdown() {
        stopAsync(DEFAULT_GRACE);
    }

    /** Stops taking calls and cancels running tasks. Returns at once. */
    @Override
    public void shutdownNow() {
        stopAsync(Duration.ZERO);
    }

    private void stopAsync(Duration grace) {
        if (!stopping.compareAndSet(false, true)) return;
        Thread.ofPlatform().name("drover-agent-stop").start(() -> {
            try {
                shutdown(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    /** Stops taking calls; running tasks go on until {@code grace} ends, then are cancelled. Waits for that. */
    public void shutdown(long grace, TimeUnit unit) throws InterruptedException {
        if (healthRef != null) healthRef.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(grace, unit)) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            service.close();
        } finally {
            terminated.countDown();
        }
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        stopping.set(true);
        try {
            shutdown(0, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
