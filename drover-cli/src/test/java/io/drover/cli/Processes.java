package io.drover.cli;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The drover processes an end-to-end test starts (agents, workers, controllers), each logging to {@code NAME.log} in
 * the test's directory; {@link #stopAll} stops every one it started, and only those.
 */
final class Processes {
    private final Path dir;
    private final Map<String, Process> started = new LinkedHashMap<>();

    Processes(Path dir) {
        this.dir = dir;
    }

    Process start(String name, String... args) throws Exception {
        return startIn(name, dir, args);
    }

    /** Starts drover in {@code cwd} (its log still in the test's directory). */
    Process startIn(String name, Path cwd, String... args) throws Exception {
        return startIn(name, cwd, Map.of(), args);
    }

    /** Starts drover with extra environment variables. */
    Process start(String name, Map<String, String> env, String... args) throws Exception {
        return startIn(name, dir, env, args);
    }

    private Process startIn(String name, Path cwd, Map<String, String> env, String... args) throws Exception {
        ProcessBuilder b = DroverProcess.builder(cwd, args);
        b.environment().putAll(env);
        Process p = b.redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        started.put(name, p);
        return p;
    }

    /** The process started as {@code name}. */
    Process get(String name) {
        return started.get(name);
    }

    String log(String name) throws Exception {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    /** Stops what this started: SIGTERM, then SIGKILL for what has not exited within 20 s. */
    void stopAll() throws Exception {
        for (Process p : started.values()) {
            if (p.isAlive()) p.destroy();
        }
        for (Process p : started.values()) {
            if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
        started.clear();
    }

    /** A worker of {@code redisUrl} with 4 slots and a 1 s lease, started and ready. */
    void worker(String name, String redisUrl, String... extra) throws Exception {
        worker(name, redisUrl, Map.of(), extra);
    }

    /** {@link #worker} with extra environment variables. */
    void worker(String name, String redisUrl, Map<String, String> env, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "worker",
                "--redis-url",
                redisUrl,
                "--worker-id",
                name,
                "--concurrency",
                "4",
                "--lease",
                "1s",
                "--grace",
                "1s",
                "--workdir",
                dir.resolve("workers").resolve(name).toString()));
        args.addAll(List.of(extra));
        start(name, env, args.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(60)).until(() -> log(name).contains("drover worker " + name));
    }

    /** A controller of {@code redisUrl} with a 1 s lease on a free port, started and ready. */
    void controller(String name, String redisUrl) throws Exception {
        start(name, "controller", "--redis-url", redisUrl, "--port", "0", "--id", name, "--lease", "1s");
        await().atMost(Duration.ofSeconds(30)).until(() -> log(name).contains("drover controller " + name));
    }

    /** An agent on loopback demanding {@code token}, started; returns its address. */
    String agent(String token, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "agent",
                "-p",
                "0",
                "--bind",
                "127.0.0.1",
                "--token",
                token,
                "--workdir",
                dir.resolve("agent-dir").toString()));
        args.addAll(List.of(extra));
        start("agent", args.toArray(String[]::new));
        Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
        String[] port = new String[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Matcher m = listening.matcher(log("agent"));
            return m.find() && (port[0] = m.group(1)) != null;
        });
        return "127.0.0.1:" + port[0];
    }
}
