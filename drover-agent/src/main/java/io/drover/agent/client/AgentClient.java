package io.drover.agent.client;

import io.drover.agent.server.AgentServer;
import io.drover.agent.wire.AgentGrpc;
import io.drover.agent.wire.InfoReply;
import io.drover.agent.wire.InfoRequest;
import io.drover.core.Version;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * A connection to one agent: the channel (TLS when the target has a CA, the token on every call), keepalive so a
 * dead agent is noticed within about 30 s even when no data flows. Thread-safe; one per agent per run.
 */
public final class AgentClient implements AutoCloseable {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final AgentTarget target;
    private final ManagedChannel channel;

    public AgentClient(AgentTarget target) {
        this.target = target;
        ChannelCredentials creds = InsecureChannelCredentials.create();
        if (target.tls()) {
            try {
                TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder()
                        .trustManager(target.ca().toFile());
                if (target.cert() != null)
                    b.keyManager(target.cert().toFile(), target.key().toFile());
                creds = b.build();
            } catch (IOException e) {
                throw new UncheckedIOException("agent " + target + ": cannot read TLS files: " + e.getMessage(), e);
            }
        }
        this.channel = NettyChannelBuilder.forTarget(target.address(), creds)
                .keepAliveTime(20, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .maxInboundMessageSize(AgentServer.MAX_MESSAGE)
                .flowControlWindow(AgentServer.FLOW_WINDOW)
                .intercept(new TokenInterceptor(target.token()))
                .build();
    }

    public AgentTarget target() {
        return target;
    }

    /** The channel, for calls to other services of the agent (health). */
    public Channel channelForTests() {
        return channel;
    }

    public AgentGrpc.AgentStub stub() {
        return AgentGrpc.newStub(channel);
    }

    /** Name, version and load of the agent; throws {@link StatusRuntimeException} when it cannot be reached. */
    public InfoReply info(long timeout, TimeUnit unit) {
        return AgentGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout, unit)
                .info(InfoRequest.newBuilder()
                        .setClientVersion(Version.current())
                        .build());
    }

    /** One line for people about a failed call, naming the agent. */
    public String describe(StatusRuntimeException e) {
        Status s = e.getStatus();
        String d = s.getDescription() == null ? "" : s.getDescription();
        return switch (s.getCode()) {
            case UNAUTHENTICATED ->
                "agent " + target + " refused the call: " + d
                        + (target.token() == null
                                ? " (set token in delegate_to, in drover.toml [agents], or DROVER_AGENT_TOKEN)"
                                : "");
            case UNAVAILABLE ->
                "agent " + target + " is unreachable" + (d.isEmpty() ? "" : ": " + d)
                        + (s.getCause() != null && s.getCause().getMessage() != null
                                ? " (" + s.getCause().getMessage() + ")"
                                : "")
                        + tlsHint(d + " " + (s.getCause() == null ? "" : String.valueOf(s.getCause())));
            case DEADLINE_EXCEEDED -> "agent " + target + " did not answer in time" + (d.isEmpty() ? "" : ": " + d);
            default -> "agent " + target + ": " + (d.isEmpty() ? s.getCode().toString() : d);
        };
    }

    /**
     * What a TLS mismatch looks like from here, said as one: a plain call to a TLS agent sees the connection closed
     * without a reason, a TLS call to a plain agent a record that is not TLS.
     */
    private String tlsHint(String seen) {
        if (target.ca() == null
                && (seen.contains("Network closed for unknown reason")
                        || seen.contains("first received frame was not SETTINGS"))) {
            return "; if the agent uses TLS (drover agent --tls-cert), give its CA: ca = \"...\" in drover.toml [agents.NAME] or [agents_tls]";
        }
        if (target.ca() != null && (seen.contains("not an SSL/TLS record") || seen.contains("SSLHandshakeException"))) {
            return "; the agent does not answer with TLS (started without --tls-cert?), or its certificate does not chain to the CA given";
        }
        return "";
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Puts the token on every call. */
    private record TokenInterceptor(String token) implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    if (token != null) headers.put(AUTHORIZATION, "Bearer " + token);
                    super.start(listener, headers);
                }
            };
        }
    }
}
