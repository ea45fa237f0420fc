package io.drover.cluster;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own, on a free loopback port, with its data in a temporary directory. Never the
 * machine's shared Redis. Stopped (and only it) by {@link #close()}.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final boolean aof;
    private final List<String> extra;
    private Process process;

    private RedisServer(int port, Path dir, boolean aof, List<String> extra) {
        this.port = port;
        this.dir = dir;
        this.aof = aof;
        this.extra = extra;
    }

    public static RedisServer start() throws IOException, InterruptedException {
        return start(false);
    }

    /** With extra redis-server arguments, like {@code --requirepass secret}. */
    public static RedisServer start(boolean aof, String... extraArgs) throws IOException, InterruptedException {
        RedisServer s = new RedisServer(freePort(), Files.createTempDirectory("drover-redis"), aof, List.of(extraArgs));
        s.launch();
        return s;
    }

    private static int freePort() throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return ss.getLocalPort();
        }
    }

    /** Starts it (again, on the same port and directory after {@link #stop()}). */
    public void launch() throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                binary(),
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString(),
                "--save",
                "",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes"));
        cmd.addAll(aof ? List.of("--appendonly", "yes", "--appendfsync", "always") : List.of("--appendonly", "no"));
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .redirectInput(new File("/dev/null"))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive())
                throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
            if (ping()) return;
            Thread.sleep(20);
        }
        throw new IOException("redis-server did not answer on port " + port);
    }

    private static String binary() {
        for (String p : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        return "redis-server"; // from PATH
    }

    private boolean ping() {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[7];
            String reply = in.read(buf) > 0 ? new String(buf, StandardCharsets.US_ASCII) : "";
            return reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"); // up, with or without a password
        } catch (IOException e) {
            return false;
        }
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Kills it with SIGKILL (no chance to flush anything), keeping its data directory. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) process.destroyForcibly().waitFor();
    }

    /** Stops it, keeping its data directory (for restart tests). */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temporary directory
        }
    }
}
