package io.drover.cli;

import io.drover.cluster.controller.Controller;
import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.queue.RedisUrls;
import io.drover.core.Log;
import io.drover.core.Version;
import io.drover.core.model.Durations;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover controller}: plans and follows runs on the fleet; one of several leads, the others stand by. */
@Command(
        name = "controller",
        description = {
            "Run workflows on the fleet: plan runs, dispatch their tasks to the queue, snapshot them in Redis.",
            "Start two or three: one leads (a lease with a fencing epoch), the others take over when it stops. SIGTERM/Ctrl-C hands the lease over at once."
        })
final class ControllerCommand implements Callable<Integer> {
    @Mixin
    RedisOption redis;

    @Option(
            names = {"-p", "--port"},
            description =
                    "Port of the HTTP API (default: $DROVER_CONTROLLER_PORT, else [controller] port, else 7700; 0: any free one).")
    Integer port;

    @Option(
            names = "--bind",
            description =
                    "Address of the HTTP API (default: $DROVER_CONTROLLER_BIND, else [controller] bind, else 127.0.0.1; any other needs a token).")
    String bind;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "drover.toml ([bus], [controller], [nodes] token). Default: $DROVER_CONFIG or ./drover.toml.")
    Path config;

    @Option(
            names = "--token",
            description = {
                "What the HTTP API demands (Authorization: Bearer). Default: $DROVER_TOKEN.",
                "On the command line it is " + Tokens.VISIBLE + "."
            })
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the token from this file.")
    Path tokenFile;

    @Option(
            names = "--id",
            description =
                    "This controller's id. Default: $DROVER_CONTROLLER_ID, else [controller] id, else ctl-host-pid.")
    String id;

    @Option(
            names = "--lease",
            description =
                    "Leader lease: a standby takes over this long after the leader stopped renewing (default: $DROVER_CONTROLLER_LEASE, else [controller] lease, else 2s).")
    String lease;

    @picocli.CommandLine.Mixin
    LogOptions logging;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** This command's controller options: its flags, else the environment, else drover.toml, else defaults ({@link Settings}). */
    ControllerOptions options(Settings settings) {
        logging.apply(Log.Level.INFO); // info by default: what it leads and runs
        if (redis.url == null
                && settings.get(Settings.Key.REDIS_URL, null).from().equals("the default")) redis.url(); // says so
        try {
            return settings.controller(new Settings.ControllerFlags(
                            redis.url, id, port, bind, lease, Tokens.resolve(token, tokenFile, "DROVER_TOKEN")))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }
    }

    @Override
    public Integer call() throws Exception {
        ControllerOptions options = options(Settings.load(config));
        Signals signals = Signals.install();
        Controller controller = Controller.start(options);
        var err = spec.commandLine().getErr();
        err.printf(
                "drover controller %s: redis %s, http://%s:%d (%s), lease %s, version %s%n",
                controller.id(),
                RedisUrls.masked(options.redisUrl()),
                options.bind(),
                controller.httpPort(),
                options.token() == null ? "no token: loopback only" : "token required",
                Durations.format(options.lease()),
                Version.current());
        err.flush();
        signals.attach(new Signals.Target() {
            @Override
            public void stop(String signal) {
                System.err.println("drover controller: stopping (" + signal + "); handing the lease over");
                Thread.ofPlatform().start(controller::close);
            }

            @Override
            public void stopNow(String signal) {
                Runtime.getRuntime().halt(Main.INTERRUPTED);
            }
        });
        controller.awaitStop();
        return Main.OK;
    }
}
