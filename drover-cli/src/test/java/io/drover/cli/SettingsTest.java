package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.cluster.controller.ControllerOptions;
import io.drover.cluster.worker.WorkerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flag, else environment variable, else drover.toml, else default: for worker, controller and node start alike. */
class SettingsTest {
    @TempDir
    Path dir;

    private Settings settings(String toml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("drover.toml");
        Files.writeString(f, toml);
        return new Settings(Config.find(f, null), env);
    }

    private static final String FILE = """
      [bus]
      redis_url = "redis://from-file:6380"
      [worker]
      concurrency = 8
      queue = "file-queue"
      lease = "40s"
      grace = "9s"
      tags = { zone = "file" }
      [controller]
      port = 7800
      lease = "3s"
      id = "ctl-file"
      """;

    private static <T> T parse(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    private static WorkerOptions worker(Settings s, String... args) {
        return parse(new WorkerCommand(), args).options(s);
    }

    private static WorkerOptions nodeWorker(Settings s, String... args) {
        return s.worker(parse(new NodeCommand.Start(), args).flags(null)).build();
    }

    @Test
    void aWorkersSettingComesFromItsFlagElseItsVariableElseDroverTomlElseItsDefault() throws Exception {
        Map<String, String> env = Map.of("DROVER_CONCURRENCY", "4", "DROVER_QUEUE", "env-queue");
        for (boolean node : new boolean[] {false, true}) {
            Settings all = settings(FILE, env);
            WorkerOptions o = node ? nodeWorker(all, "-c", "2") : worker(all, "-c", "2");
            assertThat(o.concurrency()).isEqualTo(2); // the flag
            assertThat(o.queue()).isEqualTo("env-queue"); // the variable
            assertThat(o.lease()).isEqualTo(Duration.ofSeconds(40)); // the file
            assertThat(o.grace()).isEqualTo(Duration.ofSeconds(9));
            assertThat(o.redisUrl()).isEqualTo("redis://from-file:6380");
            assertThat(o.tags()).containsExactly(Map.entry("zone", "file"));
            assertThat((node ? nodeWorker(all) : worker(all)).concurrency()).isEqualTo(4);
            Settings fileOnly = settings(FILE, Map.of());
            assertThat((node ? nodeWorker(fileOnly) : worker(fileOnly)).concurrency())
                    .isEqualTo(8);
            Settings none = settings("", Map.of());
            WorkerOptions d = node ? nodeWorker(none) : worker(none);
            assertThat(d.concurrency()).isEqualTo(1);
            assertThat(d.queue()).isEqualTo("default");
            assertThat(d.lease()).isEqualTo(WorkerOptions.DEFAULT_LEASE);
        }
    }

    @Test
    void theExecutorAndItsTemporalSettingsComeFromFlagElseVariableElseDroverTomlElseDefault() throws Exception {
        String toml = """
            [worker]
            executor = "temporal"
            [temporal]
            host = "file-temporal:7233"
            namespace = "file-ns"
            task_queue = "file-queue"
            tls = true
            """;
        Map<String, String> env = Map.of("TEMPORAL_HOST", "env-temporal:7233", "TEMPORAL_NAMESPACE", "env-ns");
        WorkerOptions o = worker(settings(toml, env), "--temporal-host", "flag-temporal:7233", "--temporal-retries");
        assertThat(o.executor()).isEqualTo("temporal"); // the file
        assertThat(o.executorSettings())
                .containsEntry("host", "flag-temporal:7233") // the flag
                .containsEntry("namespace", "env-ns") // the variable
                .containsEntry("task_queue", "file-queue") // the file
                .containsEntry("tls", "true")
                .containsEntry("retries", "true")
                .containsEntry("heartbeat_timeout", "5s"); // the default
        // node start's worker reads the same table
        assertThat(nodeWorker(settings(toml, env)).executorSettings()).containsEntry("host", "env-temporal:7233");
        WorkerOptions local = worker(settings("", Map.of()));
        assertThat(local.executor()).isEqualTo("local");
        assertThat(local.executorSettings()).isEmpty();
        assertThatThrownBy(() -> worker(settings(toml, Map.of("DROVER_EXECUTOR", "nomad"))))
                .isInstanceOf(Main.UserException.class)
                .hasMessage("$DROVER_EXECUTOR: unknown executor 'nomad' (known: local, temporal)");
        assertThatThrownBy(() -> worker(settings(toml, Map.of()), "--temporal-host", "no-port"))
                .isInstanceOf(Main.UserException.class)
                .hasMessageStartingWith("bad Temporal host 'no-port'");
    }

    @Test
    void aControllersSettingComesFromItsFlagElseItsVariableElseDroverTomlElseItsDefault() throws Exception {
        Settings s = settings(FILE + "[nodes]\ntoken = \"file-token\"\n", Map.of("DROVER_CONTROLLER_PORT", "7900"));
        ControllerOptions o = parse(new ControllerCommand(), "--lease", "4s").options(s);
        assertThat(o.lease()).isEqualTo(Duration.ofSeconds(4)); // the flag
        assertThat(o.port()).isEqualTo(7900); // the variable
        assertThat(o.controllerId()).isEqualTo("ctl-file"); // the file
        assertThat(o.token()).isEqualTo("file-token");
        assertThat(o.bind()).isEqualTo("127.0.0.1"); // the default
        ControllerOptions node = s.controller(new Settings.ControllerFlags(null, null, null, null, "4s", null))
                .build();
        assertThat(node).isEqualTo(o);
        assertThat(parse(new ControllerCommand())
                        .options(settings("", Map.of()))
                        .lease())
                .isEqualTo(ControllerOptions.DEFAULT_LEASE);
    }

    @Test
    void aBadValueIsInvalidInputNamingWhereItCameFrom() throws Exception {
        assertThatThrownBy(() -> worker(settings(FILE, Map.of("DROVER_CONCURRENCY", "zero"))))
                .isInstanceOf(Main.UserException.class)
                .hasMessage("$DROVER_CONCURRENCY must be a whole number from 1 to 100000, not 'zero'");
        assertThatThrownBy(() -> worker(settings("[worker]\nlease = \"soon\"\n", Map.of())))
                .isInstanceOf(Main.UserException.class)
                .hasMessageStartingWith("lease in [worker] of " + dir.resolve("drover.toml") + ": ");
    }

    @Test
    void aWorkersFileSettingsComeFromItsFlagElseItsVariableElseDroverTomlElseTheirDefaults() throws Exception {
        Path shared = Files.createDirectories(dir.resolve("shared"));
        Path other = Files.createDirectories(dir.resolve("other"));
        String toml = "[worker]\nfile_store = \"" + shared + "\"\nfiles_inline_max = \"1m\"\nfiles_cache = \"5g\"\n";
        Settings s = settings(toml, Map.of("DROVER_FILES_INLINE_MAX", "2m"));
        WorkerOptions o = worker(s, "--files-cache", "3g");
        assertThat(o.filesCacheMax()).isEqualTo(3L << 30); // the flag
        assertThat(o.filesInlineMax()).isEqualTo(2L << 20); // the variable
        assertThat(o.fileStore()).isEqualTo(shared); // the file
        assertThat(worker(s, "--file-store", other.toString()).fileStore()).isEqualTo(other);
        WorkerOptions d = worker(settings("", Map.of()));
        assertThat(d.fileStore()).isNull();
        assertThat(d.filesInlineMax()).isEqualTo(16L << 20);
        assertThat(d.filesCacheMax()).isEqualTo(2L << 30);
        assertThatThrownBy(() -> worker(settings(
                        "", Map.of("DROVER_FILE_STORE", dir.resolve("nope").toString()))))
                .isInstanceOf(Main.UserException.class)
                .hasMessage("$DROVER_FILE_STORE: " + dir.resolve("nope") + " is not a directory");
        assertThatThrownBy(() -> worker(settings("", Map.of()), "--files-cache", "lots"))
                .isInstanceOf(Main.UserException.class)
                .hasMessageStartingWith("--files-cache: ");
    }
}
