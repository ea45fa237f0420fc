package io.drover.agent;

import io.drover.agent.client.AgentDirectory;
import io.drover.agent.client.AgentDispatcher;
import io.drover.agent.sync.Limits;
import io.drover.core.Jvm;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.DispatcherContract;
import io.drover.core.engine.LocalDispatcher;
import io.drover.core.model.Delegation;
import io.drover.core.runner.TaskKinds;
import io.drover.core.runner.TaskRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The scheduler contract with every task on an agent process ({@code drover run --agent}): the same semantics as
 * locally, except what private directories exclude (tasks meeting through files while they run).
 */
class AgentContractTest extends DispatcherContract {
    private static Process agent;
    private static String address;
    private static Path agentDir;

    @BeforeAll
    static void startAgent() throws Exception {
        agentDir = Files.createTempDirectory("drover-agent-contract");
        agent = new ProcessBuilder(Jvm.command(
                        List.of("-Xmx256m"),
                        AgentProcessMain.class.getName(),
                        List.of("contract", agentDir.toString(), "4", "-", "-", "-", "-")))
                .redirectErrorStream(true)
                .redirectOutput(agentDir.resolve("agent.log").toFile())
                .start();
        Path port = agentDir.resolve("port");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(port) || !agent.isAlive());
        address = "127.0.0.1:" + Files.readString(port).strip();
    }

    @AfterAll
    static void stopAgent() throws Exception {
        agent.destroy();
        if (!agent.waitFor(15, TimeUnit.SECONDS)) agent.destroyForcibly().waitFor();
        new ProcessBuilder("rm", "-rf", agentDir.toString()).start().waitFor();
    }

    @Override
    protected Dispatcher newDispatcher(WorkflowLoader.Loaded workflow, Path baseDir) {
        LocalDispatcher local = new LocalDispatcher(
                new TaskRunner(workflow.lua(), TaskKinds.none()), baseDir, baseDir.resolve(".scratch"));
        return new AgentDispatcher(
                local,
                AgentDirectory.EMPTY,
                workflow.lua().source(),
                baseDir,
                Limits.DEFAULT,
                new Delegation(List.of(address), List.of(), null));
    }

    @Override
    protected boolean sharesDirectoryWhileRunning() {
        return false;
    }
}
