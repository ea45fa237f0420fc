package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.agent.client.AgentClient;
import io.drover.agent.client.AgentTarget;
import io.drover.agent.server.AgentOptions;
import io.drover.agent.server.AgentServer;
import io.drover.agent.sync.FileEntry;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.Transfer;
import io.drover.agent.wire.Down;
import io.drover.agent.wire.Entries;
import io.drover.agent.wire.Pipe;
import io.drover.agent.wire.Start;
import io.drover.agent.wire.Up;
import io.drover.core.Version;
import io.drover.core.model.Command;
import io.drover.core.model.TaskId;
import io.drover.core.model.TaskSpec;
import io.drover.core.runner.RequestCodec;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRequest;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The agent's side over real gRPC on loopback: crafted uploads, versions, tokens. */
class AgentServerTest {
    @TempDir
    Path tmp;

    private AgentServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private AgentServer start(String token, Limits limits) throws Exception {
        server = AgentServer.start(
                AgentOptions.builder()
                        .port(0)
                        .token(token)
                        .workdir(tmp.resolve("agent"))
                        .limits(limits)
                        .build(),
                TaskKinds.none(),
                line -> {});
        return server;
    }

    private AgentClient client(String token) {
        return new AgentClient(new AgentTarget("t", "127.0.0.1:" + server.port(), token, null, null, null));
    }

    /** Sends Start with this version and this listing, returns the agent's answer: the first message or the error. */
    private Object craftedUpload(AgentClient c, String version, List<FileEntry> listing) {
        return craftedUpload(c, version, listing, false);
    }

    private Object craftedUpload(AgentClient c, String version, List<FileEntry> listing, boolean asDelta) {
        Pipe<Down, Up> pipe = new Pipe<>();
        c.stub().run(pipe);
        TaskRequest req = new TaskRequest(
                "r1", TaskSpec.of(TaskId.parse("g.t"), new Command.Shell("true"), List.of()), 1, Map.of(), Map.of());
        pipe.send(Up.newBuilder()
                .setStart(Start.newBuilder().setClientVersion(version).setRequestJson(RequestCodec.write(req)))
                .build());
        Transfer.sendEntries(
                listing,
                List.of(),
                (Entries e) -> pipe.send(Up.newBuilder()
                        .setManifest(e.toBuilder().setDelta(asDelta))
                        .build()));
        try {
            Down first = pipe.receive(30, TimeUnit.SECONDS);
            // the agent says at once whether it keeps a base listing (it cannot: none was named); then its verdict
            return first != null && first.hasReady() ? pipe.receive(30, TimeUnit.SECONDS) : first;
        } catch (StatusRuntimeException e) {
            return e;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.drover.agent.SyncSafetyTest#agentCorpus")
    void theAgentRejectsEveryCraftedUploadAndWritesNothing(String name, List<FileEntry> listing, String words)
            throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside-sentinel"));
        start(null, new Limits(100, 1L << 30));
        try (AgentClient c = client(null)) {
            Object answer = craftedUpload(c, Version.current(), listing);
            assertThat(answer).isInstanceOf(StatusRuntimeException.class);
            assertThat(((StatusRuntimeException) answer).getStatus().getDescription())
                    .startsWith("upload rejected by the agent")
                    .contains(words);
        }
        assertThat(outside).isEmptyDirectory();
        try (Stream<Path> s = Files.list(tmp.resolve("agent/tasks"))) {
            assertThat(s.toList()).as("no task directory was made").isEmpty();
        }
        assertThat(tmp.resolve("evil.sh")).doesNotExist();
    }

    @Test
    void aListingSentAsADeltaOnABaseTheAgentDoesNotKeepIsRejected() throws Exception {
        start(null, Limits.DEFAULT);
        try (AgentClient c = client(null)) {
            Object answer = craftedUpload(c, Version.current(), List.of(SyncSafetyTest.file("a", 0644, "x")), true);
            assertThat(((StatusRuntimeException) answer).getStatus().getDescription())
                    .startsWith("upload rejected by the agent")
                    .contains("as a delta where the agent asked otherwise");
        }
    }

    @Test
    void aClientOfAnotherMajorMinorIsRefusedNamingBothVersions() throws Exception {
        start(null, Limits.DEFAULT);
        try (AgentClient c = client(null)) {
            Object answer = craftedUpload(c, "99.7.1", List.of());
            assertThat(((StatusRuntimeException) answer).getStatus().getDescription())
                    .isEqualTo("version mismatch: the master is drover 99.7.1 and this agent is drover "
                            + Version.current() + " (major.minor must match)");
        }
    }

    @Test
    void withATokenEveryCallNeedsIt() throws Exception {
        start("s3cret-token", Limits.DEFAULT);
        try (AgentClient none = client(null);
                AgentClient wrong = client("nope");
                AgentClient right = client("s3cret-token")) {
            assertThatThrownBy(() -> none.info(5, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(none.describe(e))
                                    .contains("refused the call: this agent needs a token and none was given"));
            assertThatThrownBy(() -> wrong.info(5, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(wrong.describe(e))
                                    .contains("wrong token for this agent")
                                    .doesNotContain("nope")
                                    .doesNotContain("s3cret"));
            assertThat(right.info(5, TimeUnit.SECONDS).getVersion()).isEqualTo(Version.current());
            // the standard health service stays open, for load balancers and probes
            var health = HealthGrpc.newBlockingStub(none.channelForTests());
            assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
    }

    @Test
    void withoutATokenItOnlyListensOnLoopback() {
        assertThatThrownBy(() -> AgentOptions.builder().bind("0.0.0.0").build())
                .hasMessageContaining("refusing to listen on 0.0.0.0 without a token");
        assertThat(AgentOptions.builder().build().bind()).isEqualTo("127.0.0.1");
        assertThat(AgentOptions.builder().token("t").build().bind()).isEqualTo("0.0.0.0");
    }
}
