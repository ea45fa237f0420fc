package io.drover.dist;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The repository the tests check, and commands run in it. */
final class Repo {
    private Repo() {}

    record Result(int exit, String out) {}

    /** The repository's root (the parent of this module's directory). */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/release"))) p = p.getParent();
        if (p == null)
            throw new IllegalStateException(
                    "scripts/release not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** Runs a command, stdout and stderr together, within {@code seconds}. */
    static Result run(Path cwd, Map<String, String> env, int seconds, List<String> cmd)
            throws IOException, InterruptedException {
        ProcessBuilder b = new ProcessBuilder(cmd)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .redirectInput(new File("/dev/null"));
        b.environment().putAll(env);
        Process p = b.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // gone
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(cmd + " did not finish within " + seconds + " s: " + out);
        }
        t.join();
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    static Result run(Path cwd, String... cmd) throws IOException, InterruptedException {
        return run(cwd, Map.of(), 600, List.of(cmd));
    }

    /** The release archive, built once for the tests of this JVM (from the drover.jar this build made). */
    static synchronized Path release() throws IOException, InterruptedException {
        if (release == null) {
            Path out = root().resolve("drover-dist/target/release");
            Result r = run(root(), root().resolve("scripts/release").toString(), "--no-build", "--out", out.toString());
            if (r.exit() != 0) throw new AssertionError("scripts/release failed: " + r.out());
            release = Path.of(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        }
        return release;
    }

    private static Path release;

    /** The archive unpacked into {@code dir}; returns the release's home ({@code dir/drover-VERSION}). */
    static Path unpack(Path archive, Path dir) throws IOException, InterruptedException {
        Result r = run(dir, "tar", "xzf", archive.toString());
        if (r.exit() != 0) throw new AssertionError("tar failed: " + r.out());
        try (var list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith("drover-"))
                    .findFirst()
                    .orElseThrow();
        }
    }
}
