package io.drover.cli;

import io.drover.cluster.files.FleetFiles;
import io.drover.cluster.files.SyncBack;
import io.drover.cluster.queue.Client;
import io.drover.cluster.queue.RedisUrls;
import io.drover.cluster.queue.RunRecords;
import io.drover.core.model.RunId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover submit FILE}: hands a run to the controllers and prints its id. */
@Command(
        name = "submit",
        description = {
            "Hand a workflow run to the controllers (drover controller) and print its id.",
            "Follow it with drover runs status ID, drover node logs --run ID --follow, or run it with drover run --redis-url to wait for it."
        })
final class SubmitCommand implements Callable<Integer> {
    @Mixin
    WorkflowArgs workflow;

    @Mixin
    RedisOption redis;

    @Option(
            names = {"-p", "--param"},
            paramLabel = "KEY=VALUE",
            description = "A run parameter. Repeatable.")
    List<String> params = new ArrayList<>();

    @Option(
            names = {"-c", "--concurrency"},
            paramLabel = "N",
            defaultValue = "256",
            description = "Tasks of the run in flight at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--fail-fast", description = "Cancel everything else as soon as a task has failed for good.")
    boolean failFast;

    @Option(
            names = "--queue",
            paramLabel = "Q",
            defaultValue = "default",
            description = "The queue of tasks that name none (default ${DEFAULT-VALUE}).")
    String queue;

    @Option(
            names = "--workdir",
            paramLabel = "DIR",
            description = {
                "Send DIR as the run's workspace: its tasks start from its files (drover runs files ID shows what"
                        + " they left). Default: none, the tasks start from an empty workspace."
            })
    Path workdir;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        var runParams = RunCommand.parseParams(params);
        WorkflowArgs.Loaded loaded =
                workflow.load(); // problems are reported here, with file and line, not on a controller
        WorkflowArgs.checkFleetWorkdirs(loaded.plan(), null);
        var source = loaded.workflow().lua().source();
        if (workdir != null && !Files.isDirectory(workdir))
            throw new Main.UserException("--workdir " + workdir + " is not a directory");
        try (Client c = Client.connect(redis.url())) {
            FleetFiles files = RunCommand.fleetFiles(c);
            SyncBack.Submitted workspace = workdir == null
                    ? SyncBack.Submitted.none(files)
                    : RunCommand.upload(files, workdir.toAbsolutePath().normalize());
            RunRecords.Submission s;
            try {
                s = new RunRecords.Submission(
                        source,
                        workflow.groups,
                        workflow.tasks,
                        runParams,
                        queue,
                        concurrency,
                        failFast,
                        workspace.ref());
            } catch (IllegalArgumentException e) {
                throw new Main.UserException(e.getMessage());
            }
            RunId id = c.runs().submit(s);
            spec.commandLine().getOut().println(id);
            if (!FleetRuns.controllerLeads(c)) {
                spec.commandLine()
                        .getErr()
                        .println("drover: no controller leads on " + RedisUrls.masked(redis.url())
                                + " yet: the run waits for one (drover controller --redis-url ...)");
            }
        }
        return Main.OK;
    }
}
