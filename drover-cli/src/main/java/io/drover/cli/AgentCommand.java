package io.drover.cli;

import io.drover.agent.server.AgentOptions;
import io.drover.agent.server.AgentServer;
import io.drover.agent.sync.Limits;
import io.drover.agent.sync.Sizes;
import io.drover.core.Errors;
import io.drover.core.Log;
import io.drover.core.Version;
import io.drover.core.lua.LuaInterpreter;
import io.drover.core.model.Durations;
import io.drover.core.runner.TaskKinds;
import io.drover.core.state.StateStores;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code drover agent}: runs delegated tasks for masters until stopped. */
@Command(
        name = "agent",
        description = {
            "Run tasks delegated by 'drover run' (delegate_to) until stopped.",
            "Without a token it listens on 127.0.0.1 only. SIGTERM/Ctrl-C: stop taking tasks, let running ones finish within --grace."
        })
final class AgentCommand implements Callable<Integer> {
    @Option(
            names = {"-p", "--port"},
            defaultValue = "50051",
            description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(
            names = "--bind",
            paramLabel = "ADDR",
            description = "Address to listen on. Default: 0.0.0.0 with a token, 127.0.0.1 without.")
    String bind;

    @Option(
            names = "--token",
            description = {
                "Token masters must present. Default: $DROVER_AGENT_TOKEN.",
                "On the command line it is " + Tokens.VISIBLE + "."
            })
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the token from this file.")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain: serve TLS.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert.")
    Path tlsKey;

    @Option(
            names = "--tls-client-ca",
            paramLabel = "PEM",
            description = "Require client certificates from this CA (mutual TLS).")
    Path tlsClientCa;

    @Option(
            names = "--workdir",
            paramLabel = "DIR",
            description =
                    "Tasks' private directories (and those kept for the next task). Default: a directory under the system's temp dir.")
    Path workdir;

    @Option(
            names = "--state-url",
            paramLabel = "URL",
            description = {
                "The state store of the tasks it runs: sqlite:PATH, postgres://USER@HOST/DB or redis://HOST:PORT."
                        + " Default: $DROVER_STATE_URL, [state] url in drover.toml, else sqlite:.drover/state.db"
                        + " (shared with drover run in the same directory)."
            })
    String stateUrl;

    @Option(names = "--max-tasks", description = "Tasks at once; more wait (default: the number of cores).")
    Integer maxTasks;

    @Option(names = "--name", description = "Name shown to masters (default: the host name).")
    String name;

    @Option(
            names = "--max-upload",
            paramLabel = "SIZE",
            defaultValue = "64g",
            description = "Most file content one upload may hold (default ${DEFAULT-VALUE}).")
    String maxUpload;

    @Option(
            names = "--max-files",
            defaultValue = "1000000",
            description = "Most entries one upload may hold (default ${DEFAULT-VALUE}).")
    long maxFiles;

    @Option(
            names = "--keep-workspaces",
            defaultValue = "4",
            description = {
                "Directories of finished tasks kept for the next task of the same master workspace,",
                "so unchanged files are not sent again (default ${DEFAULT-VALUE}; 0 removes each task's directory when it ends)."
            })
    int keepWorkspaces;

    @Option(
            names = "--grace",
            defaultValue = "30s",
            description = "How long running tasks may finish after a stop signal (default ${DEFAULT-VALUE}).")
    String grace;

    @picocli.CommandLine.Mixin
    LogOptions logging;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        LuaInterpreter.checkSettings();
        AgentOptions options;
        try {
            String t = Tokens.resolve(token, tokenFile, "DROVER_AGENT_TOKEN");
            AgentOptions.Builder b = AgentOptions.builder()
                    .port(port)
                    .bind(bind)
                    .token(t)
                    .tls(tlsCert, tlsKey, tlsClientCa)
                    .workdir(workdir == null ? null : workdir.toAbsolutePath())
                    .name(name)
                    .limits(new Limits(
                            maxFiles, Sizes.parse(maxUpload), "drover agent --max-files", "drover agent --max-upload"))
                    .keepWorkspaces(keepWorkspaces)
                    .stateUrl(Settings.load(null).localStateUrl(stateUrl));
            if (maxTasks != null) b.maxTasks(maxTasks);
            options = b.build();
        } catch (IllegalArgumentException e) {
            throw new Main.UserException(e.getMessage());
        }
        var err = spec.commandLine().getErr();
        logging.apply(Log.Level.INFO); // info by default: each task taken and ended
        Log log = Log.of("agent", options.name());
        Signals signals = Signals.install();
        AgentServer server;
        try {
            server = AgentServer.start(options, TaskKinds.discover(), log::info);
        } catch (IOException e) {
            String why = e.getCause() instanceof BindException
                            || e.getMessage() != null && e.getMessage().contains("bind")
                    ? "cannot listen on " + options.bind() + ":" + port + " (" + rootMessage(e) + ")"
                    : rootMessage(e);
            throw new Main.UserException(why);
        }
        err.printf(
                "drover agent %s listening on %s:%d, version %s, TLS %s, auth %s, max tasks %d, workdir %s, state %s%n",
                options.name(),
                options.bind(),
                server.port(),
                Version.current(),
                options.tls() ? (options.tlsClientCa() != null ? "on (mutual)" : "on") : "off",
                options.token() == null ? "off" : "on (token)",
                options.maxTasks(),
                options.workdir(),
                StateStores.masked(options.stateUrl()));
        if (options.token() == null)
            err.println("drover agent: no token: listening on " + options.bind()
                    + " only; give --token to accept other machines");
        else if (!options.tls())
            err.println(
                    "drover agent: warning: a token without TLS travels in clear text; give --tls-cert and --tls-key on untrusted networks");
        err.flush();
        long graceMs = Durations.parse(grace).toMillis();
        signals.attach(new Signals.Target() {
            @Override
            public void stop(String signal) {
                log.info("stopping (" + signal + "): running tasks may finish within " + grace);
                Thread.ofPlatform().start(() -> {
                    try {
                        server.shutdown(graceMs, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                });
            }

            @Override
            public void stopNow(String signal) {
                log.info("stopping now");
                Runtime.getRuntime().halt(Main.INTERRUPTED);
            }
        });
        server.awaitTermination();
        return Main.OK;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return Errors.describe(t);
    }
}
