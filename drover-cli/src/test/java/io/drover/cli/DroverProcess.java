package io.drover.cli;

import io.drover.core.Jvm;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts {@code drover} as a separate process, the way the launcher does, and collects what it prints. */
final class DroverProcess {
    record Result(int exit, String out, String err) {}

    private DroverProcess() {}

    static ProcessBuilder builder(Path cwd, String... args) {
        return builder(cwd, List.of(), args);
    }

    /** With JVM options, e.g. {@code -Ddrover.version=9.9.0} for a process that acts as another release. */
    static ProcessBuilder builder(Path cwd, List<String> jvmOptions, String... args) {
        List<String> cmd = Jvm.command(jvmOptions, "io.drover.cli.Main", List.of(args));
        return new ProcessBuilder(cmd).directory(cwd.toFile()).redirectInput(new File("/dev/null"));
    }

    static Result run(Path cwd, String... args) throws IOException, InterruptedException {
        return run(cwd, Map.of(), args);
    }

    /** Runs drover with extra environment variables. */
    static Result run(Path cwd, Map<String, String> env, String... args) throws IOException, InterruptedException {
        ProcessBuilder b = builder(cwd, args);
        b.environment().putAll(env);
        Process p = b.start();
        var err = new ByteArrayOutputStream();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // process gone
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("drover did not finish within 120s");
        }
        t.join();
        return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    /** The repository's examples directory. */
    static Path example(String name) {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !p.resolve("examples").toFile().isDirectory()) p = p.getParent();
        if (p == null)
            throw new IllegalStateException(
                    "examples/ not found above " + Path.of("").toAbsolutePath());
        return p.resolve("examples").resolve(name);
    }
}
