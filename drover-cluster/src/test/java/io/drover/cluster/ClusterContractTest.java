package io.drover.cluster;

import io.drover.cluster.queue.Client;
import io.drover.cluster.run.ClusterDispatcher;
import io.drover.cluster.worker.Worker;
import io.drover.cluster.worker.WorkerOptions;
import io.drover.core.dsl.WorkflowLoader;
import io.drover.core.engine.Dispatcher;
import io.drover.core.engine.DispatcherContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduler contract with every task on a worker, through a real redis-server: the same semantics as
 * locally, except what a worker's private directories exclude (files shared between tasks or brought back).
 */
class ClusterContractTest extends DispatcherContract {
    @RegisterExtension
    static final RedisExtension redis = new RedisExtension();

    private static Client client;
    private static Worker worker;
    private static Path workerDir;

    @BeforeAll
    static void startWorker() throws Exception {
        workerDir = Files.createTempDirectory("drover-cluster-contract");
        client = Client.connect(redis.url());
        worker = Worker.start(WorkerOptions.builder(redis.url())
                .queue("contract")
                .concurrency(4)
                .workdir(workerDir)
                .lease(Duration.ofSeconds(2))
                .build());
    }

    @AfterAll
    static void stopWorker() throws Exception {
        worker.shutdownNow();
        worker.awaitTermination(Duration.ofSeconds(20));
        client.close();
        new ProcessBuilder("rm", "-rf", workerDir.toString()).start().waitFor();
    }

    @Override
    protected Dispatcher newDispatcher(WorkflowLoader.Loaded workflow, Path baseDir) {
        return new ClusterDispatcher(client, workflow.lua().source(), "contract");
    }

    @Override
    protected boolean filesComeBack() {
        return false;
    }

    @Override
    protected boolean sharesDirectoryWhileRunning() {
        return false;
    }
}
