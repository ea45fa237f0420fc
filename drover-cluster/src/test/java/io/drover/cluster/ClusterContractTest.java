package io.drover.cluster;

import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.RunWorkspace;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.files.Versions;
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
 * locally, files brought back included, except what a worker's private directories exclude (tasks seeing each
 * other's files while they run).
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

    /**
     * As {@code drover run --redis-url} schedules a run itself: the base directory is the run's workspace, and each
     * task's changes come back to it as the task ends.
     */
    @Override
    protected Dispatcher newDispatcher(WorkflowLoader.Loaded workflow, Path baseDir) throws Exception {
        FleetFiles files = new FleetFiles(client.blobs(), null, FleetFiles.DEFAULT_INLINE_MAX, Duration.ofHours(1));
        SyncBack.Submitted submitted = SyncBack.upload(files, baseDir);
        RunWorkspace workspace = new RunWorkspace(files, new Versions(files), submitted.ref(), head -> {});
        return new ClusterDispatcher(
                client, workflow.lua().source(), "contract", () -> true, workspace, baseDir, submitted);
    }

    @Override
    protected boolean sharesDirectoryWhileRunning() {
        return false;
    }
}
