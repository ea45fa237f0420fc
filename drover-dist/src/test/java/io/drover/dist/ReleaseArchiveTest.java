package io.drover.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The release archive unpacked into an empty directory runs as the README says. */
class ReleaseArchiveTest {
    @TempDir
    Path dir;

    @Test
    void theUnpackedArchiveRunsTheHelloExampleAndSaysItsVersion() throws Exception {
        Path home = Repo.unpack(Repo.release(), dir);
        assertThat(home.getFileName().toString()).matches("drover-[0-9]+\\.[0-9]+\\.[0-9]+.*");
        String version = home.getFileName().toString().substring("drover-".length());
        for (String f : List.of(
                "bin/drover",
                "lib/drover.jar",
                "lib/jdk.sh",
                "examples/hello.lua",
                "deploy/systemd/drover-worker@.service",
                "deploy/systemd/drover-agent.service",
                "deploy/systemd/drover-controller.service",
                "deploy/env/worker.env",
                "deploy/compose.yaml",
                "completion/drover.bash",
                "completion/_drover",
                "man/man1/drover.1",
                "man/man1/drover-worker.1",
                "man/man1/drover-state-get.1",
                "README.md")) {
            assertThat(home.resolve(f)).as(f).exists();
        }
        assertThat(Files.isExecutable(home.resolve("bin/drover"))).isTrue();
        assertThat(Files.readString(home.resolve("completion/drover.bash")))
                .contains("complete")
                .contains("worker");

        Repo.Result v = Repo.run(dir, home.resolve("bin/drover").toString(), "--version");
        assertThat(v.exit()).as(v.out()).isZero();
        assertThat(v.out()).startsWith("drover " + version);

        Path work = Files.createDirectories(dir.resolve("work"));
        Repo.Result hello = Repo.run(
                work,
                Map.of(),
                120,
                List.of(
                        home.resolve("bin/drover").toString(),
                        "run",
                        home.resolve("examples/hello.lua").toString()));
        assertThat(hello.exit()).as(hello.out()).isZero();
        assertThat(hello.out()).contains("succeeded");
        assertThat(work.resolve(".drover/runs")).isDirectory();

        // a symlink to the launcher (/usr/local/bin/drover -> /opt/drover/bin/drover) finds its release
        Path link = Files.createSymbolicLink(dir.resolve("drover-link"), home.resolve("bin/drover"));
        Repo.Result viaLink = Repo.run(dir, link.toString(), "--version");
        assertThat(viaLink.out()).startsWith("drover " + version);
    }
}
