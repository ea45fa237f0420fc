package io.drover.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image scripts/image builds with Jib, without a Docker engine or a registry: its layers unpacked into
 * a directory, with /proc mounted and /dev/null made as a container runtime would, run {@code drover --version} and
 * {@code drover run} of the hello example with chroot, as the image's user.
 */
class ImageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void theImageRunsDroverAndTheHelloExampleAsItsNonRootUser() throws Exception {
        assertThat(System.getProperty("user.name"))
                .as("chroot and mount need root")
                .isEqualTo("root");
        Repo.Result built = Repo.run(Repo.root(), Map.of(), 900, List.of("scripts/image", "--no-build"));
        assertThat(built.exit()).as(built.out()).isZero();
        Path tar = Repo.root().resolve("drover-cli/target/drover-image.tar");
        System.out.println(
                "image: " + built.out().strip().lines().reduce((a, b) -> b).orElse(""));

        Path image = Files.createDirectories(dir.resolve("image"));
        assertThat(Repo.run(image, "tar", "xf", tar.toString()).exit()).isZero();
        JsonNode manifest =
                JSON.readTree(image.resolve("manifest.json").toFile()).get(0);
        JsonNode config = JSON.readTree(
                        image.resolve(manifest.get("Config").asText()).toFile())
                .get("config");
        assertThat(config.get("User").asText()).isEqualTo("10001:10001");
        assertThat(config.get("Labels").get("io.drover.healthcheck").asText()).isEqualTo("drover doctor");
        assertThat(config.get("Labels").get("org.opencontainers.image.version").asText())
                .isNotBlank();
        List<String> entrypoint = new ArrayList<>();
        config.get("Entrypoint").forEach(e -> entrypoint.add(e.asText()));

        Path root = Files.createDirectories(dir.resolve("rootfs"));
        for (JsonNode layer : manifest.get("Layers")) {
            Repo.Result x = Repo.run(
                    root,
                    "tar",
                    "--warning=no-unknown-keyword",
                    "-xzf",
                    image.resolve(layer.asText()).toString());
            assertThat(x.exit()).as(x.out()).isZero();
        }
        Files.createDirectories(root.resolve("proc"));
        Files.createDirectories(root.resolve("dev"));
        assertThat(Repo.run(root, "mknod", "-m", "666", "dev/null", "c", "1", "3")
                        .exit())
                .isZero();
        assertThat(Repo.run(
                                root,
                                "mount",
                                "-t",
                                "proc",
                                "proc",
                                root.resolve("proc").toString())
                        .exit())
                .isZero();
        try {
            Repo.Result version = chroot(root, entrypoint, "--version");
            assertThat(version.exit()).as(version.out()).isZero();
            assertThat(version.out()).startsWith("drover ");

            Repo.Result hello =
                    chroot(root, entrypoint, "run", "/opt/drover/examples/hello.lua", "--param", "name=image");
            assertThat(hello.exit()).as(hello.out()).isZero();
            assertThat(hello.out()).contains("hello, image, from sh").contains("2 succeeded");
            assertThat(root.resolve("home/drover/.drover/runs")).isDirectory();
            assertThat(Files.getOwner(root.resolve("home/drover/.drover")).getName())
                    .isIn("10001", "drover");
        } finally {
            Repo.run(root, "umount", root.resolve("proc").toString());
        }
    }

    /** The entrypoint with {@code args}, as the image's user, in its working directory, inside {@code root}. */
    private static Repo.Result chroot(Path root, List<String> entrypoint, String... args) throws Exception {
        StringBuilder cmd = new StringBuilder("cd /home/drover && exec");
        for (String a : entrypoint) cmd.append(' ').append(quote(a));
        for (String a : args) cmd.append(' ').append(quote(a));
        return Repo.run(
                root,
                Map.of("PATH", "/opt/java/bin:/usr/bin:/bin", "HOME", "/home/drover"),
                300,
                List.of("chroot", "--userspec=10001:10001", root.toString(), "/bin/sh", "-c", cmd.toString()));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
